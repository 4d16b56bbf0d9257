#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps a mapped capture file's resident set flat while a cursor reads it front to back:
/// every ``stride`` bytes the pages behind the read position are released (`MADV_DONTNEED`,
/// they are clean file pages) and the next stretch is populated ahead (`MADV_POPULATE_READ`,
/// fewer page faults). Used by the classic pcap and the pcapng cursors.
@usableFromInline
struct PageAdvisor {
    @usableFromInline let base: UnsafeRawPointer
    @usableFromInline let size: Int
    @usableFromInline var nextRelease = 0
    @usableFromInline var released = 0
    @usableFromInline var populated = 0
    @usableFromInline static let stride = 2 << 20

    init(base: UnsafeRawPointer, size: Int) {
        self.base = base
        self.size = size
    }

    /// Called with the read position before each record: one compare in the common case.
    @inlinable @inline(__always)
    mutating func reached(_ offset: Int) {
        if _slowPath(offset >= nextRelease) { advise(offset) }
    }

    @usableFromInline
    mutating func advise(_ offset: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let mutableBase = UnsafeMutableRawPointer(mutating: base)
        let done = offset / page * page
        if done > released {
            _ = madvise(mutableBase + released, done - released, MADV_DONTNEED)
            released = done
        }
        #if os(Linux)
        let from = max(populated, done)
        let to = min(size, (offset + 2 * Self.stride) / page * page)
        if to > from {
            _ = madvise(mutableBase + from, to - from, 22 /* MADV_POPULATE_READ, Linux 5.14 */)
            populated = to
        }
        #endif
        nextRelease = offset + Self.stride
    }
}
