import Foundation

/// Runs the built `sockeye`.
enum Sockeye {
    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "the sockeye executable was not found next to the test bundle or in <package>/.build/debug; "
                + "build it in the same scratch path (swift build) or set SOCKEYE_EXECUTABLE"
        }
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> ProcessOutput {
        guard let exe = TestEnvironment.sockeyeExecutable else { throw Missing() }
        return try await ProcessRunner.run(exe, arguments, environment: environment)
    }
}

/// Memoized sockeye runs (the corpus conformance and differential tests need the same output).
actor SockeyeRuns {
    static let shared = SockeyeRuns()
    private var tasks: [[String]: Task<ProcessOutput, Error>] = [:]

    func run(_ arguments: [String]) async throws -> ProcessOutput {
        if let t = tasks[arguments] { return try await t.value }
        let t = Task { try await Sockeye.run(arguments) }
        tasks[arguments] = t
        return try await t.value
    }
}

/// Sockeye and tshark over one capture, frame by frame.
struct FileComparison: Sendable {
    var label: String
    var sockeye: ProcessOutput
    var sockeyeFrames: Int
    var tsharkFrames: Int
    var tally: ComparisonTally
    /// stdout lines that were not JSON objects (should be none).
    var invalidJSONLines: [String]
}

/// Memoizes comparisons so per-file tests and the aggregate ratio tests share one tshark run
/// and one sockeye run per file, even when Swift Testing runs them concurrently.
actor DifferentialCache {
    static let shared = DifferentialCache()
    private var tasks: [String: Task<FileComparison, Error>] = [:]

    func comparison(of file: URL, label: String, count: Int?, known: [KnownDifference]) async throws -> FileComparison {
        let key = "\(file.path)#\(count ?? -1)"
        if let t = tasks[key] { return try await t.value }
        let t = Task { try await Self.compute(file: file, label: label, count: count, known: known) }
        tasks[key] = t
        return try await t.value
    }

    static func compute(file: URL, label: String, count: Int?, known: [KnownDifference]) async throws -> FileComparison {
        var args = ["packets", file.path, "--format", "json"]
        if let count { args += ["--count", String(count)] }
        async let sockeyeRun = SockeyeRuns.shared.run(args)
        async let tsharkRows = TSharkFields.read(file, count: count)
        let run = try await sockeyeRun
        let rows = try await tsharkRows
        var tally = ComparisonTally()
        var invalid: [String] = []
        var frames = 0
        for (i, line) in run.stdoutLines.enumerated() {
            guard let obj = try? SockeyeFields.object(line) else { invalid.append(line); continue }
            frames += 1
            guard i < rows.count else { continue }
            tally.add(FieldComparator.compare(file: label, frame: i + 1, sockeye: SockeyeFields.map(obj, rawTimestamp: SockeyeFields.rawTimestamp(line)),
                                              tshark: rows[i], known: known))
        }
        if frames != rows.count {
            tally.frameCountMismatch = "sockeye printed \(frames) frames (exit \(run.status)), tshark \(rows.count)"
        }
        return FileComparison(label: label, sockeye: run, sockeyeFrames: frames, tsharkFrames: rows.count,
                              tally: tally, invalidJSONLines: invalid)
    }
}

enum Report {
    /// Prints a summary table line per file plus the first `limit` disagreements.
    /// `SOCKEYE_REPORT_LIMIT=N` prints more (or fewer) disagreements when investigating.
    static func print(title: String, _ results: [FileComparison], limit defaultLimit: Int = 20) {
        let limit = ProcessInfo.processInfo.environment["SOCKEYE_REPORT_LIMIT"].flatMap { Int($0) } ?? defaultLimit
        var total = ComparisonTally()
        for r in results { total.add(r.tally) }
        var lines = ["== \(title): \(results.count) files, \(total.framesCompared) frames, "
            + "\(total.agreed)/\(total.compared) values agree (\(String(format: "%.4f", total.ratio * 100))%), "
            + "\(total.excused.count) excused, \(total.disagreements.count) unexplained, "
            + "\(total.partialConfirmed) partial checksums confirmed against the pseudo-header"]
        let worst = results.filter { !$0.tally.disagreements.isEmpty || $0.tally.frameCountMismatch != nil }
            .sorted { $0.tally.disagreements.count > $1.tally.disagreements.count }
        for r in worst.prefix(limit) {
            lines.append("   \(r.label): \(r.tally.disagreements.count) disagreements of \(r.tally.compared)"
                + (r.tally.frameCountMismatch.map { "; \($0)" } ?? ""))
        }
        var byField: [String: Int] = [:]
        for d in total.disagreements { byField[d.field, default: 0] += 1 }
        if !byField.isEmpty {
            lines.append("   by field: " + byField.sorted { $0.value > $1.value }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
        for d in total.disagreements.prefix(limit) { lines.append("   ✗ \(d)") }
        var excusedByName: [String: Int] = [:]
        for (_, k) in total.excused { excusedByName[k.name, default: 0] += 1 }
        for (name, n) in excusedByName.sorted(by: { $0.key < $1.key }) {
            let k = total.excused.first { $0.1.name == name }!
            lines.append("   ~ excused \(n)× \(k.1) — e.g. \(k.0)")
        }
        Swift.print(lines.joined(separator: "\n"))
    }
}
