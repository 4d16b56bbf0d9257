import CPcap

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A pcap or pcapng capture file opened for reading.
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
/// Two readers, one behaviour:
/// - a classic pcap file (version 2.4, a common link type) read without a filter is mapped
///   read-only (`mmap(2)`) and its records are parsed in Swift straight from the mapping (see
///   `ClassicPcapCursor`): no `read(2)` copy and no copy into libpcap's buffer. Its records,
///   damage reports and messages are libpcap's, checked by a differential test and a fuzz target;
/// - a pcapng file read without a filter is mapped and parsed the same way (``PcapNGCursor``);
/// - standard input, pipes and other non-regular files, and compressed captures (gzip, zstd,
///   lz4 frame; detected by their magic bytes, not the name; decompressed on a thread of their
///   own, see ``Compression``) are read in large blocks into a buffer the same Swift cursors
///   parse in place (``StreamingInput``);
/// - everything else (filters, unusual versions and link types) goes
///   through `fopen(3)` + `setvbuf(3)` with a large buffer (at least 128 KiB) +
///   `pcap_fopen_offline_with_tstamp_precision(3PCAP)` (for a stream: a stdio stream over its
///   bytes, `fopencookie(3)`). `reader: .libpcap` forces this path.
///
/// The path `-` reads standard input. Damage in compressed data (a truncated `.gz`, a corrupt
/// zstd frame) ends reading like damage in the capture: every packet before it is delivered,
/// then ``CaptureError/damaged(path:reason:packetsRead:)`` with the decompressor's reason.
///
/// - Important: a mapped file that another process truncates while it is being read raises
///   `SIGBUS` (as with any `mmap` reader). Read a capture that is still being written with
///   `reader: .libpcap` (or from `-`).
///
/// A `CaptureFile` is not thread-safe: use it from one thread or task at a time.
public final class CaptureFile {
    /// Which reader to use.
    public enum Reader: Sendable {
        /// Classic pcap files without a filter are parsed from memory; everything else by libpcap.
        case automatic
        /// libpcap for everything.
        case libpcap
    }

    /// The path the file was opened with (or the name given to ``init(bytes:name:filter:reader:)``).
    public let path: String
    /// The raw `DLT_*` link-layer type of the file (pcap_datalink(3PCAP)); 1 is Ethernet.
    public let linkType: Int32
    /// The snapshot length recorded in the file header (pcap_snapshot(3PCAP)); 0 or values
    /// above libpcap's maximum read as the maximum, 262144.
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
    /// Whether records are parsed in Swift from memory (a mapping, the given bytes or a stream's
    /// buffer) rather than read through libpcap.
    public var readsFromMemory: Bool { cursor != nil || pcapng != nil }

    /// The compression the file was stored with (detected from its first bytes), nil for a
    /// plain capture.
    public var compression: Compression? { source?.compression }

    /// Every pcapng Interface Statistics Block read so far, in file order (empty for classic
    /// pcap and for pcapng read through libpcap).
    public var interfaceStatistics: [InterfaceStatistics] { pcapng?.pointee.statistics ?? [] }

    /// The options (comment, `epb_flags` direction, drop count) of the record ``next()`` last
    /// returned, for a pcapng file read from memory; nil otherwise. Walks the options on demand.
    public var lastPacketOptions: PacketOptions? { pcapng?.pointee.packetOptions() }

    /// The owned `pcap_t *` (nil when reading from memory).
    @usableFromInline internal let handle: OpaquePointer?
    /// The `FILE *` libpcap reads from (closed by `pcap_close`).
    @usableFromInline internal let stream: UnsafeMutablePointer<FILE>?
    /// The in-memory reader (nil when libpcap reads).
    @usableFromInline internal let cursor: UnsafeMutablePointer<ClassicPcapCursor>?
    /// The in-memory pcapng reader (nil for classic files and when libpcap reads).
    @usableFromInline internal let pcapng: UnsafeMutablePointer<PcapNGCursor>?
    /// 1 for nanosecond precision (always, unless libpcap refuses it), 1000 for microseconds.
    @usableFromInline internal let nanosecondsPerUnit: Int
    /// Mutable reading state, behind a pointer so the per-packet path has no runtime
    /// exclusivity checks.
    @usableFromInline internal let state: UnsafeMutablePointer<ReadState>
    /// The stdio buffer installed with `setvbuf`; freed after `pcap_close`.
    private let readBuffer: UnsafeMutableRawPointer?
    /// The file mapping or the owned copy of the bytes, released in `deinit`.
    private let memory: Memory
    /// For a stream read by the Swift cursors: the buffer they parse (refilled at their end).
    internal let streaming: StreamingInput?
    /// For a stream (either reader): where its bytes come from (progress, damage).
    internal let source: ByteStream?

