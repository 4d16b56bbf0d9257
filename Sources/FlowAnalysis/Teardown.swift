import PacketCodec

/// What one side did to end the connection (RFC 9293 §3.6), per physical side.
struct SideTeardown: Sendable, BitwiseCopyable {
    var finTime: Int64 = 0
    var rstTime: Int64 = 0
    /// Sequence number one past the FIN: the peer's ACK must reach it.
    var finEnd: UInt32 = 0
    var sentFIN = false
    var finAcked = false
    var sentRST = false
}

/// Connection-wide teardown facts that do not belong to one side.
struct TeardownFacts: Sendable, BitwiseCopyable {
    /// Payload bytes (new data) the other side sent after the first FIN.
    var dataAfterFirstFIN: UInt64 = 0
    /// 0 none, 1 side A first, 2 side B first.
    var firstFIN: UInt8 = 0
    /// 0 none, 1 A, 2 B. The first RST's time is that side's `SideTeardown.rstTime`.
    var firstRST: UInt8 = 0
    /// FINs seen before the first RST (0, 1 or 2).
    var finsBeforeRST: UInt8 = 0
    /// How the second FIN related to the first one's acknowledgment:
    /// 0 not yet, 1 first FIN already acked (4-way), 2 acked by the second FIN itself (3-way),
    /// 3 not acked yet (simultaneous close).
    var secondFINMode: UInt8 = 0
}

extension TCPExtras {
    /// Updates the teardown picture with a segment from side `fromA` (which drives the state
    /// machine). `newData` is true when the payload advanced the sender's sequence space.
    mutating func recordTeardown(_ h: TCPHeader, payload: Int, fromA: Bool, time: Int64, newData: Bool) {
        let f = h.flags
        var me = fromA ? tdA : tdB
        var peer = fromA ? tdB : tdA
        let myCode: UInt8 = fromA ? 1 : 2
        if payload > 0 && newData && facts.firstFIN != 0 && facts.firstFIN != myCode {
            facts.dataAfterFirstFIN &+= UInt64(payload)
        }
        let acksPeerFIN = f.contains(.ack) && peer.sentFIN && seqDelta(h.acknowledgmentNumber, peer.finEnd) >= 0
        if f.contains(.fin) && !me.sentFIN {
            me.sentFIN = true
            me.finTime = time
            me.finEnd = h.sequenceNumber &+ UInt32(truncatingIfNeeded: payload) &+ (f.contains(.syn) ? 2 : 1)
            if facts.firstFIN == 0 {
                facts.firstFIN = myCode
            } else if facts.secondFINMode == 0 {
                facts.secondFINMode = peer.finAcked ? 1 : (acksPeerFIN ? 2 : 3)
            }
        }
        if acksPeerFIN { peer.finAcked = true }
        if f.contains(.rst) {
            if !me.sentRST { me.sentRST = true; me.rstTime = time }
            if facts.firstRST == 0 {
                facts.firstRST = myCode   // `me.rstTime` was set just above
                facts.finsBeforeRST = (me.sentFIN ? 1 : 0) + (peer.sentFIN ? 1 : 0)
            }
        }
        if fromA { tdA = me; tdB = peer } else { tdB = me; tdA = peer }
    }

    /// Builds DESIGN.md's `teardown` object.
    ///
    /// * `kind`: `rst` when a RST ended the connection before both FINs were exchanged, `fin` when
    ///   FINs did (a RST after both FINs only sets `rst_by`), `none` otherwise.
    /// * `style`: `abort` (RST), `4-way` (FIN, its ACK, FIN, ACK), `3-way` (FIN, FIN+ACK in one
    ///   segment, ACK), `simultaneous` (both FINs sent before either was acknowledged),
    ///   `half-closed` (only one FIN by the end, or the other side kept sending new data after the
    ///   first FIN), `open` (no FIN, no RST).
    func teardownReport(origIsA: Bool) -> TeardownReport {
        let o = origIsA ? tdA : tdB
        let r = origIsA ? tdB : tdA
        let origCode: UInt8 = origIsA ? 1 : 2
        var t = TeardownReport()
        t.originatorFIN = o.sentFIN
        t.originatorFINAcked = o.finAcked
        t.responderFIN = r.sentFIN
        t.responderFINAcked = r.finAcked
        t.originatorFINTime = o.sentFIN ? o.finTime : nil
        t.responderFINTime = r.sentFIN ? r.finTime : nil
        if facts.firstFIN != 0 { t.firstFIN = facts.firstFIN == origCode ? .originator : .responder }
        if facts.firstRST != 0 {
            t.rstBy = facts.firstRST == origCode ? .originator : .responder
            t.rstTime = facts.firstRST == 1 ? tdA.rstTime : tdB.rstTime
            t.rstAfterFIN = facts.finsBeforeRST > 0
        }
        t.dataAfterFirstFIN = facts.dataAfterFirstFIN
        let bothFIN = o.sentFIN && r.sentFIN
        if facts.firstRST != 0 && facts.finsBeforeRST < 2 {
            t.kind = .rst
            t.style = .abort
        } else if bothFIN {
            t.kind = .fin
            if facts.dataAfterFirstFIN > 0 {
                t.style = .halfClosed
            } else {
                switch facts.secondFINMode {
                case 1: t.style = .fourWay
                case 2: t.style = .threeWay
                default: t.style = .simultaneous
                }
            }
        } else if o.sentFIN || r.sentFIN {
            t.kind = .fin
            t.style = .halfClosed
        } else {
            t.kind = .none
            t.style = .open
        }
        return t
    }
}
