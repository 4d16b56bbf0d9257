/// What one decoded header is. A VXLAN frame is
/// `ethernet, ipv4, udp, vxlan, ethernet, ipv4, tcp` in one stack. Raw values are stable
/// (new kinds are appended).
public enum LayerKind: UInt8, Sendable, Hashable, BitwiseCopyable, CaseIterable, CustomStringConvertible {
    case ethernet = 1
    /// One IEEE 802.1Q/802.1ad tag (4 bytes), one entry per tag.
    case vlan
    /// An MPLS label stack (RFC 3032 §2.1): one entry for all its 4-byte labels.
    case mpls
    /// PPPoE session header with the PPP protocol field (RFC 2516 §6, 8 bytes).
    case pppoe
    case linuxSLL
    case linuxSLL2
    /// BSD loopback (DLT_NULL / DLT_LOOP) 4-byte family header.
    case loopback
    case ipv4
    /// IPv6 fixed header (40 bytes).
    case ipv6
    /// One IPv6 extension header (RFC 8200 §4), one entry per header.
    case ipv6Extension
    case gre
    case udp
    case tcp
    case icmp
    case icmpv6
    case vxlan
    case geneve
    case gtpu
    case teredo
    /// VXLAN-GPE (UDP 4790), 8-byte header with a next-protocol field.
    case vxlanGPE
    /// PPPoE discovery stage (EtherType 0x8863, RFC 2516 §5): header and tags, not followed.
    case pppoeDiscovery
    /// ERSPAN type II or III header after GRE (type I has no header of its own).
    case erspan
    /// PPP (RFC 1661) header inside PPTP's enhanced GRE (address/control and protocol).
    case ppp
    /// The 4-byte pseudowire control word after an MPLS label stack (RFC 4385 §3).
    case mplsControlWord

    public var description: String {
        switch self {
        case .ethernet: "ethernet"
        case .vlan: "vlan"
        case .mpls: "mpls"
        case .pppoe: "pppoe"
        case .linuxSLL: "sll"
        case .linuxSLL2: "sll2"
        case .loopback: "loopback"
        case .ipv4: "ipv4"
        case .ipv6: "ipv6"
        case .ipv6Extension: "ipv6_ext"
        case .gre: "gre"
        case .udp: "udp"
        case .tcp: "tcp"
        case .icmp: "icmp"
        case .icmpv6: "icmpv6"
        case .vxlan: "vxlan"
        case .geneve: "geneve"
        case .gtpu: "gtpu"
        case .teredo: "teredo"
        case .vxlanGPE: "vxlan_gpe"
        case .pppoeDiscovery: "pppoe_discovery"
        case .erspan: "erspan"
        case .ppp: "ppp"
        case .mplsControlWord: "mpls_cw"
        }
    }
}

/// One entry of a `LayerStack`: a header's kind and its byte range in the frame.
public struct Layer: Sendable, Hashable, BitwiseCopyable {
    public var kind: LayerKind
    /// Offset of the header in the frame.
    public var offset: Int
    /// Header length in bytes (the fixed header plus its options; not the payload).
    public var length: Int

    @inlinable
    public init(kind: LayerKind, offset: Int, length: Int) {
        self.kind = kind
        self.offset = offset
        self.length = length
    }

    /// Packed form: kind in bits 56..<64, offset in 28..<56, length in 0..<28.
    @inlinable
    init(packed v: UInt64) {
        kind = LayerKind(rawValue: UInt8(truncatingIfNeeded: v >> 56)) ?? .ethernet
        offset = Int(truncatingIfNeeded: (v >> 28) & LayerStack.fieldMask)
        length = Int(truncatingIfNeeded: v & LayerStack.fieldMask)
    }
}

/// The headers of one frame, outermost first, in a fixed inline buffer (no allocation,
/// trivially copyable; 12 packed 64-bit words). Holds at most `capacity` entries; further
/// layers are not recorded and `overflowed` is set (the flat slots of `DecodedPacket` are still
/// filled). Offsets and lengths are kept modulo 2^28 (256 MiB; libpcap caps `caplen` at
/// 256 KiB, so no real record reaches it).
///
/// Only the headers `PacketDecoder` decoded appear: a layer cut by the capture or rejected as
/// malformed is absent (its flat slot may still hold the fields read, see `DecodedPacket`).
public struct LayerStack: Sendable, BitwiseCopyable, RandomAccessCollection {
    public static let capacity = 12
    @usableFromInline static let fieldMask: UInt64 = (1 << 28) - 1

    @usableFromInline var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                                    UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
        = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    @usableFromInline var stored: UInt8 = 0
    @usableFromInline var storedOverflow = false
    /// More than `capacity` layers were decoded; the last ones are missing here.
    @inlinable public var overflowed: Bool { storedOverflow }

    @inlinable
    public init() {}

    public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { Int(stored) }

    /// Traps when `i` is outside `0..<count`.
    @inlinable
    public subscript(i: Int) -> Layer {
        precondition(i >= 0 && i < Int(stored), "LayerStack index out of range")
        let v = withUnsafeBytes(of: storage) { $0.load(fromByteOffset: i &* 8, as: UInt64.self) }
        return Layer(packed: v)
    }

    /// Appends a layer; past `capacity` sets `overflowed` instead.
    @inlinable @inline(__always)
    mutating func append(_ kind: LayerKind, offset: Int, length: Int) {
        let n = Int(stored)
        guard n < LayerStack.capacity else { storedOverflow = true; return }
        let v = UInt64(kind.rawValue) << 56 | (UInt64(truncatingIfNeeded: offset) & LayerStack.fieldMask) << 28
            | (UInt64(truncatingIfNeeded: length) & LayerStack.fieldMask)
        withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: v, toByteOffset: n &* 8, as: UInt64.self) }
        stored = UInt8(truncatingIfNeeded: n &+ 1)
    }

    /// Calls `body(rawKind, offset)` for each entry in order (`rawKind` is the `LayerKind`'s
    /// raw value) until it returns false: one pass over the packed words, no `Layer` built and
    /// no copy of the stack (for hot loops).
    @inlinable
    public func forEachRaw(_ body: (UInt8, Int) -> Bool) {
        let n = Int(stored)
        withUnsafeBytes(of: storage) { words in
            for i in 0..<n {
                let v = words.load(fromByteOffset: i &* 8, as: UInt64.self)
                if !body(UInt8(truncatingIfNeeded: v >> 56), Int(truncatingIfNeeded: (v >> 28) & LayerStack.fieldMask)) { return }
            }
        }
    }

    /// The innermost (last) layer of `kind`, or nil.
    @inlinable
    public func last(_ kind: LayerKind) -> Layer? {
        var i = Int(stored) - 1
        while i >= 0 {
            let l = self[i]
            if l.kind == kind { return l }
            i -= 1
        }
        return nil
    }

    /// The kinds in order (allocates; for tests and diagnostics).
    public var kinds: [LayerKind] { map(\.kind) }
}
