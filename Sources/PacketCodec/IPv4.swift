/// IPv4 header (RFC 791 §3.1).
///
/// Byte ranges: version/IHL 0, TOS 1, total length 2..<4, identification 4..<6,
/// flags/fragment offset 6..<8, TTL 8, protocol 9, checksum 10..<12, source 12..<16,
/// destination 16..<20, options 20..<IHL*4. Decoding is done by `PacketDecoder` and never traps;
/// the values here are plain fields, safe to read at any time.
public struct IPv4Header: Hashable, Sendable, BitwiseCopyable {
    public static let minimumLength = 20

    /// Offset of the header in the frame.
    public var offset: Int = 0
    /// IHL × 4, in bytes (20...60 when valid).
    public var headerLength: Int = 20
    /// DSCP (6 bits) and ECN (2 bits), RFC 2474 / RFC 3168.
    public var tos: UInt8 = 0
    /// Total length field as sent. 0 in TSO captures (see `Defect.ipv4TotalLengthZero`).
    public var totalLength: UInt16 = 0
    public var identification: UInt16 = 0
    /// Reserved ("evil") bit, RFC 3514.
    public var reservedFlag: Bool = false
    public var dontFragment: Bool = false
    public var moreFragments: Bool = false
    /// Fragment offset in 8-byte units, as on the wire.
    public var fragmentOffsetUnits: UInt16 = 0
    public var ttl: UInt8 = 64
    public var `protocol`: UInt8 = 0
    public var checksum: UInt16 = 0
    public var source: UInt32 = 0
    public var destination: UInt32 = 0
    /// Verdict on `checksum`.
    public var checksumStatus: ChecksumStatus = .unverified
    /// Length of the IP datagram Sockeye used: `totalLength`, or the frame's remaining bytes
    /// when the field is 0 (TSO) or larger than the frame.
    public var effectiveLength: Int = 0

    public init() {}

    /// Fragment offset in bytes (what tshark shows as `ip.frag_offset`).
    @inlinable public var fragmentOffset: Int { Int(fragmentOffsetUnits) * 8 }
    /// Either a non-first fragment or a first fragment with more to come.
    @inlinable public var isFragment: Bool { moreFragments || fragmentOffsetUnits != 0 }
    @inlinable public var sourceAddress: IPAddress { IPAddress(ipv4: source) }
    @inlinable public var destinationAddress: IPAddress { IPAddress(ipv4: destination) }
    @inlinable public var optionsLength: Int { headerLength - Self.minimumLength }
    @inlinable public var dscp: UInt8 { tos >> 2 }
    /// `protocol` as a typed value.
    @inlinable public var ipProtocol: IPProtocol { IPProtocol(rawValue: `protocol`) }
    @inlinable public var ecn: UInt8 { tos & 3 }

    /// Flags and fragment offset as the 16-bit wire field.
    @inlinable public var flagsAndOffset: UInt16 {
        (reservedFlag ? 0x8000 : 0) | (dontFragment ? 0x4000 : 0) | (moreFragments ? 0x2000 : 0)
            | (fragmentOffsetUnits & 0x1fff)
    }

    /// Reads the fixed fields. Precondition (checked by the caller): `b.count >= offset + 20`.
    @inlinable
    static func readFixed(_ b: UnsafeRawBufferPointer, at o: Int) -> IPv4Header {
        var h = IPv4Header()
        h.offset = o
        h.headerLength = Int(b.u8(o) & 0x0f) * 4
        h.tos = b.u8(o + 1)
        h.totalLength = b.u16(o + 2)
        h.identification = b.u16(o + 4)
        let fo = b.u16(o + 6)
        h.reservedFlag = fo & 0x8000 != 0
        h.dontFragment = fo & 0x4000 != 0
        h.moreFragments = fo & 0x2000 != 0
        h.fragmentOffsetUnits = fo & 0x1fff
        h.ttl = b.u8(o + 8)
        h.protocol = b.u8(o + 9)
        h.checksum = b.u16(o + 10)
        h.source = b.u32(o + 12)
        h.destination = b.u32(o + 16)
        return h
    }

