#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `-o PATH`, written safely: the output may never be one of the inputs (same device and inode,
/// so also through a symbolic or hard link), and it is written to a temporary file in the same
/// directory that replaces PATH only when the run is over, so a failed run never leaves half a
/// file in place of an old one.
struct OutputFile {
    let path: String
    let temporaryPath: String
    let descriptor: Int32

    enum Failure: Error {
        /// The output is the same file as this input (exit 64).
        case sameAsInput(String)
        /// The temporary file could not be created (exit 73).
        case cannotCreate(String, errno: Int32)
    }

    /// Checks `path` against every input, then creates the temporary file beside it.
    static func open(_ path: String, inputs: [String]) throws(Failure) -> OutputFile {
        var out = stat()
        if stat(path, &out) == 0 {
            for input in inputs where input != "-" {
                var st = stat()
                if stat(input, &st) == 0, st.st_dev == out.st_dev, st.st_ino == out.st_ino {
                    throw .sameAsInput(input)
                }
            }
        }
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
        if close(descriptor) != 0 { let e = errno; unlink(temporaryPath); return e }
        if rename(temporaryPath, path) != 0 { let e = errno; unlink(temporaryPath); return e }
        return nil
    }

    /// Closes and removes the temporary file; PATH is left as it was.
    func discard() {
        close(descriptor)
        unlink(temporaryPath)
    }
}

/// `open(2)` with O_EXCL (outside `OutputFile`, whose own `open` would shadow it).
private func createExclusively(_ path: String) -> Int32 {
    open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
}
