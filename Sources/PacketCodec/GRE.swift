/// GRE header (RFC 2784 §2.1, key and sequence number RFC 2890 §2; PPTP's enhanced GRE,
/// version 1, RFC 2637 §4.1).
///
/// Byte ranges: flags and version 0..<2 (C 0x8000 checksum present, R 0x4000 routing present
/// (RFC 1701, not followed), K 0x2000 key present, S 0x1000 sequence present, A 0x0080
/// acknowledgment present (version 1), version 0x0007), protocol type 2..<4 (an EtherType);
/// then, each only when its flag is set: checksum + reserved1 (4), key (4), sequence (4),
/// acknowledgment (4, version 1). `parse` returns nil when the fixed part or a flagged field is
/// cut; `emit` fills the checksum over header and payload (RFC 2784 §2.5). Nothing traps.
public struct GREHeader: Hashable, Sendable, BitwiseCopyable {
    public enum Field {
        public static let flagsAndVersion = 0..<2
        public static let protocolType = 2..<4
        /// Checksum (when C is set) and the field after it.
        public static let checksum = 4..<6
        public static let reserved1 = 6..<8
    }
    public static let minimumLength = 4
    public static let checksumFlag: UInt16 = 0x8000
    public static let routingFlag: UInt16 = 0x4000
    public static let keyFlag: UInt16 = 0x2000
    public static let sequenceFlag: UInt16 = 0x1000
    public static let acknowledgmentFlag: UInt16 = 0x0080

    /// Flags and version as on the wire; `emit` sets the C/K/S/A bits from the optional fields.
    public var flagsAndVersion: UInt16 = 0
    public var protocolType: UInt16
    public var checksum: UInt16? = nil
    public var reserved1: UInt16 = 0
    /// Key (RFC 2890 §2.1); version 1: payload length (high 16 bits) and call id (low 16).
    public var key: UInt32? = nil
    public var sequenceNumber: UInt32? = nil
    /// Version 1 acknowledgment number.
    public var acknowledgmentNumber: UInt32? = nil

    public init(protocolType: UInt16, key: UInt32? = nil, sequenceNumber: UInt32? = nil, checksum: Bool = false) {
        self.protocolType = protocolType
        self.key = key
        self.sequenceNumber = sequenceNumber
        self.checksum = checksum ? 0 : nil
    }

    @inlinable public var version: UInt8 { UInt8(flagsAndVersion & 7) }

    /// Header length implied by the flags.
    @inlinable static func length(flags: UInt16) -> Int {
        4 + (flags & (checksumFlag | routingFlag) != 0 ? 4 : 0) + (flags & keyFlag != 0 ? 4 : 0)
            + (flags & sequenceFlag != 0 ? 4 : 0) + (flags & 7 == 1 && flags & acknowledgmentFlag != 0 ? 4 : 0)
    }

    /// Bytes this header occupies.
    public var length: Int { Self.length(flags: wireFlags) }

    var wireFlags: UInt16 {
        var f = flagsAndVersion & ~(Self.checksumFlag | Self.keyFlag | Self.sequenceFlag | Self.acknowledgmentFlag)
        if checksum != nil { f |= Self.checksumFlag }
        if key != nil { f |= Self.keyFlag }
        if sequenceNumber != nil { f |= Self.sequenceFlag }
        if acknowledgmentNumber != nil { f |= Self.acknowledgmentFlag }
        return f
    }

    /// The header at `o` (within `b` and before `end`), or nil when cut short.
    public static func parse(_ b: UnsafeRawBufferPointer, at o: Int, end: Int) -> GREHeader? {
        let limit = min(end, b.count)
        guard o >= 0, o + minimumLength <= limit else { return nil }
        let flags = b.u16(o)
        guard o + length(flags: flags) <= limit else { return nil }
        var h = GREHeader(protocolType: b.u16(o + 2))
        h.flagsAndVersion = flags
        var q = o + 4
        if flags & (checksumFlag | routingFlag) != 0 {
            if flags & checksumFlag != 0 { h.checksum = b.u16(q) }
            h.reserved1 = b.u16(q + 2)
            q += 4
        }
        if flags & keyFlag != 0 { h.key = b.u32(q); q += 4 }
        if flags & sequenceFlag != 0 { h.sequenceNumber = b.u32(q); q += 4 }
        if flags & 7 == 1 && flags & acknowledgmentFlag != 0 { h.acknowledgmentNumber = b.u32(q) }
        return h
    }

