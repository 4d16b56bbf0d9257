/// Geneve header (RFC 8926 §3.4), UDP 6081: byte 0 version (2 bits, 0) and options length
/// (6 bits, in 4-byte words), byte 1 `O` (0x80 control) and `C` (0x40 critical options) and
/// 6 reserved bits, protocol type 2..<4 (an EtherType; 0x6558 Ethernet), VNI 4..<7, reserved 7,
/// then the options (skipped by length; not interpreted). Nothing traps.
public struct GeneveHeader: Hashable, Sendable, BitwiseCopyable {
    public enum Field {
        public static let versionAndOptionsLength = 0
        public static let flags = 1
        public static let protocolType = 2..<4
        public static let vni = 4..<7
        public static let reserved = 7
        public static let options = 8
    }
    public static let minimumLength = 8

    public var version: UInt8 = 0
    /// Options length in bytes (a multiple of 4, at most 252).
    public var optionsLength: Int = 0
    /// Byte 1 (O, C and reserved bits) as on the wire.
    public var flags: UInt8 = 0
    public var protocolType: UInt16
    public var vni: UInt32
    public var reserved: UInt8 = 0

    public init(vni: UInt32, protocolType: UInt16 = EtherType.transparentEthernet) {
        self.vni = vni & 0xff_ffff
        self.protocolType = protocolType
    }

    public var length: Int { Self.minimumLength + optionsLength }

    public static func parse(_ b: UnsafeRawBufferPointer, at o: Int) -> GeneveHeader? {
        guard o >= 0, b.count >= o + minimumLength else { return nil }
        var h = GeneveHeader(vni: b.u32(o + 4) >> 8, protocolType: b.u16(o + 2))
        h.version = b.u8(o) >> 6
        h.optionsLength = Int(b.u8(o) & 0x3f) * 4
        h.flags = b.u8(o + 1)
        h.reserved = b.u8(o + 7)
        return h
    }

    /// Appends the header and `options` (zero-padded to 4 bytes); the options length is computed.
    /// Traps if the options exceed 252 bytes.
    public func emit(into bytes: inout [UInt8], options: [UInt8] = []) {
        let padded = (options.count + 3) & ~3
        precondition(padded <= 252, "Geneve options longer than 252 bytes")
        bytes.append(version << 6 | UInt8(padded / 4))
        bytes.append(flags)
        bytes.appendBigEndian(protocolType)
        bytes.appendBigEndian((vni & 0xff_ffff) << 8 | UInt32(reserved))
        bytes.append(contentsOf: options)
        for _ in options.count..<padded { bytes.append(0) }
    }
}

extension PacketDecoder {
    /// Geneve (RFC 8926) at `c.offset`: options skipped by length, the payload by its protocol
    /// type (`NextLayer.etherType`). Cut header or options: `geneve.truncated`; a version other
    /// than 0: `geneve.version_unsupported`.
    @inline(never)
    func decodeGeneve(_ b: UnsafeRawBufferPointer, _ c: inout LayerCursor, _ p: inout DecodedPacket) -> LayerKind? {
        let o = c.offset
        guard c.end - o >= GeneveHeader.minimumLength, let h = GeneveHeader.parse(b, at: o) else {
            p.defects.insert(.geneveTruncated); return nil
        }
        guard h.version == 0 else { p.defects.insert(.geneveVersionUnsupported); return nil }
        guard o + h.length <= min(c.end, b.count) else { p.defects.insert(.geneveTruncated); return nil }
        p.layers.append(.geneve, offset: o, length: h.length)
        beginTunnel(.geneve, id: h.vni, &c)
        c.offset = o + h.length
        return NextLayer.etherType(h.protocolType, classic: false)
    }
}
