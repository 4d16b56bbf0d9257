import Foundation

/// What a finished child process left behind.
struct ProcessOutput: Sendable {
    var status: Int32
    /// True when the process was killed by a signal (`status` is then the signal number).
    var killedBySignal: Bool
    var stdout: Data
    var stderr: Data

    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    /// stdout split into lines (the final newline does not make an empty last line).
    var stdoutLines: [String] { Self.lines(stdoutText) }
    var stderrLines: [String] { Self.lines(stderrText) }

    static func lines(_ text: String) -> [String] {
        var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if parts.last == "" { parts.removeLast() }
        return parts
    }

    /// A crash as the conformance rules define it: a signal, an exit status ≥ 128 (a shell's way
    /// of reporting a signal), or Swift runtime / backtrace text on stderr.
    var looksLikeCrash: Bool {
        if killedBySignal || status >= 128 { return true }
        let e = stderrText
        return e.contains("Fatal error") || e.contains("Backtrace") || e.contains("backtrace")
            || e.contains("Illegal instruction") || e.contains("Segmentation fault")
            || e.contains("Current stack trace")
    }
}

/// Limits how many external processes (sockeye, tshark, tcpdump) run at once: the test host
/// has two cores and tshark needs ~100 MB each, while Swift Testing runs tests in parallel.
actor ProcessSlots {
    static let shared = ProcessSlots(limit: max(2, ProcessInfo.processInfo.activeProcessorCount))

    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { available = limit }

    func acquire() async {
        if available > 0 { available -= 1; return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { available += 1 } else { waiters.removeFirst().resume() }
    }
}

enum ProcessRunner {
    struct LaunchError: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `executable` with `arguments`, stdin from /dev/null, stdout and stderr captured
    /// through temporary files (no pipe-buffer deadlock however much a tool prints).
    static func run(_ executable: URL, _ arguments: [String],
                    environment extra: [String: String] = [:]) async throws -> ProcessOutput {
        await ProcessSlots.shared.acquire()
        do {
            let result: ProcessOutput = try await withCheckedThrowingContinuation { continuation in
                // Process.waitUntilExit blocks; keep it off Swift's cooperative pool.
                DispatchQueue.global().async {
                    continuation.resume(with: Result { try runBlocking(executable, arguments, extra) })
                }
            }
            await ProcessSlots.shared.release()
            return result
        } catch {
            await ProcessSlots.shared.release()
            throw error
        }
    }

    private static func runBlocking(_ executable: URL, _ arguments: [String],
                                           _ extra: [String: String]) throws -> ProcessOutput {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("sockeye-cli-tests-\(UUID().uuidString)")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        let outURL = dir.appendingPathComponent("stdout")
        let errURL = dir.appendingPathComponent("stderr")
        _ = fm.createFile(atPath: outURL.path, contents: nil)
        _ = fm.createFile(atPath: errURL.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)

        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in extra { env[k] = v }
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = outHandle
        process.standardError = errHandle
        do {
            try process.run()
        } catch {
            try? outHandle.close(); try? errHandle.close()
            throw LaunchError(description: "cannot launch \(executable.path): \(error)")
        }
        process.waitUntilExit()
        try? outHandle.close(); try? errHandle.close()
        return ProcessOutput(
            status: process.terminationStatus,
            killedBySignal: process.terminationReason == .uncaughtSignal,
            stdout: (try? Data(contentsOf: outURL)) ?? Data(),
            stderr: (try? Data(contentsOf: errURL)) ?? Data())
    }
}