    @usableFromInline
    internal struct ReadState {
        /// Packets delivered so far.
        @usableFromInline var delivered = 0
        /// Set once the end of the file or an error has been reached; later reads repeat it.
        @usableFromInline var ending: Ending? = nil
    }

    @usableFromInline
    internal enum Ending {
        case endOfFile
        case failure(CaptureError)
    }

    private enum Memory {
        case none
        case mapped(UnsafeMutableRawPointer, Int)
        case owned(UnsafeMutableRawPointer)
    }

    /// What an opening routine hands to the designated initialiser.
    private struct Opened {
        var handle: OpaquePointer? = nil
        var stream: UnsafeMutablePointer<FILE>? = nil
        var cursor: ClassicPcapCursor? = nil
        var pcapng: PcapNGCursor? = nil
        var readBuffer: UnsafeMutableRawPointer? = nil
        var memory: Memory = .none
        var size: Int64 = 0
        var streaming: StreamingInput? = nil
        var source: ByteStream? = nil
    }

    private init(path: String, filter: String?, opened: Opened) {
        self.path = path
        self.filter = filter
        self.handle = opened.handle
        self.stream = opened.stream
        self.readBuffer = opened.readBuffer
        self.memory = opened.memory
        self.fileSize = opened.size
        self.streaming = opened.streaming
        self.source = opened.source
        state = .allocate(capacity: 1)
        state.initialize(to: ReadState())
        if let handle = opened.handle {
            cursor = nil
            pcapng = nil
            linkType = pcap_datalink(handle)
            snapshotLength = Int(pcap_snapshot(handle))
            isSwapped = pcap_is_swapped(handle) != 0
            majorVersion = Int(pcap_major_version(handle))
            minorVersion = Int(pcap_minor_version(handle))
            nanosecondsPerUnit = PcapSupport.nanosecondsPerUnit(handle)
        } else if let ng = opened.pcapng {
            cursor = nil
            pcapng = .allocate(capacity: 1)
            pcapng!.initialize(to: ng)
            linkType = ng.firstLinkType
            snapshotLength = ng.firstSnapshot
            isSwapped = ng.firstSwapped
            majorVersion = ng.firstVersion.major
            minorVersion = ng.firstVersion.minor
            nanosecondsPerUnit = 1
        } else {
            pcapng = nil
            let c = opened.cursor!
            cursor = .allocate(capacity: 1)
            cursor!.initialize(to: c)
            linkType = c.linkType
            snapshotLength = c.snapshot
            isSwapped = c.swapped
            majorVersion = 2
            minorVersion = 4
            nanosecondsPerUnit = 1
        }
    }

    /// Opens a capture file for reading.
    ///
    /// - Parameters:
    ///   - path: the file to read; `-` means standard input (read through a duplicate
    ///     descriptor, so standard input itself is not closed).
    ///   - filter: an optional BPF expression (pcap-filter(7)); packets that do not match never
    ///     reach Swift.
    ///   - readBufferSize: the stdio buffer size for libpcap; values below 128 KiB are raised to
    ///     128 KiB.
    ///   - reader: `.automatic` (the default) maps classic pcap files read without a filter;
    ///     `.libpcap` reads everything through libpcap.
    /// - Throws: ``CaptureError/fileUnreadable(path:reason:)`` if the file is missing,
    ///   unreadable or a directory; ``CaptureError/notACaptureFile(path:reason:)`` if it is empty,
    ///   shorter than a header or not a pcap/pcapng file; ``CaptureError/badFilter(expression:message:)``
    ///   if `filter` does not compile.
    public convenience init(path: String, filter: String? = nil, readBufferSize: Int = 1 << 20,
                            reader: Reader = .automatic) throws(CaptureError) {
        if path == "-" {
            // A private duplicate of descriptor 0, so closing it leaves stdin alone.
            let descriptor = dup(STDIN_FILENO)
            guard descriptor >= 0 else {
                throw .fileUnreadable(path: path, reason: PcapSupport.describe(errno: errno))
            }
            var opened = try Self.openStream(descriptor: descriptor, path: path, filter: filter, reader: reader,
                                             bufferSize: readBufferSize)
            var status = stat()
            if fstat(STDIN_FILENO, &status) == 0, status.st_mode & S_IFMT == S_IFREG { opened.size = Int64(status.st_size) }
            self.init(path: path, filter: filter, opened: opened)
            return
        }
        guard let stream = fopen(path, "rb") else {
            throw .fileUnreadable(path: path, reason: PcapSupport.describe(errno: errno))
        }

        // A directory opens fine on Linux but every read fails with EISDIR.
        var status = stat()
        var size: Int64 = 0
        var regular = false
        if fstat(fileno(stream), &status) == 0 {
            let kind = status.st_mode & S_IFMT
            if kind == S_IFDIR {
                fclose(stream)
                throw .fileUnreadable(path: path, reason: PcapSupport.describe(errno: EISDIR))
            }
            if kind == S_IFREG { size = Int64(status.st_size); regular = true }
        }

        // Pipes, FIFOs, devices and compressed files are read as streams.
        var magic: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
        let compressed = regular && size >= 4 && pread(fileno(stream), &magic, 4, 0) == 4
            && withUnsafeBytes(of: magic, { Compression.detect($0) }) != nil
        if !regular || compressed {
            let descriptor = dup(fileno(stream))
            fclose(stream)
            guard descriptor >= 0 else { throw .fileUnreadable(path: path, reason: PcapSupport.describe(errno: errno)) }
            var opened = try Self.openStream(descriptor: descriptor, path: path, filter: filter, reader: reader,
                                             bufferSize: readBufferSize)
            opened.size = size
            self.init(path: path, filter: filter, opened: opened)
            return
        }

        if reader == .automatic, filter == nil, size >= 24,
           let opened = Self.map(stream, size: Int(size)) {
            fclose(stream)   // the mapping stays valid
            self.init(path: path, filter: nil, opened: opened)
            return
        }
        var opened = try Self.openLibpcap(stream, path: path, filter: filter, bufferSize: readBufferSize)
        opened.size = size
        self.init(path: path, filter: filter, opened: opened)
    }

