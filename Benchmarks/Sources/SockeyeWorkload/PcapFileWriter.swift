#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a classic pcap file (magic a1b2c3d4 little-endian, version 2.4, microsecond time
/// stamps) through a 1 MiB buffer: one `write(2)` per MiB, not per packet.
public final class PcapFileWriter {
    public let path: String
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private let flushThreshold = 1 << 20
    public private(set) var bytesWritten: Int = 0

    public init(path: String, linkType: UInt32 = 1, snapshotLength: UInt32 = 262_144) throws(WorkloadError) {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else {
            throw WorkloadError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        buffer.reserveCapacity(flushThreshold + 70_000)
        append32(0xA1B2_C3D4)
        append16(2)
        append16(4)
        append32(0)          // thiszone
        append32(0)          // sigfigs
        append32(snapshotLength)
        append32(linkType)
    }

    deinit { _ = sysClose(descriptor) }

    @inline(__always) private func append32(_ v: UInt32) {
        buffer.append(UInt8(truncatingIfNeeded: v))
        buffer.append(UInt8(truncatingIfNeeded: v >> 8))
        buffer.append(UInt8(truncatingIfNeeded: v >> 16))
        buffer.append(UInt8(truncatingIfNeeded: v >> 24))
    }

    @inline(__always) private func append16(_ v: UInt16) {
        buffer.append(UInt8(truncatingIfNeeded: v))
        buffer.append(UInt8(truncatingIfNeeded: v >> 8))
    }

    /// The first write error; later records are dropped. `close()` throws it.
    public private(set) var failure: WorkloadError?

    /// Appends one record; `microseconds` is the time since the epoch.
    public func write(microseconds: Int64, frame: UnsafeRawBufferPointer) {
        guard failure == nil else { return }
        append32(UInt32(truncatingIfNeeded: microseconds / 1_000_000))
        append32(UInt32(truncatingIfNeeded: microseconds % 1_000_000))
        append32(UInt32(frame.count))
        append32(UInt32(frame.count))
        buffer.append(contentsOf: frame)
        if buffer.count >= flushThreshold {
            do { try flush() } catch { failure = error }
        }
    }

    public func flush() throws(WorkloadError) {
        var done = 0
        while done < buffer.count {
            let n = buffer.withUnsafeBytes { sysWrite(descriptor, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw WorkloadError("write \(path): \(String(cString: strerror(errno)))")
            }
            done += n
        }
        bytesWritten += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    public func close() throws(WorkloadError) {
        if let failure { throw failure }
        try flush()
    }
}

private func sysWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int { write(fd, p, n) }
private func sysClose(_ fd: Int32) -> Int32 { close(fd) }

public struct WorkloadError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
