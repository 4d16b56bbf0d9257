import PacketCodec

/// Which analyzer a flow belongs to.
enum FlowKind: UInt8, Sendable, BitwiseCopyable {
    case tcp, udp, icmp, other
}

/// Everything Sockeye keeps for one live flow: a plain struct stored contiguously in
/// `FlowTable.slots`, mutated in place, never reference counted.
///
/// Counters are kept per *physical* side (A/B of the `FlowKey`); `origIsA` says which one is the
/// originator. A role flip (Zeek `Connection::FlipRoles`) toggles that bit and never moves data.
struct FlowState: Sendable {
    var key: FlowKey
    var kind: FlowKind
    var origIsA: Bool
    var startTime: Int64
    /// Zeek's `last_time` (not advanced once both TCP sides closed).
    var lastTime: Int64
    /// Time of the last packet of any kind (for inactivity timeouts).
    var lastSeen: Int64
    var reuseIndex: UInt32
    var history = HistoryBuffer()
    var histSeen: UInt32 = 0
    var packetsA: UInt64 = 0
    var packetsB: UInt64 = 0
    var ipBytesA: UInt64 = 0
    var ipBytesB: UInt64 = 0
    var anomA = DirectionAnomalies()
    var anomB = DirectionAnomalies()
    /// UDP/ICMP: Σ(length − 8) per side, and whether the side sent anything that counted.
    var sizeA: UInt64 = 0
    var sizeB: UInt64 = 0
    var activeA = false
    var activeB = false
    /// UDP/ICMP scaled bad-checksum counters.
    var chkA = ScaledCounter()
    var chkB = ScaledCounter()
    var tcp = TCPConnection()

    // Intrusive timeout-list links (see `FlowTable`).
    var list: UInt8 = 0
    var prev: Int32 = -1
    var next: Int32 = -1
    var listTime: Int64 = 0

    init(key: FlowKey, kind: FlowKind, origIsA: Bool, time: Int64, reuseIndex: UInt32) {
        self.key = key
        self.kind = kind
        self.origIsA = origIsA
        self.startTime = time
        self.lastTime = time
        self.lastSeen = time
        self.reuseIndex = reuseIndex
    }

    /// Appends a history letter for a packet from side A (`fromA`) or B: upper case when that
    /// side is the originator (`TCP_Endpoint::AddHistory`).
    @inlinable
    mutating func addLetter(_ upper: UInt8, fromA: Bool) {
        history.append(fromA == origIsA ? upper : upper.lowercasedLetter)
    }

    /// `Connection::CheckHistory`: adds the letter the first time only. Returns true when it
    /// had been seen before (Zeek's return convention).
    @inlinable
    mutating func checkHistory(_ mask: UInt32, _ upper: UInt8, fromA: Bool) -> Bool {
        let m = fromA == origIsA ? mask : mask << 16
        if histSeen & m == 0 {
            histSeen |= m
            addLetter(upper, fromA: fromA)
            return false
        }
        return true
    }

    /// `Connection::FlipRoles`: swap originator and responder and append `^`.
    mutating func flipRoles() {
        origIsA.toggle()
        histSeen = HistoryMask.flipped(histSeen)
        history.append(UInt8(ascii: "^"))
    }
}
