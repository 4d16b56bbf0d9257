#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Calendar fields for `sockeye packets` time stamps without Foundation: `localtime_r` (TZ
/// respected, as tcpdump) or `gmtime_r`, cached per second so a run of packets in the same
/// second costs one conversion. Also caches SLL2 interface names (`if_indextoname`).
/// Never traps: an unconvertible time prints as 00:00:00.
struct LocalClock {
    private var cachedSecond: Int64 = .min
    private var cachedLocal = false
    private var fields = tm()
    private var cachedIndex: UInt32 = .max
    private var cachedName = "?"

    private mutating func convert(_ seconds: Int64, local: Bool) {
        if seconds == cachedSecond && local == cachedLocal { return }
        var t = time_t(truncatingIfNeeded: seconds)
        var result = tm()
        let ok = local ? localtime_r(&t, &result) != nil : gmtime_r(&t, &result) != nil
        fields = ok ? result : tm()
        if !ok { fields.tm_mday = 1; fields.tm_year = 70 }
        cachedSecond = seconds
        cachedLocal = local
    }

    mutating func appendLocal(_ ns: Int64, date: Bool, to out: OutputBuffer) { append(ns, local: true, date: date, out) }
    mutating func appendUTC(_ ns: Int64, date: Bool, to out: OutputBuffer) { append(ns, local: false, date: date, out) }

    /// `[YYYY-MM-DD ]HH:MM:SS.ffffff` (microseconds truncated, as tcpdump).
    private mutating func append(_ ns: Int64, local: Bool, date: Bool, _ out: OutputBuffer) {
        var seconds = ns / 1_000_000_000
        var nanos = ns % 1_000_000_000
        if nanos < 0 { seconds -= 1; nanos += 1_000_000_000 }
        convert(seconds, local: local)
        if date {
            out.append(int: Int(fields.tm_year) + 1900); out.append("-")
            out.append(twoDigits: Int(fields.tm_mon) + 1); out.append("-")
            out.append(twoDigits: Int(fields.tm_mday)); out.append(" ")
        }
        out.append(twoDigits: Int(fields.tm_hour)); out.append(":")
        out.append(twoDigits: Int(fields.tm_min)); out.append(":")
        out.append(twoDigits: Int(fields.tm_sec)); out.append(".")
        let micro = Int(nanos / 1000)
        out.append(twoDigits: micro / 10_000); out.append(twoDigits: micro / 100 % 100); out.append(twoDigits: micro % 100)
    }

    /// The name of interface `index` on this host, or "?" (as tcpdump's print-sll.c).
    mutating func interfaceName(_ index: UInt32) -> String {
        if index == cachedIndex { return cachedName }
        var buffer = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
        let name = buffer.withUnsafeMutableBufferPointer { p -> String in
            if_indextoname(index, p.baseAddress!) != nil ? String(cString: p.baseAddress!) : "?"
        }
        cachedIndex = index
        cachedName = name
        return name
    }
}
