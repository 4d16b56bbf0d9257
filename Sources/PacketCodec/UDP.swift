/// UDP header (RFC 768).
///
/// Byte ranges: source port 0..<2, destination port 2..<4, length 4..<6, checksum 6..<8.
/// `PacketDecoder` validates the length against the IP payload; the payload is bounded by it.
public struct UDPHeader: Hashable, Sendable, BitwiseCopyable {
    public static let length = 8

    public var offset: Int = 0
    public var sourcePort: UInt16 = 0
    public var destinationPort: UInt16 = 0
    /// Length field (header + payload) as sent.
    public var length: UInt16 = 0
    public var checksum: UInt16 = 0
    public var checksumStatus: ChecksumStatus = .unverified
    /// Payload bytes: `length − 8`, bounded by the IP payload.
    public var payloadLength: Int = 0

    public init() {}

    /// The 8-byte header at `o` (ports, length, checksum; `checksumStatus` unverified,
    /// `payloadLength` 0), or nil when fewer than 8 bytes are there. Nothing traps.
    @inlinable
    public static func parse(_ b: UnsafeRawBufferPointer, at o: Int) -> UDPHeader? {
        guard o >= 0, o <= b.count - length else { return nil }
        return readFixed(b, at: o)
    }

    @inlinable
    static func readFixed(_ b: UnsafeRawBufferPointer, at o: Int) -> UDPHeader {
        var h = UDPHeader()
        h.offset = o
        h.sourcePort = b.u16(o)
        h.destinationPort = b.u16(o + 2)
        h.length = b.u16(o + 4)
        h.checksum = b.u16(o + 6)
        return h
    }

    /// Appends the header; with `fixLengths` the length is `8 + payloadLength`. The checksum is
    /// written as `checksum`; `PacketEncoder` fills it.
    public func emit(into bytes: inout [UInt8], payloadLength: Int, fixLengths: Bool = true) {
        bytes.appendBigEndian(sourcePort)
        bytes.appendBigEndian(destinationPort)
        bytes.appendBigEndian(fixLengths ? UInt16(truncatingIfNeeded: 8 + payloadLength) : length)
        bytes.appendBigEndian(checksum)
    }
}

extension PacketDecoder {
    /// UDP header (RFC 768) at `c.offset`; the length field is checked against the IP payload
    /// (`c.end`). A zero checksum is `absent` over IPv4 and `bad` with a defect over IPv6
    /// (RFC 8200 §8.1). Returns the UDP tunnel on its port (`NextLayer.udpPort`) when the
    /// datagram is whole (not a fragment, length field consistent).
    @inline(__always)
    func decodeUDP(_ b: UnsafeRawBufferPointer, _ c: inout LayerCursor, _ p: inout DecodedPacket) -> LayerKind? {
        let o = c.offset
        let length = c.end - o
        let checksummable = c.checksummable
        let addresses = c.addresses
        let isIPv6 = !addresses.source.isIPv4
        guard length >= UDPHeader.length, b.count >= o + UDPHeader.length else {
            p.defects.insert(.udpTruncated); return nil
        }
        var udp = UDPHeader.readFixed(b, at: o)
        var covered = Int(udp.length)
        var lengthOK = true
        if covered < UDPHeader.length {
            p.defects.insert(.udpLengthInvalid)
            covered = length
            lengthOK = false
        } else if covered > length {
            // The first fragment of a datagram carries the UDP length of the whole datagram:
            // longer than the fragment by design, not a defect.
            if !p.isFragment { p.defects.insert(.udpLengthExceedsPayload) }
            covered = length
            lengthOK = false
        }
        udp.payloadLength = covered - UDPHeader.length
        if udp.checksum == 0 {
            if isIPv6 {
                udp.checksumStatus = .bad
                p.defects.insert(.udpZeroChecksumIPv6)
            } else {
                udp.checksumStatus = .absent
            }
        } else if verifyChecksums && checksummable && lengthOK && o + covered <= b.count {
            let sum = InternetChecksum.sum(UnsafeRawBufferPointer(rebasing: b[o..<(o + covered)]))
            udp.checksumStatus = .transport(pseudo: addresses.sum(IPProtocol.udp, UInt32(covered)), field: udp.checksum, segmentSum: sum)
        }
        p.udp = udp
        p.layers.append(.udp, offset: o, length: UDPHeader.length)
        p.payloadOffset = o + UDPHeader.length
        p.payloadLength = udp.payloadLength
        guard followsEncapsulations, lengthOK, !c.fragment,
              let next = NextLayer.udpPort(source: udp.sourcePort, destination: udp.destinationPort) else { return nil }
        c.offset = o + UDPHeader.length
        c.end = c.offset + udp.payloadLength
        return next
    }
}
