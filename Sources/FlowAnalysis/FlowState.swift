import PacketCodec

/// Which analyzer a flow belongs to.
enum FlowKind: UInt8, Sendable, BitwiseCopyable {
    case tcp, udp, icmp, other
}

/// The hot part of one live flow: what every flow needs whatever its protocol (key, times,
/// packet and IP byte counters, timeout-list links). A plain struct stored contiguously in
/// `FlowTable`, mutated in place, never reference counted.
///
/// Per-protocol state lives in side tables of the `FlowTable`, reached through `side`:
/// `TCPConnection` for TCP flows, `DatagramFlow` for UDP and ICMP flows; other IP protocols have
/// none (`side == -1`). So a UDP flow does not pay for TCP's endpoints, handshake and teardown.
///
/// Counters are kept per *physical* side (A/B of the `FlowKey`); `origIsA` says which one is the
/// originator. A role flip (Zeek `Connection::FlipRoles`) toggles that bit and never moves data.
struct FlowState: Sendable, BitwiseCopyable {
    var key: FlowKey
    var startTime: Int64
    /// Zeek's `last_time` (not advanced once both TCP sides closed).
    var lastTime: Int64
    /// Time of the last packet of any kind (for inactivity timeouts).
    var lastSeen: Int64
    /// When the flow entered its timeout list (the list's deadline runs from here).
    var listTime: Int64 = 0
    var packets = SidePair<UInt64>(0, 0)
    var ipBytes = SidePair<UInt64>(0, 0)
    var reuseIndex: UInt32
    /// Index into the side table of `kind` (set by `FlowTable.insert`), -1 for none.
    var side: Int32 = -1
    // Intrusive timeout-list links (see `FlowTable`).
    var prev: Int32 = -1
    var next: Int32 = -1
    var kind: FlowKind
    var origIsA: Bool
    var list: UInt8 = 0

    init(key: FlowKey, kind: FlowKind, origIsA: Bool, time: Int64, reuseIndex: UInt32) {
        self.key = key
        self.kind = kind
        self.origIsA = origIsA
        self.startTime = time
        self.lastTime = time
        self.lastSeen = time
        self.reuseIndex = reuseIndex
    }

    /// (originator, responder) after any role flip.
    var endpoints: (Endpoint, Endpoint) {
        let a = Endpoint(address: key.addressA, port: key.portA)
        let b = Endpoint(address: key.addressB, port: key.portB)
        return origIsA ? (a, b) : (b, a)
    }
}

/// A value per physical side of a flow (A and B of the `FlowKey`), reached with
/// `pair[fromA: fromA]` instead of parallel `xA`/`xB` fields and `if fromA … else …` branches.
struct SidePair<T: BitwiseCopyable & Sendable>: BitwiseCopyable, Sendable {
    var a: T
    var b: T

    @inline(__always) init(_ a: T, _ b: T) { self.a = a; self.b = b }

    @inline(__always)
    subscript(fromA fromA: Bool) -> T {
        get { fromA ? a : b }
        _modify {
            if fromA { yield &a } else { yield &b }
        }
    }

    /// (originator's, responder's) value.
    @inline(__always)
    func roles(origIsA: Bool) -> (T, T) { origIsA ? (a, b) : (b, a) }
}

extension SidePair where T == DirectionAnomalies {
    init() { self.init(DirectionAnomalies(), DirectionAnomalies()) }
}

extension DirectionAnomalies: BitwiseCopyable {}

/// A flow's Zeek `history` and its once-per-direction memory (`HistoryMask` bits), kept in the
/// protocol side record (TCP and UDP write letters; ICMP and other protocols never do).
struct FlowHistory: Sendable, BitwiseCopyable {
    var letters = HistoryBuffer()
    var seen: UInt32 = 0

    /// Appends a letter: upper case when the sender is the originator (`TCP_Endpoint::AddHistory`).
    @inline(__always)
    mutating func add(_ upper: UInt8, isOrig: Bool) {
        letters.append(isOrig ? upper : upper.lowercasedLetter)
    }

    /// `Connection::CheckHistory`: adds the letter the first time only. Returns true when it
    /// had been seen before (Zeek's return convention).
    @inline(__always)
    mutating func check(_ mask: UInt32, _ upper: UInt8, isOrig: Bool) -> Bool {
        let m = isOrig ? mask : mask << 16
        if seen & m == 0 {
            seen |= m
            add(upper, isOrig: isOrig)
            return false
        }
        return true
    }

    /// The history half of `Connection::FlipRoles` (the caller toggles `origIsA`): swap the
    /// once-per-direction bits and append `^`.
    mutating func flip() {
        seen = HistoryMask.flipped(seen)
        letters.append(UInt8(ascii: "^"))
    }
}
