#if canImport(Glibc)
import Glibc
#endif

/// A progress line on stderr for long inputs: bytes read of the total, packets, packets/s and an
/// ETA, redrawn at most twice a second. Enabled only when stderr is a terminal and the input is
/// large (the line would only be noise in logs and pipes, and a flash for small files).
final class ProgressReporter {
    static let minimumInputBytes: Int64 = 64 << 20

    private let totalBytes: Int64
    private let start: Double
    private var lastDraw: Double
    private var drawn = false

    /// nil when progress should not be shown.
    init?(totalBytes: Int64, quiet: Bool) {
        guard !quiet, isatty(2) == 1, totalBytes >= Self.minimumInputBytes else { return nil }
        self.totalBytes = totalBytes
        start = Self.now()
        lastDraw = start
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
        let fraction = min(1, Double(bytesRead) / Double(max(totalBytes, 1)))
        let rate = Double(packets) / elapsed
        let eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0
        let line = "sockeye: \(mb(bytesRead)) / \(mb(totalBytes)) MB (\(Int(fraction * 100))%)  "
            + "\(packets) packets  \(Int(rate / 1000)) kpkt/s  ETA \(Int(eta) / 60):\(two(Int(eta) % 60))"
        write("\r" + line + "\u{1b}[K")
        drawn = true
    }

    /// Erases the line so the report starts on a clean line.
    func finish() {
        if drawn { write("\r\u{1b}[K") }
    }

    private func mb(_ bytes: Int64) -> String {
        let tenths = bytes * 10 / (1 << 20)
        return "\(tenths / 10).\(tenths % 10)"
    }

    private func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

    private func write(_ s: String) {
        var s = s
        s.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
