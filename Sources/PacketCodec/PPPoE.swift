/// PPPoE header (RFC 2516 §4): version 4 bits (1) and type 4 bits (1) in byte 0, code 1
/// (0x00 session data; discovery PADI 0x09, PADO 0x07, PADR 0x19, PADS 0x65, PADT 0xa7),
/// session id 2..<4, length 4..<6 (the payload after these 6 bytes). A session-stage payload
/// (EtherType 0x8864) starts with a PPP protocol field (RFC 1661 §2; 0x0021 IPv4, 0x0057
/// IPv6; one byte when compressed, §6.5), kept here as `pppProtocol`. Nothing traps.
public struct PPPoEHeader: Hashable, Sendable, BitwiseCopyable {
    public enum Field {
        public static let versionType = 0
        public static let code = 1
        public static let sessionID = 2..<4
        public static let length = 4..<6
        /// Session stage only.
        public static let pppProtocol = 6..<8
    }
    public static let length = 6

    public var versionType: UInt8 = 0x11
    public var code: UInt8 = 0
    public var sessionID: UInt16
    /// Payload length field (PPP protocol + PPP payload in the session stage, tags in discovery).
    public var payloadLength: UInt16 = 0
    /// PPP protocol of a session-stage frame (nil for discovery).
    public var pppProtocol: UInt16?
    /// The PPP protocol field is sent in one byte (protocol-field compression, RFC 1661 §6.5:
    /// an odd first byte).
    public var protocolCompressed = false

    /// Bytes of this header on the wire: 6, plus the 1- or 2-byte PPP protocol field.
    public var length: Int { Self.length + (pppProtocol == nil ? 0 : (protocolCompressed ? 1 : 2)) }

    public init(sessionID: UInt16, code: UInt8 = 0, pppProtocol: UInt16? = 0x0021) {
        self.sessionID = sessionID
        self.code = code
        self.pppProtocol = pppProtocol
    }

    public static func parse(_ b: UnsafeRawBufferPointer, at o: Int, session: Bool) -> PPPoEHeader? {
        guard o >= 0, b.count >= o + (session ? 7 : 6) else { return nil }
        var h = PPPoEHeader(sessionID: b.u16(o + 2), code: b.u8(o + 1), pppProtocol: nil)
        if session {
            if b.u8(o + 6) & 1 != 0 {
                h.pppProtocol = UInt16(b.u8(o + 6))
                h.protocolCompressed = true
            } else {
                guard b.count >= o + 8 else { return nil }
                h.pppProtocol = b.u16(o + 6)
            }
        }
        h.versionType = b.u8(o)
        h.payloadLength = b.u16(o + 4)
        return h
    }

    /// Appends the header (and the PPP protocol field when present). With `fixLengths` the
    /// length field is `payloadLength` bytes after the PPP protocol field plus that field.
    public func emit(into bytes: inout [UInt8], payloadLength: Int, fixLengths: Bool = true) {
        bytes.append(versionType)
        bytes.append(code)
        bytes.appendBigEndian(sessionID)
        let covered = payloadLength + length - Self.length
        bytes.appendBigEndian(fixLengths ? UInt16(truncatingIfNeeded: covered) : self.payloadLength)
        if let pppProtocol {
            if protocolCompressed { bytes.append(UInt8(truncatingIfNeeded: pppProtocol)) } else { bytes.appendBigEndian(pppProtocol) }
        }
    }
}

extension PacketDecoder {
    /// PPPoE session stage (RFC 2516 §6) + PPP protocol at `c.offset`; the length field bounds
    /// the payload (a length beyond the frame is `pppoe.length_exceeds_frame`, the frame's end
    /// is used). IPv4/IPv6/MPLS follow by `NextLayer.pppProtocol`.
    @inline(never)
    func decodePPPoESession(_ b: UnsafeRawBufferPointer, _ c: inout LayerCursor, _ p: inout DecodedPacket) -> LayerKind? {
        let o = c.offset
        guard c.end - o >= 7, let h = PPPoEHeader.parse(b, at: o, session: true), c.end - o >= h.length else {
            p.defects.insert(.pppoeTruncated); return nil
        }
        let end = o + PPPoEHeader.length + Int(h.payloadLength)
        if end > c.end { p.defects.insert(.pppoeLengthExceedsFrame) } else { c.end = end }
        p.layers.append(.pppoe, offset: o, length: h.length)
        c.offset = o + h.length
        if !c.flatIP { p.payloadOffset = c.offset; p.payloadLength = max(0, c.end - c.offset) }
        guard c.end >= c.offset, let pppProtocol = h.pppProtocol else { return nil }
        return NextLayer.pppProtocol(pppProtocol)
    }

    /// PPPoE discovery stage (RFC 2516 §5): one layer for the header and its tags; not followed.
    @inline(never)
    func decodePPPoEDiscovery(_ b: UnsafeRawBufferPointer, _ c: inout LayerCursor, _ p: inout DecodedPacket) -> LayerKind? {
        let o = c.offset
        guard c.end - o >= 6, let h = PPPoEHeader.parse(b, at: o, session: false) else {
            p.defects.insert(.pppoeTruncated); return nil
        }
        let length = PPPoEHeader.length + Int(h.payloadLength)
        if o + length > c.end { p.defects.insert(.pppoeLengthExceedsFrame) }
        p.layers.append(.pppoeDiscovery, offset: o, length: min(length, c.end - o))
        return nil
    }
}
