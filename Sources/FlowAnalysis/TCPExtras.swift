/// The part of a TCP connection's state that most segments never touch: the teardown picture
/// (both sides' FIN/RST facts), the out-of-order holes and the per-direction anomaly counters.
///
/// It lives in its own side table of the `FlowTable` and is allocated the first time a
/// connection needs it (its first FIN or RST, retransmission, gap, zero window, checksum
/// anomaly or truncated header). A connection that never gets there, such as each half-open
/// connection of a SYN flood, costs only the hot `FlowState` and the `TCPConnection` core.
///
/// A connection without extras behaves exactly as one whose extras are all defaults: every
/// reader below treats "absent" as "zero".
struct TCPExtras: Sendable, BitwiseCopyable {
    var tdA = SideTeardown()
    var tdB = SideTeardown()
    var facts = TeardownFacts()
    var holeA = HoleTracker()
    var holeB = HoleTracker()
    var anomalies = SidePair(PackedAnomalies(), PackedAnomalies())
}

/// `DirectionAnomalies` as stored per flow: event counters in 32 bits (a flow would need more
/// than 4 billion segments of one kind to wrap them, i.e. hundreds of GB in one connection),
/// bytes in 64 bits.
struct PackedAnomalies: Sendable, BitwiseCopyable {
    var ackedUnseen: UInt64 = 0
    var retransmissions: UInt32 = 0
    var outOfOrder: UInt32 = 0
    var zeroWindow: UInt32 = 0
    var badChecksums: UInt32 = 0
    var partialChecksums: UInt32 = 0
    var dataAfterFIN: UInt32 = 0
    var truncatedHeaders: UInt32 = 0

    var report: DirectionAnomalies {
        var d = DirectionAnomalies()
        d.retransmissions = UInt64(retransmissions)
        d.outOfOrder = UInt64(outOfOrder)
        d.zeroWindow = UInt64(zeroWindow)
        d.badChecksums = UInt64(badChecksums)
        d.partialChecksums = UInt64(partialChecksums)
        d.dataAfterFIN = UInt64(dataAfterFIN)
        d.ackedUnseen = ackedUnseen
        d.truncatedHeaders = UInt64(truncatedHeaders)
        return d
    }
}

/// Zeek's `Connection::ScaledHistoryEntry` without its own counter: a letter is due on the
/// 1st, 10th, 100th, … event, i.e. when the event count (after counting this one) is a power of
/// ten. The counts are the anomaly counters that count the same events (bad checksums `C`,
/// retransmissions + out-of-order segments `T`, zero windows `W`) and the endpoint's gap count
/// (`G`).
@inline(__always)
func isScaledHistoryStep(_ n: UInt64) -> Bool {
    var p: UInt64 = 1
    while p < n { p &*= 10 }
    return p == n
}

/// Access to the extras side table from `TCPConnection`'s update functions. The store is
/// owned by the `FlowTable`; a pointer from `get`/`peek` is valid until the next `get` that
/// allocates (the store's malloc fallback may move).
struct TCPExtrasAccess {
    let store: UnsafeMutablePointer<SlotStore<TCPExtras>>

    /// The connection's extras, allocated (all defaults) on first use.
    @inline(__always)
    func get(_ index: inout Int32) -> UnsafeMutablePointer<TCPExtras> {
        if index < 0 {
            index = store.pointee.allocate()
            store.pointee[index].initialize(to: TCPExtras())
        }
        return store.pointee[index]
    }

    /// The connection's extras, or nil when it has none yet.
    @inline(__always)
    func peek(_ index: Int32) -> UnsafeMutablePointer<TCPExtras>? {
        index < 0 ? nil : store.pointee[index]
    }
}
