import CStdioCookie
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes read front to back: standard input, a pipe, or a decompressed stream.
protocol ByteStream: AnyObject {
    /// Reads up to `capacity` (> 0) bytes; 0 at the end of the stream, after which ``failure``
    /// says whether the end is damage.
    func read(into destination: UnsafeMutableRawPointer, capacity: Int) -> Int
    /// Why the stream ended early (a read error, damaged compressed data); nil for a clean end.
    var failure: String? { get }
    /// Input bytes consumed so far (compressed bytes for a compressed stream), for progress.
    var bytesRead: Int64 { get }
    /// The compression the stream undoes, nil for plain bytes.
    var compression: Compression? { get }
}

/// `read(2)` (a free function: the streams' own `read` methods would shadow it).
func posixRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

/// A descriptor read with `read(2)` in large blocks, after bytes already read from it.
final class DescriptorStream: ByteStream {
    private let descriptor: Int32
    private var prefix: [UInt8]
    private var prefixOffset = 0
    private(set) var failure: String?
    private(set) var bytesRead: Int64 = 0
    var compression: Compression? { nil }

    /// Takes ownership of `descriptor` (closed in `deinit`).
    init(descriptor: Int32, prefix: [UInt8]) {
        self.descriptor = descriptor
        self.prefix = prefix
        bytesRead = Int64(prefix.count)
    }

    deinit { close(descriptor) }

    func read(into destination: UnsafeMutableRawPointer, capacity: Int) -> Int {
        if prefixOffset < prefix.count {
            let n = min(capacity, prefix.count - prefixOffset)
            prefix.withUnsafeBytes { destination.copyMemory(from: $0.baseAddress! + prefixOffset, byteCount: n) }
            prefixOffset += n
            if prefixOffset == prefix.count { prefix = [] ; prefixOffset = 0 }
            return n
        }
        while true {
            let n = posixRead(descriptor, destination, capacity)
            if n >= 0 {
                bytesRead += Int64(n)
                return n
            }
            if errno == EINTR { continue }
            failure = "error reading dump file: \(String(cString: strerror(errno)))"
            return 0
        }
    }
}

/// The reader's side of a stream: a contiguous buffer the cursors parse in place.
///
/// ``ClassicPcapCursor`` and ``PcapNGCursor`` read the buffered bytes with `final` false; when a
/// record or block is not wholly buffered they set `needsMore`, and ``refill(from:)`` moves the
/// unread tail to the front and reads more behind it (growing the buffer for a block larger than
/// it, up to pcapng's 16 MiB limit). A record returned earlier is overwritten only by the next
/// refill, which happens inside the next `CaptureFile.next()` call: the borrowed-bytes contract
/// of ``PacketRecord`` holds.
final class StreamingInput {
    let source: ByteStream
    private(set) var buffer: UnsafeMutableRawPointer
    private(set) var capacity: Int
    /// Bytes held in `buffer`.
    private(set) var filled = 0
    /// True once the source has ended.
    private(set) var final = false

    static let initialCapacity = 4 << 20
    static let readSize = 256 << 10

    init(source: ByteStream) {
        self.source = source
        capacity = Self.initialCapacity
        buffer = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Reads once behind the buffered bytes (growing the buffer when it is full).
    private func readMore() {
        if filled == capacity {
            let bigger = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 16)
            bigger.copyMemory(from: buffer, byteCount: filled)
            buffer.deallocate()
            buffer = bigger
            capacity *= 2
        }
        // At most `readSize` a time: the bytes are still in cache when the cursor parses them.
        let n = source.read(into: buffer + filled, capacity: min(capacity - filled, Self.readSize))
        if n == 0 { final = true }
        filled += n
    }

    /// Fills the buffer with the file header: classic pcap's 24 bytes, or for pcapng every block
    /// up to and including the first interface description or packet block (what libpcap reads
    /// to open the file), or less when the stream ends first.
    func readHeader() {
        while !final && filled < 24 { readMore() }
        guard filled >= 12, buffer.loadUnaligned(as: UInt32.self) == 0x0A0D_0D0A else { return }
        while !final && !pcapngHeaderComplete() { readMore() }
    }

    /// Whether the buffered pcapng blocks reach an IDB or a packet block (or something malformed
    /// that the cursor reports).
    private func pcapngHeaderComplete() -> Bool {
        guard filled >= 12 else { return false }
        let magic = buffer.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
        let swapped: Bool
        if magic == 0x1A2B_3C4D { swapped = false } else if magic == 0x4D3C_2B1A { swapped = true } else { return true }
        func load(_ at: Int) -> UInt32 {
            let v = buffer.loadUnaligned(fromByteOffset: at, as: UInt32.self)
            return swapped ? v.byteSwapped : v
        }
        var at = 0
        while true {
            if filled - at < 8 { return false }
            let type = load(at), length = Int(load(at + 4))
            if length < 12 || length % 4 != 0 || length > PcapNGCursor.maximumBlock { return true }
            if length > filled - at { return false }
            if at > 0, type == 1 || type == 2 || type == 3 || type == 6 || type == 0x0A0D_0D0A { return true }
            at += length
        }
    }

    /// Drops the bytes before `offset` and reads more: afterwards the byte that was at `offset` is
    /// at the start of ``buffer``.
    func refill(from offset: Int) {
        if offset > 0 {
            let tail = filled - offset
            if tail > 0 { buffer.copyMemory(from: buffer + offset, byteCount: tail) }
            filled = tail
        }
        if !final { readMore() }
    }

    /// A stdio stream over the same bytes (the buffered ones first, then the rest of the
    /// source), for libpcap: files the Swift cursors do not handle, and filters.
    func stdioStream() -> UnsafeMutablePointer<FILE>? {
        let reader = StdioReader(input: self)
        let context = Unmanaged.passRetained(reader).toOpaque()
        let stream = sockeye_open_read_stream(context, { context, destination, size in
            let reader = Unmanaged<StdioReader>.fromOpaque(context!).takeUnretainedValue()
            return reader.read(into: UnsafeMutableRawPointer(destination!), capacity: Int(size))
        }, { context in
            Unmanaged<StdioReader>.fromOpaque(context!).release()
        })
        if stream == nil { Unmanaged<StdioReader>.fromOpaque(context).release() }
        return stream
    }

    /// The `fopencookie` reader behind ``stdioStream()``.
    private final class StdioReader {
        let input: StreamingInput
        var offset = 0
        init(input: StreamingInput) { self.input = input }

        func read(into destination: UnsafeMutableRawPointer, capacity: Int) -> Int {
            guard capacity > 0 else { return 0 }
            if offset < input.filled {
                let n = min(capacity, input.filled - offset)
                destination.copyMemory(from: input.buffer + offset, byteCount: n)
                offset += n
                return n
            }
            return input.final ? 0 : input.source.read(into: destination, capacity: capacity)
        }
    }
}
