/// The timeout classes. Each flow sits in exactly one list; every list is ordered by its
/// deadline (`listTime + timeout`), so expiry only ever looks at list heads: O(1) per packet.
///
/// * `attempt` (fixed): SYN (or originator SYN-ACK) with no reply, deadline `tcp_attempt_delay`
///   after the first SYN (Zeek `AttemptTimer`).
/// * `closing` (fixed): closed connections, written `tcp_close_delay` after the close
///   (Zeek `ConnDeleteTimer`); stragglers in between still count.
/// * `linger` (LRU): TCP state that never became active (only bad-checksum packets).
/// * `tcpLong` (LRU): TCP past the handshake, `tcp_inactivity_timeout`.
/// * `short` (LRU): UDP, and TCP still in handshake states (Zeek uses `udp_inactivity_timeout`
///   for those).
/// * `icmp`, `other` (LRU).
///
/// "Fixed" lists are appended to once, in time order; "LRU" lists move a flow to the tail on
/// every packet (intrusive doubly-linked list through slot indices, no allocation).
enum TimeoutList: UInt8, CaseIterable {
    case attempt = 0, closing, linger, tcpLong, short, icmp, other
    static let none: UInt8 = 255

    var isFixed: Bool { self == .attempt || self == .closing }
}

/// Flow storage: a contiguous store of hot `FlowState` slots, per-protocol side tables
/// (`TCPConnection` for TCP flows, `DatagramFlow` for UDP and ICMP flows; each slot's `side`
/// indexes its kind's table), an open-addressing index from `FlowKey` to slot, free lists for
/// reuse (`SlotStore`, LIFO), and the timeout lists.
///
/// Slots, side tables, index and list heads are manually managed memory (all trivially
/// copyable) and the struct itself holds only pointers and integers, so per-packet access is a
/// pointer offset: no uniqueness or exclusivity checks, no reference counting, no whole-flow
/// copies. The owner calls `deallocate()` exactly once and never copies the
/// table while it is in use (only `FlowAnalyzer` holds one, behind a stable pointer).
///
/// The index is linear probing over a power-of-two array of 64-bit buckets, each holding the
/// key's 32-bit hash (high half) and slot + 1 (low half; 0 = empty). The load factor stays at
/// or below 1/2; deletion shifts later members of the probe run back (no tombstones). Slot
/// numbers do not depend on the index (free list, then the next new slot), so outputs that
/// order by slot stay deterministic.
struct FlowTable {
    private var slotStore: SlotStore<FlowState>
    private var tcpStore: SlotStore<TCPConnection>
    private var datagramStore: SlotStore<DatagramFlow>
    /// The TCP extras side table (`TCPConnection.extras` indexes it), behind a stable pointer
    /// so `TCPConnection`'s update functions can allocate from it.
    let tcpExtras: TCPExtrasAccess
    private var buckets: UnsafeMutablePointer<UInt64>
    private var bucketMask: Int
    /// Per list (`TimeoutList.rawValue`): head, tail, timeout.
    let heads: UnsafeMutablePointer<Int32>
    let tails: UnsafeMutablePointer<Int32>
    let timeouts: UnsafeMutablePointer<Int64>
    static let listCount = TimeoutList.allCases.count
    var count = 0

    init(configuration c: FlowConfiguration) {
        let n = Self.listCount
        heads = .allocate(capacity: n)
        heads.initialize(repeating: -1, count: n)
        tails = .allocate(capacity: n)
        tails.initialize(repeating: -1, count: n)
        timeouts = .allocate(capacity: n)
        let t = [c.tcpAttemptDelay, c.tcpCloseDelay, c.tcpConnectionLinger, c.tcpInactivityTimeout,
                 c.udpInactivityTimeout, c.icmpInactivityTimeout, c.otherInactivityTimeout]
        precondition(t.count == n)
        for (l, v) in t.enumerated() { (timeouts + l).initialize(to: v) }
        slotStore = SlotStore(limit: c.maxFlows)
        tcpStore = SlotStore(limit: c.maxFlows)
        datagramStore = SlotStore(limit: c.maxFlows)
        let extrasStore = UnsafeMutablePointer<SlotStore<TCPExtras>>.allocate(capacity: 1)
        extrasStore.initialize(to: SlotStore(limit: c.maxFlows))
        tcpExtras = TCPExtrasAccess(store: extrasStore)
        let expected = max(16, min(c.maxFlows, 1 << 16))
        var size = 32
        while size < 2 * expected { size <<= 1 }
        bucketMask = size - 1
        buckets = .allocate(capacity: size)
        buckets.initialize(repeating: 0, count: size)
    }

