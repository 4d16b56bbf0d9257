/// TCP header (RFC 9293 §3.1).
///
/// Byte ranges: source port 0..<2, destination port 2..<4, sequence 4..<8, acknowledgment
/// 8..<12, data offset/flags 12..<14, window 14..<16, checksum 16..<18, urgent pointer 18..<20,
/// options 20..<dataOffset. Fields are plain values; `PacketDecoder` validates the data offset
/// (5…15 words, within the segment and the capture) before options or payload are exposed.
public struct TCPHeader: Hashable, Sendable, BitwiseCopyable {
    public static let minimumLength = 20
    public static let maximumLength = 60

    /// Offset of the header in the frame.
    public var offset: Int = 0
    public var sourcePort: UInt16 = 0
    public var destinationPort: UInt16 = 0
    public var sequenceNumber: UInt32 = 0
    public var acknowledgmentNumber: UInt32 = 0
    /// Data offset in bytes (words × 4).
    public var headerLength: Int = 20
    public var flags = TCPFlags()
    public var window: UInt16 = 0
    public var checksum: UInt16 = 0
    public var urgentPointer: UInt16 = 0
    public var checksumStatus: ChecksumStatus = .unverified
    /// Payload bytes by the IP length (may exceed what was captured).
    public var payloadLength: Int = 0
    /// Options decoded on the way (no allocation).
    public var options = TCPOptionSummary()

    public init() {}

    /// Offset of the options in the frame and their length (0 when the header is invalid).
    @inlinable public var optionsRange: Range<Int> { (offset + 20)..<(offset + max(20, headerLength)) }

    /// Sequence space this segment occupies: payload plus one each for SYN and FIN (RFC 9293 §3.4).
    @inlinable public var sequenceLength: UInt32 {
        UInt32(truncatingIfNeeded: payloadLength) &+ (flags.contains(.syn) ? 1 : 0) &+ (flags.contains(.fin) ? 1 : 0)
    }

    @inlinable
    static func readFixed(_ b: UnsafeRawBufferPointer, at o: Int) -> TCPHeader {
        var h = TCPHeader()
        h.offset = o
        h.sourcePort = b.u16(o)
        h.destinationPort = b.u16(o + 2)
        h.sequenceNumber = b.u32(o + 4)
        h.acknowledgmentNumber = b.u32(o + 8)
        let w = b.u16(o + 12)
        h.headerLength = Int(w >> 12) * 4
        h.flags = TCPFlags(rawValue: w & 0x0fff)
        h.window = b.u16(o + 14)
        h.checksum = b.u16(o + 16)
        h.urgentPointer = b.u16(o + 18)
        return h
    }

    /// Appends the header with `options` (padded with zeros to 4 bytes) and computes the data
    /// offset. `headerLength`, if larger than the minimum for the options, is honoured (extra
    /// zero padding). The checksum is written as `checksum`; `PacketEncoder` fills it.
    ///
    /// Traps if the options need more than 40 bytes.
    public func emit(into bytes: inout [UInt8], options: [TCPOption], fixLengths: Bool = true) {
        let start = bytes.count
        bytes.appendBigEndian(sourcePort)
        bytes.appendBigEndian(destinationPort)
        bytes.appendBigEndian(sequenceNumber)
        bytes.appendBigEndian(acknowledgmentNumber)
        bytes.appendBigEndian(UInt16(0))  // data offset + flags, filled below
        bytes.appendBigEndian(window)
        bytes.appendBigEndian(checksum)
        bytes.appendBigEndian(urgentPointer)
        for option in options { option.emit(into: &bytes) }
        let minimum = (bytes.count - start + 3) & ~3
        let length = fixLengths ? max(minimum, min(headerLength, 60)) : max(minimum, headerLength)
        precondition(length <= 60, "TCP options longer than 40 bytes")
        while bytes.count - start < length { bytes.append(0) }
        bytes.storeBigEndian(UInt16(length / 4) << 12 | (flags.rawValue & 0x0fff), at: start + 12)
    }
}

