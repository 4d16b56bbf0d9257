import CPcap

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A pcap or pcapng capture file opened for reading through libpcap.
///
/// Classic pcap in either byte order, with microsecond or nanosecond time stamps, and pcapng are
/// all read the same way; timestamps are always delivered with nanosecond resolution.
///
/// ```swift
/// let file = try CaptureFile(path: "capture.pcap", filter: "tcp port 80")
/// try file.forEachPacket { record in
///     decode(record.bytes, linkType: record.linkType)   // bytes valid only in here
/// }
/// ```
///
/// Opening uses `fopen(3)` + `setvbuf(3)` with a large buffer (at least 128 KiB) +
/// `pcap_fopen_offline_with_tstamp_precision(3PCAP)`, which is markedly faster than
/// `pcap_open_offline`'s 4 KiB stdio buffer. The path `-` reads standard input.
///
/// A `CaptureFile` is not thread-safe: use it from one thread or task at a time.
/// `deinit` calls `pcap_close(3PCAP)`, which also closes the file.
public final class CaptureFile {
    /// The path the file was opened with.
    public let path: String
    /// The raw `DLT_*` link-layer type of the file (pcap_datalink(3PCAP)); 1 is Ethernet.
    public let linkType: Int32
    /// The snapshot length recorded in the file header (pcap_snapshot(3PCAP)).
    public let snapshotLength: Int
    /// The file's size in bytes, or 0 when it is not a regular file (a pipe, a terminal).
    public let fileSize: Int64
    /// Whether the file was written in the other byte order (pcap_is_swapped(3PCAP)).
    public let isSwapped: Bool
    /// The file format's major version (pcap_major_version(3PCAP)); 2 for classic pcap.
    /// libpcap reports pcapng files as version 2.4 as well.
    public let majorVersion: Int
    /// The file format's minor version (pcap_minor_version(3PCAP)); usually 4.
    public let minorVersion: Int
    /// The BPF filter applied inside libpcap's read loop, if any.
    public let filter: String?

    /// The owned `pcap_t *`.
    @usableFromInline internal let handle: OpaquePointer
    /// The `FILE *` libpcap reads from (closed by `pcap_close`).
    @usableFromInline internal let stream: UnsafeMutablePointer<FILE>
    /// 1 for nanosecond precision (always, unless libpcap refuses it), 1000 for microseconds.
    @usableFromInline internal let nanosecondsPerUnit: Int
    /// The stdio buffer installed with `setvbuf`; freed after `pcap_close`.
    private let readBuffer: UnsafeMutableRawPointer

    /// Packets delivered so far.
    @usableFromInline internal var delivered: Int = 0
    /// Set once the end of the file or an error has been reached; later reads repeat the outcome.
    @usableFromInline internal var ending: Ending? = nil

    @usableFromInline
    internal enum Ending {
        case endOfFile
        case failure(CaptureError)
    }

    /// Opens a capture file for reading.
    ///
    /// - Parameters:
    ///   - path: the file to read; `-` means standard input (read through a duplicate
    ///     descriptor, so standard input itself is not closed).
    ///   - filter: an optional BPF expression (pcap-filter(7)); packets that do not match never
    ///     reach Swift.
    ///   - readBufferSize: the stdio buffer size; values below 128 KiB are raised to 128 KiB.
    /// - Throws: ``CaptureError/fileUnreadable(path:reason:)`` if the file is missing,
    ///   unreadable or a directory; ``CaptureError/notACaptureFile(path:reason:)`` if it is empty,
    ///   shorter than a header or not a pcap/pcapng file; ``CaptureError/badFilter(expression:message:)``
    ///   if `filter` does not compile.
    public init(path: String, filter: String? = nil, readBufferSize: Int = 1 << 20) throws(CaptureError) {
        // `-` reads a private duplicate of descriptor 0, so closing it leaves stdin alone.
        guard let stream = path == "-" ? Self.openStandardInput() : fopen(path, "rb") else {
            throw .fileUnreadable(path: path, reason: PcapSupport.describe(errno: errno))
        }
        func closeStream() { fclose(stream) }

        // A directory opens fine on Linux but every read fails with EISDIR.
        var status = stat()
        var size: Int64 = 0
        if fstat(fileno(stream), &status) == 0 {
            let kind = status.st_mode & S_IFMT
            if kind == S_IFDIR {
                closeStream()
                throw .fileUnreadable(path: path, reason: PcapSupport.describe(errno: EISDIR))
            }
            if kind == S_IFREG { size = Int64(status.st_size) }
        }

        let bufferSize = max(readBufferSize, 128 << 10)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 16)
        setvbuf(stream, buffer.assumingMemoryBound(to: CChar.self), _IOFBF, bufferSize)

        let (opened, message) = PcapSupport.withErrorBuffer { errbuf in
            pcap_fopen_offline_with_tstamp_precision(stream, UInt32(PCAP_TSTAMP_PRECISION_NANO), errbuf)
        }
        guard let handle = opened else {
            closeStream()
            buffer.deallocate()
            throw Self.openError(path: path, message: message)
        }

        if let filter {
            do throws(CaptureError) {
                try PacketFilter.install(filter, on: handle)
            } catch {
                pcap_close(handle)
                buffer.deallocate()
                throw error
            }
        }

        self.path = path
        self.filter = filter
        self.handle = handle
        self.stream = stream
        self.readBuffer = buffer
        self.fileSize = size
        self.linkType = pcap_datalink(handle)
        self.snapshotLength = Int(pcap_snapshot(handle))
        self.isSwapped = pcap_is_swapped(handle) != 0
        self.majorVersion = Int(pcap_major_version(handle))
        self.minorVersion = Int(pcap_minor_version(handle))
        self.nanosecondsPerUnit = PcapSupport.nanosecondsPerUnit(handle)
    }

    deinit {
        pcap_close(handle)   // also fcloses `stream`
        readBuffer.deallocate()
    }

    /// The number of packets delivered so far (packets rejected by the filter are not counted).
    public var packetsRead: Int { delivered }

    /// The current read offset in the file (`ftell(3)`), for progress reporting; 0 if unknown.
    public var bytesRead: Int64 {
        let offset = ftell(stream)
        return offset < 0 ? 0 : Int64(offset)
    }

    /// `fdopen(dup(0))`: a stream of our own over standard input.
    private static func openStandardInput() -> UnsafeMutablePointer<FILE>? {
        let descriptor = dup(STDIN_FILENO)
        guard descriptor >= 0 else { return nil }
        guard let stream = fdopen(descriptor, "rb") else {
            let saved = errno
            close(descriptor)
            errno = saved
            return nil
        }
        return stream
    }

    /// Maps a `pcap_fopen_offline` errbuf message to an error case.
    ///
    /// libpcap reports I/O failures as "error reading dump file: <strerror>"; every other
    /// message (empty or short file, unknown magic, unsupported version, bad pcapng header)
    /// means the file is not a capture it can read.
    static func openError(path: String, message: String) -> CaptureError {
        let reason = message.isEmpty ? "unknown file format" : message
        if reason.hasPrefix("error reading dump file") {
            return .fileUnreadable(path: path, reason: reason)
        }
        return .notACaptureFile(path: path, reason: reason)
    }
}

@available(*, unavailable, message: "CaptureFile wraps a pcap_t, which is not thread-safe")
extension CaptureFile: Sendable {}
