import PacketCodec

/// The canonical, direction-free identity of a flow: transport protocol, both addresses and both
/// ports, packed into five 64-bit words so that equality is five compares and the hash is computed
/// once from the words.
///
/// The two endpoints are ordered (lower address, then lower port, first), so the packets of both
/// directions of a conversation produce the same key; `FlowKey.make` also returns which side of
/// the key the packet's *source* is. This is Zeek's `IPBasedConnKey::InitTuple` canonicalisation
/// (src/IPAddr.cc, src/packet_analysis/protocol/ip/conn_key/), plus a context id.
///
/// Layout: `a0,a1` = address of side A (IPv4 stored IPv4-mapped, as `IPAddress` does),
/// `b0,b1` = side B, `meta` = protocol (8 bits, 40–47) · IPv4 flag (bit 32) · port A (16–31) ·
/// port B (0–15), and in the otherwise unused bits 48–63 and 33–39 a 23-bit `contextID`.
/// For ICMP the "ports" are Zeek's: the ICMP type and the counterpart type (or the code).
///
/// The context id (0 for untagged, untunnelled traffic) separates equal 5-tuples that live in
/// different networks: the analyzer numbers each distinct `FlowContext` (VLAN ids, tunnel type
/// and id) it meets, so the key stays five words.
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
                            destination: IPAddress, destinationPort: UInt16,
                            contextID: UInt32 = 0) -> (key: FlowKey, sourceIsA: Bool) {
        let sourceFirst: Bool
        if source.high != destination.high {
            sourceFirst = source.high < destination.high
        } else if source.low != destination.low {
            sourceFirst = source.low < destination.low
        } else {
            sourceFirst = sourcePort <= destinationPort
        }
        // The IPv4 flag (bit 0 before the shift by 32) with the context id's bits beside it.
        let v4: UInt64 = (source.isIPv4 ? 1 : 0) | Self.contextBits(contextID)
        if sourceFirst {
            return (FlowKey(a0: source.high, a1: source.low, b0: destination.high, b1: destination.low,
                            meta: UInt64(proto) << 40 | v4 << 32 | UInt64(sourcePort) << 16 | UInt64(destinationPort)), true)
        } else {
            return (FlowKey(a0: destination.high, a1: destination.low, b0: source.high, b1: source.low,
                            meta: UInt64(proto) << 40 | v4 << 32 | UInt64(destinationPort) << 16 | UInt64(sourcePort)), false)
        }
    }

    /// `meta` bits holding the context id.
    public static let contextIDMask: UInt64 = 0xffff_0000_0000_0000 | 0x0000_00fe_0000_0000
    /// Context ids are 23 bits.
    public static let maxContextID: UInt32 = (1 << 23) - 1

    /// `id` placed in `meta`'s context bits, pre-shifted by 32 (it is or-ed into the IPv4 flag).
    @inlinable static func contextBits(_ id: UInt32) -> UInt64 {
        UInt64(id & 0xffff) << 16 | UInt64(id >> 16 & 0x7f) << 1
    }

    /// The analyzer's number for the flow's `FlowContext` (0: none).
    @inlinable public var contextID: UInt32 { UInt32(truncatingIfNeeded: meta >> 48) | UInt32(truncatingIfNeeded: meta >> 33 & 0x7f) << 16 }

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

/// What separates equal 5-tuples that live in different networks: the outermost link's VLAN
/// ids (Zeek's `vlan`/`inner_vlan`, the fields its `ConnKey::CONNKEY_VLAN_FIVETUPLE` keys on)
/// and the innermost tunnel's type and id (VNI, GRE key, ERSPAN session). Outer tunnel
/// *addresses* are not part of it: the two directions of a tunnelled connection often travel
/// between different endpoints or ports. Nor is a GTP-U TEID: each end of a GTP-U tunnel
/// picks the TEID the other sends to (3GPP TS 29.281 §5.1), so the two directions of one
/// connection carry different TEIDs.
///
/// Packed into one word, 0 when there is nothing: bits 0–11 VLAN, 12–23 inner VLAN, 24/25
/// their presence, 26–29 the `TunnelType`, 30 tunnel-id presence, 32–63 the tunnel id.
public struct FlowContext: Hashable, Sendable, BitwiseCopyable {
    public var raw: UInt64

    @inlinable public init(raw: UInt64) { self.raw = raw }

    /// The context of a decoded packet.
    @inlinable public init(_ e: Encapsulation) {
        var c: UInt64 = 0
        if let v = e.vlan { c |= UInt64(v & 0xfff) | 1 << 24 }
        if let v = e.innerVLAN { c |= UInt64(v & 0xfff) << 12 | 1 << 25 }
        if e.isTunnelled {
            c |= UInt64(e.tunnel.rawValue & 0xf) << 26
            if let id = e.tunnelID, e.tunnel != .gtpu { c |= 1 << 30 | UInt64(id) << 32 }
        }
        raw = c
    }

    /// The VLAN part only: the context of a tunnel's delivery flow.
    @inlinable public var linkOnly: FlowContext { FlowContext(raw: raw & 0x3ff_ffff) }
    @inlinable public var vlan: UInt16? { raw >> 24 & 1 != 0 ? UInt16(raw & 0xfff) : nil }
    @inlinable public var innerVLAN: UInt16? { raw >> 25 & 1 != 0 ? UInt16(raw >> 12 & 0xfff) : nil }
    @inlinable public var tunnelType: TunnelType { TunnelType(rawValue: UInt8(raw >> 26 & 0xf)) ?? .none }
    @inlinable public var tunnelID: UInt32? { raw >> 30 & 1 != 0 ? UInt32(truncatingIfNeeded: raw >> 32) : nil }
}

/// Numbers the distinct contexts an analyzer meets (id 0: none), so a key carries 23 bits
/// instead of a sixth word. One entry remembers the last context (consecutive packets share
/// it). Past `FlowKey.maxContextID - 1` distinct contexts, the rest share the last id and
/// their records carry no VLAN/tunnel fields (a bound; real captures hold a handful).
struct FlowContextTable {
    private var ids: [UInt64: UInt32] = [:]
    private var values: [UInt64] = [0]
    private var lastRaw: UInt64 = 0
    private var lastID: UInt32 = 0

    mutating func id(_ c: FlowContext) -> UInt32 {
        let raw = c.raw
        if raw == 0 { return 0 }
        if raw == lastRaw { return lastID }
        let id: UInt32
        if let known = ids[raw] {
            id = known
        } else if values.count < Int(FlowKey.maxContextID) {
            id = UInt32(values.count)
            values.append(raw)
            ids[raw] = id
        } else {
            id = FlowKey.maxContextID
        }
        lastRaw = raw
        lastID = id
        return id
    }

    func context(_ id: UInt32) -> FlowContext {
        FlowContext(raw: Int(id) < values.count ? values[Int(id)] : 0)
    }
}
