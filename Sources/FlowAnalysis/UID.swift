/// Deterministic connection uids: "C" + base62 of a 96-bit hash of the 5-tuple, the first
/// packet's time and the flow's reuse index on that 5-tuple. Same input, same uids — so outputs
/// diff cleanly (Zeek's uids are random unless seeded: src/UID.cc, src/util.cc
/// `calculate_unique_id`). The rendering matches Zeek's `UID::Base62`: each 64-bit part in base 62
/// without padding (96 bits → a 64-bit and a 32-bit part, about 17 characters).
///
/// The hash is FNV-1a 64 (fixed offset basis and prime, no per-process seed) run twice with two
/// different bases, then finalised with a SplitMix64 mix; Swift's `Hasher` is seeded per process
/// and cannot be used here.
enum FlowUID {
    /// "C" + up to 11 + up to 11 base62 digits. Allocates only the returned string.
    /// `context` is the flow's whole `FlowContext` (its key holds only the analyzer's number for
    /// it, which depends on the order contexts appear); it enters only when set, so plain flows
    /// keep their uids.
    static func make(key: FlowKey, startTime: Int64, reuseIndex: UInt32, context: FlowContext = FlowContext(raw: 0)) -> String {
        let contextWord = context.raw == 0 ? 0 : splitmix(context.raw)
        let words = (key.a0, key.a1, key.b0, key.b1, key.meta & ~FlowKey.contextIDMask, UInt64(bitPattern: startTime),
                     UInt64(reuseIndex) ^ contextWord)
        let h1 = fnv(words, basis: 0xcbf2_9ce4_8422_2325)
        let h2 = fnv(words, basis: 0x84222325_cbf29ce4)
        let hi = splitmix(h1)
        let lo = UInt64(UInt32(truncatingIfNeeded: splitmix(h2 ^ hi)))
        return String(unsafeUninitializedCapacity: 23) { out in
            out[0] = UInt8(ascii: "C")
            let n = writeBase62(hi, into: out, at: 1)
            return writeBase62(lo, into: out, at: n)
        }
    }

    private static func fnv(_ w: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64), basis: UInt64) -> UInt64 {
        var h = basis
        func mix(_ word: UInt64) {
            var v = word
            for _ in 0..<8 {
                h ^= v & 0xff
                h = h &* 0x0000_0100_0000_01b3
                v >>= 8
            }
        }
        mix(w.0); mix(w.1); mix(w.2); mix(w.3); mix(w.4); mix(w.5); mix(w.6)
        return h
    }

    private static func splitmix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Writes `value` in base 62 (most significant digit first, no padding; "0" for zero) at
    /// `start`; returns the index after it. Needs room for 11 digits.
    private static func writeBase62(_ value: UInt64, into out: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        let digits: StaticString = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        var count = 1
        var rest = value / 62
        while rest > 0 { count += 1; rest /= 62 }
        var v = value
        var i = start + count - 1
        repeat {
            out[i] = digits.utf8Start[Int(v % 62)]
            v /= 62
            i -= 1
        } while v > 0
        return start + count
    }

    static func base62(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 11) { writeBase62(value, into: $0, at: 0) }
    }
}
