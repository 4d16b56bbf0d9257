#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Storage for trivially copyable per-flow records (`FlowState` slots and the per-protocol side
/// tables of `FlowTable`), addressed by a 32-bit index, with a LIFO free list threaded through
/// the freed records' first four bytes.
///
/// The store never holds more than `limit` records (the table's flow cap), so it reserves
/// address space for all of them up front with an anonymous `mmap` (`MAP_NORESERVE`): pages
/// become resident only when a record is first written, so memory follows the flows actually
/// held, growth never copies, and there is no doubling slack or move-copy peak. Where the
/// reservation fails (strict overcommit, or a cap too large for the address space) it falls back
/// to a malloc'd array that doubles. Records are addressed by a pointer offset either way;
/// pointers stay valid until the next `allocate()` (the fallback may move the array).
///
/// Traps when more than `limit` records are live at once, or the index passes `Int32.max`.
struct SlotStore<T: BitwiseCopyable> {
    private(set) var base: UnsafeMutablePointer<T>
    private var capacity: Int
    /// Records ever handed out (live ones plus the free list).
    private(set) var used = 0
    private(set) var live = 0
    private var freeHead: Int32 = -1
    /// Bytes mapped with `mmap` (0: the malloc fallback is in use).
    private var mappedBytes = 0
    private let limit: Int

    init(limit: Int) {
        self.limit = max(1, min(limit, Int(Int32.max)))
        let stride = MemoryLayout<T>.stride
        let (bytes, overflow) = self.limit.multipliedReportingOverflow(by: stride)
        if !overflow && bytes <= 1 << 40 {
            let page = 1 << 16
            let size = (bytes + page - 1) & ~(page - 1)
            let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
            if let p, p != UnsafeMutableRawPointer(bitPattern: -1) {
                base = p.bindMemory(to: T.self, capacity: self.limit)
                capacity = self.limit
                mappedBytes = size
                return
            }
        }
        capacity = min(64, self.limit)
        base = .allocate(capacity: capacity)
    }

    /// Frees the storage; the store must not be used afterwards.
    func deallocate() {
        if mappedBytes > 0 {
            munmap(UnsafeMutableRawPointer(base), mappedBytes)
        } else {
            base.deallocate()
        }
    }

    /// A free record index (its contents are garbage until the caller initializes them).
    @inline(__always)
    mutating func allocate() -> Int32 {
        live += 1
        if freeHead >= 0 {
            let i = freeHead
            freeHead = UnsafeMutableRawPointer(base + Int(i)).load(as: Int32.self)
            return i
        }
        if used == capacity { grow() }
        let i = Int32(used)
        used += 1
        return i
    }

    /// Returns record `i` to the free list.
    @inline(__always)
    mutating func free(_ i: Int32) {
        live -= 1
        UnsafeMutableRawPointer(base + Int(i)).storeBytes(of: freeHead, as: Int32.self)
        freeHead = i
    }

    @inline(__always)
    subscript(i: Int32) -> UnsafeMutablePointer<T> { base + Int(i) }

    /// Bytes of records handed out (live or free), i.e. what is resident at most.
    var touchedBytes: Int { used * MemoryLayout<T>.stride }

    private mutating func grow() {
        precondition(used < limit, "SlotStore: more records than the flow cap")
        let n = min(capacity * 2, limit)
        let s = UnsafeMutablePointer<T>.allocate(capacity: n)
        s.moveInitialize(from: base, count: used)
        base.deallocate()
        base = s
        capacity = n
    }
}
