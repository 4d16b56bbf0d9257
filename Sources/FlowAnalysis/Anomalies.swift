/// Per-direction anomaly counting (`DirectionAnomalies` in ConnectionRecord.swift).
///
/// * `retransmissions` / `outOfOrder`: Zeek marks both with `T` (a payload segment whose end does
///   not advance the sender's highest sequence number, TCPSessionAdapter.cc `update_last_seq`).
///   Sockeye splits them: a segment that falls into the most recent hole the sender left (it
///   jumped ahead, then the missing bytes arrived) counts as out-of-order, anything else as a
///   retransmission. One hole per direction is remembered, which covers the usual single
///   reordering; tcptrace's per-segment lists (rexmit.c) are more exact and cost memory.
/// * `zeroWindow`: every window-0 advertisement Zeek would consider (`update_window`: not on a
///   RST, not after the peer's FIN, not after the sender's RST).
/// * `badChecksums` / `partialChecksums`: transport checksum verdicts from `PacketDecoder`.
/// * `dataAfterFIN`: segments with new payload sent after the sender's own FIN.
/// * `ackedUnseen`: bytes this side sent that the peer acknowledged but the capture never showed
///   (the same gaps that make `missed_bytes`, counted in every state).
struct HoleTracker: Sendable, BitwiseCopyable {
    var active = false
    var start: UInt32 = 0
    var end: UInt32 = 0

    /// A segment starting at `seq` jumped past `expected`: remember the hole.
    mutating func open(expected: UInt32, seq: UInt32) {
        active = true
        start = expected
        end = seq
    }

    /// A segment `[seq, seq+len)` that did not advance the sequence space: true if it filled
    /// (part of) the hole, i.e. it is out of order rather than a retransmission. The hole
    /// shrinks from whichever edge the segment touches, so data that arrives in reverse order
    /// (common after a burst is reordered) closes the hole completely.
    mutating func fills(seq: UInt32, length: Int) -> Bool {
        let segEnd = seq &+ UInt32(truncatingIfNeeded: length)
        guard active, seqDelta(segEnd, start) > 0, seqDelta(seq, end) < 0 else { return false }
        if seqDelta(seq, start) <= 0 { start = segEnd }
        if seqDelta(segEnd, end) >= 0 { end = seq }
        if seqDelta(start, end) >= 0 { active = false }
        return true
    }
}
