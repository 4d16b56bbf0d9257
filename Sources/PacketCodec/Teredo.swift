/// Teredo (RFC 4380 §5.1.1), UDP 3544: an IPv6 packet, optionally preceded by an
/// authentication indicator (0x0001, client-id length, auth-value length, client id, auth
/// value, 8-byte nonce, 1-byte confirmation) and/or an origin indication (0x0000, obfuscated
/// port 2..<4, obfuscated IPv4 address 4..<8). A UDP payload that is not such a packet is not
/// Teredo (no layer, no defect): port 3544 carries other traffic too. Nothing traps.
public struct TeredoIndicators: Hashable, Sendable, BitwiseCopyable {
    /// Length of the authentication indicator, 0 when absent.
    public var authenticationLength: Int = 0
    /// Origin indication fields when present (`port` and `address` de-obfuscated: XOR 0xFFFF /
    /// 0xFFFFFFFF, RFC 4380 §5.1.1).
    public var hasOrigin = false
    public var originPort: UInt16 = 0
    public var originAddress: UInt32 = 0

    public init() {}

    public var length: Int { authenticationLength + (hasOrigin ? 8 : 0) }

    /// The indicators at `o` followed by an IPv6 header (version 6 and 40 bytes inside
    /// `end`), or nil when the payload is not Teredo.
    public static func parse(_ b: UnsafeRawBufferPointer, at o: Int, end: Int) -> TeredoIndicators? {
        let limit = min(end, b.count)
        var t = TeredoIndicators()
        var q = o
        if q + 4 <= limit && b.u16(q) == 0x0001 {
            let n = 4 + Int(b.u8(q + 2)) + Int(b.u8(q + 3)) + 9
            guard q + n <= limit else { return nil }
            t.authenticationLength = n
            q += n
        }
        if q + 8 <= limit && b.u16(q) == 0x0000 {
            t.hasOrigin = true
            t.originPort = ~b.u16(q + 2)
            t.originAddress = ~b.u32(q + 4)
            q += 8
        }
        guard q + 40 <= limit, b.u8(q) >> 4 == 6 else { return nil }
        return t
    }

    /// Appends an origin indication for `port` / `address` (obfuscated on the wire).
    public static func emitOrigin(port: UInt16, address: UInt32, into bytes: inout [UInt8]) {
        bytes.appendBigEndian(UInt16(0))
        bytes.appendBigEndian(~port)
        bytes.appendBigEndian(~address)
    }
}

extension PacketDecoder {
    /// Teredo at `c.offset`: the indicators (a `teredo` layer, 0 bytes long without them) and the
    /// inner IPv6 packet.
    @inline(never)
    func decodeTeredo(_ b: UnsafeRawBufferPointer, _ c: inout LayerCursor, _ p: inout DecodedPacket) -> LayerKind? {
        let o = c.offset
        guard let t = TeredoIndicators.parse(b, at: o, end: c.end) else { return nil }
        p.layers.append(.teredo, offset: o, length: t.length)
        beginTunnel(.teredo, id: nil, &c)
        c.offset = o + t.length
        return .ipv6
    }
}
