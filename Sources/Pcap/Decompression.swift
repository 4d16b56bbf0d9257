import CLZ4
import CZlib
import CZstd
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A compression format recognised by its magic bytes (never by the file name).
public enum Compression: String, Sendable, CaseIterable {
    /// gzip (RFC 1952), magic `1f 8b`; concatenated members are read as one stream.
    case gzip
    /// Zstandard frames (RFC 8878 section 3.1.1), magic `28 b5 2f fd`; several frames in a row.
    case zstd
    /// LZ4 frame format (lz4 `doc/lz4_Frame_format.md`), magic `04 22 4d 18`; several frames.
    /// The legacy lz4 format (`02 21 4c 18`) is not read.
    case lz4

    /// The format whose magic `prefix` starts with; nil for anything else (including fewer than
    /// four bytes).
    public static func detect(_ prefix: UnsafeRawBufferPointer) -> Compression? {
        guard prefix.count >= 4 else { return nil }
        let b = (prefix[0], prefix[1], prefix[2], prefix[3])
        if b.0 == 0x1f && b.1 == 0x8b { return .gzip }
        if b == (0x28, 0xb5, 0x2f, 0xfd) { return .zstd }
        if b == (0x04, 0x22, 0x4d, 0x18) { return .lz4 }
        return nil
    }
}

/// One step of a streaming decompressor.
enum DecodeStep {
    case progress(consumed: Int, produced: Int)
    case failed(String)
}

/// A streaming decompressor over one of the kept C libraries. Used on the decompression thread
/// only. `step` consumes input and fills output; `endMessage()` says, once the input is over and
/// every pending byte drained, whether the stream was cut short.
protocol StreamDecoder: AnyObject {
    func step(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) -> DecodeStep
    func endMessage() -> String?
}

/// zlib `inflate` (RFC 1950/1951/1952) with gzip header detection; members in a row are read as
/// one stream (as `gzip -d` does); bytes after a member that do not start another are ignored.
final class GzipDecoder: StreamDecoder {
    /// zlib keeps a pointer back to its `z_stream`: it must not move.
    private let stream: UnsafeMutablePointer<z_stream>
    private var memberEnded = false
    private var trailing = false

