/// One MPLS label stack entry (RFC 3032 §2.1): label 20 bits, traffic class 3 bits (RFC 5462),
/// bottom-of-stack `S` 1 bit, TTL 8 bits, in one 32-bit word. Nothing here traps.
public struct MPLSLabel: Hashable, Sendable, BitwiseCopyable {
    public var label: UInt32
    public var trafficClass: UInt8
    public var bottomOfStack: Bool
    public var ttl: UInt8

    public init(label: UInt32, trafficClass: UInt8 = 0, bottomOfStack: Bool = false, ttl: UInt8 = 64) {
        self.label = label & 0xf_ffff
        self.trafficClass = trafficClass & 7
        self.bottomOfStack = bottomOfStack
        self.ttl = ttl
    }

    public init(word: UInt32) {
        self.init(label: word >> 12, trafficClass: UInt8((word >> 9) & 7), bottomOfStack: word & 0x100 != 0,
                  ttl: UInt8(truncatingIfNeeded: word))
    }

    @inlinable public var word: UInt32 {
        (label & 0xf_ffff) << 12 | UInt32(trafficClass & 7) << 9 | (bottomOfStack ? 0x100 : 0) | UInt32(ttl)
    }

    /// Most labels `PacketDecoder` walks (issue 11); one more is `mpls.too_many_labels`.
    public static let maxStackDepth = 8

    /// Appends `labels` as a stack; with `fixBottom` the last (only the last) gets `S` set.
    public static func emit(_ labels: [MPLSLabel], into bytes: inout [UInt8], fixBottom: Bool = true) {
        for (i, var l) in labels.enumerated() {
            if fixBottom { l.bottomOfStack = i == labels.count - 1 }
            bytes.appendBigEndian(l.word)
        }
    }

    /// The labels at `o` up to and including the bottom of stack (at most `maxStackDepth + 1`
    /// read), or nil when the stack is cut before its bottom.
    public static func parseStack(_ b: UnsafeRawBufferPointer, at o: Int, end: Int) -> [MPLSLabel]? {
        var out: [MPLSLabel] = []
        var q = o
        while q + 4 <= min(end, b.count) && out.count <= maxStackDepth {
            let l = MPLSLabel(word: b.u32(q))
            out.append(l)
            q += 4
            if l.bottomOfStack { return out }
        }
        return nil
    }
}

extension PacketDecoder {
    /// An MPLS label stack (RFC 3032) at `c.offset` (EtherType 0x8847/0x8848, GRE, UDP 6635
    /// RFC 7510, PPP 0x0281): up to `MPLSLabel.maxStackDepth` labels, one `mpls` layer for the
    /// stack. The payload has no type field: a first nibble of 4/6 is IPv4/IPv6 (RFC 3032
    /// §2.1 / RFC 4385 §2), 0 a pseudowire control word (RFC 4385 §3) before an Ethernet frame
    /// (RFC 4448); anything else stays payload. The outermost stack's top label goes to
    /// `encapsulation.mplsLabel`.
    @inline(never)
    func decodeMPLS(_ b: UnsafeRawBufferPointer, _ c: inout LayerCursor, _ p: inout DecodedPacket) -> LayerKind? {
        let o = c.offset
        let limit = min(c.end, b.count)
        var q = o
        var count = 0
        while true {
            guard q + 4 <= limit else { p.defects.insert(.mplsTruncated); return nil }
            guard count < MPLSLabel.maxStackDepth else { p.defects.insert(.mplsTooManyLabels); return nil }
            let w = b.u32(q)
            if count == 0 && p.encapsulation.mplsLabel == nil { p.encapsulation.mplsLabel = w >> 12 }
            q += 4
            count += 1
            if w & 0x100 != 0 { break }
        }
        p.layers.append(.mpls, offset: o, length: q - o)
        if c.previous == .udp { beginTunnel(.mplsOverUDP, id: nil, &c) }
        c.offset = q
        if !c.flatIP {
            p.payloadOffset = q
            p.payloadLength = c.end - q
        }
        guard q < limit else { return nil }
        if b.u8(q) >> 4 == 0 {
            guard q + 4 <= limit else { return nil }
            p.layers.append(.mplsControlWord, offset: q, length: 4)
            c.offset = q + 4
            return .ethernet
        }
        return NextLayer.ipByVersion(b, at: q)
    }
}
