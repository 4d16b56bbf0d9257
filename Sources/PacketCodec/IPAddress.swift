/// An IPv4 or IPv6 address as a trivially copyable 128-bit value.
///
/// IPv4 addresses are stored IPv4-mapped (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2) with `isIPv4`
/// set, so a flow key can hold either family without a branch or an allocation.
public struct IPAddress: Hashable, Sendable, BitwiseCopyable, Comparable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64
    public var isIPv4: Bool

    @inlinable
    public init(ipv4 value: UInt32) {
        high = 0
        low = 0xffff_0000_0000 | UInt64(value)
        isIPv4 = true
    }

    @inlinable
    public init(ipv6High high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
        isIPv4 = false
    }

    /// The IPv4 value; meaningful only when `isIPv4`.
    @inlinable
    public var ipv4: UInt32 { UInt32(truncatingIfNeeded: low) }

    /// Parses dotted-quad IPv4 or RFC 4291 §2.2 IPv6 text (`::` compression, embedded IPv4).
    public init?(_ text: String) {
        if !text.contains(":") {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            var v: UInt32 = 0
            for p in parts {
                guard let b = UInt8(p) else { return nil }
                v = v << 8 | UInt32(b)
            }
            self.init(ipv4: v)
            return
        }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawGap = false
        let pieces = text.split(separator: ":", omittingEmptySubsequences: false)
        var index = 0
        while index < pieces.count {
            let p = pieces[index]
            if p.isEmpty {
                // "::" shows up as one or two empty pieces (two at the start or end).
                if index + 1 < pieces.count && pieces[index + 1].isEmpty { index += 1 }
                if sawGap && !(index == pieces.count - 1) { return nil }
                sawGap = true
                index += 1
                continue
            }
            var groups: [UInt16] = []
            if p.contains(".") {
                guard let v4 = IPAddress(String(p)), v4.isIPv4 else { return nil }
                groups = [UInt16(v4.ipv4 >> 16), UInt16(v4.ipv4 & 0xffff)]
            } else {
                guard p.count <= 4, let g = UInt16(p, radix: 16) else { return nil }
                groups = [g]
            }
            if sawGap { tail += groups } else { head += groups }
            index += 1
        }
        let total = head.count + tail.count
        guard sawGap ? total < 8 : total == 8 else { return nil }
        let all = head + Array(repeating: 0, count: 8 - total) + tail
        var hi: UInt64 = 0
        var lo: UInt64 = 0
        for i in 0..<4 { hi = hi << 16 | UInt64(all[i]) }
        for i in 4..<8 { lo = lo << 16 | UInt64(all[i]) }
        self.init(ipv6High: hi, low: lo)
    }

    @inlinable
    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        if a.isIPv4 != b.isIPv4 { return a.isIPv4 }
        return (a.high, a.low) < (b.high, b.low)
    }

    /// Dotted quad for IPv4; RFC 5952 canonical text for IPv6 (lower case, longest zero run
    /// of two or more groups compressed, first one on ties).
    public var description: String {
        if isIPv4 {
            let v = ipv4
            return "\(v >> 24).\(v >> 16 & 0xff).\(v >> 8 & 0xff).\(v & 0xff)"
        }
        var groups = [UInt16](repeating: 0, count: 8)
        for i in 0..<4 {
            groups[i] = UInt16(truncatingIfNeeded: high >> (48 - 16 * UInt64(i)))
            groups[i + 4] = UInt16(truncatingIfNeeded: low >> (48 - 16 * UInt64(i)))
        }
        var bestStart = -1, bestLen = 0, i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > bestLen && j - i >= 2 { bestStart = i; bestLen = j - i }
                i = j
            } else {
                i += 1
            }
        }
        func hex(_ g: UInt16) -> String { String(g, radix: 16) }
        if bestStart < 0 { return groups.map(hex).joined(separator: ":") }
        let left = groups[0..<bestStart].map(hex).joined(separator: ":")
        let right = groups[(bestStart + bestLen)...].map(hex).joined(separator: ":")
        return left + "::" + right
    }
}

/// A 48-bit IEEE 802 MAC address.
public struct MACAddress: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var value: UInt64

    @inlinable public init(_ value: UInt64) { self.value = value & 0xffff_ffff_ffff }

    public init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 6 else { return nil }
        var v: UInt64 = 0
        for p in parts {
            guard p.count == 2, let b = UInt8(p, radix: 16) else { return nil }
            v = v << 8 | UInt64(b)
        }
        self.init(v)
    }

    @inlinable
    static func load(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> MACAddress {
        MACAddress(UInt64(bytes.u16(offset)) << 32 | UInt64(bytes.u32(offset + 2)))
    }

    /// Lower-case colon-separated text, as tcpdump and tshark print it.
    public var description: String {
        var s = ""
        s.reserveCapacity(17)
        for i in (0..<6).reversed() {
            let b = UInt8(truncatingIfNeeded: value >> (UInt64(i) * 8))
            if b < 16 { s += "0" }
            s += String(b, radix: 16)
            if i > 0 { s += ":" }
        }
        return s
    }

    func append(to bytes: inout [UInt8]) {
        for i in (0..<6).reversed() { bytes.append(UInt8(truncatingIfNeeded: value >> (UInt64(i) * 8))) }
    }
}
