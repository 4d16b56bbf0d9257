/// Endpoint states of Zeek's TCP analyzer (src/analyzer/protocol/tcp/TCP_Endpoint.h).
public enum TCPEndpointState: UInt8, Sendable, BitwiseCopyable {
    case inactive, synSent, synAckSent, partial, established, closed, reset

    /// Zeek's `inactive(x)` in `Conn::conn_state`: no SYN seen from the endpoint.
    @inlinable var isInactiveForConnState: Bool { self == .inactive || self == .partial }
    /// TCP_Endpoint.cc `is_handshake`.
    @inlinable var isHandshake: Bool { self == .inactive || self == .synSent || self == .synAckSent }
}

/// One side of a TCP connection as Zeek tracks it (TCP_Endpoint.h/.cc): state, the sequence
/// bookkeeping that yields the byte counts, and the per-side history memory.
///
/// Sequence numbers are kept raw (32-bit) plus a wrap count, as Zeek does; the 64-bit position
/// of `x` after `w` wraps is `w << 32 | x` (`ToFullSeqSpace`).
public struct TCPEndpoint: Sendable, BitwiseCopyable {
    public var state = TCPEndpointState.inactive
    public var prevState = TCPEndpointState.inactive
    public var startSeq: UInt32 = 0
    public var lastSeq: UInt32 = 0
    public var ackSeq: UInt32 = 0
    public var seqWraps: UInt32 = 0
    public var ackWraps: UInt32 = 0
    public var finCount: UInt32 = 0
    public var didClose = false
    public var windowScale: UInt8 = 0
    /// Relative sequence numbers of the last SYN, FIN (end) and RST, for the history rule.
    public var histLastSYN: UInt64 = 0
    public var histLastFIN: UInt64 = 0
    public var histLastRST: UInt64 = 0
    /// Content gaps reported (history `G` on the 1st, 10th, 100th…). The other scaled letters
    /// (`C`, `T`, `W`) are decided from the anomaly counters of the same events (`TCPExtras`).
    public var gapEvents: UInt32 = 0
    /// Relative position up to which a content gap was already reported (missed bytes).
    public var gapReportedTo: UInt64 = 0

    public init() {}

    /// Sets the state, remembering the previous one (`TCP_Endpoint::SetState`).
    @inlinable
    mutating func setState(_ s: TCPEndpointState) {
        guard s != state else { return }
        prevState = state
        state = s
    }

    @inlinable mutating func initStart(_ s: UInt32) { startSeq = s }
    @inlinable mutating func initLast(_ s: UInt32) { lastSeq = s }
    @inlinable mutating func initAck(_ s: UInt32) { ackSeq = s }
    @inlinable mutating func updateLast(_ s: UInt32) {
        if s < lastSeq { seqWraps &+= 1 }
        lastSeq = s
    }
    @inlinable mutating func updateAck(_ s: UInt32) {
        if s < ackSeq { ackWraps &+= 1 }
        ackSeq = s
    }

    @inlinable static func full(_ s: UInt32, _ wraps: UInt32) -> UInt64 { UInt64(wraps) << 32 | UInt64(s) }
    @inlinable func toRelative(_ s: UInt32, _ wraps: UInt32) -> UInt64 { Self.full(s, wraps) &- UInt64(startSeq) }
    @inlinable var relativeLastSeq: UInt64 { toRelative(lastSeq, seqWraps) }

    /// `TCP_Endpoint::NoDataAcked`.
    @inlinable var noDataAcked: Bool {
        let ack = Self.full(ackSeq, ackWraps)
        let start = UInt64(startSeq)
        return ack == start || ack == start &+ 1
    }
}

/// Signed distance between two sequence numbers (`seq_delta`, RFC 9293 §3.4 modular compare).
@inlinable func seqDelta(_ a: UInt32, _ b: UInt32) -> Int32 { Int32(bitPattern: a &- b) }