    /// Reads a capture file held in memory (the bytes are copied). Classic pcap is parsed in
    /// Swift (unless `reader` is `.libpcap` or there is a filter); anything else goes through
    /// libpcap on an `fmemopen(3)` stream. Errors name the file `name`.
    ///
    /// - Throws: as ``init(path:filter:readBufferSize:reader:)``.
    public convenience init(bytes: some Collection<UInt8>, name: String = "(memory)", filter: String? = nil,
                            reader: Reader = .automatic) throws(CaptureError) {
        let count = bytes.count
        let copy = Array(bytes)
        if let compression = copy.withUnsafeBytes({ Compression.detect($0) }) {
            var opened = try Self.openStream(
                source: DecompressingStream(input: .bytes(copy), compression: compression),
                path: name, filter: filter, reader: reader, bufferSize: 0)
            opened.size = Int64(count)
            self.init(path: name, filter: filter, opened: opened)
            return
        }
        let owned = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 16)
        UnsafeMutableRawBufferPointer(start: owned, count: count).copyBytes(from: bytes)
        if reader == .automatic, filter == nil,
           let cursor = ClassicPcapCursor(base: owned, size: count, releasesPages: false) {
            self.init(path: name, filter: nil, opened: Opened(cursor: cursor, memory: .owned(owned), size: Int64(count)))
            return
        }
        if reader == .automatic, filter == nil, let ng = PcapNGCursor(base: owned, size: count) {
            self.init(path: name, filter: nil, opened: Opened(pcapng: ng, memory: .owned(owned), size: Int64(count)))
            return
        }
        // fmemopen refuses a zero size; an empty file reads the same as /dev/null.
        guard let stream = count == 0 ? fopen("/dev/null", "rb") : fmemopen(owned, count, "rb") else {
            owned.deallocate()
            throw .fileUnreadable(path: name, reason: PcapSupport.describe(errno: errno))
        }
        var opened: Opened
        do throws(CaptureError) {
            opened = try Self.openLibpcap(stream, path: name, filter: filter, bufferSize: 0)
        } catch {
            owned.deallocate()
            throw error
        }
        opened.memory = .owned(owned)
        opened.size = Int64(count)
        self.init(path: name, filter: filter, opened: opened)
    }

    /// A stream over `descriptor` (owned: closed when the file is): its first bytes tell whether
    /// it is compressed; then ``openStream(source:path:filter:reader:bufferSize:)``.
    private static func openStream(descriptor: Int32, path: String, filter: String?, reader: Reader,
                                   bufferSize: Int) throws(CaptureError) -> Opened {
        var status = stat()
        if fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
            close(descriptor)
            throw .fileUnreadable(path: path, reason: PcapSupport.describe(errno: EISDIR))
        }
        var prefix: [UInt8] = []
        var bytes: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
        while prefix.count < 4 {
            let n = withUnsafeMutableBytes(of: &bytes) { posixRead(descriptor, $0.baseAddress!, 4 - prefix.count) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = PcapSupport.describe(errno: errno)
                close(descriptor)
                throw .fileUnreadable(path: path, reason: reason)
            }
            if n == 0 { break }
            withUnsafeBytes(of: bytes) { prefix += $0.prefix(n) }
        }
        let source: ByteStream
        if let compression = prefix.withUnsafeBytes({ Compression.detect($0) }) {
            source = DecompressingStream(input: .descriptor(descriptor, prefix: prefix), compression: compression)
        } else {
            source = DescriptorStream(descriptor: descriptor, prefix: prefix)
        }
        return try openStream(source: source, path: path, filter: filter, reader: reader, bufferSize: bufferSize)
    }

    /// Reads the header of a stream: the Swift cursors parse it when it is a file they handle and
    /// there is no filter; libpcap reads it otherwise (through a stdio stream over its bytes).
    private static func openStream(source: ByteStream, path: String, filter: String?, reader: Reader,
                                   bufferSize: Int) throws(CaptureError) -> Opened {
        let input = StreamingInput(source: source)
        input.readHeader()
        if reader == .automatic, filter == nil {
            if var cursor = ClassicPcapCursor(base: input.buffer, size: input.filled, releasesPages: false) {
                cursor.final = input.final
                return Opened(cursor: cursor, streaming: input, source: source)
            }
            if var ng = PcapNGCursor(base: input.buffer, size: input.filled) {
                ng.final = input.final
                return Opened(pcapng: ng, streaming: input, source: source)
            }
        }
        guard let stream = input.stdioStream() else {
            throw .fileUnreadable(path: path, reason: PcapSupport.describe(errno: errno))
        }
        do throws(CaptureError) {
            var opened = try openLibpcap(stream, path: path, filter: filter, bufferSize: bufferSize)
            opened.source = source
            return opened
        } catch {
            if let failure = source.failure { throw .damaged(path: path, reason: failure, packetsRead: 0) }
            if let compression = source.compression, case .notACaptureFile(_, let reason) = error {
                throw .notACaptureFile(path: path, reason: "\(compression.rawValue)-compressed data: \(reason)")
            }
            throw error
        }
    }

    /// Maps a regular file and returns a memory reader for it, or nil (nothing mapped) when it
    /// is not a classic pcap file the Swift reader handles or cannot be mapped.
    private static func map(_ stream: UnsafeMutablePointer<FILE>, size: Int) -> Opened? {
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fileno(stream), 0), base != MAP_FAILED else {
            return nil
        }
        guard let cursor = ClassicPcapCursor(base: base, size: size, releasesPages: true) else {
            if let ng = PcapNGCursor(base: base, size: size, releasesPages: true) {
                return Opened(pcapng: ng, memory: .mapped(base, size), size: Int64(size))
            }
            munmap(base, size)
            return nil
        }
        return Opened(cursor: cursor, memory: .mapped(base, size), size: Int64(size))
    }

    /// Opens `stream` with libpcap (taking ownership of it: it is closed on failure too) and
    /// installs `filter`.
    private static func openLibpcap(_ stream: UnsafeMutablePointer<FILE>, path: String, filter: String?,
                                    bufferSize: Int) throws(CaptureError) -> Opened {
        var buffer: UnsafeMutableRawPointer? = nil
        if bufferSize > 0 {
            let size = max(bufferSize, 128 << 10)
            buffer = .allocate(byteCount: size, alignment: 16)
            setvbuf(stream, buffer!.assumingMemoryBound(to: CChar.self), _IOFBF, size)
        }
        let (opened, message) = PcapSupport.withErrorBuffer { errbuf in
            pcap_fopen_offline_with_tstamp_precision(stream, UInt32(PCAP_TSTAMP_PRECISION_NANO), errbuf)
        }
        guard let handle = opened else {
            fclose(stream)
            buffer?.deallocate()
            throw Self.openError(path: path, message: message)
        }
        if let filter {
            do throws(CaptureError) {
                try PacketFilter.install(filter, on: handle)
            } catch {
                pcap_close(handle)
                buffer?.deallocate()
                throw error
            }
        }
        return Opened(handle: handle, stream: stream, readBuffer: buffer)
    }

    deinit {
        if let handle { pcap_close(handle) }   // also fcloses `stream`
        readBuffer?.deallocate()
        switch memory {
        case .none: break
        case .mapped(let base, let size): munmap(base, size)
        case .owned(let base): base.deallocate()
        }
        cursor?.deinitialize(count: 1)
        cursor?.deallocate()
        pcapng?.deinitialize(count: 1)
        pcapng?.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// The number of packets delivered so far (packets rejected by the filter are not counted).
    public var packetsRead: Int { state.pointee.delivered }

    /// The current read offset in the file, for progress reporting; 0 if unknown.
    public var bytesRead: Int64 {
        if let source { return source.bytesRead }
        if let cursor { return Int64(cursor.pointee.offset) }
        if let pcapng { return Int64(pcapng.pointee.offset) }
        guard let stream else { return 0 }
        let offset = ftell(stream)
        return offset < 0 ? 0 : Int64(offset)
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
