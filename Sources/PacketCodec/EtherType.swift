/// EtherType values Sockeye dispatches on (IEEE 802.3, IANA "ieee-802-numbers").
/// Unknown values are kept as numbers, never errors.
public enum EtherType {
    public static let ipv4: UInt16 = 0x0800
    public static let arp: UInt16 = 0x0806
    public static let vlan: UInt16 = 0x8100       // IEEE 802.1Q C-tag
    public static let ipv6: UInt16 = 0x86DD
    public static let qinq: UInt16 = 0x88A8       // IEEE 802.1ad S-tag
    public static let qinqLegacy: UInt16 = 0x9100 // pre-standard QinQ

    @inlinable
    static func isVLANTag(_ t: UInt16) -> Bool { t == vlan || t == qinq || t == qinqLegacy }

    /// Name as tcpdump prints it, or nil.
    public static func name(_ t: UInt16) -> String? {
        switch t {
        case ipv4: "IPv4"
        case arp: "ARP"
        case vlan: "802.1Q"
        case ipv6: "IPv6"
        case qinq: "802.1Q-QinQ"
        case 0x8035: "Reverse ARP"
        case 0x88CC: "LLDP"
        default: nil
        }
    }
}

/// IP protocol numbers (IANA "protocol-numbers").
public enum IPProtocol {
    public static let hopByHop: UInt8 = 0
    public static let icmp: UInt8 = 1
    public static let tcp: UInt8 = 6
    public static let udp: UInt8 = 17
    public static let ipv6Routing: UInt8 = 43
    public static let ipv6Fragment: UInt8 = 44
    public static let esp: UInt8 = 50
    public static let authentication: UInt8 = 51
    public static let icmpv6: UInt8 = 58
    public static let noNextHeader: UInt8 = 59
    public static let ipv6DestinationOptions: UInt8 = 60
    public static let mobility: UInt8 = 135
    public static let hip: UInt8 = 139
    public static let shim6: UInt8 = 140
}
