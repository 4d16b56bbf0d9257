/// GTP-U version 1 header (3GPP TS 29.281 §5.1), UDP 2152: flags 0 (version 3 bits = 1, PT 0x10
/// = GTP, E 0x04 extension header, S 0x02 sequence number, PN 0x01 N-PDU number), message
/// type 1 (255 = G-PDU, a user packet), length 2..<4 (bytes after the first 8), TEID 4..<8;
/// when any of E/S/PN is set: sequence number 8..<10, N-PDU number 10, next extension header
/// type 11, then extension headers (§5.2: length in 4-octet units, content, next type).
/// Nothing traps.
public struct GTPUHeader: Hashable, Sendable, BitwiseCopyable {
    public enum Field {
        public static let flags = 0
        public static let messageType = 1
        public static let length = 2..<4
        public static let teid = 4..<8
        public static let sequenceNumber = 8..<10
        public static let npduNumber = 10
        public static let nextExtensionType = 11
    }
    public static let minimumLength = 8
    public static let gpdu: UInt8 = 0xff

    public var flags: UInt8 = 0x30
    public var messageType: UInt8 = GTPUHeader.gpdu
    /// Length field as on the wire.
    public var lengthField: UInt16 = 0
    public var teid: UInt32
    public var sequenceNumber: UInt16 = 0
    public var npduNumber: UInt8 = 0
    public var nextExtensionType: UInt8 = 0

    public init(teid: UInt32, messageType: UInt8 = GTPUHeader.gpdu) {
        self.teid = teid
        self.messageType = messageType
    }

    @inlinable public var version: UInt8 { flags >> 5 }
    /// The optional 4-byte part is present (any of E, S, PN).
    @inlinable public var hasOptionalFields: Bool { flags & 0x07 != 0 }

    public static func parse(_ b: UnsafeRawBufferPointer, at o: Int) -> GTPUHeader? {
        guard o >= 0, b.count >= o + minimumLength else { return nil }
        var h = GTPUHeader(teid: b.u32(o + 4), messageType: b.u8(o + 1))
        h.flags = b.u8(o)
        h.lengthField = b.u16(o + 2)
        if h.hasOptionalFields {
            guard b.count >= o + 12 else { return nil }
            h.sequenceNumber = b.u16(o + 8)
            h.npduNumber = b.u8(o + 10)
            h.nextExtensionType = b.u8(o + 11)
        }
        return h
    }

    /// Appends the header and `extensionHeaders` (raw, already chained; name the first in
    /// `nextExtensionType` and set E). With `fixLengths` the length is the optional part +
    /// extensions + `payloadLength`.
    public func emit(into bytes: inout [UInt8], extensionHeaders: [UInt8] = [], payloadLength: Int,
                     fixLengths: Bool = true) {
        bytes.append(flags)
        bytes.append(messageType)
        let covered = (hasOptionalFields ? 4 : 0) + extensionHeaders.count + payloadLength
        bytes.appendBigEndian(fixLengths ? UInt16(truncatingIfNeeded: covered) : lengthField)
        bytes.appendBigEndian(teid)
        if hasOptionalFields {
            bytes.appendBigEndian(sequenceNumber)
            bytes.append(npduNumber)
            bytes.append(nextExtensionType)
        }
        bytes.append(contentsOf: extensionHeaders)
    }
}

extension PacketDecoder {
    /// GTP-U v1 at `c.offset`: optional fields and extension headers walked; a G-PDU's payload
    /// is IPv4/IPv6 by its first nibble, other messages (echo, end marker, error indication)
    /// end decoding. The TEID is the tunnel id. Cut header: `gtpu.truncated`; an extension
    /// header cut or of length 0: `gtpu.extension_invalid`; version ≠ 1 or GTP': `gtpu.unsupported`.
    @inline(never)
    func decodeGTPU(_ b: UnsafeRawBufferPointer, _ c: inout LayerCursor, _ p: inout DecodedPacket) -> LayerKind? {
        let o = c.offset
        guard c.end - o >= GTPUHeader.minimumLength, let h = GTPUHeader.parse(b, at: o),
              !h.hasOptionalFields || c.end - o >= 12 else {
            p.defects.insert(.gtpuTruncated); return nil
        }
        guard h.version == 1, h.flags & 0x10 != 0 else { p.defects.insert(.gtpuUnsupported); return nil }
        let end = min(c.end, o + 8 + Int(h.lengthField))
        var q = o + (h.hasOptionalFields ? 12 : 8)
        var next = h.flags & 0x04 != 0 ? h.nextExtensionType : 0
        var walked = 0
        while next != 0 {
            guard q + 1 <= min(end, b.count), walked < 16 else { p.defects.insert(.gtpuExtensionInvalid); return nil }
            let len = Int(b.u8(q)) * 4
            guard len > 0, q + len <= min(end, b.count) else { p.defects.insert(.gtpuExtensionInvalid); return nil }
            next = b.u8(q + len - 1)
            q += len
            walked += 1
        }
        p.layers.append(.gtpu, offset: o, length: q - o)
        guard h.messageType == GTPUHeader.gpdu else { return nil }
        beginTunnel(.gtpu, id: h.teid, &c)
        c.offset = q
        c.end = end
        return NextLayer.ipByVersion(b, at: q)
    }
}
