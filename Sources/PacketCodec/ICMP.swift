/// ICMP (RFC 792) and ICMPv6 (RFC 4443) message header: the first 8 bytes of every message.
///
/// Byte ranges (`Field`): type 0, code 1, checksum 2..<4, rest of header 4..<8 (echo:
/// identifier 4..<6, sequence number 6..<8). Error messages (ICMP destination unreachable,
/// source quench, redirect, time exceeded, parameter problem; ICMPv6 types 0–127, RFC 4443 §2.1)
/// quote the offending IP header right after these 8 bytes; `quotedOffset` points at it and
/// `quotedDatagram(in:)` decodes the quote as a nested layer (addresses, protocol, ports).
///
/// `PacketDecoder` fills `icmp` only for the first fragment (or an unfragmented datagram) with
/// at least 8 bytes of ICMP both inside the IP payload and captured; otherwise `icmp` is nil
/// and no defect is added (the flow analyzer already counts such packets as "other").
/// The checksum covers the whole message (RFC 792 "ICMP checksum"); ICMPv6 adds the IPv6
/// pseudo-header (RFC 4443 §2.3). A fragment or a message cut by the snapshot length is
/// `unverified`. Nothing here traps.
public struct ICMPHeader: Hashable, Sendable, BitwiseCopyable {
    /// Named byte offsets of the fixed part, used by both `readFixed` and `emit`.
    public enum Field {
        public static let type = 0
        public static let code = 1
        public static let checksum = 2..<4
        public static let identifier = 4..<6
        public static let sequenceNumber = 6..<8
        public static let restOfHeader = 4..<8
    }
    public static let length = 8

    /// Offset of the ICMP header in the frame.
    public var offset: Int = 0
    /// ICMPv6 (IP protocol 58) rather than ICMP (1).
    public var isICMPv6 = false
    public var type: UInt8 = 0
    public var code: UInt8 = 0
    public var checksum: UInt16 = 0
    public var checksumStatus: ChecksumStatus = .unverified
    /// Bytes 4..<8: echo identifier and sequence, the unused word of errors, pointer, MTU, …
    public var restOfHeader: UInt32 = 0
    /// Message length (header + body) by the IP payload length.
    public var messageLength: Int = 0

    public init() {}

    public init(icmpv6: Bool, type: UInt8, code: UInt8, restOfHeader: UInt32 = 0) {
        self.isICMPv6 = icmpv6
        self.type = type
        self.code = code
        self.restOfHeader = restOfHeader
    }

    /// Echo request or reply (ICMP types 8/0, ICMPv6 128/129).
    @inlinable public var isEcho: Bool {
        isICMPv6 ? (type == 128 || type == 129) : (type == 8 || type == 0)
    }
    /// An error message, which quotes the offending packet (ICMP types 3, 4, 5, 11, 12;
    /// ICMPv6 types 0–127, RFC 4443 §2.1).
    @inlinable public var isError: Bool {
        isICMPv6 ? type < 128 : (type == 3 || type == 4 || type == 5 || type == 11 || type == 12)
    }
    /// Echo identifier, or nil for other messages.
    @inlinable public var identifier: UInt16? { isEcho ? UInt16(truncatingIfNeeded: restOfHeader >> 16) : nil }
    /// Echo sequence number, or nil for other messages.
    @inlinable public var sequenceNumber: UInt16? { isEcho ? UInt16(truncatingIfNeeded: restOfHeader) : nil }
    /// Offset in the frame of the quoted IP header of an error message, or nil (not an error,
    /// or no byte of the quote inside the message). The quote may be cut by the capture.
    @inlinable public var quotedOffset: Int? {
        isError && messageLength > ICMPHeader.length ? offset + ICMPHeader.length : nil
    }

    /// The datagram an error message quotes, decoded from `b` (the frame this header was
    /// decoded from), or nil: not an error, or the quote does not hold a whole IPv4/IPv6 header
    /// inside both the message and the capture. See `ICMPQuotedDatagram`.
    public func quotedDatagram(in b: UnsafeRawBufferPointer) -> ICMPQuotedDatagram? {
        guard let q = quotedOffset else { return nil }
        return ICMPQuotedDatagram.parse(b, at: q, end: min(b.count, offset + messageLength))
    }

