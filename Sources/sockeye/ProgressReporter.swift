#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A progress line on stderr for long inputs: bytes read of the total, packets, packets/s and an
/// ETA (for standard input and pipes, whose size is unknown: packets and packets/s), redrawn at
/// most twice a second and first after half a second, so short runs never show it.
///
/// Shown only when stderr is a terminal and stdout is not that same terminal: records written to
/// the terminal would be overwritten by the line (the line would only be noise in logs and pipes).
final class ProgressReporter {
    static let minimumInputBytes: Int64 = 64 << 20

    private let totalBytes: Int64
    private let start: Double
    private var lastDraw: Double
    private var drawn = false

    /// nil when progress should not be shown. `totalBytes` 0: the size is unknown (a pipe).
    init?(totalBytes: Int64, quiet: Bool) {
        guard !quiet, isatty(2) == 1, !Self.sameTerminal(1, 2),
              totalBytes == 0 || totalBytes >= Self.minimumInputBytes else { return nil }
        self.totalBytes = totalBytes
        start = Self.now()
        lastDraw = start
    }

    /// Whether two descriptors are the same terminal (same device and inode).
    static func sameTerminal(_ a: Int32, _ b: Int32) -> Bool {
        guard isatty(a) == 1, isatty(b) == 1 else { return false }
        var sa = stat(), sb = stat()
        guard fstat(a, &sa) == 0, fstat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Called every few thousand packets; draws when half a second has passed.
    func update(packets: Int, bytesRead: Int64) {
        let t = Self.now()
        guard t - lastDraw >= 0.5 else { return }
        lastDraw = t
        let elapsed = max(t - start, 1e-6)
        let rate = Double(packets) / elapsed
        var line = "sockeye: "
        if totalBytes > 0 {
            let fraction = min(1, Double(bytesRead) / Double(max(totalBytes, 1)))
            let eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0
            line += "\(ReportUnits.megabytes(bytesRead)) / \(ReportUnits.megabytes(totalBytes)) MB (\(Int(fraction * 100))%)  "
                + "\(ReportUnits.grouped(packets)) packets  \(ReportUnits.grouped(Int(rate))) packets/s  ETA \(Int(eta) / 60):\(two(Int(eta) % 60))"
        } else {
            if bytesRead > 0 { line += "\(ReportUnits.megabytes(bytesRead)) MB  " }
            line += "\(ReportUnits.grouped(packets)) packets  \(ReportUnits.grouped(Int(rate))) packets/s"
        }
        write("\r" + line + "\u{1b}[K")
        drawn = true
    }

    /// Erases the line so the report starts on a clean line.
    func finish() {
        if drawn { write("\r\u{1b}[K") }
    }

    private func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

    private func write(_ s: String) {
        var s = s
        s.withUTF8 { buffer in
            #if canImport(Glibc)
            _ = Glibc.write(2, buffer.baseAddress, buffer.count)
            #else
            _ = Darwin.write(2, buffer.baseAddress, buffer.count)
            #endif
        }
    }
}

/// The units the progress line uses, as the text report does: SI megabytes (10^6 bytes) with one
/// decimal, thousands grouped with commas.
enum ReportUnits {
    static func megabytes(_ bytes: Int64) -> String {
        let tenths = bytes / 100_000
        return "\(tenths / 10).\(tenths % 10)"
    }

    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = n < 0 ? "-" : ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }
}