/// The twelve TCP control bits (RFC 9293 §3.1; AE from RFC 9768 AccECN).
public struct TCPFlags: OptionSet, Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    @inlinable public static var fin: TCPFlags { TCPFlags(rawValue: 0x001) }
    @inlinable public static var syn: TCPFlags { TCPFlags(rawValue: 0x002) }
    @inlinable public static var rst: TCPFlags { TCPFlags(rawValue: 0x004) }
    @inlinable public static var psh: TCPFlags { TCPFlags(rawValue: 0x008) }
    @inlinable public static var ack: TCPFlags { TCPFlags(rawValue: 0x010) }
    @inlinable public static var urg: TCPFlags { TCPFlags(rawValue: 0x020) }
    @inlinable public static var ece: TCPFlags { TCPFlags(rawValue: 0x040) }
    @inlinable public static var cwr: TCPFlags { TCPFlags(rawValue: 0x080) }
    @inlinable public static var ae: TCPFlags { TCPFlags(rawValue: 0x100) }

    /// Names in DESIGN.md order, for JSON.
    public static let named: [(TCPFlags, String)] = [
        (.fin, "FIN"), (.syn, "SYN"), (.rst, "RST"), (.psh, "PSH"), (.ack, "ACK"),
        (.urg, "URG"), (.ece, "ECE"), (.cwr, "CWR"), (.ae, "AE"),
    ]

    /// tcpdump's flag string: letters in the order F S R P . U E W e, or "none".
    public var tcpdumpString: String {
        var s = ""
        if contains(.fin) { s += "F" }
        if contains(.syn) { s += "S" }
        if contains(.rst) { s += "R" }
        if contains(.psh) { s += "P" }
        if contains(.ack) { s += "." }
        if contains(.urg) { s += "U" }
        if contains(.ece) { s += "E" }
        if contains(.cwr) { s += "W" }
        if contains(.ae) { s += "e" }
        return s.isEmpty ? "none" : s
    }

    public var description: String { tcpdumpString }
}

extension PacketDecoder {
    /// TCP header and options (RFC 9293 §3.1) at `o`; `length` is the segment length by IP.
    /// Never traps: each read follows a length check; failures add a `Defect`.
    @inline(__always)
    func decodeTCP(_ b: UnsafeRawBufferPointer, at o: Int, length: Int, checksummable: Bool,
                   addresses: PseudoHeaderAddresses, _ p: inout DecodedPacket) {
        // The whole segment must be captured for its checksum to be checked.
        let fullyCaptured = o + length <= b.count
        guard length >= TCPHeader.minimumLength, b.count >= o + TCPHeader.minimumLength else {
            p.defects.insert(.tcpTruncated); return
        }
        var tcp = TCPHeader.readFixed(b, at: o)
        guard tcp.headerLength >= TCPHeader.minimumLength else {
            p.defects.insert(.tcpDataOffsetInvalid); p.tcp = tcp; return
        }
        guard tcp.headerLength <= length else {
            p.defects.insert(.tcpDataOffsetBeyondSegment); p.tcp = tcp; return
        }
        guard o + tcp.headerLength <= b.count else {
            // Snaplen cut inside the header: the segment's length is still known from IP.
            tcp.payloadLength = length - tcp.headerLength
            p.defects.insert(.tcpDataOffsetBeyondCapture); p.tcp = tcp; return
        }
        var options = TCPOptionIterator(bytes: b, header: tcp)
        while let e = options.next() {
            if e.hasInvalidLength { p.defects.insert(.tcpOptionLengthInvalid) }
            tcp.options.add(e, b)
        }
        if let d = options.defect { p.defects.insert(d) }
        for i in options.remaining where b.u8(i) != 0 {
            p.defects.insert(.tcpNonZeroAfterEOL)
            break
        }
        tcp.payloadLength = length - tcp.headerLength
        if verifyChecksums && checksummable && fullyCaptured {
            let sum = InternetChecksum.sum(UnsafeRawBufferPointer(rebasing: b[o..<(o + length)]))
            tcp.checksumStatus = .transport(pseudo: addresses.sum(IPProtocol.tcp, UInt32(length)), field: tcp.checksum, segmentSum: sum)
        }
        p.tcp = tcp
        p.layers.append(.tcp, offset: o, length: tcp.headerLength)
        p.payloadOffset = o + tcp.headerLength
        p.payloadLength = tcp.payloadLength
    }
}
