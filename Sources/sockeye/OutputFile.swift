import ArgumentParser
import Reports
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `-o PATH`, written safely: the output may never be one of the inputs (same device and inode,
/// so also through a symbolic or hard link), and a regular file is written to a temporary file in
/// the same directory that replaces PATH only when the run is over, so a failed run never leaves
/// half a file in place of an old one. A PATH that exists and is not a regular file (`/dev/null`,
/// `/dev/stdout`, a FIFO) is written in place; a symbolic link is followed, so the file it names
/// is replaced and the link stays.
struct OutputFile {
    /// The file that receives the output (a symbolic link resolved).
    let path: String
    /// The temporary file renamed over `path` by `commit()`; nil when writing in place.
    let temporaryPath: String?
    let descriptor: Int32

    enum Failure: Error {
        /// The output is the same file as this input (exit 64).
        case sameAsInput(String)
        /// The output could not be created (exit 73).
        case cannotCreate(String, errno: Int32)
    }

    /// Checks `path` against every input, then creates the temporary file beside it.
    static func open(_ path: String, inputs: [String]) throws(Failure) -> OutputFile {
        var out = stat()
        guard stat(path, &out) == 0 else {
            return try replacing(path)          // a new file
        }
        for input in inputs where input != "-" {
            var st = stat()
            if stat(input, &st) == 0, st.st_dev == out.st_dev, st.st_ino == out.st_ino {
                throw .sameAsInput(input)
            }
        }
        if out.st_mode & S_IFMT != S_IFREG {
            let fd = openInPlace(path)
            if fd < 0 { throw .cannotCreate(path, errno: errno) }
            return OutputFile(path: path, temporaryPath: nil, descriptor: fd)
        }
        guard let resolved = realpath(path, nil) else { throw .cannotCreate(path, errno: errno) }
        defer { free(resolved) }
        return try replacing(String(cString: resolved))
    }

    /// A temporary file beside `path`, to be renamed over it.
    private static func replacing(_ path: String) throws(Failure) -> OutputFile {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temporary = "\(directory).\(name).sockeye-\(getpid()).tmp"
        let fd = createExclusively(temporary)
        if fd < 0 { throw .cannotCreate(path, errno: errno) }
        return OutputFile(path: path, temporaryPath: temporary, descriptor: fd)
    }

    /// Closes the file and moves it into place. Returns errno on failure (the temporary is removed).
    func commit() -> Int32? {
        guard let temporaryPath else { return close(descriptor) == 0 ? nil : errno }
        if close(descriptor) != 0 { let e = errno; unlink(temporaryPath); return e }
        if rename(temporaryPath, path) != 0 { let e = errno; unlink(temporaryPath); return e }
        return nil
    }

    /// Closes and removes the temporary file; PATH is left as it was.
    func discard() {
        close(descriptor)
        if let temporaryPath { unlink(temporaryPath) }
    }
}

/// `open(2)` with O_EXCL (outside `OutputFile`, whose own `open` would shadow it).
private func createExclusively(_ path: String) -> Int32 {
    open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
}

/// `open(2)` of an existing device or FIFO for writing.
private func openInPlace(_ path: String) -> Int32 {
    open(path, O_WRONLY | O_CLOEXEC)
}

extension OutputFile {
    /// `-o PATH` for a command: nil without `-o`; a refusal or creation failure is one stderr line
    /// and the exit code (64 for an output that is one of `inputs`, with `refusal`'s text; 73).
    static func forCommand(_ path: String?, inputs: [String], refusal: (String) -> String) throws -> OutputFile? {
        guard let path else { return nil }
        do {
            return try open(path, inputs: inputs)
        } catch .sameAsInput(let input) {
            writeToStandardError("sockeye: " + refusal(input))
            throw ExitCode(64)
        } catch .cannotCreate(let name, let e) {
            writeToStandardError("sockeye: \(name): \(String(cString: strerror(e)))")
            throw ExitCode(73)
        }
    }

    /// The end of a command's output: a failed write (other than a closed pipe) discards the
    /// temporary file and exits 74; otherwise the file is moved into place.
    static func finish(_ file: OutputFile?, _ out: OutputBuffer, name: String?) throws {
        if out.writeFailed && out.writeErrno != EPIPE {
            file?.discard()
            writeToStandardError("sockeye: \(name ?? "standard output"): \(String(cString: strerror(out.writeErrno)))")
            throw ExitCode(74)
        }
        if let file, let e = file.commit() {
            writeToStandardError("sockeye: \(file.path): \(String(cString: strerror(e)))")
            throw ExitCode(74)
        }
    }
}
