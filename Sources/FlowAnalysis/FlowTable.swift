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

/// Flow storage: a contiguous array of `FlowState` slots, a dictionary from `FlowKey` to slot,
/// a free list of slots for reuse, and the timeout lists.
struct FlowTable {
    var slots: [FlowState] = []
    var index: [FlowKey: Int32] = [:]
    var free: [Int32] = []
    var heads = [Int32](repeating: -1, count: TimeoutList.allCases.count)
    var tails = [Int32](repeating: -1, count: TimeoutList.allCases.count)
    var timeouts: [Int64]
    var count = 0

    init(configuration c: FlowConfiguration) {
        timeouts = [c.tcpAttemptDelay, c.tcpCloseDelay, c.tcpConnectionLinger, c.tcpInactivityTimeout,
                    c.udpInactivityTimeout, c.icmpInactivityTimeout, c.otherInactivityTimeout]
        index.reserveCapacity(min(c.maxFlows, 1 << 16))
    }

    @inline(__always)
    func lookup(_ key: FlowKey) -> Int32? { index[key] }

    mutating func insert(_ state: FlowState) -> Int32 {
        let i: Int32
        if let f = free.popLast() {
            i = f
            slots[Int(i)] = state
        } else {
            i = Int32(slots.count)
            slots.append(state)
        }
        slots[Int(i)].list = TimeoutList.none
        slots[Int(i)].prev = -1
        slots[Int(i)].next = -1
        index[state.key] = i
        count += 1
        return i
    }

    mutating func remove(_ i: Int32) {
        unlink(i)
        index.removeValue(forKey: slots[Int(i)].key)
        free.append(i)
        count -= 1
    }

    @inline(__always)
    mutating func unlink(_ i: Int32) {
        let l = slots[Int(i)].list
        guard l != TimeoutList.none else { return }
        let p = slots[Int(i)].prev, n = slots[Int(i)].next
        if p >= 0 { slots[Int(p)].next = n } else { heads[Int(l)] = n }
        if n >= 0 { slots[Int(n)].prev = p } else { tails[Int(l)] = p }
        slots[Int(i)].list = TimeoutList.none
        slots[Int(i)].prev = -1
        slots[Int(i)].next = -1
    }

    @inline(__always)
    mutating func append(_ i: Int32, to l: UInt8, time: Int64) {
        let t = tails[Int(l)]
        slots[Int(i)].list = l
        slots[Int(i)].prev = t
        slots[Int(i)].next = -1
        slots[Int(i)].listTime = time
        if t >= 0 { slots[Int(t)].next = i } else { heads[Int(l)] = i }
        tails[Int(l)] = i
    }

    /// Puts flow `i` in list `l`: LRU lists move it to the tail with `time`; a fixed list keeps
    /// it where it is if it is already there.
    @inline(__always)
    mutating func place(_ i: Int32, in l: TimeoutList, time: Int64) {
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
        for l in 0..<heads.count {
            let h = heads[l]
            if h >= 0 && slots[Int(h)].listTime + timeouts[l] <= now { return (h, TimeoutList(rawValue: UInt8(l))!) }
        }
        return nil
    }

    /// The least recently active flow among the list heads (eviction victim).
    func oldest() -> Int32? {
        var best: Int32? = nil
        var bestTime = Int64.max
        for h in heads where h >= 0 {
            let t = slots[Int(h)].lastSeen
            if t < bestTime { bestTime = t; best = h }
        }
        return best
    }
}