    /// Appends the header. `options` are copied verbatim and zero-padded to a multiple of 4
    /// (RFC 791: "the internet header padding is used to ensure that the internet header
    /// ends on a 32 bit boundary"). With `fixLengths` the IHL and total length (header +
    /// `payloadLength`) are computed; with `computeChecksum` the header checksum is filled,
    /// otherwise `checksum` is written as is.
    ///
    /// Traps if the options exceed 40 bytes.
    public func emit(into bytes: inout [UInt8], options: [UInt8] = [], payloadLength: Int,
                     fixLengths: Bool = true, computeChecksum: Bool = true) {
        let paddedOptions = (options.count + 3) & ~3
        precondition(paddedOptions <= 40, "IPv4 options longer than 40 bytes")
        let ihl = fixLengths ? 20 + paddedOptions : headerLength
        let start = bytes.count
        bytes.append(0x40 | UInt8(ihl / 4 & 0x0f))
        bytes.append(tos)
        bytes.appendBigEndian(fixLengths ? UInt16(truncatingIfNeeded: ihl + payloadLength) : totalLength)
        bytes.appendBigEndian(identification)
        bytes.appendBigEndian(flagsAndOffset)
        bytes.append(ttl)
        bytes.append(`protocol`)
        bytes.appendBigEndian(computeChecksum ? 0 : checksum)
        bytes.appendBigEndian(source)
        bytes.appendBigEndian(destination)
        bytes.append(contentsOf: options)
        while bytes.count - start < ihl { bytes.append(0) }
        if computeChecksum {
            let sum = bytes.withUnsafeBytes { InternetChecksum.sum(UnsafeRawBufferPointer(rebasing: $0[start..<(start + ihl)])) }
            bytes.storeBigEndian(InternetChecksum.fieldValue(forSum: sum), at: start + 10)
        }
    }
}

/// One IPv4 option (RFC 791 §3.1, RFC 2113 router alert), read lazily from the header bytes.
public struct IPv4Option: Hashable, Sendable, BitwiseCopyable {
    /// The option type octet (copied flag, class, number).
    public var type: UInt8
    /// Total length including type and length octets (1 for EOL/NOP).
    public var length: Int
    /// Offset of the option's first byte in the frame.
    public var offset: Int

    public static let endOfList: UInt8 = 0
    public static let noOperation: UInt8 = 1
    public static let recordRoute: UInt8 = 7
    public static let timestamp: UInt8 = 68
    public static let looseSourceRoute: UInt8 = 131
    public static let strictSourceRoute: UInt8 = 137
    public static let routerAlert: UInt8 = 148

    /// tshark-style short name.
    public var name: String {
        switch type {
        case Self.endOfList: "eol"
        case Self.noOperation: "nop"
        case Self.recordRoute: "rr"
        case Self.timestamp: "ts"
        case Self.looseSourceRoute: "lsrr"
        case Self.strictSourceRoute: "ssrr"
        case Self.routerAlert: "ra"
        default: "unknown"
        }
    }
}

/// Iterates IPv4 options in `bytes[range]`; stops at EOL or at the first malformed option,
/// setting `malformed`. Never reads outside `range`.
public struct IPv4OptionIterator: IteratorProtocol, Sequence {
    let bytes: UnsafeRawBufferPointer
    var position: Int
    let end: Int
    public private(set) var malformed = false

    public init(bytes: UnsafeRawBufferPointer, header: IPv4Header) {
        self.bytes = bytes
        position = header.offset + 20
        end = Swift.min(header.offset + header.headerLength, bytes.count)
    }

    public mutating func next() -> IPv4Option? {
        guard position < end else { return nil }
        let type = bytes.u8(position)
        if type == IPv4Option.endOfList {
            defer { position = end }
            return IPv4Option(type: type, length: 1, offset: position)
        }
        if type == IPv4Option.noOperation {
            defer { position += 1 }
            return IPv4Option(type: type, length: 1, offset: position)
        }
        guard position + 1 < end else { malformed = true; position = end; return nil }
        let length = Int(bytes.u8(position + 1))
        guard length >= 2, position + length <= end else { malformed = true; position = end; return nil }
        defer { position += length }
        return IPv4Option(type: type, length: length, offset: position)
    }
}

