import Dispatch
import PacketCodec
import Synchronization

/// A run of decoded packets with copies of their frames' headers, handed from the reading thread to the
/// analysis thread. Batches are recycled, so steady state allocates nothing. The reading thread
/// fills one through a `BatchWriter` (plain pointers and local counters: no per-packet class
/// property access, no runtime exclusivity checks) and decodes straight into the entry.
final class DecodedBatch: @unchecked Sendable {
    struct Entry {
        var time: Int64
        var offset: Int
        var length: Int
        var packet: DecodedPacket
    }

    static let maxEntries = 2048
    static let slabBytes = 4 << 20

    let entries: UnsafeMutablePointer<Entry>
    let slab: UnsafeMutableRawBufferPointer
    /// Entries filled (set once per batch by `BatchWriter.finish`).
    var count = 0

    init() {
        entries = .allocate(capacity: Self.maxEntries)
        entries.initialize(repeating: Entry(time: 0, offset: 0, length: 0,
                                            packet: DecodedPacket(linkType: .ethernet, captureLength: 0, wireLength: 0)),
                           count: Self.maxEntries)
        slab = .allocate(byteCount: Self.slabBytes, alignment: 16)
    }

    deinit {
        entries.deinitialize(count: Self.maxEntries)
        entries.deallocate()
        slab.deallocate()
    }

    /// The copied frame bytes of entry `e` (read in place: an `Entry` is too big to copy per packet).
    func frame(_ e: UnsafePointer<Entry>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: slab.baseAddress! + e.pointee.offset, count: e.pointee.length)
    }
}

/// Fills a `DecodedBatch` on the reading thread.
struct BatchWriter {
    let batch: DecodedBatch
    private var count = 0
    private var used = 0

    init(_ batch: DecodedBatch) { self.batch = batch }

    var isEmpty: Bool { count == 0 }

    /// Whether a frame of `length` bytes still fits.
    func fits(_ length: Int) -> Bool {
        count < DecodedBatch.maxEntries && used + length <= DecodedBatch.slabBytes
    }

    /// Decodes the frame into the next entry and copies the part of it that `payload` keeps
    /// (headers, and as many payload bytes as the policy says). Offsets in the decoded packet are
    /// relative to the frame start, so they stay valid in the copy.
    @inline(__always)
    mutating func append(time: Int64, bytes: UnsafeRawBufferPointer, wireLength: Int, linkType: LinkType,
                         decoder: PacketDecoder, payload: PayloadPolicy) {
        let e = batch.entries + count
        decoder.decode(bytes, linkType: linkType, wireLength: wireLength, into: &e.pointee.packet)
        let keep = payload.bytesKept(of: bytes.count, payloadOffset: e.pointee.packet.payloadOffset,
                                     keepWhole: e.pointee.packet.isFragment || e.pointee.packet.quotesDatagram)
        if keep > 0 {
            UnsafeMutableRawBufferPointer(rebasing: batch.slab[used..<(used + keep)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<keep]))
        }
        e.pointee.time = time
        e.pointee.offset = used
        e.pointee.length = keep
        used += keep
        count += 1
    }

    /// Publishes the count; the batch is ready to hand over.
    func finish() -> DecodedBatch {
        batch.count = count
        return batch
    }
}

/// A bounded FIFO of batches between exactly one producer and one consumer, plus a pool of
/// empty batches to recycle. With ``BackPressure/block`` the producer waits for an empty batch
/// while the consumer is behind (offline input must not lose packets); with
/// ``BackPressure/drop`` it never waits (`tryEmptyBatch` fails and the caller counts the
/// packets it could not keep). `take` waits until a batch, the end, or a timeout.
final class BatchQueue: @unchecked Sendable {
    private let lock = Mutex<[DecodedBatch?]>([])
    private let filled = DispatchSemaphore(value: 0)
    private let free = Mutex<[DecodedBatch]>([])
    private let freeSlots: DispatchSemaphore
    /// Batches handed over and not yet taken: a live producer hands its partial batch over only
    /// when this is 0 (the consumer has nothing to do), so a busy consumer gets full batches.
    private let pending = Atomic<Int>(0)

    init(depth: Int = 4) {
        freeSlots = DispatchSemaphore(value: depth)
        free.withLock { pool in for _ in 0..<depth { pool.append(DecodedBatch()) } }
    }

    /// An empty batch to fill (waits while all batches are in flight).
    func emptyBatch() -> DecodedBatch {
        freeSlots.wait()
        return free.withLock { $0.removeLast() }
    }

    /// An empty batch if one is free now, else nil (never waits).
    func tryEmptyBatch() -> DecodedBatch? {
        guard freeSlots.wait(timeout: .now()) == .success else { return nil }
        return free.withLock { $0.removeLast() }
    }

    /// True when the consumer has taken every batch handed over (it is idle or about to be).
    var consumerIsIdle: Bool { pending.load(ordering: .relaxed) == 0 }

    /// Producer: hands a filled batch over; `nil` marks the end.
    func put(_ batch: DecodedBatch?) {
        pending.add(1, ordering: .relaxed)
        lock.withLock { $0.append(batch) }
        filled.signal()
    }

    enum Taken { case batch(DecodedBatch), end, timedOut }

    /// Consumer: the next batch, the end, or `.timedOut` after `timeout` (nil: wait as long as it takes).
    func take(timeout: DispatchTimeInterval? = nil) -> Taken {
        if let timeout {
            if filled.wait(timeout: .now() + timeout) == .timedOut { return .timedOut }
        } else {
            filled.wait()
        }
        let next = lock.withLock { $0.removeFirst() }
        pending.subtract(1, ordering: .relaxed)
        return next.map { .batch($0) } ?? .end
    }

    /// Consumer: gives a processed batch back for reuse.
    func recycle(_ batch: DecodedBatch) {
        batch.count = 0
        free.withLock { $0.append(batch) }
        freeSlots.signal()
    }
}
