/// The encapsulation context of a decoded packet: what wraps the innermost IP datagram that
/// `DecodedPacket`'s flat slots (`ipv4`/`ipv6`/`tcp`/`udp`/`icmp`) describe.
///
/// A flow analyzer keys tunnelled connections on the inner 5-tuple *plus* this context, as Zeek
/// does (its conn key includes VLAN / inner VLAN; tunnelled connections carry their enclosing
/// tunnel, `tunnel_parents`). Trivially copyable, no allocation.
///
/// - VLANs: `vlan` / `innerVLAN` are the VLAN ids of the first two 802.1Q/802.1ad tags of the
///   *outermost* link header (Ethernet or Linux cooked), as Zeek's `vlan` / `inner_vlan`.
///   The outermost Ethernet's MAC addresses are in `DecodedPacket.ethernet` (the flat slot
///   keeps the outermost Ethernet; inner Ethernet headers of VXLAN/GRE/Geneve are only in
///   `layers`).
/// - Tunnels: `tunnel` is the type of the innermost tunnel (the one directly enclosing the flat
///   IP), `depth` the number of tunnels around the flat IP (0: not tunnelled), and the `outer…`
///   fields are that innermost tunnel's delivery header: the IP addresses, IP length and
///   transport protocol/ports of the datagram that carried it (for VXLAN: the UDP/IP packet
///   to port 4789).
/// - `tunnelID`: VXLAN/Geneve VNI (24 bits), GRE key (RFC 2890 §2.1), GTP-U TEID, ERSPAN
///   session id; nil when the tunnel has none.
/// - `mplsLabel`: the top (first on the wire) label of the outermost MPLS label stack.
///
/// A tunnel whose inner IP header does not decode leaves the context as it was (the flat slots
/// then still describe the tunnel's own delivery datagram, and `defects` says why).
public struct Encapsulation: Hashable, Sendable, BitwiseCopyable {
    // Compact storage (56 bytes, all zero when nothing is encapsulated, so a fresh packet costs a
    // few stores); the optionals below are views of it.
    @usableFromInline var srcHigh: UInt64 = 0
    @usableFromInline var srcLow: UInt64 = 0
    @usableFromInline var dstHigh: UInt64 = 0
    @usableFromInline var dstLow: UInt64 = 0
    @usableFromInline var ipLength: UInt32 = 0
    @usableFromInline var rawTunnelID: UInt32 = 0
    @usableFromInline var rawMPLSLabel: UInt32 = 0
    @usableFromInline var rawVLAN: UInt16 = 0
    @usableFromInline var rawInnerVLAN: UInt16 = 0
    @usableFromInline var rawSourcePort: UInt16 = 0
    @usableFromInline var rawDestinationPort: UInt16 = 0
    /// Type of the innermost tunnel; `.none` when `depth == 0`.
    public var tunnel: TunnelType = .none
    /// Number of tunnels around the flat IP datagram (at most `PacketDecoder.maxTunnelDepth`).
    public var depth: UInt8 = 0
    /// Delivery IP protocol of the innermost tunnel: 17 (UDP tunnels), 47 (GRE), 4/41 (IP-in-IP).
    public var outerProtocol: UInt8 = 0
    @usableFromInline var present: UInt8 = 0

    @usableFromInline static let hasVLAN: UInt8 = 1, hasInnerVLAN: UInt8 = 2, hasAddresses: UInt8 = 4,
                                   outerIsIPv4: UInt8 = 8, hasPorts: UInt8 = 16, hasTunnelID: UInt8 = 32,
                                   hasMPLS: UInt8 = 64, greChecksumFailed: UInt8 = 128

    @inlinable public init() {}

    @inlinable func has(_ bit: UInt8) -> Bool { present & bit != 0 }
    @inlinable mutating func set(_ bit: UInt8, _ on: Bool) { present = on ? present | bit : present & ~bit }

