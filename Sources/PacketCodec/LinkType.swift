/// The link-layer header type of a capture, from libpcap's `pcap_datalink()` (a DLT value) or
/// a file's LINKTYPE value. See https://www.tcpdump.org/linktypes.html and `pcap/dlt.h`.
public enum LinkType: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    /// DLT_EN10MB / LINKTYPE_ETHERNET (1): Ethernet II, with 802.1Q/802.1ad tags.
    case ethernet
    /// DLT_NULL (0): BSD loopback, a 4-byte address family in the *capturing host's* byte order.
    case null
    /// DLT_LOOP (108): OpenBSD loopback, the 4-byte address family in network byte order.
    case loop
    /// DLT_RAW: raw IPv4 or IPv6, version from the first nibble. libpcap reports LINKTYPE_RAW
    /// (101 in files) as DLT 12 on Linux and 14 on OpenBSD.
    case rawIP
    /// LINKTYPE_IPV4 (228): raw IPv4 only.
    case ipv4
    /// LINKTYPE_IPV6 (229): raw IPv6 only.
    case ipv6
    /// DLT_LINUX_SLL (113): Linux "cooked" capture v1, 16-byte header.
    case linuxSLL
    /// DLT_LINUX_SLL2 (276): Linux "cooked" capture v2, 20-byte header.
    case linuxSLL2
    /// Any other value: frames are kept but not decoded.
    case unknown(Int32)

    /// Maps a DLT (what `pcap_datalink` returns) or a LINKTYPE value.
    @inlinable
    public init(dlt: Int32) {
        switch dlt {
        case 0: self = .null
        case 1: self = .ethernet
        case 12, 14, 101: self = .rawIP
        case 108: self = .loop
        case 113: self = .linuxSLL
        case 228: self = .ipv4
        case 229: self = .ipv6
        case 276: self = .linuxSLL2
        default: self = .unknown(dlt)
        }
    }

    /// The LINKTYPE value written to capture files.
    public var linkTypeValue: Int32 {
        switch self {
        case .null: 0
        case .ethernet: 1
        case .rawIP: 101
        case .loop: 108
        case .linuxSLL: 113
        case .ipv4: 228
        case .ipv6: 229
        case .linuxSLL2: 276
        case .unknown(let v): v
        }
    }

    /// Short name used in JSON (`"link"`).
    public var description: String {
        switch self {
        case .ethernet: "ethernet"
        case .null: "null"
        case .loop: "loop"
        case .rawIP: "raw"
        case .ipv4: "ipv4"
        case .ipv6: "ipv6"
        case .linuxSLL: "linux_sll"
        case .linuxSLL2: "linux_sll2"
        case .unknown(let v): "linktype_\(v)"
        }
    }
}
