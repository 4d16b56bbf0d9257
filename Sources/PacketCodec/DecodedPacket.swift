/// Everything `PacketDecoder` learned about one frame, as a trivially copyable value.
///
/// Holds header fields and *offsets* into the frame, never the bytes themselves, so it costs
/// no allocation or reference counting to make, copy or store. Variable-length parts (IPv4
/// options, TCP options, payload) are read from the frame on demand with the offsets here.
/// A layer that could not be decoded is `nil` and `defects` names why.
public struct DecodedPacket: Sendable, BitwiseCopyable {
    public var linkType: LinkType
    /// Bytes captured (`caplen`).
    public var captureLength: Int
    /// Bytes on the wire (`len`); equals `captureLength` unless the snapshot length cut the frame.
    public var wireLength: Int

    public var ethernet: EthernetHeader? = nil
    public var linuxSLL: LinuxSLLHeader? = nil
    public var loopback: LoopbackHeader? = nil
    /// EtherType (or equivalent) of the network layer; 0 when unknown.
    public var etherType: UInt16 = 0
    /// Offset of the network header in the frame, or nil if the link layer did not decode.
    public var networkOffset: Int? = nil

    public var ipv4: IPv4Header? = nil
    public var ipv6: IPv6Header? = nil
    public var tcp: TCPHeader? = nil
    public var udp: UDPHeader? = nil
    /// ICMP or ICMPv6 header (IP protocol 1 or 58), first fragment only; see `ICMPHeader`.
    public var icmp: ICMPHeader? = nil
    /// The flat datagram is an ICMP/ICMPv6 error message quoting the offending datagram
    /// (`icmp.quotedDatagram(in:)`): a reader that keeps only headers must keep this frame
    /// whole. A plain stored flag, so that test is one byte load on every packet.
    public var quotesDatagram = false

    /// Offset of the transport payload in the frame (or of the IP payload when no transport
    /// header was decoded) and its length by the headers' length fields.
    public var payloadOffset: Int = 0
    public var payloadLength: Int = 0

    public var defects = DefectSet()

    /// Every header decoded, outermost first (link, VLAN tags, MPLS, PPPoE, IP, IPv6 extension
    /// headers, tunnel headers, inner link/IP, transport/ICMP), with its offset and length.
    /// The flat slots above are the *innermost* IP/transport headers (the connection inside a
    /// tunnel); `ethernet`/`linuxSLL`/`loopback` are the outermost link header.
    public var layers = LayerStack()

    /// What wraps the flat IP datagram: VLAN ids of the outermost link, the innermost tunnel's
    /// type, id and delivery endpoints, the MPLS top label. See `Encapsulation`.
    public var encapsulation = Encapsulation()

    @inlinable @inline(__always)
    public init(linkType: LinkType, captureLength: Int, wireLength: Int) {
        self.linkType = linkType
        self.captureLength = captureLength
        self.wireLength = wireLength
    }

    /// True when an IPv4 or IPv6 header fills a flat slot.
    @inlinable public var hasIP: Bool { ipv4 != nil || ipv6 != nil }
    /// `etherType` as a typed value.
    @inlinable public var networkType: EtherType { EtherType(rawValue: etherType) }
    /// `ipProtocol` as a typed value.
    @inlinable public var transportProtocol: IPProtocol? { ipProtocol.map { IPProtocol(rawValue: $0) } }
    /// Transport protocol number (6, 17, …) after IPv6 extension headers, or nil without IP.
    @inlinable public var ipProtocol: UInt8? { ipv4?.protocol ?? ipv6?.upperProtocol }
    @inlinable public var sourceAddress: IPAddress? { ipv4.map { IPAddress(ipv4: $0.source) } ?? ipv6?.source }
    @inlinable public var destinationAddress: IPAddress? { ipv4.map { IPAddress(ipv4: $0.destination) } ?? ipv6?.destination }
    @inlinable public var sourcePort: UInt16? { tcp?.sourcePort ?? udp?.sourcePort }
    @inlinable public var destinationPort: UInt16? { tcp?.destinationPort ?? udp?.destinationPort }
    /// True when the IP layer is a fragment (transport checksums are then not verified).
    @inlinable public var isFragment: Bool { ipv4?.isFragment ?? ipv6?.isFragment ?? false }
    /// Sum of the IP total length (IPv6: 40 + payload length), as Zeek counts `*_ip_bytes`.
    @inlinable public var ipLength: Int {
        if let v4 = ipv4 { return v4.effectiveLength }
        if let v6 = ipv6 { return IPv6Header.length + v6.effectivePayloadLength }
        return 0
    }
    /// The payload bytes actually captured (≤ `payloadLength`).
    @inlinable public var capturedPayloadLength: Int {
        max(0, min(payloadLength, captureLength - payloadOffset))
    }
}
