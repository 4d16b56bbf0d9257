/// VXLAN header (RFC 7348 §5), the 8 bytes after UDP port 4789 (or Linux's old 8472):
/// flags 0 (bit 0x08 `I`: the VNI is valid; the other bits reserved, sent as 0), reserved
/// 1..<4, VNI 4..<7, reserved 7. The payload is an Ethernet frame.
///
/// `parse` needs 8 bytes at the offset (nil otherwise); `emit` appends 8 bytes. Nothing traps.
public struct VXLANHeader: Hashable, Sendable, BitwiseCopyable {
    /// Named byte offsets, used by `parse` and `emit`.
    public enum Field {
        public static let flags = 0
        public static let reserved1 = 1..<4
        public static let vni = 4..<7
        public static let reserved2 = 7
    }
    public static let length = 8
    /// The `I` flag (RFC 7348 §5: "MUST be set to 1 for a valid VXLAN Network ID").
    public static let vniValidFlag: UInt8 = 0x08

    public var flags: UInt8
    /// Bytes 1..<4 (24 bits, reserved), kept so a header re-emits byte for byte.
    public var reserved1: UInt32 = 0
    /// VXLAN Network Identifier (24 bits).
    public var vni: UInt32
    public var reserved2: UInt8 = 0

    public init(vni: UInt32, flags: UInt8 = VXLANHeader.vniValidFlag) {
        self.vni = vni & 0xff_ffff
        self.flags = flags
    }

    /// True when the `I` flag says `vni` is meaningful.
    @inlinable public var hasVNI: Bool { flags & Self.vniValidFlag != 0 }

    /// The header at `o`, or nil when fewer than 8 bytes are there.
    public static func parse(_ b: UnsafeRawBufferPointer, at o: Int) -> VXLANHeader? {
        guard o >= 0, b.count >= o + length else { return nil }
        var h = VXLANHeader(vni: b.u32(o + Field.vni.lowerBound) >> 8, flags: b.u8(o + Field.flags))
        h.reserved1 = b.u32(o) & 0xff_ffff
        h.reserved2 = b.u8(o + Field.reserved2)
        return h
    }

    public func emit(into bytes: inout [UInt8]) {
        bytes.appendBigEndian(UInt32(flags) << 24 | (reserved1 & 0xff_ffff))
        bytes.appendBigEndian((vni & 0xff_ffff) << 8 | UInt32(reserved2))
    }

    /// The UDP payload carrying `frame` (an encoded Ethernet frame): this header + the frame.
    public func encapsulate(_ frame: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.length + frame.count)
        emit(into: &out)
        out.append(contentsOf: frame)
        return out
    }
}

/// VXLAN-GPE header (draft-ietf-nvo3-vxlan-gpe §3.3), UDP 4790: flags 0 (`I` 0x08, `P` 0x04
/// next protocol present, `O` 0x01 OAM), reserved 1..<3, next protocol 3 (1 IPv4, 2 IPv6,
/// 3 Ethernet, 5 MPLS), VNI 4..<7, reserved 7. Same byte layout as `VXLANHeader` with
/// `reserved1`'s low byte as the next protocol.
extension VXLANHeader {
    /// VXLAN-GPE next protocol (byte 3).
    @inlinable public var nextProtocol: UInt8 { UInt8(truncatingIfNeeded: reserved1) }
}

extension PacketDecoder {
    /// VXLAN (RFC 7348 §5) at `c.offset`; the inner Ethernet frame follows. A header cut short
    /// is `vxlan.truncated`. The VNI is the tunnel id when the `I` flag is set.
    @inline(never)
    func decodeVXLAN(_ b: UnsafeRawBufferPointer, _ c: inout LayerCursor, _ p: inout DecodedPacket) -> LayerKind? {
        let o = c.offset
        guard c.end - o >= VXLANHeader.length, let h = VXLANHeader.parse(b, at: o) else {
            p.defects.insert(.vxlanTruncated); return nil
        }
        p.layers.append(.vxlan, offset: o, length: VXLANHeader.length)
        beginTunnel(.vxlan, id: h.hasVNI ? h.vni : nil, &c)
        c.offset = o + VXLANHeader.length
        return .ethernet
    }

    /// VXLAN-GPE: the next protocol byte names the payload (without the `P` flag: Ethernet).
    @inline(never)
    func decodeVXLANGPE(_ b: UnsafeRawBufferPointer, _ c: inout LayerCursor, _ p: inout DecodedPacket) -> LayerKind? {
        let o = c.offset
        guard c.end - o >= VXLANHeader.length, let h = VXLANHeader.parse(b, at: o) else {
            p.defects.insert(.vxlanTruncated); return nil
        }
        p.layers.append(.vxlanGPE, offset: o, length: VXLANHeader.length)
        beginTunnel(.vxlan, id: h.hasVNI ? h.vni : nil, &c)
        c.offset = o + VXLANHeader.length
        guard h.flags & 0x04 != 0 else { return .ethernet }
        switch h.nextProtocol {
        case 1: return .ipv4
        case 2: return .ipv6
        case 3: return .ethernet
        case 5: return .mpls
        default: return nil
        }
    }
}
