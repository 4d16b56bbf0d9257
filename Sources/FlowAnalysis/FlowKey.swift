import PacketCodec

/// The canonical, direction-free identity of a flow: transport protocol, both addresses and both
/// ports, packed into five 64-bit words so that equality is five compares and the hash is computed
/// once from the words.
///
/// The two endpoints are ordered (lower address, then lower port, first), so the packets of both
/// directions of a conversation produce the same key; `FlowKey.make` also returns which side of
/// the key the packet's *source* is. This is Zeek's `IPBasedConnKey::InitTuple` canonicalisation
/// (src/IPAddr.cc, src/packet_analysis/protocol/ip/conn_key/) without the VLAN context.
///
/// Layout: `a0,a1` = address of side A (IPv4 stored IPv4-mapped, as `IPAddress` does),
/// `b0,b1` = side B, `meta` = protocol (8 bits) · IPv4 flag (1 bit) · port A (16) · port B (16).
/// For ICMP the "ports" are Zeek's: the ICMP type and the counterpart type (or the code).
public struct FlowKey: Hashable, Sendable, BitwiseCopyable {
    public var a0: UInt64
    public var a1: UInt64
    public var b0: UInt64
    public var b1: UInt64
    public var meta: UInt64

    @inlinable
    public init(a0: UInt64, a1: UInt64, b0: UInt64, b1: UInt64, meta: UInt64) {
        self.a0 = a0; self.a1 = a1; self.b0 = b0; self.b1 = b1; self.meta = meta
    }

    /// Builds the canonical key; `sourceIsA` tells which side sent the packet.
    @inlinable
    public static func make(proto: UInt8, source: IPAddress, sourcePort: UInt16,
                            destination: IPAddress, destinationPort: UInt16) -> (key: FlowKey, sourceIsA: Bool) {
        let sourceFirst: Bool
        if source.high != destination.high {
            sourceFirst = source.high < destination.high
        } else if source.low != destination.low {
            sourceFirst = source.low < destination.low
        } else {
            sourceFirst = sourcePort <= destinationPort
        }
        let v4: UInt64 = source.isIPv4 ? 1 : 0
        if sourceFirst {
            return (FlowKey(a0: source.high, a1: source.low, b0: destination.high, b1: destination.low,
                            meta: UInt64(proto) << 40 | v4 << 32 | UInt64(sourcePort) << 16 | UInt64(destinationPort)), true)
        } else {
            return (FlowKey(a0: destination.high, a1: destination.low, b0: source.high, b1: source.low,
                            meta: UInt64(proto) << 40 | v4 << 32 | UInt64(destinationPort) << 16 | UInt64(sourcePort)), false)
        }
    }

    @inlinable public var proto: UInt8 { UInt8(truncatingIfNeeded: meta >> 40) }
    @inlinable public var isIPv4: Bool { meta >> 32 & 1 == 1 }
    @inlinable public var portA: UInt16 { UInt16(truncatingIfNeeded: meta >> 16) }
    @inlinable public var portB: UInt16 { UInt16(truncatingIfNeeded: meta) }
    @inlinable public var addressA: IPAddress { Self.address(a0, a1, isIPv4) }
    @inlinable public var addressB: IPAddress { Self.address(b0, b1, isIPv4) }

    @inlinable
    static func address(_ high: UInt64, _ low: UInt64, _ v4: Bool) -> IPAddress {
        v4 ? IPAddress(ipv4: UInt32(truncatingIfNeeded: low)) : IPAddress(ipv6High: high, low: low)
    }

    /// One multiply-xorshift mix per word (wyhash-style folding), combined into the hasher as a
    /// single word, so `Dictionary` hashes 8 bytes instead of 40.
    @inlinable
    public var mixedHash: UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        @inline(__always) func mix(_ x: UInt64, _ h: UInt64) -> UInt64 {
            let m = (x ^ h).multipliedFullWidth(by: 0xBF58_476D_1CE4_E5B9)
            return m.high ^ m.low
        }
        h = mix(a0, h)
        h = mix(a1, h)
        h = mix(b0, h)
        h = mix(b1, h)
        h = mix(meta, h)
        return h
    }

    @inlinable
    public func hash(into hasher: inout Hasher) {
        hasher.combine(mixedHash)
    }

    @inlinable
    public static func == (l: FlowKey, r: FlowKey) -> Bool {
        l.a1 == r.a1 && l.b1 == r.b1 && l.meta == r.meta && l.a0 == r.a0 && l.b0 == r.b0
    }
}
