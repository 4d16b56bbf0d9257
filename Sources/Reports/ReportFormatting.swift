import FlowAnalysis
import PacketCodec

// Helpers shared by the writers. Nothing here uses Foundation.

/// A UTC calendar time broken out of nanoseconds since the Unix epoch, computed with the
/// days-from-civil algorithm (proleptic Gregorian calendar), so no Foundation or `gmtime` is
/// needed.
public struct UTCTime: Equatable, Sendable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    /// The fraction of the second, 0 ..< 1_000_000_000.
    public var nanosecond: Int

    /// Breaks `nanoseconds` (since 1970-01-01T00:00:00Z) into calendar fields.
    public init(nanoseconds: Int64) {
        var seconds = nanoseconds / 1_000_000_000
        var fraction = nanoseconds % 1_000_000_000
        if fraction < 0 { fraction += 1_000_000_000; seconds -= 1 }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 { secondOfDay += 86_400; days -= 1 }
        // Civil-from-days (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        year = Int(yoe + era * 400 + (m <= 2 ? 1 : 0))
        month = Int(m)
        day = Int(d)
        hour = Int(secondOfDay / 3600)
        minute = Int(secondOfDay % 3600 / 60)
        second = Int(secondOfDay % 60)
        nanosecond = Int(fraction)
    }

    /// Zeek's `#open`/`#close` stamp: `YYYY-MM-DD-HH-MM-SS`.
    public var zeekStamp: String {
        "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))-\(pad(hour, 2))-\(pad(minute, 2))-\(pad(second, 2))"
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff` (microseconds).
    public var readable: String {
        "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2)) \(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))."
            + pad(nanosecond / 1000, 6)
    }
}

@inline(__always)
func pad(_ value: Int, _ width: Int) -> String {
    let s = String(value)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}

extension OutputBuffer {
    /// `address` as text: dotted quad or RFC 5952 IPv6.
    func append(address: IPAddress) {
        if address.isIPv4 {
            let v = address.ipv4
            append(int: v >> 24); append(byte: UInt8(ascii: "."))
            append(int: v >> 16 & 0xff); append(byte: UInt8(ascii: "."))
            append(int: v >> 8 & 0xff); append(byte: UInt8(ascii: "."))
            append(int: v & 0xff)
        } else {
            append(address.description)
        }
    }

    /// `a.b.c.d:port` or `[v6]:port`.
    func append(endpoint: Endpoint) {
        if !endpoint.address.isIPv4 {
            append(byte: UInt8(ascii: "["))
            append(address: endpoint.address)
            append(byte: UInt8(ascii: "]"))
        } else {
            append(address: endpoint.address)
        }
        append(byte: UInt8(ascii: ":"))
        append(int: endpoint.port)
    }

    /// Appends `count` copies of `byte`.
    func append(repeating byte: UInt8, count: Int) {
        guard count > 0 else { return }
        for _ in 0..<count { append(byte: byte) }
    }

    /// Appends `s` and pads with spaces to `width` display columns (terminal-safe).
    func appendPadded(_ s: String, width: Int) {
        appendTerminalSafe(s)
        append(repeating: UInt8(ascii: " "), count: width - displayWidth(terminalSafe: s))
    }
}

/// `a.b.c.d:port` or `[v6]:port` as a String (text reports, not the hot path).
func endpointText(_ e: Endpoint) -> String {
    e.address.isIPv4 ? "\(e.address):\(e.port)" : "[\(e.address)]:\(e.port)"
}

/// Display columns of `s` after `appendTerminalSafe` (control bytes become 4 columns),
/// counting one column per Unicode scalar otherwise (good enough for arrows and ✓).
func displayWidth(terminalSafe s: String) -> Int {
    var n = 0
    for scalar in s.unicodeScalars {
        n += scalar.value < 0x20 || scalar.value == 0x7f ? 4 : 1
    }
    return n
}

/// Human duration: `1.204 s`, `0.213 ms`, `850 ns`; a minute or more as `h:mm:ss`, with days
/// (`3d 04:05:06`) from a day on.
func humanDuration(seconds: Double) -> String {
    let b = OutputBuffer(fileDescriptor: nil)
    let a = abs(seconds)
    if a >= 60 && a < 1e15 {
        let total = Int64(a.rounded())
        let d = total / 86_400, h = Int(total % 86_400 / 3600), m = Int(total % 3600 / 60), sec = Int(total % 60)
        let clock = d > 0 ? "\(d)d \(pad(h, 2)):\(pad(m, 2)):\(pad(sec, 2))" : "\(h):\(pad(m, 2)):\(pad(sec, 2))"
        return (seconds < 0 ? "-" : "") + clock
    } else if a >= 1 {
        b.append(double: seconds, fractionDigits: 3); b.append(" s")
    } else if a >= 0.000_001 || a == 0 {
        b.append(double: seconds * 1000, fractionDigits: 3); b.append(" ms")
    } else {
        b.append(double: seconds * 1e9, fractionDigits: 0); b.append(" ns")
    }
    return b.text
}

/// Human byte count with SI units: `120 B`, `5.1 kB`, `3.4 MB`.
func humanBytes(_ value: UInt64) -> String {
    if value < 1000 { return "\(value) B" }
    let units = ["kB", "MB", "GB", "TB", "PB", "EB"]
    var v = Double(value) / 1000
    var i = 0
    while v >= 999.95 && i < units.count - 1 { v /= 1000; i += 1 }
    let b = OutputBuffer(fileDescriptor: nil)
    b.append(double: v, fractionDigits: 1)
    b.append(" " + units[i])
    return b.text
}

/// Integer with thousands separators: `1,234,567`.
func grouped(_ value: UInt64) -> String {
    let s = String(value)
    var out = ""
    for (i, c) in s.enumerated() {
        if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return out
}

/// Flag names joined by `,` (`SYN,ACK`), or `none`.
func flagNames(_ flags: TCPFlags) -> String {
    var names: [String] = []
    for (flag, name) in TCPFlags.named where flags.contains(flag) { names.append(name) }
    return names.isEmpty ? "none" : names.joined(separator: ",")
}

extension ConnectionRecord {
    /// Stable report order: start time, then uid.
    static func reportOrder(_ a: ConnectionRecord, _ b: ConnectionRecord) -> Bool {
        a.startTime != b.startTime ? a.startTime < b.startTime : a.uid < b.uid
    }
}

extension DirectionAnomalies {
    static func + (a: DirectionAnomalies, b: DirectionAnomalies) -> DirectionAnomalies {
        var r = DirectionAnomalies()
        r.retransmissions = a.retransmissions &+ b.retransmissions
        r.outOfOrder = a.outOfOrder &+ b.outOfOrder
        r.zeroWindow = a.zeroWindow &+ b.zeroWindow
        r.badChecksums = a.badChecksums &+ b.badChecksums
        r.partialChecksums = a.partialChecksums &+ b.partialChecksums
        r.dataAfterFIN = a.dataAfterFIN &+ b.dataAfterFIN
        r.ackedUnseen = a.ackedUnseen &+ b.ackedUnseen
        return r
    }

    /// (label, value) pairs in report order.
    var labelled: [(String, UInt64)] {
        [("retransmissions", retransmissions), ("out-of-order", outOfOrder), ("zero-window", zeroWindow),
         ("bad checksums", badChecksums), ("partial checksums", partialChecksums),
         ("data after FIN", dataAfterFIN), ("acked unseen bytes", ackedUnseen)]
    }
}