    /// Appends the header. With `computeChecksum` and a checksum present, the checksum covers
    /// this header and `payload` (RFC 2784 §2.5); `payload` is not appended.
    public func emit(into bytes: inout [UInt8], payload: [UInt8] = [], computeChecksum: Bool = true) {
        let start = bytes.count
        bytes.appendBigEndian(wireFlags)
        bytes.appendBigEndian(protocolType)
        if let checksum {
            bytes.appendBigEndian(computeChecksum ? 0 : checksum)
            bytes.appendBigEndian(reserved1)
        } else if flagsAndVersion & Self.routingFlag != 0 {
            bytes.appendBigEndian(UInt16(0))
            bytes.appendBigEndian(reserved1)
        }
        if let key { bytes.appendBigEndian(key) }
        if let sequenceNumber { bytes.appendBigEndian(sequenceNumber) }
        if let acknowledgmentNumber { bytes.appendBigEndian(acknowledgmentNumber) }
        if computeChecksum && checksum != nil {
            let header = bytes.withUnsafeBytes { InternetChecksum.sum(UnsafeRawBufferPointer(rebasing: $0[start...])) }
            let body = payload.withUnsafeBytes { InternetChecksum.sum($0) }
            bytes.storeBigEndian(InternetChecksum.fieldValue(forSum: InternetChecksum.combine(header, body)),
                                 at: start + Field.checksum.lowerBound)
        }
    }

    /// This header followed by `payload`, checksum filled.
    public func encapsulate(_ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        emit(into: &out, payload: payload)
        out.append(contentsOf: payload)
        return out
    }
}

/// ERSPAN type II (8 bytes) and type III (12 bytes, + 8 with the `O` flag) headers after GRE
/// (draft-foschiano-erspan-03 §4.1, §4.2). Type I has no header (GRE 0x88BE without a sequence
/// number). Kept as raw words: byte 0 high nibble version (1 = II, 2 = III), VLAN 0..<2 low
/// 12 bits, session id 2..<4 low 10 bits; type II 4..<8 index; type III 4..<8 timestamp,
/// 8..<12 SGT / flags (bit 0 `O`: platform-specific subheader follows).
public struct ERSPANHeader: Hashable, Sendable, BitwiseCopyable {
    public var word0: UInt32
    public var word1: UInt32
    /// Type III only.
    public var word2: UInt32 = 0
    /// Type III platform-specific subheader (present when `word2 & 1 != 0`).
    public var platformSpecific: UInt64 = 0

    public init(version: UInt8, vlan: UInt16 = 0, sessionID: UInt16, word1: UInt32 = 0, word2: UInt32 = 0) {
        word0 = UInt32(version & 0xf) << 28 | UInt32(vlan & 0xfff) << 16 | UInt32(sessionID & 0x3ff)
        self.word1 = word1
        self.word2 = word2
    }

    @inlinable public var version: UInt8 { UInt8(word0 >> 28) }
    @inlinable public var vlan: UInt16 { UInt16(truncatingIfNeeded: word0 >> 16) & 0xfff }
    @inlinable public var sessionID: UInt16 { UInt16(truncatingIfNeeded: word0) & 0x3ff }
    public var length: Int { version == 2 ? (word2 & 1 != 0 ? 20 : 12) : 8 }

    public static func parse(_ b: UnsafeRawBufferPointer, at o: Int, end: Int) -> ERSPANHeader? {
        let limit = min(end, b.count)
        guard o >= 0, o + 8 <= limit else { return nil }
        var h = ERSPANHeader(version: 0, sessionID: 0)
        h.word0 = b.u32(o)
        h.word1 = b.u32(o + 4)
        if h.version == 2 {
            guard o + 12 <= limit else { return nil }
            h.word2 = b.u32(o + 8)
            if h.word2 & 1 != 0 {
                guard o + 20 <= limit else { return nil }
                h.platformSpecific = b.u64(o + 12)
            }
        }
        return h
    }

