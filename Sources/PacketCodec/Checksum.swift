/// The Internet checksum (RFC 1071) and the verdicts Sockeye gives a checksum field.
///
/// `InternetChecksum.sum` returns the folded 16-bit ones'-complement sum *without* the final
/// complement, so partial sums (pseudo-header, header, payload) can be combined with `combine`.
/// Nothing here traps: every function reads only inside the buffer it is given.
public enum InternetChecksum {
    /// Ones'-complement sum of `bytes` (RFC 1071 §4.1), folded to 16 bits, not complemented.
    ///
    /// Reads 64 bytes per iteration into two `SIMD4<UInt64>` accumulators (eight independent
    /// 64-bit lanes; SSE2's `paddq`/`psrlq` on x86-64, NEON on arm64); carries are folded at the
    /// end (RFC 1071 §2(C), "deferred carries"). The < 64-byte tail takes at most one step each
    /// of 32, 16, 8, 4, 2 and 1 bytes, with no loop, and the fold is straight-line: a 1500-byte
    /// segment costs 23 iterations plus a fixed tail. Nothing traps (all arithmetic wraps; each
    /// lane gains < 2^33 per iteration, so none overflows below 2^31 iterations, 128 GiB).
    @inlinable
    public static func sum(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        guard let base = bytes.baseAddress else { return 0 }
        let n = bytes.count
        var i = 0
        // Sum native-endian 32-bit halves of 64-bit words; byte order is fixed once at the end
        // (RFC 1071 §2(B): the sum is byte-order independent up to a final swap).
        let low = SIMD4<UInt64>(repeating: 0xffff_ffff)
        var v0 = SIMD4<UInt64>(repeating: 0), v1 = SIMD4<UInt64>(repeating: 0)
        while n &- i >= 64 {
            let w0 = (base + i).loadUnaligned(as: SIMD4<UInt64>.self)
            let w1 = (base + (i &+ 32)).loadUnaligned(as: SIMD4<UInt64>.self)
            v0 &+= (w0 & low) &+ (w0 &>> 32)
            v1 &+= (w1 & low) &+ (w1 &>> 32)
            i &+= 64
        }
        if n &- i >= 32 {
            let w = (base + i).loadUnaligned(as: SIMD4<UInt64>.self)
            v0 &+= (w & low) &+ (w &>> 32)
            i &+= 32
        }
        // Each lane folded to < 2^33 first, so the eight together stay < 2^36.
        var acc = ((v0 & low) &+ (v0 &>> 32) &+ (v1 & low) &+ (v1 &>> 32)).wrappedSum()
        @inline(__always) func halves(_ w: UInt64) -> UInt64 { (w & 0xffff_ffff) &+ (w >> 32) }
        if n &- i >= 16 {
            acc &+= halves((base + i).loadUnaligned(as: UInt64.self))
            acc &+= halves((base + (i &+ 8)).loadUnaligned(as: UInt64.self))
            i &+= 16
        }
        if n &- i >= 8 {
            acc &+= halves((base + i).loadUnaligned(as: UInt64.self))
            i &+= 8
        }
        if n &- i >= 4 {
            acc &+= UInt64((base + i).loadUnaligned(as: UInt32.self))
            i &+= 4
        }
        if n &- i >= 2 {
            acc &+= UInt64((base + i).loadUnaligned(as: UInt16.self))
            i &+= 2
        }
        if n &- i >= 1 {
            // Odd trailing byte: pad with zero on the right (network order), i.e. it is the
            // high byte of a big-endian word, which is the low byte in memory order.
            #if _endian(little)
            acc &+= UInt64(base.load(fromByteOffset: i, as: UInt8.self))
            #else
            acc &+= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << 8
            #endif
        }
        // acc < 2^37: two 64→32 folds leave < 2^32, two 32→16 folds < 2^16.
        acc = (acc & 0xffff_ffff) &+ (acc >> 32)
        acc = (acc & 0xffff_ffff) &+ (acc >> 32)
        acc = (acc & 0xffff) &+ (acc >> 16)
        acc = (acc & 0xffff) &+ (acc >> 16)
        let folded = UInt16(truncatingIfNeeded: acc)
        #if _endian(little)
        return folded.byteSwapped
        #else
        return folded
        #endif
    }

