import ArgumentParser
import Pcap
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The capture inputs of a command, resolved and opened.
///
/// - A directory argument stands for the regular files in it (not its subdirectories, not names
///   starting with `.`), sorted by name (byte order); those that open as pcap or pcapng captures
///   (compressed or not) are read, the others are ignored. A directory where none opens is
///   reported like a missing file.
/// - The same file named twice (same device and inode: also through a symbolic or hard link,
///   through a directory, or `-` when standard input is redirected from it) is refused with exit
///   64 before any input is read.
/// - A file that cannot be opened (66) or is not a capture (65) is reported with one line on
///   stderr (`sockeye: FILE: reason`) and skipped; the others are read, and the command exits
///   with ``skippedExitCode`` (the first skipped file's code) at the end. When nothing opens, the
///   command fails at once with that code, before any output.
/// - A filter that does not compile fails at once (64).
struct InputFiles {
    /// The captures that opened, in argument order (a directory's files in its place).
    var captures: [CaptureFile] = []
    /// Their paths.
    var paths: [String] = []
    /// The exit code of the first skipped input (65 or 66), nil when every input opened.
    var skippedExitCode: Int32?

    /// One file to open, and where it came from.
    private struct Candidate {
        var path: String
        /// The directory argument it was listed from (a file there that is not a capture is
        /// ignored); nil for a file argument.
        var directory: String?
    }

    /// A file's identity (`st_dev`, `st_ino`).
    private struct Identity: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    /// Resolves `arguments` (files, directories, `-`) and opens every capture with `filter`.
    ///
    /// - Throws: `ExitCode(64)` for a file named twice or a bad filter, `ExitCode(65/66)` when no
    ///   input opens (each problem has been written to stderr as one line).
    static func open(_ arguments: [String], filter: String?) throws -> InputFiles {
        var inputs = InputFiles()
        var candidates: [Candidate] = []
        var directories: [String] = []
        for argument in arguments {
            if argument != "-", isDirectory(argument) {
                directories.append(argument)
                candidates += regularFiles(in: argument).map { Candidate(path: $0, directory: argument) }
            } else {
                candidates.append(Candidate(path: argument, directory: nil))
            }
        }

        // The same file twice is a usage error, found before anything is read.
        var seen: [Identity: String] = [:]
        for candidate in candidates {
            guard let identity = identity(of: candidate.path) else { continue }
            if let first = seen[identity] {
                let what = first == candidate.path ? "\(first) is given twice" : "\(first) and \(candidate.path) are the same file"
                writeToStandardError("sockeye: \(what)")
                throw ExitCode(64)
            }
            seen[identity] = candidate.path
        }

        // Directories that gave a capture or a reported problem.
        var accounted: Set<String> = []
        for candidate in candidates {
            do {
                inputs.captures.append(try CaptureFile(path: candidate.path, filter: filter))
                inputs.paths.append(candidate.path)
                if let directory = candidate.directory { accounted.insert(directory) }
            } catch {
                if case .badFilter = error { throw failure(reporting: error) }
                // A directory's other files (notes, logs) are not inputs.
                if candidate.directory != nil, case .notACaptureFile = error { continue }
                writeToStandardError(error.description)
                if let directory = candidate.directory { accounted.insert(directory) }
                if inputs.skippedExitCode == nil { inputs.skippedExitCode = error.exitCode }
            }
        }
        for directory in directories where !accounted.contains(directory) {
            writeToStandardError("sockeye: \(directory): no pcap or pcapng capture files in the directory")
            if inputs.skippedExitCode == nil { inputs.skippedExitCode = 66 }
        }
        if inputs.captures.isEmpty {
            throw ExitCode(inputs.skippedExitCode ?? 66)
        }
        return inputs
    }

    private static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }

    /// The regular files (symbolic links followed) directly in `directory`, names starting with
    /// `.` left out, sorted by name in byte order.
    private static func regularFiles(in directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name.hasPrefix(".") { continue }
            names.append(name)
        }
        names.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var base = directory
        while base.count > 1, base.hasSuffix("/") { base.removeLast() }
        let prefix = base == "/" ? "/" : base + "/"
        return names.map { prefix + $0 }.filter { path in
            var st = stat()
            return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFREG
        }
    }

    /// Device and inode of `path` (`-`: of standard input), nil when it cannot be stat'ed (the
    /// open then reports why).
    private static func identity(of path: String) -> Identity? {
        var st = stat()
        let status = path == "-" ? fstat(STDIN_FILENO, &st) : stat(path, &st)
        guard status == 0 else { return nil }
        return Identity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }
}