    /// Frees the storage; the table must not be used afterwards.
    func deallocate() {
        slotStore.deallocate()
        tcpStore.deallocate()
        datagramStore.deallocate()
        tcpExtras.store.pointee.deallocate()
        tcpExtras.store.deinitialize(count: 1)
        tcpExtras.store.deallocate()
        buckets.deallocate()
        heads.deallocate()
        tails.deallocate()
        timeouts.deallocate()
    }

    /// Slots of the live flows, in no particular order.
    var liveSlots: [Int32] {
        var r: [Int32] = []
        r.reserveCapacity(count)
        for b in 0...bucketMask {
            let e = buckets[b]
            if e != 0 { r.append(Int32(bitPattern: UInt32(truncatingIfNeeded: e) &- 1)) }
        }
        return r
    }

    /// The key's hash for the index: `FlowKey.mixedHash` folded to 32 bits.
    /// The hot slots (base of the slot store); valid until the next `insert`.
    var slots: UnsafeMutablePointer<FlowState> {
        @inline(__always) get { slotStore.base }
    }

    @inline(__always)
    static func hash32(_ key: FlowKey) -> UInt32 {
        let h = key.mixedHash
        return UInt32(truncatingIfNeeded: h ^ (h >> 32))
    }

    @inline(__always)
    func lookup(_ key: FlowKey) -> Int32? {
        let h = Self.hash32(key)
        var b = Int(h) & bucketMask
        while true {
            let e = buckets[b]
            if e == 0 { return nil }
            if UInt32(truncatingIfNeeded: e >> 32) == h {
                let i = Int(UInt32(truncatingIfNeeded: e)) &- 1
                if slots[i].key == key { return Int32(truncatingIfNeeded: i) }
            }
            b = (b &+ 1) & bucketMask
        }
    }

    /// The hot record of flow `i`; valid until the next `insert`.
    @inline(__always)
    func slot(_ i: Int32) -> UnsafeMutablePointer<FlowState> { slotStore[i] }

    /// The TCP side record of a TCP flow (`side` of its slot); valid until the next `insert`.
    @inline(__always)
    func tcp(_ side: Int32) -> UnsafeMutablePointer<TCPConnection> { tcpStore[side] }

    /// The side record of a UDP or ICMP flow; valid until the next `insert`.
    @inline(__always)
    func datagram(_ side: Int32) -> UnsafeMutablePointer<DatagramFlow> { datagramStore[side] }

    /// Bytes held for flows at this moment: hot slots and side records handed out (live or on a
    /// free list), the index, and nothing else (list heads are a few words).
    var footprintBytes: Int {
        slotStore.touchedBytes + tcpStore.touchedBytes + datagramStore.touchedBytes
            + tcpExtras.store.pointee.touchedBytes + (bucketMask + 1) * 8
    }

    /// Inserts a new flow with a fresh (default) side record for its kind.
    mutating func insert(_ state: FlowState) -> Int32 {
        let i = slotStore.allocate()
        let s = slotStore[i]
        s.initialize(to: state)
        switch state.kind {
        case .tcp:
            let t = tcpStore.allocate()
            tcpStore[t].initialize(to: TCPConnection())
            s.pointee.side = t
        case .udp, .icmp:
            let d = datagramStore.allocate()
            datagramStore[d].initialize(to: DatagramFlow())
            s.pointee.side = d
        case .other:
            s.pointee.side = -1
        }
        s.pointee.list = TimeoutList.none
        s.pointee.prev = -1
        s.pointee.next = -1
        if 2 * (count + 1) > bucketMask + 1 { growBuckets() }
        let h = Self.hash32(state.key)
        var b = Int(h) & bucketMask
        while buckets[b] != 0 { b = (b &+ 1) & bucketMask }
        buckets[b] = UInt64(h) << 32 | UInt64(UInt32(bitPattern: i) &+ 1)
        count += 1
        return i
    }