extension PacketDecoder {
    /// IPv4 header (RFC 791 §3.1) at `c.offset`, bounded by `c.end`. The first IPv4/IPv6 header
    /// fills the flat `ipv4` slot even when malformed (with its defect); an inner one (IP-in-IP
    /// RFC 2003, or the payload of a tunnel) replaces the flat slots only once its header is
    /// readable (`enterTunnel`). Returns the next layer by the protocol field: TCP/UDP/ICMP
    /// in unfragmented datagrams and first fragments, tunnels only in unfragmented ones.
    @inline(__always)
    func decodeIPv4(_ b: UnsafeRawBufferPointer, _ c: inout LayerCursor, _ p: inout DecodedPacket) -> LayerKind? {
        let o = c.offset
        let inner = c.flatIP
        guard b.count >= o + IPv4Header.minimumLength else { p.defects.insert(.ipv4Truncated); return nil }
        var ip = IPv4Header.readFixed(b, at: o)
        guard b.u8(o) >> 4 == 4 else {
            p.defects.insert(.ipv4VersionInvalid)
            if !inner { c.setFlatIPv4(ip, &p) }
            return nil
        }
        let frameRemaining = c.end - o
        guard ip.headerLength >= IPv4Header.minimumLength else {
            p.defects.insert(.ipv4HeaderLengthInvalid)
            if !inner { c.setFlatIPv4(ip, &p) }
            return nil
        }
        guard b.count >= o + ip.headerLength else {
            p.defects.insert(.ipv4HeaderBeyondCapture)
            if !inner { c.setFlatIPv4(ip, &p) }
            return nil
        }
        // The header must also fit in the enclosing payload (a tunnel's delivery datagram, a
        // PPPoE session payload); for an outermost header `c.end` is the wire length, so this
        // only fails for a wrapped one.
        guard o + ip.headerLength <= c.end else { p.defects.insert(.ipv4Truncated); return nil }
        if inner { guard enterTunnel(&c, &p) else { return nil } }
        if verifyChecksums {
            let sum = InternetChecksum.sum(UnsafeRawBufferPointer(rebasing: b[o..<(o + ip.headerLength)]))
            // A header checksum of 0x0000 that does not verify is transmit offload on the
            // capturing host (the NIC fills it in later), not corruption: `partial`, as for
            // TCP/UDP offload (issue 16). A correct header never needs 0x0000: its sum is then
            // 0xFFFF and it is `good` first.
            ip.checksumStatus = sum == 0xffff ? .good : (ip.checksum == 0 ? .partial : .bad)
        }
        if ip.optionsLength > 0 {
            var it = IPv4OptionIterator(bytes: b, header: ip)
            while it.next() != nil {}
            if it.malformed { p.defects.insert(.ipv4OptionLengthInvalid) }
        }
        // Length of the datagram: the total length field, except TSO captures (0) and fields
        // larger than the frame (or the enclosing payload), where the remaining bytes are used
        // (gopacket's rule).
        var truncatedByFrame = false
        if ip.totalLength == 0 {
            p.defects.insert(.ipv4TotalLengthZero)
            ip.effectiveLength = frameRemaining
        } else if Int(ip.totalLength) < ip.headerLength {
            p.defects.insert(.ipv4TotalLengthInvalid)
            c.setFlatIPv4(ip, &p)
            return nil
        } else if Int(ip.totalLength) > frameRemaining {
            p.defects.insert(.ipv4TotalLengthExceedsFrame)
            ip.effectiveLength = frameRemaining
            truncatedByFrame = true
        } else {
            ip.effectiveLength = Int(ip.totalLength)
        }
        c.setFlatIPv4(ip, &p)
        p.layers.append(.ipv4, offset: o, length: ip.headerLength)
        let payloadStart = o + ip.headerLength
        p.payloadOffset = payloadStart
        p.payloadLength = ip.effectiveLength - ip.headerLength
        // Only the first fragment carries the transport header.
        guard ip.fragmentOffsetUnits == 0 else { return nil }
        c.offset = payloadStart
        c.end = o + ip.effectiveLength
        c.fragment = ip.isFragment
        c.checksummable = !ip.isFragment && !truncatedByFrame
        c.addresses = PseudoHeaderAddresses(source: IPAddress(ipv4: ip.source), destination: IPAddress(ipv4: ip.destination))
        return NextLayer.ipProtocol(ip.protocol, classic: !followsEncapsulations || ip.isFragment)
    }
}

extension LayerCursor {
    /// Makes `ip` the flat IPv4 slot and its offset the network layer.
    @inline(__always)
    mutating func setFlatIPv4(_ ip: IPv4Header, _ p: inout DecodedPacket) {
        p.ipv4 = ip
        p.networkOffset = ip.offset
        p.etherType = EtherType.ipv4
        flatIP = true
    }
}
