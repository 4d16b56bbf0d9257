/// An EtherType (IEEE 802.3 clause 3.2.6, IANA "ieee-802-numbers"): the 16-bit type of an
/// Ethernet payload, also used by Linux cooked captures, GRE (RFC 2784 §2.4) and Geneve.
/// Unknown values are kept as numbers, never errors.
///
/// Typed values come from the implicit-member form and from `DecodedPacket.networkType`:
///
/// ```swift
/// let t: EtherType = .ipv6
/// switch packet.networkType { case .ipv4, .ipv6: …; default: … }
/// ```
///
/// Compatibility: the spelled-out form `EtherType.ipv4` still names the *raw* `UInt16`
/// (0x0800), as before this type was a struct, so code that compares it with `UInt16` fields or
/// passes it where a `UInt16` is expected keeps compiling. In a context that wants an
/// `EtherType` the same name gives the typed value. Once every caller uses the typed form, the
/// raw constants can go.
public struct EtherType: RawRepresentable, Hashable, Sendable, BitwiseCopyable, CustomStringConvertible,
                         _TypedEtherTypeConstants {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    // Raw constants (compatibility; see the type's documentation).
    public static let ipv4: UInt16 = 0x0800
    public static let arp: UInt16 = 0x0806
    public static let vlan: UInt16 = 0x8100       // IEEE 802.1Q C-tag
    public static let ipv6: UInt16 = 0x86DD
    public static let qinq: UInt16 = 0x88A8       // IEEE 802.1ad S-tag
    public static let qinqLegacy: UInt16 = 0x9100 // pre-standard QinQ
    public static let reverseARP: UInt16 = 0x8035
    public static let lldp: UInt16 = 0x88CC
    /// MPLS unicast / multicast (RFC 3032 §5).
    public static let mplsUnicast: UInt16 = 0x8847
    public static let mplsMulticast: UInt16 = 0x8848
    /// PPPoE discovery / session stage (RFC 2516 §4).
    public static let pppoeDiscovery: UInt16 = 0x8863
    public static let pppoeSession: UInt16 = 0x8864
    /// Transparent Ethernet bridging (GRE RFC 1701 "protocol type", NVGRE RFC 7637, Geneve).
    public static let transparentEthernet: UInt16 = 0x6558
    /// ERSPAN type II (GRE protocol type 0x88BE) and type III (0x22EB).
    public static let erspanII: UInt16 = 0x88BE
    public static let erspanIII: UInt16 = 0x22EB
    /// PPP in PPTP's enhanced GRE (RFC 2637 §4.1).
    public static let ppp: UInt16 = 0x880B

    @inlinable
    static func isVLANTag(_ t: UInt16) -> Bool { t == vlan || t == qinq || t == qinqLegacy }

    /// Name as tcpdump prints it, or nil (the list `packets` has always printed; unchanged).
    public static func name(_ t: UInt16) -> String? {
        switch t {
        case ipv4: "IPv4"
        case arp: "ARP"
        case vlan: "802.1Q"
        case ipv6: "IPv6"
        case qinq: "802.1Q-QinQ"
        case reverseARP: "Reverse ARP"
        case lldp: "LLDP"
        default: nil
        }
    }

    public var description: String {
        if let n = Self.name(rawValue) { return n }
        let hex = String(rawValue, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}

/// Supplies `EtherType`'s typed constants (`.ipv4` where an `EtherType` is expected); see `EtherType`.
public protocol _TypedEtherTypeConstants {}
extension _TypedEtherTypeConstants where Self == EtherType {
    @inlinable public static var ipv4: EtherType { EtherType(0x0800) }
    @inlinable public static var arp: EtherType { EtherType(0x0806) }
    @inlinable public static var vlan: EtherType { EtherType(0x8100) }
    @inlinable public static var ipv6: EtherType { EtherType(0x86DD) }
    @inlinable public static var qinq: EtherType { EtherType(0x88A8) }
    @inlinable public static var qinqLegacy: EtherType { EtherType(0x9100) }
    @inlinable public static var reverseARP: EtherType { EtherType(0x8035) }
    @inlinable public static var lldp: EtherType { EtherType(0x88CC) }
    @inlinable public static var mplsUnicast: EtherType { EtherType(0x8847) }
    @inlinable public static var mplsMulticast: EtherType { EtherType(0x8848) }
    @inlinable public static var pppoeDiscovery: EtherType { EtherType(0x8863) }
    @inlinable public static var pppoeSession: EtherType { EtherType(0x8864) }
    @inlinable public static var transparentEthernet: EtherType { EtherType(0x6558) }
    @inlinable public static var erspanII: EtherType { EtherType(0x88BE) }
    @inlinable public static var erspanIII: EtherType { EtherType(0x22EB) }
    @inlinable public static var ppp: EtherType { EtherType(0x880B) }
}

/// An IP protocol number (IANA "protocol-numbers"): IPv4's protocol field (RFC 791 §3.1) and
/// IPv6's next header (RFC 8200 §3). Same compatibility rule as `EtherType`: `IPProtocol.tcp`
/// spelled out is the raw `UInt8` 6; `.tcp` where an `IPProtocol` is expected is typed.
///
/// ```swift
/// switch packet.transportProtocol { case .tcp: …; case .udp: …; default: … }
/// ```
public struct IPProtocol: RawRepresentable, Hashable, Sendable, BitwiseCopyable, CustomStringConvertible,
                          _TypedIPProtocolConstants {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt8) { self.rawValue = rawValue }

    // Raw constants (compatibility; see `EtherType`).
    public static let hopByHop: UInt8 = 0
    public static let icmp: UInt8 = 1
    /// IPv4 encapsulated in IP (RFC 2003).
    public static let ipv4: UInt8 = 4
    public static let tcp: UInt8 = 6
    public static let udp: UInt8 = 17
    /// IPv6 encapsulated in IP (RFC 4213 §3.5, RFC 2473).
    public static let ipv6: UInt8 = 41
    public static let ipv6Routing: UInt8 = 43
    public static let ipv6Fragment: UInt8 = 44
    /// Generic Routing Encapsulation (RFC 2784).
    public static let gre: UInt8 = 47
    public static let esp: UInt8 = 50
    public static let authentication: UInt8 = 51
    public static let icmpv6: UInt8 = 58
    public static let noNextHeader: UInt8 = 59
    public static let ipv6DestinationOptions: UInt8 = 60
    /// MPLS in IP (RFC 4023).
    public static let mplsInIP: UInt8 = 137
    public static let mobility: UInt8 = 135
    public static let hip: UInt8 = 139
    public static let shim6: UInt8 = 140

    public var description: String {
        switch rawValue {
        case Self.icmp: "icmp"
        case Self.ipv4: "ipv4"
        case Self.tcp: "tcp"
        case Self.udp: "udp"
        case Self.ipv6: "ipv6"
        case Self.gre: "gre"
        case Self.esp: "esp"
        case Self.icmpv6: "icmpv6"
        default: "proto_\(rawValue)"
        }
    }
}

/// Supplies `IPProtocol`'s typed constants; see `IPProtocol`.
public protocol _TypedIPProtocolConstants {}
extension _TypedIPProtocolConstants where Self == IPProtocol {
    @inlinable public static var hopByHop: IPProtocol { IPProtocol(0) }
    @inlinable public static var icmp: IPProtocol { IPProtocol(1) }
    @inlinable public static var ipv4: IPProtocol { IPProtocol(4) }
    @inlinable public static var tcp: IPProtocol { IPProtocol(6) }
    @inlinable public static var udp: IPProtocol { IPProtocol(17) }
    @inlinable public static var ipv6: IPProtocol { IPProtocol(41) }
    @inlinable public static var ipv6Routing: IPProtocol { IPProtocol(43) }
    @inlinable public static var ipv6Fragment: IPProtocol { IPProtocol(44) }
    @inlinable public static var gre: IPProtocol { IPProtocol(47) }
    @inlinable public static var esp: IPProtocol { IPProtocol(50) }
    @inlinable public static var authentication: IPProtocol { IPProtocol(51) }
    @inlinable public static var icmpv6: IPProtocol { IPProtocol(58) }
    @inlinable public static var noNextHeader: IPProtocol { IPProtocol(59) }
    @inlinable public static var ipv6DestinationOptions: IPProtocol { IPProtocol(60) }
    @inlinable public static var mobility: IPProtocol { IPProtocol(135) }
    @inlinable public static var mplsInIP: IPProtocol { IPProtocol(137) }
    @inlinable public static var hip: IPProtocol { IPProtocol(139) }
    @inlinable public static var shim6: IPProtocol { IPProtocol(140) }
}