    mutating func remove(_ i: Int32) {
        unlink(i)
        let h = Self.hash32(slots[Int(i)].key)
        let entry = UInt64(h) << 32 | UInt64(UInt32(bitPattern: i) &+ 1)
        var b = Int(h) & bucketMask
        while buckets[b] != entry {
            precondition(buckets[b] != 0, "FlowTable.remove: slot not indexed")
            b = (b &+ 1) & bucketMask
        }
        // Backward shift: a later member of the run moves into the hole unless its home bucket
        // lies cyclically in (hole, its position].
        var hole = b
        var j = (b &+ 1) & bucketMask
        while true {
            let e = buckets[j]
            if e == 0 { break }
            let home = Int(UInt32(truncatingIfNeeded: e >> 32)) & bucketMask
            if (j &- home) & bucketMask >= (j &- hole) & bucketMask {
                buckets[hole] = e
                hole = j
            }
            j = (j &+ 1) & bucketMask
        }
        buckets[hole] = 0
        let side = slots[Int(i)].side
        switch slots[Int(i)].kind {
        case .tcp:
            let x = tcpStore[side].pointee.extras
            if x >= 0 { tcpExtras.store.pointee.free(x) }
            tcpStore.free(side)
        case .udp, .icmp: datagramStore.free(side)
        case .other: break
        }
        slotStore.free(i)
        count -= 1
    }

    private mutating func growBuckets() {
        let old = buckets, oldSize = bucketMask + 1
        let size = oldSize * 2
        buckets = .allocate(capacity: size)
        buckets.initialize(repeating: 0, count: size)
        bucketMask = size - 1
        for b in 0..<oldSize {
            let e = old[b]
            if e == 0 { continue }
            var k = Int(UInt32(truncatingIfNeeded: e >> 32)) & bucketMask
            while buckets[k] != 0 { k = (k &+ 1) & bucketMask }
            buckets[k] = e
        }
        old.deallocate()
    }

    @inline(__always)
    func unlink(_ i: Int32) {
        let s = slots + Int(i)
        let l = s.pointee.list
        guard l != TimeoutList.none else { return }
        let p = s.pointee.prev, n = s.pointee.next
        if p >= 0 { slots[Int(p)].next = n } else { heads[Int(l)] = n }
        if n >= 0 { slots[Int(n)].prev = p } else { tails[Int(l)] = p }
        s.pointee.list = TimeoutList.none
        s.pointee.prev = -1
        s.pointee.next = -1
    }

    @inline(__always)
    func append(_ i: Int32, to l: UInt8, time: Int64) {
        let t = tails[Int(l)]
        let s = slots + Int(i)
        s.pointee.list = l
        s.pointee.prev = t
        s.pointee.next = -1
        s.pointee.listTime = time
        if t >= 0 { slots[Int(t)].next = i } else { heads[Int(l)] = i }
        tails[Int(l)] = i
    }

    /// Puts flow `i` in list `l`: LRU lists move it to the tail with `time`; a fixed list keeps
    /// it where it is if it is already there.
    @inline(__always)
    func place(_ i: Int32, in l: TimeoutList, time: Int64) {
        let current = slots[Int(i)].list
        if current == l.rawValue {
            if l.isFixed || tails[Int(l.rawValue)] == i {
                if !l.isFixed { slots[Int(i)].listTime = time }
                return
            }
        }
        unlink(i)
        append(i, to: l.rawValue, time: time)
    }

    /// The flow whose deadline has passed at `now`, if any, and its list.
    @inline(__always)
    func expired(at now: Int64) -> (Int32, TimeoutList)? {
        for l in 0..<Self.listCount {
            let h = heads[l]
            guard h >= 0 else { continue }
            // A deadline past Int64.max (timestamps saturated from a damaged file) never expires.
            let deadline = slots[Int(h)].listTime.addingReportingOverflow(timeouts[l])
            if !deadline.overflow && deadline.partialValue <= now { return (h, TimeoutList(rawValue: UInt8(l))!) }
        }
        return nil
    }

    /// The least recently active flow among the list heads (eviction victim).
    func oldest() -> Int32? {
        var best: Int32? = nil
        var bestTime = Int64.max
        for l in 0..<Self.listCount {
            let h = heads[l]
            guard h >= 0 else { continue }
            let t = slots[Int(h)].lastSeen
            if t < bestTime { bestTime = t; best = h }
        }
        return best
    }
}