    /// Reads the fixed 8 bytes. The caller proves `o + 8 <= b.count`.
    @inlinable
    static func readFixed(_ b: UnsafeRawBufferPointer, at o: Int, icmpv6: Bool) -> ICMPHeader {
        var h = ICMPHeader()
        h.offset = o
        h.isICMPv6 = icmpv6
        h.type = b.u8(o + Field.type)
        h.code = b.u8(o + Field.code)
        h.checksum = b.u16(o + Field.checksum.lowerBound)
        h.restOfHeader = b.u32(o + Field.restOfHeader.lowerBound)
        return h
    }

    /// Appends the 8-byte header with `checksum` as it is.
    public func emit(into bytes: inout [UInt8]) {
        bytes.append(type)
        bytes.append(code)
        bytes.appendBigEndian(checksum)
        bytes.appendBigEndian(restOfHeader)
    }

    /// The whole ICMP message (header + `body`) with the checksum filled in (RFC 792).
    /// For ICMPv6 use `encode(body:source:destination:)`.
    public func encode(body: [UInt8]) -> [UInt8] {
        encode(body: body, pseudo: 0)
    }

    /// The whole ICMPv6 message with the checksum over the IPv6 pseudo-header (RFC 4443 §2.3,
    /// RFC 8200 §8.1: upper-layer length, next header 58) filled in.
    public func encode(body: [UInt8], source: IPAddress, destination: IPAddress) -> [UInt8] {
        let pseudo = InternetChecksum.pseudoHeaderSum(source: source, destination: destination,
                                                      protocol: IPProtocol.icmpv6,
                                                      length: UInt32(ICMPHeader.length + body.count))
        return encode(body: body, pseudo: pseudo)
    }

    func encode(body: [UInt8], pseudo: UInt16) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ICMPHeader.length + body.count)
        var h = self
        h.checksum = 0
        h.emit(into: &out)
        out.append(contentsOf: body)
        let sum = out.withUnsafeBytes { InternetChecksum.sum($0) }
        out.storeBigEndian(InternetChecksum.fieldValue(forSum: InternetChecksum.combine(pseudo, sum)),
                           at: Field.checksum.lowerBound)
        return out
    }
}

/// The offending datagram quoted by an ICMP error: RFC 792 quotes "the internet header plus
/// the first 64 bits of the original datagram's data"; RFC 4443 §3 "as much of the invoking
/// packet as possible". Enough to name the flow the error is about: the quoted IP header's
/// addresses and protocol and, when the quote reaches them, the TCP/UDP/SCTP ports (and the TCP
/// sequence number). The quote was sent by the flow's endpoint, so `source` is the sender of the
/// packet that failed.
///
/// IPv6: the quoted extension headers are walked to the upper layer as the decoder walks them
/// (`IPv6Header.isExtensionHeader`, `extensionHeaderLength`, at most `maxExtensionHeaders`); a
/// quoted non-first fragment carries no ports. The
/// addresses are the quoted fixed header's (a Routing header's final destination is not
/// followed). Nothing here traps: every read is checked against `end`.
public struct ICMPQuotedDatagram: Hashable, Sendable, BitwiseCopyable {
    /// Offset of the quoted IP header in the frame.
    public var offset: Int
    public var isIPv6: Bool
    /// Upper-layer protocol of the quoted datagram (IPv4 Protocol, IPv6 final Next Header).
    public var ipProtocol: UInt8
    public var source: IPAddress
    public var destination: IPAddress
    /// Transport ports, when the quote holds them (TCP, UDP, SCTP, UDP-Lite; first fragment).
    public var sourcePort: UInt16?
    public var destinationPort: UInt16?
    /// The quoted TCP segment's sequence number (RFC 5927 §4.1 checks it), when quoted.
    public var tcpSequenceNumber: UInt32?