    /// VLAN id of the outermost link's first 802.1Q/802.1ad tag (Zeek's `vlan`).
    @inlinable public var vlan: UInt16? {
        get { has(Self.hasVLAN) ? rawVLAN : nil }
        set { rawVLAN = newValue ?? 0; set(Self.hasVLAN, newValue != nil) }
    }
    /// VLAN id of its second tag (Zeek's `inner_vlan`).
    @inlinable public var innerVLAN: UInt16? {
        get { has(Self.hasInnerVLAN) ? rawInnerVLAN : nil }
        set { rawInnerVLAN = newValue ?? 0; set(Self.hasInnerVLAN, newValue != nil) }
    }
    /// Delivery datagram's source address (innermost tunnel).
    @inlinable public var outerSource: IPAddress? {
        get { has(Self.hasAddresses) ? address(srcHigh, srcLow) : nil }
        set { srcHigh = newValue?.high ?? 0; srcLow = newValue?.low ?? 0; setPresence(newValue) }
    }
    /// Delivery datagram's destination address (innermost tunnel).
    @inlinable public var outerDestination: IPAddress? {
        get { has(Self.hasAddresses) ? address(dstHigh, dstLow) : nil }
        set { dstHigh = newValue?.high ?? 0; dstLow = newValue?.low ?? 0; setPresence(newValue) }
    }
    /// Delivery datagram's UDP source port (UDP tunnels only).
    @inlinable public var outerSourcePort: UInt16? {
        get { has(Self.hasPorts) ? rawSourcePort : nil }
        set { rawSourcePort = newValue ?? 0; set(Self.hasPorts, newValue != nil) }
    }
    /// Delivery datagram's UDP destination port (UDP tunnels only).
    @inlinable public var outerDestinationPort: UInt16? {
        get { has(Self.hasPorts) ? rawDestinationPort : nil }
        set { rawDestinationPort = newValue ?? 0; set(Self.hasPorts, newValue != nil) }
    }
    /// Delivery datagram's IP length (IPv4 total length, IPv6 40 + payload length).
    @inlinable public var outerIPLength: Int {
        get { Int(ipLength) }
        set { ipLength = UInt32(truncatingIfNeeded: newValue) }
    }
    /// VNI, GRE key, GTP-U TEID or ERSPAN session id of the innermost tunnel.
    @inlinable public var tunnelID: UInt32? {
        get { has(Self.hasTunnelID) ? rawTunnelID : nil }
        set { rawTunnelID = newValue ?? 0; set(Self.hasTunnelID, newValue != nil) }
    }
    /// Top label of the outermost MPLS stack (20 bits).
    @inlinable public var mplsLabel: UInt32? {
        get { has(Self.hasMPLS) ? rawMPLSLabel : nil }
        set { rawMPLSLabel = newValue ?? 0; set(Self.hasMPLS, newValue != nil) }
    }

    /// True when a GRE header on the way to the flat IP carried a checksum (C bit) that does
    /// not verify over the GRE header and payload (RFC 2784 §2.5). A verdict, like
    /// `TCPHeader.checksumStatus`, not a defect: the packet still decodes whole. Only set when
    /// the decoder verifies checksums and the GRE packet is complete in the capture.
    @inlinable public var greChecksumBad: Bool {
        get { has(Self.greChecksumFailed) }
        set { set(Self.greChecksumFailed, newValue) }
    }

    /// True when the flat IP datagram is inside at least one tunnel.
    @inlinable public var isTunnelled: Bool { depth > 0 }

    @inlinable func address(_ high: UInt64, _ low: UInt64) -> IPAddress {
        has(Self.outerIsIPv4) ? IPAddress(ipv4: UInt32(truncatingIfNeeded: low)) : IPAddress(ipv6High: high, low: low)
    }

    /// Both addresses share the presence and family bits (they are set together by the decoder).
    @inlinable mutating func setPresence(_ a: IPAddress?) {
        set(Self.hasAddresses, a != nil)
        set(Self.outerIsIPv4, a?.isIPv4 ?? false)
    }
}

/// Tunnel types `PacketDecoder` follows (issue 11's table), named as Zeek's `Tunnel::Type`
/// where one exists.
public enum TunnelType: UInt8, Hashable, Sendable, BitwiseCopyable, CaseIterable, CustomStringConvertible {
    case none = 0
    /// IPv4/IPv6 directly in IPv4/IPv6 (RFC 2003, RFC 4213, RFC 2473): protocols 4 and 41.
    case ipInIP
    /// GRE (RFC 2784/2890; PPTP's enhanced GRE, RFC 2637).
    case gre
    /// ERSPAN type I/II/III over GRE (draft-foschiano-erspan).
    case erspan
    /// VXLAN (RFC 7348) and VXLAN-GPE.
    case vxlan
    /// Geneve (RFC 8926).
    case geneve
    /// GTP-U (3GPP TS 29.281).
    case gtpu
    /// Teredo (RFC 4380).
    case teredo
    /// MPLS over UDP (RFC 7510).
    case mplsOverUDP

    /// Zeek's `Tunnel::Type` spelling (`Tunnel::IP`, `Tunnel::GRE`, …) without the prefix.
    public var description: String {
        switch self {
        case .none: "NONE"
        case .ipInIP: "IP"
        case .gre: "GRE"
        case .erspan: "ERSPAN"
        case .vxlan: "VXLAN"
        case .geneve: "GENEVE"
        case .gtpu: "GTPv1"
        case .teredo: "TEREDO"
        case .mplsOverUDP: "MPLS_UDP"
        }
    }
}