    init?() {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard sockeye_inflate_init(stream) == Z_OK else {
            stream.deallocate()
            return nil
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    func step(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) -> DecodeStep {
        if trailing { return .progress(consumed: input.count, produced: 0) }
        if memberEnded {
            guard input.count > 0 else { return .progress(consumed: 0, produced: 0) }
            guard input.count >= 2, input[0] == 0x1f, input[1] == 0x8b else {
                trailing = true   // gzip -d: "trailing garbage ignored"
                return .progress(consumed: input.count, produced: 0)
            }
            inflateReset(stream)
            memberEnded = false
        }
        let inCount = min(input.count, Int(UInt32.max)), outCount = min(output.count, Int(UInt32.max))
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = UInt32(inCount)
        stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = UInt32(outCount)
        let status = inflate(stream, Z_NO_FLUSH)
        let consumed = inCount - Int(stream.pointee.avail_in), produced = outCount - Int(stream.pointee.avail_out)
        switch status {
        case Z_OK, Z_BUF_ERROR: break
        case Z_STREAM_END: memberEnded = true
        default:
            let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
            return .failed("corrupt gzip data: \(message)")
        }
        return .progress(consumed: consumed, produced: produced)
    }

    func endMessage() -> String? {
        memberEnded || trailing ? nil : "truncated gzip data: the compressed stream ends early"
    }
}

/// libzstd's streaming decompression (`ZSTD_decompressStream`).
final class ZstdDecoder: StreamDecoder {
    private let context: OpaquePointer
    /// The last return value: 0 once a frame is complete.
    private var hint = 1

    init?() {
        guard let c = ZSTD_createDStream() else { return nil }
        context = c
        guard ZSTD_isError(ZSTD_initDStream(c)) == 0 else {
            ZSTD_freeDStream(c)
            return nil
        }
    }

    deinit { ZSTD_freeDStream(context) }

    func step(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) -> DecodeStep {
        var i = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var o = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let r = ZSTD_decompressStream(context, &o, &i)
        if ZSTD_isError(r) != 0 {
            return .failed("corrupt zstd data: \(String(cString: ZSTD_getErrorName(r)))")
        }
        // A call that moved nothing (the drain at the end) reports the next frame's header size.
        if i.pos > 0 || o.pos > 0 { hint = r }
        return .progress(consumed: i.pos, produced: o.pos)
    }

    func endMessage() -> String? {
        hint == 0 ? nil : "truncated zstd data: the compressed stream ends early"
    }
}

/// liblz4's frame decompression (`LZ4F_decompress`).
final class LZ4Decoder: StreamDecoder {
    private let context: OpaquePointer
    private var hint = 1

    init?() {
        var c: OpaquePointer? = nil
        guard LZ4F_isError(LZ4F_createDecompressionContext(&c, sockeye_lz4f_version())) == 0, let c else { return nil }
        context = c
    }

    deinit { LZ4F_freeDecompressionContext(context) }

    func step(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) -> DecodeStep {
        var produced = output.count, consumed = input.count
        let r = LZ4F_decompress(context, output.baseAddress, &produced, input.baseAddress, &consumed, nil)
        if LZ4F_isError(r) != 0 {
            return .failed("corrupt lz4 data: \(String(cString: LZ4F_getErrorName(r)))")
        }
        if consumed > 0 || produced > 0 { hint = r }
        return .progress(consumed: consumed, produced: produced)
    }

    func endMessage() -> String? {
        hint == 0 ? nil : "truncated lz4 data: the compressed stream ends early"
    }
}

/// The bounded hand-off between the decompression thread (producer) and the reader (consumer):
/// a fixed pool of large chunks cycles between a free list and a FIFO of filled chunks, so the
/// producer runs at most ``depth`` chunks ahead and memory stays fixed.
final class ChunkHandoff: @unchecked Sendable {
    static let chunkSize = 256 << 10
    static let depth = 8

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let changed: UnsafeMutablePointer<pthread_cond_t>
    private let chunks: [UnsafeMutableRawPointer]
    // Guarded by `mutex`.
    private var free: [UnsafeMutableRawPointer]
    private var full: [(UnsafeMutableRawPointer, Int)] = []
    private var finished = false
    private var cancelled = false
    private var failureMessage: String?
    /// Compressed bytes the producer has read (progress).
    let inputBytes = Atomic<Int64>(0)

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        changed = .allocate(capacity: 1)
        changed.initialize(to: pthread_cond_t())
        pthread_cond_init(changed, nil)
        chunks = (0..<Self.depth).map { _ in .allocate(byteCount: Self.chunkSize, alignment: 16) }
        free = chunks
        full.reserveCapacity(Self.depth)
    }

    deinit {
        for c in chunks { c.deallocate() }
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    // MARK: producer

    /// A chunk to fill; nil once the consumer has gone (the producer then stops).
    func takeFree() -> UnsafeMutableRawPointer? {
        locked {
            while free.isEmpty && !cancelled { pthread_cond_wait(changed, mutex) }
            return cancelled ? nil : free.removeLast()
        }
    }

    func putFull(_ chunk: UnsafeMutableRawPointer, count: Int) {
        locked {
            full.append((chunk, count))
            pthread_cond_broadcast(changed)
        }
    }

    /// The end of the stream: clean (`failure` nil) or damaged.
    func finish(failure: String?) {
        locked {
            failureMessage = failure
            finished = true
            pthread_cond_broadcast(changed)
        }
    }

    var isCancelled: Bool { locked { cancelled } }

    // MARK: consumer

    /// The next filled chunk, waiting for it when `wait`; nil at the end (or, without `wait`,
    /// when none is ready).
    func take(wait: Bool) -> (UnsafeMutableRawPointer, Int)? {
        locked {
            while wait && full.isEmpty && !finished { pthread_cond_wait(changed, mutex) }
            return full.isEmpty ? nil : full.removeFirst()
        }
    }

    func recycle(_ chunk: UnsafeMutableRawPointer) {
        locked {
            free.append(chunk)
            pthread_cond_broadcast(changed)
        }
    }

    /// Set once the stream has ended with damage (read after ``take(wait:)`` returned nil).
    var failure: String? { locked { failureMessage } }

    /// The consumer is done: the producer stops at its next chunk.
    func cancel() {
        locked {
            cancelled = true
            pthread_cond_broadcast(changed)
        }
    }
}

/// Where the decompression thread reads compressed bytes from.
enum CompressedInput: Sendable {
    /// A descriptor the thread owns (closed when it ends), after `prefix` (bytes already read
    /// from it to detect the format).
    case descriptor(Int32, prefix: [UInt8])
    /// Bytes in memory.
    case bytes([UInt8])
}

/// Decompressed bytes of a gzip, zstd or lz4 stream, produced on a thread of their own.
///
/// The thread reads the compressed input in 1 MiB blocks and decompresses into 256 KiB chunks
/// handed over through ``ChunkHandoff`` (at most eight ahead); ``read(into:capacity:)`` copies
/// them out on the reader's thread. Damage in the compressed data (a truncated file, a corrupt
/// block, a bad checksum) ends the stream after every byte decoded before it, with ``failure``
/// set; nothing traps.
final class DecompressingStream: ByteStream {
    let compression: Compression?
    private let handoff = ChunkHandoff()
    private var current: (UnsafeMutableRawPointer, Int)? = nil
    private var currentOffset = 0
    private(set) var failure: String?

    init(input: CompressedInput, compression: Compression) {
        self.compression = compression
        let handoff = self.handoff
        Self.spawn { Self.produce(handoff, input: input, compression: compression) }
    }

    deinit {
        if let (chunk, _) = current { handoff.recycle(chunk) }
        handoff.cancel()
    }

    var bytesRead: Int64 { handoff.inputBytes.load(ordering: .relaxed) }

    func read(into destination: UnsafeMutableRawPointer, capacity: Int) -> Int {
        var copied = 0
        while copied < capacity {
            if current == nil {
                // Wait only for the first bytes; afterwards take what is ready.
                guard let next = handoff.take(wait: copied == 0) else { break }
                current = next
                currentOffset = 0
            }
            let (chunk, count) = current!
            let n = min(count - currentOffset, capacity - copied)
            (destination + copied).copyMemory(from: chunk + currentOffset, byteCount: n)
            copied += n
            currentOffset += n
            if currentOffset == count {
                handoff.recycle(chunk)
                current = nil
            }
        }
        if copied == 0 { failure = handoff.failure }
        return copied
    }

    /// Runs `body` on a new detached thread.
    private static func spawn(_ body: @escaping @Sendable () -> Void) {
        final class Box: @unchecked Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, context)
        if status == 0 {
            pthread_detach(thread)
        } else {
            // No thread: decompress here (the hand-off has room only for `depth` chunks, so this
            // can only be a fallback for tiny inputs; larger ones end as damage, never a hang).
            Unmanaged<Box>.fromOpaque(context).release()
            body()
        }
    }

    /// The decompression thread: input → decoder → chunks, until the end, damage or cancel.
    private static func produce(_ handoff: ChunkHandoff, input: CompressedInput, compression: Compression) {
        var descriptor: Int32 = -1
        var prefix: [UInt8] = []
        var memory: [UInt8] = []
        switch input {
        case .descriptor(let fd, let p): descriptor = fd; prefix = p
        case .bytes(let b): memory = b
        }
        defer { if descriptor >= 0 { close(descriptor) } }
        let decoder: StreamDecoder?
        switch compression {
        case .gzip: decoder = GzipDecoder()
        case .zstd: decoder = ZstdDecoder()
        case .lz4: decoder = LZ4Decoder()
        }
        guard let decoder else {
            handoff.finish(failure: "cannot start the \(compression.rawValue) decompressor")
            return
        }
        let inputCapacity = 1 << 20
        let inputBuffer = UnsafeMutableRawPointer.allocate(byteCount: inputCapacity, alignment: 16)
        defer { inputBuffer.deallocate() }
        var start = 0, end = 0, atEnd = false
        var memoryOffset = 0
        if !prefix.isEmpty {
            prefix.withUnsafeBytes { inputBuffer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            end = prefix.count
            handoff.inputBytes.add(Int64(end), ordering: .relaxed)
        }
        var chunk: UnsafeMutableRawPointer? = nil
        var filled = 0
        var idle = 0
        func hand(_ failure: String?) {
            if let c = chunk {
                if filled > 0 { handoff.putFull(c, count: filled) } else { handoff.recycle(c) }
            }
            handoff.finish(failure: failure)
        }
        while true {
            if chunk == nil {
                guard let c = handoff.takeFree() else { return }   // the reader has gone
                chunk = c
                filled = 0
            }
            if start == end && !atEnd {
                start = 0
                end = 0
                if descriptor >= 0 {
                    let n = posixRead(descriptor, inputBuffer, inputCapacity)
                    if n < 0 {
                        if errno == EINTR { continue }
                        hand("error reading dump file: \(String(cString: strerror(errno)))")
                        return
                    }
                    if n == 0 { atEnd = true } else { end = n }
                } else {
                    let n = min(inputCapacity, memory.count - memoryOffset)
                    if n == 0 { atEnd = true } else {
                        memory.withUnsafeBytes { inputBuffer.copyMemory(from: $0.baseAddress! + memoryOffset, byteCount: n) }
                        memoryOffset += n
                        end = n
                    }
                }
                handoff.inputBytes.add(Int64(end), ordering: .relaxed)
            }
            let result = decoder.step(UnsafeRawBufferPointer(start: inputBuffer + start, count: end - start),
                                      UnsafeMutableRawBufferPointer(start: chunk! + filled, count: ChunkHandoff.chunkSize - filled))
            switch result {
            case .failed(let message):
                hand(message)
                return
            case .progress(let consumed, let produced):
                start += consumed
                filled += produced
                if filled == ChunkHandoff.chunkSize {
                    handoff.putFull(chunk!, count: filled)
                    chunk = nil
                }
                if consumed == 0 && produced == 0 {
                    if atEnd && start == end {
                        hand(decoder.endMessage())   // drained
                        return
                    }
                    // No progress with input and room left: a decoder that is stuck.
                    idle += 1
                    if idle > 2, start < end || atEnd {
                        hand("corrupt \(compression.rawValue) data: the decompressor makes no progress")
                        return
                    }
                } else {
                    idle = 0
                }
            }
        }
    }
}