    /// Decodes the quote at `q`; `end` bounds the message and the capture.
    @inlinable
    public static func parse(_ b: UnsafeRawBufferPointer, at q: Int, end: Int) -> ICMPQuotedDatagram? {
        let end = min(end, b.count)
        guard q >= 0, q < end else { return nil }
        let version = b.u8(q) >> 4
        var upper: Int
        var proto: UInt8
        var first = true
        let v6: Bool
        let source: IPAddress, destination: IPAddress
        if version == 4 {
            // RFC 791 §3.1: IHL in 32-bit words, at least 5.
            let ihl = Int(b.u8(q) & 0x0f) * 4
            guard ihl >= IPv4Header.minimumLength, q + ihl <= end else { return nil }
            v6 = false
            proto = b.u8(q + 9)
            source = IPAddress(ipv4: b.u32(q + 12))
            destination = IPAddress(ipv4: b.u32(q + 16))
            first = b.u16(q + 6) & 0x1fff == 0
            upper = q + ihl
        } else if version == 6 {
            guard q + IPv6Header.length <= end else { return nil }
            v6 = true
            proto = b.u8(q + 6)
            source = IPAddress(ipv6High: b.u64(q + 8), low: b.u64(q + 16))
            destination = IPAddress(ipv6High: b.u64(q + 24), low: b.u64(q + 32))
            upper = q + IPv6Header.length
            // RFC 8200 §4: the extension headers the decoder walks, by the same length rules.
            var walked = 0
            while walked < IPv6Header.maxExtensionHeaders && IPv6Header.isExtensionHeader(proto) {
                let fragment = proto == IPProtocol.ipv6Fragment
                guard upper + (fragment ? 8 : 2) <= end else { break }
                if fragment { first = b.u16(upper + 2) >> 3 == 0 }
                let length = IPv6Header.extensionHeaderLength(proto, lengthField: b.u8(upper + 1))
                proto = b.u8(upper)
                upper += length
                walked += 1
            }
        } else {
            return nil
        }
        var quote = ICMPQuotedDatagram(offset: q, isIPv6: v6, ipProtocol: proto, source: source,
                                       destination: destination, sourcePort: nil, destinationPort: nil,
                                       tcpSequenceNumber: nil)
        let hasPorts = proto == 6 || proto == 17 || proto == 132 || proto == 136
        if first && hasPorts && upper + 4 <= end {
            quote.sourcePort = b.u16(upper)
            quote.destinationPort = b.u16(upper + 2)
            if proto == 6 && upper + 8 <= end { quote.tcpSequenceNumber = b.u32(upper + 4) }
        }
        return quote
    }

    @inlinable
    public init(offset: Int, isIPv6: Bool, ipProtocol: UInt8, source: IPAddress, destination: IPAddress,
                sourcePort: UInt16?, destinationPort: UInt16?, tcpSequenceNumber: UInt32?) {
        self.offset = offset
        self.isIPv6 = isIPv6
        self.ipProtocol = ipProtocol
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.tcpSequenceNumber = tcpSequenceNumber
    }
}

extension PacketDecoder {
    /// ICMP (RFC 792) or ICMPv6 (RFC 4443) header at `o`. Adds no defect when it is short.
    @inline(__always)
    func decodeICMP(_ b: UnsafeRawBufferPointer, v6: Bool, at o: Int, length: Int, checksummable: Bool,
                   addresses: PseudoHeaderAddresses, _ p: inout DecodedPacket) {
        // The whole segment must be captured for its checksum to be checked.
        let fullyCaptured = o + length <= b.count
        // RFC 792 / RFC 4443 §2.1. `payloadOffset`/`payloadLength` stay the IP payload's
        // (the ICMP message), as before this layer existed.
        guard length >= ICMPHeader.length, b.count >= o + ICMPHeader.length else { return }
        var icmp = ICMPHeader.readFixed(b, at: o, icmpv6: v6)
        icmp.messageLength = length
        if verifyChecksums && checksummable && fullyCaptured {
            let sum = InternetChecksum.sum(UnsafeRawBufferPointer(rebasing: b[o..<(o + length)]))
            let total = v6 ? InternetChecksum.combine(addresses.sum(IPProtocol.icmpv6, UInt32(length)), sum) : sum
            icmp.checksumStatus = total == 0xffff ? .good : .bad
        }
        p.icmp = icmp
        p.quotesDatagram = icmp.quotedOffset != nil
        p.layers.append(v6 ? .icmpv6 : .icmp, offset: o, length: ICMPHeader.length)
    }
}
