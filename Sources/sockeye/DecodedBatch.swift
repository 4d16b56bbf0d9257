import Dispatch
import PacketCodec
import Synchronization

/// A run of decoded packets with copies of their frames, handed from the reading thread to the
/// analysis thread. Batches are recycled, so steady state allocates nothing.
final class DecodedBatch: @unchecked Sendable {
    struct Entry {
        var time: Int64
        var offset: Int
        var length: Int
        var packet: DecodedPacket
    }

    static let maxEntries = 2048
    static let slabBytes = 4 << 20

    var entries: [Entry] = []
    let slab: UnsafeMutableRawBufferPointer
    var used = 0

    init() {
        entries.reserveCapacity(Self.maxEntries)
        slab = .allocate(byteCount: Self.slabBytes, alignment: 16)
    }

    deinit { slab.deallocate() }

    /// Whether a frame of `length` bytes still fits.
    func fits(_ length: Int) -> Bool { entries.count < Self.maxEntries && used + length <= slab.count }

    /// Copies the frame in and records the decoded packet (offsets in `packet` are relative to
    /// the frame start, so they stay valid in the copy).
    func append(time: Int64, bytes: UnsafeRawBufferPointer, packet: DecodedPacket) {
        if bytes.count > 0 {
            UnsafeMutableRawBufferPointer(rebasing: slab[used..<(used + bytes.count)]).copyMemory(from: bytes)
        }
        entries.append(Entry(time: time, offset: used, length: bytes.count, packet: packet))
        used += bytes.count
    }

    func frame(_ e: Entry) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: slab[e.offset..<(e.offset + e.length)])
    }

    func reset() {
        entries.removeAll(keepingCapacity: true)
        used = 0
    }
}

/// A bounded FIFO of batches between exactly one producer and one consumer, plus a pool of
/// empty batches to recycle. `put` blocks while the consumer is behind (offline input must not
/// lose packets); `take` blocks until a batch or the end arrives.
final class BatchQueue: @unchecked Sendable {
    private let lock = Mutex<[DecodedBatch?]>([])
    private let filled = DispatchSemaphore(value: 0)
    private let free = Mutex<[DecodedBatch]>([])
    private let freeSlots: DispatchSemaphore

    init(depth: Int = 4) {
        freeSlots = DispatchSemaphore(value: depth)
        free.withLock { pool in for _ in 0..<depth { pool.append(DecodedBatch()) } }
    }

    /// An empty batch to fill (waits while all batches are in flight).
    func emptyBatch() -> DecodedBatch {
        freeSlots.wait()
        return free.withLock { $0.removeLast() }
    }

    /// Producer: hands a filled batch over; `nil` marks the end.
    func put(_ batch: DecodedBatch?) {
        lock.withLock { $0.append(batch) }
        filled.signal()
    }

    /// Consumer: the next batch, or nil at the end.
    func take() -> DecodedBatch? {
        filled.wait()
        return lock.withLock { $0.removeFirst() }
    }

    /// Consumer: gives a processed batch back for reuse.
    func recycle(_ batch: DecodedBatch) {
        batch.reset()
        free.withLock { $0.append(batch) }
        freeSlots.signal()
    }
}