    public func emit(into bytes: inout [UInt8]) {
        bytes.appendBigEndian(word0)
        bytes.appendBigEndian(word1)
        if version == 2 {
            bytes.appendBigEndian(word2)
            if word2 & 1 != 0 {
                bytes.appendBigEndian(UInt32(truncatingIfNeeded: platformSpecific >> 32))
                bytes.appendBigEndian(UInt32(truncatingIfNeeded: platformSpecific))
            }
        }
    }
}

extension PacketDecoder {
    /// GRE (RFC 2784/2890, PPTP v1 RFC 2637) at `c.offset`; the payload by `NextLayer.greProtocol`.
    /// Cut headers are `gre.truncated`; versions other than 0/1 and routing (R, RFC 1701) are
    /// `gre.unsupported`; a checksum that does not verify sets `Encapsulation.greChecksumBad` (decoding goes on).
    @inline(never)
    func decodeGRE(_ b: UnsafeRawBufferPointer, _ c: inout LayerCursor, _ p: inout DecodedPacket) -> LayerKind? {
        let o = c.offset
        guard let h = GREHeader.parse(b, at: o, end: c.end) else { p.defects.insert(.greTruncated); return nil }
        guard h.version <= 1, h.flagsAndVersion & GREHeader.routingFlag == 0 else {
            p.defects.insert(.greUnsupported); return nil
        }
        let length = GREHeader.length(flags: h.flagsAndVersion)
        p.layers.append(.gre, offset: o, length: length)
        if h.checksum != nil && verifyChecksums && c.checksummable && c.end <= b.count {
            let sum = InternetChecksum.sum(UnsafeRawBufferPointer(rebasing: b[o..<c.end]))
            if sum != 0xffff { p.encapsulation.greChecksumBad = true }
        }
        c.offset = o + length
        let isERSPAN = h.protocolType == EtherType.erspanII || h.protocolType == EtherType.erspanIII
        beginTunnel(isERSPAN ? .erspan : .gre, id: h.version == 0 ? h.key : nil, &c)
        // ERSPAN type I: protocol 0x88BE without a sequence number, no ERSPAN header.
        if h.protocolType == EtherType.erspanII && h.sequenceNumber == nil { return .ethernet }
        return NextLayer.greProtocol(h.protocolType)
    }

    /// ERSPAN type II/III header; an Ethernet frame follows. The session id is the tunnel id.
    @inline(never)
    func decodeERSPAN(_ b: UnsafeRawBufferPointer, _ c: inout LayerCursor, _ p: inout DecodedPacket) -> LayerKind? {
        let o = c.offset
        guard let h = ERSPANHeader.parse(b, at: o, end: c.end) else { p.defects.insert(.erspanTruncated); return nil }
        p.layers.append(.erspan, offset: o, length: h.length)
        c.pendingID = UInt32(h.sessionID)
        c.offset = o + h.length
        return .ethernet
    }

    /// PPP header inside enhanced GRE (RFC 2637 §4.1; RFC 1661 §2): optional address/control
    /// 0xFF 0x03, then a 1-byte (odd, RFC 1661 §6.5 compressed) or 2-byte protocol.
    @inline(never)
    func decodePPP(_ b: UnsafeRawBufferPointer, _ c: inout LayerCursor, _ p: inout DecodedPacket) -> LayerKind? {
        let o = c.offset
        let limit = min(c.end, b.count)
        var q = o
        if q + 2 <= limit && b.u8(q) == 0xff && b.u8(q + 1) == 0x03 { q += 2 }
        guard q < limit else { p.defects.insert(.pppTruncated); return nil }
        let proto: UInt16
        if b.u8(q) & 1 != 0 { proto = UInt16(b.u8(q)); q += 1 } else {
            guard q + 2 <= limit else { p.defects.insert(.pppTruncated); return nil }
            proto = b.u16(q); q += 2
        }
        p.layers.append(.ppp, offset: o, length: q - o)
        c.offset = q
        return NextLayer.pppProtocol(proto)
    }
}