    /// Ones'-complement sum of two partial sums.
    @inlinable @inline(__always)
    public static func combine(_ a: UInt16, _ b: UInt16) -> UInt16 {
        let s = UInt32(a) &+ UInt32(b)
        return UInt16(truncatingIfNeeded: (s & 0xffff) &+ (s >> 16))
    }

    /// Ones'-complement sum of a 32-bit value's two halves.
    @inlinable @inline(__always)
    static func sum32(_ v: UInt32) -> UInt16 {
        combine(UInt16(truncatingIfNeeded: v >> 16), UInt16(truncatingIfNeeded: v))
    }

    @inlinable @inline(__always)
    static func sum64(_ v: UInt64) -> UInt16 {
        combine(sum32(UInt32(truncatingIfNeeded: v >> 32)), sum32(UInt32(truncatingIfNeeded: v)))
    }

    /// Sum of the IPv4 pseudo-header (RFC 9293 §3.1, RFC 768): addresses, zero, protocol, length.
    @inlinable
    public static func pseudoHeaderSum(source: UInt32, destination: UInt32, protocol proto: UInt8, length: UInt32) -> UInt16 {
        var s = combine(sum32(source), sum32(destination))
        s = combine(s, UInt16(proto))
        return combine(s, sum32(length))
    }

    /// Sum of the IPv6 pseudo-header (RFC 8200 §8.1): addresses, upper-layer length, next header.
    @inlinable
    public static func pseudoHeaderSum(source: IPAddress, destination: IPAddress, protocol proto: UInt8, length: UInt32) -> UInt16 {
        var s = combine(sum64(source.high), sum64(source.low))
        s = combine(s, combine(sum64(destination.high), sum64(destination.low)))
        s = combine(s, sum32(length))
        return combine(s, UInt16(proto))
    }

    /// The value to store in a checksum field, given the sum of everything with the field zeroed.
    @inlinable @inline(__always)
    public static func fieldValue(forSum sum: UInt16) -> UInt16 { ~sum }
}

/// How a checksum field compares with the bytes it covers.
public enum ChecksumStatus: UInt8, Sendable, Hashable, BitwiseCopyable, CaseIterable, CustomStringConvertible {
    /// The sum over the covered bytes (and pseudo-header) is 0xFFFF.
    case good
    /// Neither good nor an offload partial sum.
    case bad
    /// The field holds only the pseudo-header sum: the capturing host left the checksum to the
    /// NIC (transmit checksum offload, Linux CHECKSUM_PARTIAL). Not an error on the wire.
    case partial
    /// Could not be checked: the covered bytes were cut by the snapshot length, the packet is an
    /// IP fragment, or verification was turned off.
    case unverified
    /// UDP over IPv4 with checksum 0: the sender did not compute one (RFC 768).
    case absent

    public var description: String {
        switch self {
        case .good: "good"
        case .bad: "bad"
        case .partial: "partial"
        case .unverified: "unverified"
        case .absent: "absent"
        }
    }
}

extension ChecksumStatus {
    /// Verdict for a transport checksum given the pseudo-header sum, the field value and the sum
    /// over the whole segment (field included).
    @inlinable
    static func transport(pseudo: UInt16, field: UInt16, segmentSum: UInt16) -> ChecksumStatus {
        if InternetChecksum.combine(pseudo, segmentSum) == 0xffff { return .good }
        // Offload: the field holds the folded pseudo-header sum (Linux stores ~csum_tcpudp_magic).
        if field == pseudo || (pseudo == 0xffff && field == 0) { return .partial }
        return .bad
    }
}
