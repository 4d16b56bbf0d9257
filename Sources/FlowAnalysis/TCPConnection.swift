import PacketCodec

/// Per-connection TCP state: Zeek's two `TCP_Endpoint`s, the history and Sockeye's handshake
/// tracker inline; the teardown, hole and anomaly trackers in a `TCPExtras` record allocated on
/// first need (`extras`).
///
/// The state machine is Zeek's (src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc `Process`,
/// `UpdateStateMachine` and the `Update*State` functions; TCP.cc for the originator choice;
/// TCP_Endpoint.cc for states and sizes), driven by every segment whose checksum is not bad.
/// RFC 9293 §3.3.2 (state machine), §3.5 (establishment) and §3.6 (closing) describe what the
/// endpoints themselves do; Zeek's endpoint states are an observer's simplification of those.
///
/// Departures from Zeek (documented in the README):
/// * Bad-checksum segments are not dropped: they are counted (packets, IP bytes, anomalies) and
///   marked `C`/`c` (logarithmically), but like in Zeek they do not drive the state machine,
///   the handshake or the teardown, so a corrupted SYN-ACK followed by a clean retransmission
///   still gives a clean handshake. Offload `partial` checksums count as good.
/// * Crossing SYNs (simultaneous open, RFC 9293 §3.5 figure 8) stay one connection; Zeek's
///   `IsReuse` would start a new connection on the responder's SYN because its ISN differs.
struct TCPConnection: Sendable {
    var a = TCPEndpoint()
    var b = TCPEndpoint()
    var hsA = SideHandshake()
    var hsB = SideHandshake()
    var history = FlowHistory()
    /// Time the attempt timer was armed (`tcp_attempt_delay`), or -1.
    var attemptTime: Int64 = -1
    /// Time the connection was seen closed (close delay runs from here), or -1.
    var closeTime: Int64 = -1
    var missedBytes: UInt64 = 0
    /// Index of this connection's `TCPExtras` record, -1 until it needs one.
    var extras: Int32 = -1
    /// Switched to `tcp_inactivity_timeout` (left the handshake states).
    var longTimeout = false
    /// The responder rejected the SYN (`connection_rejected`).
    var rejected = false

    /// Zeek's `IsClosed`: either side has closed.
    var isClosed: Bool { a.didClose || b.didClose }
}

private let tooLargeSeqDelta: Int32 = 1_048_576

// MARK: Zeek helper functions (TCPSessionAdapter.cc)

/// `get_relative_seq`: relative sequence number of `cur` against `e.startSeq`, wrap aware.
@inline(__always)
private func relativeSeq(_ e: TCPEndpoint, _ cur: UInt32, last: UInt32, wraps w: UInt32) -> (UInt64, Bool) {
    var wraps = w
    let delta = seqDelta(cur, last)
    if delta < 0 {
        if wraps != 0 && cur > last { wraps -= 1 }
    } else if delta > 0 {
        if cur < last { wraps &+= 1 }
    }
    if wraps == 0 {
        let d = seqDelta(cur, e.startSeq)
        return (UInt64(bitPattern: Int64(d)), d < 0)
    }
    return (e.toRelative(cur, wraps), false)
}

/// `init_endpoint`.
@inline(__always)
private func initEndpoint(_ e: inout TCPEndpoint, syn: Bool, first: UInt32, last lastIn: UInt32) {
    var last = lastIn
    switch e.state {
    case .inactive:
        if syn {
            e.initAck(first)
            e.initStart(first)
        } else {
            // Partial connection: number as if a SYN had been seen.
            e.initAck(first &- 1)
            e.initStart(first &- 1)
            last = first
        }
        e.initLast(last)
    case .synSent, .synAckSent:
        if syn && first != e.startSeq {
            e.initStart(first); e.initAck(first); e.initLast(last)
        }
    case .established, .partial:
        if syn {
            e.initStart(first); e.initAck(first); e.initLast(last)
        }
    case .reset:
        if syn && e.prevState == .inactive {
            e.initStart(first); e.initAck(first); e.initLast(last)
        }
    case .closed:
        break
    }
}

extension TCPConnection {
    /// Zeek's `TCPSessionAdapter::IsReuse` for a SYN arriving on an existing connection: true
    /// when it starts a new connection on the same 5-tuple.
    func isReuse(_ h: TCPHeader, fromA: Bool, origIsA: Bool) -> Bool {
        let f = h.flags
        guard f.contains(.syn) else { return false }
        let orig = origIsA ? a : b
        let resp = origIsA ? b : a
        var connOrig = orig
        if f.contains(.ack) {
            if orig.state != .inactive { return false }   // not a half connection
            connOrig = resp
        }
        guard !isClosed else { return true }
        let base = h.sequenceNumber
        if base == connOrig.startSeq { return false }
        if !f.contains(.ack) && connOrig.state == .synAckSent && resp.state == .inactive && base == resp.startSeq {
            return false   // SYN / SYN-ACK reordering, flipped in UpdateInactiveState
        }
        // Sockeye: crossing SYNs are a simultaneous open, not a reuse.
        if !f.contains(.ack) && fromA != origIsA && orig.state == .synSent && resp.state == .inactive {
            return false
        }
        return true
    }

    /// Processes one TCP segment that passed the checksum test (Zeek `TCPAnalyzer::DeliverPacket`
    /// after `ValidateChecksum`, then `TCPSessionAdapter::Process`). Returns true when the
    /// segment's payload advanced the sender's sequence space (new data).
    @discardableResult
    mutating func process(_ h: TCPHeader, flow f: inout FlowState, fromA: Bool, time t: Int64,
                          extrasStore x: TCPExtrasAccess) -> Bool {
        let flags = h.flags
        let syn = flags.contains(.syn), fin = flags.contains(.fin), rst = flags.contains(.rst)
        let ack = flags.contains(.ack)
        let len = h.payloadLength

        // A connection that began with a SYN-ACK is flipped when an ACK or data segment follows
        // (zeek/zeek#2191): history "H" becomes "^h".
        if !syn && !fin && !rst && (len > 0 || ack) && history.letters.isExactly(UInt8(ascii: "H")) {
            f.origIsA.toggle()
            history.seen = HistoryMask.flipped(history.seen)
            history.letters.reset("^h")
        }

        let isOrig = fromA == f.origIsA
        var ep = fromA ? a : b
        var peer = fromA ? b : a
        let hadFIN = ep.finCount > 0
        let baseSeq = h.sequenceNumber
        let ackSeq = h.acknowledgmentNumber

        var segLen = len + (syn ? 1 : 0) + (fin ? 1 : 0)
        if rst { segLen -= len }
        let seqOnePast = baseSeq &+ UInt32(truncatingIfNeeded: segLen)

        initEndpoint(&ep, syn: syn, first: baseSeq, last: seqOnePast)
        let (relSeq, _) = relativeSeq(ep, baseSeq, last: ep.lastSeq, wraps: ep.seqWraps)

        updateHistory(flags, &ep, relSeq: relSeq, len: len, fromA: fromA, origIsA: f.origIsA)

        // update_window: zero-window advertisements.
        let scaled = UInt64(h.window) << UInt64(ep.windowScale)
        if scaled == 0 && !rst && peer.state != .closed && ep.state != .reset {
            let e = x.get(&extras)
            e.pointee.anomalies[fromA: fromA].zeroWindow &+= 1
            if isScaledHistoryStep(UInt64(e.pointee.anomalies[fromA: fromA].zeroWindow)) {
                history.add(UInt8(ascii: "W"), isOrig: fromA == f.origIsA)
            }
        }

        if !(ep.didClose && peer.didClose) { f.lastTime = t }

        if syn {
            // init_window
            if let s = h.options.windowScale {
                ep.windowScale = min(s, 14)
            } else {
                ep.windowScale = 0
                if ack { peer.windowScale = 0 }
            }
        }
        if fin { ep.finCount &+= 1 }

        var relAck: UInt64 = 0
        if ack {
            if peer.state == .inactive {
                relAck = 1
                // init_peer
                peer.initStart(ackSeq &- 1)
                peer.initAck(ackSeq &- 1)
                peer.initLast(ackSeq &- 1)
            } else {
                let (r, underflow) = relativeSeq(peer, ackSeq, last: peer.ackSeq, wraps: peer.ackWraps)
                if underflow {
                    relAck = 0
                } else {
                    relAck = r
                    if !rst {
                        // update_ack_seq
                        let d = seqDelta(ackSeq, peer.ackSeq)
                        if !(ackSeq == 0 && d > tooLargeSeqDelta) && d > 0 { peer.updateAck(ackSeq) }
                    }
                }
            }
        }

        // update_last_seq
        var newData = false
        let deltaLast = seqDelta(seqOnePast, ep.lastSeq)
        if (syn || rst) && (deltaLast > tooLargeSeqDelta || deltaLast < -tooLargeSeqDelta) {
            // untrusted jump
        } else if fin && ep.lastSeq == ep.startSeq &+ 1 {
            ep.updateLast(seqOnePast)
        } else if ep.state == .reset {
            // no longer trusted
        } else if deltaLast > 0 {
            if !syn && seqDelta(baseSeq, ep.lastSeq) > 0 {
                let e = x.get(&extras)
                if fromA {
                    e.pointee.holeA.open(expected: ep.lastSeq, seq: baseSeq)
                } else {
                    e.pointee.holeB.open(expected: ep.lastSeq, seq: baseSeq)
                }
            }
            ep.updateLast(seqOnePast)
            newData = len > 0
        } else if len > 0 {
            // DidRxmit
            let e = x.get(&extras)
            let ooo = fromA ? e.pointee.holeA.fills(seq: baseSeq, length: len)
                            : e.pointee.holeB.fills(seq: baseSeq, length: len)
            if ooo {
                e.pointee.anomalies[fromA: fromA].outOfOrder &+= 1
            } else {
                e.pointee.anomalies[fromA: fromA].retransmissions &+= 1
            }
            let rexmits = e.pointee.anomalies[fromA: fromA]
            if isScaledHistoryStep(UInt64(rexmits.retransmissions) &+ UInt64(rexmits.outOfOrder)) {
                history.add(UInt8(ascii: "T"), isOrig: fromA == f.origIsA)
            }
        }
        if hadFIN && newData {
            x.get(&extras).pointee.anomalies[fromA: fromA].dataAfterFIN &+= 1
        }

        // Handshake and teardown pictures (Sockeye).
        if fromA {
            hsA.record(h, payload: len, time: t, peer: hsB)
        } else {
            hsB.record(h, payload: len, time: t, peer: hsA)
        }
        if extras >= 0 || fin || rst {
            // Without extras nothing was torn down yet: a segment without FIN/RST changes nothing.
            x.get(&extras).pointee.recordTeardown(h, payload: len, fromA: fromA, time: t, newData: newData)
        }

        // UpdateStateMachine
        var doClose = false
        switch ep.state {
        case .inactive:
            updateInactiveState(&ep, &peer, &f, isOrig: isOrig, flags: flags, baseSeq: baseSeq, len: len,
                                time: t, doClose: &doClose)
        case .synSent, .synAckSent:
            if fin { ep.setState(.closed); doClose = true }
            if rst { ep.setState(.reset); doClose = true }
        case .established, .partial:
            if syn && ep.state == .partial && peer.state == .inactive && !ack { ep.setState(.synSent) }
            if fin && !rst {
                ep.setState(.closed)
                if peer.state == .reset && peer.prevState == .closed {
                    peer.setState(.closed)   // FIN then RST from the peer was a normal close
                }
                doClose = true
            }
            if rst { ep.setState(.reset); doClose = true }
        case .closed:
            if rst && peer.state != .closed {
                ep.setState(.reset)
                if !ep.didClose { doClose = true }
            }
        case .reset:
            break
        }

        if !ep.state.isHandshake || !peer.state.isHandshake { longTimeout = true }

        // AckReceived: acknowledgments of sequence space never seen are content gaps.
        if ack && !rst && peer.state != .inactive {
            ackReceived(&peer, relAck: relAck, peerIsA: !fromA, ep: ep, finOrRst: fin, origIsA: f.origIsA, x)
        }

        if doClose { connectionClosed(&ep, peer, lastTime: f.lastTime) }
        if fromA { a = ep; b = peer } else { b = ep; a = peer }

        // Zeek's ExpireTimer removes a connection once one side closed and the other side reset
        // or never spoke; Sockeye schedules it like a completed close.
        if closeTime < 0 && (a.didClose || b.didClose)
            && (a.state == .reset || b.state == .reset || a.state == .inactive || b.state == .inactive) {
            closeTime = f.lastTime
        }
        return newData
    }

    /// `update_history`.
    @inline(__always)
    private mutating func updateHistory(_ flags: TCPFlags, _ ep: inout TCPEndpoint, relSeq: UInt64, len: Int, fromA: Bool,
                                        origIsA: Bool) {
        let isOrig = fromA == origIsA
        let syn = flags.contains(.syn), fin = flags.contains(.fin), rst = flags.contains(.rst)
        let bits = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0)
        if bits > 1 {
            if fin && rst {
                _ = history.check(HistoryMask.finRst, UInt8(ascii: "I"), isOrig: isOrig)
            } else {
                _ = history.check(HistoryMask.multiFlag, UInt8(ascii: "Q"), isOrig: isOrig)
            }
        } else if bits == 1 {
            if syn {
                let code = flags.contains(.ack) ? UInt8(ascii: "H") : UInt8(ascii: "S")
                if history.check(HistoryMask.syn, code, isOrig: isOrig) && relSeq != ep.histLastSYN {
                    history.add(code, isOrig: isOrig)
                }
                ep.histLastSYN = relSeq
            }
            if fin {
                let end = relSeq &+ UInt64(len)
                if history.check(HistoryMask.fin, UInt8(ascii: "F"), isOrig: isOrig) && end != ep.histLastFIN {
                    history.add(UInt8(ascii: "F"), isOrig: isOrig)
                }
                ep.histLastFIN = end
            }
            if rst {
                if history.check(HistoryMask.rst, UInt8(ascii: "R"), isOrig: isOrig) && relSeq != ep.histLastRST {
                    history.add(UInt8(ascii: "R"), isOrig: isOrig)
                }
                ep.histLastRST = relSeq
            }
        } else {
            if len > 0 {
                _ = history.check(HistoryMask.data, UInt8(ascii: "D"), isOrig: isOrig)
            } else if flags.contains(.ack) {
                _ = history.check(HistoryMask.ack, UInt8(ascii: "A"), isOrig: isOrig)
            }
        }
    }

    /// `UpdateInactiveState`.
    @inline(__always)
    private mutating func updateInactiveState(_ ep: inout TCPEndpoint, _ peer: inout TCPEndpoint, _ f: inout FlowState,
                                              isOrig: Bool,
                                              flags: TCPFlags, baseSeq: UInt32, len: Int, time: Int64,
                                              doClose: inout Bool) {
        let syn = flags.contains(.syn), fin = flags.contains(.fin), rst = flags.contains(.rst)
        let ack = flags.contains(.ack)
        if syn {
            if isOrig {
                ep.setState(ack ? .synAckSent : .synSent)
                attemptTime = time
            } else {
                if ack {
                    // bad_SYN_ack weird only
                } else if peer.state == .synAckSent && baseSeq == ep.startSeq {
                    // SYN/SYN-ACK reversal: flip and establish.
                    f.origIsA.toggle()
                    history.flip()
                    peer.setState(.established)
                }
                // else: simultaneous open (weird only)
                if peer.state == .synSent { peer.setState(.established) }
                ep.setState(.established)
            }
        }
        if fin {
            ep.setState(.closed)
            doClose = true
        }
        if rst {
            ep.setState(.reset)
            let isReject = isOrig ? peer.state == .established : (peer.state == .synSent || peer.state == .synAckSent)
            if isReject { rejected = true }
            doClose = true
        }
        if ep.state == .inactive {
            let origState = isOrig ? ep.state : peer.state
            if !isOrig && len == 0 && origState == .synSent {
                // An ACK of the SYN before the SYN-ACK: not a partial connection.
            } else if ack && peer.state == .established {
                ep.setState(.established)   // SYN-ACK seen, SYN missed
            } else {
                ep.setState(.partial)
            }
        }
    }

    /// `ConnectionClosed` (no reassembler, so no deferred close).
    @inline(__always)
    private mutating func connectionClosed(_ ep: inout TCPEndpoint, _ peer: TCPEndpoint, lastTime: Int64) {
        if ep.didClose { return }
        ep.didClose = true
        let closeComplete = ep.state == .reset || peer.didClose || peer.state == .inactive
        if closeComplete && closeTime < 0 { closeTime = lastTime }
    }

    /// Content gaps (`TCP_Reassembler::AckReceived` → `Gap`): the ACK covers bytes of the peer
    /// that were never seen. Reported (history `G`, `missed_bytes`) while both sides are
    /// established and the ACK is not on a FIN/RST, as Zeek does; always counted as the peer's
    /// `ackedUnseen` anomaly.
    @inline(__always)
    private mutating func ackReceived(_ peer: inout TCPEndpoint, relAck: UInt64, peerIsA: Bool, ep: TCPEndpoint,
                                      finOrRst: Bool, origIsA: Bool, _ x: TCPExtrasAccess) {
        var gap: UInt64 = 0
        // A hole the peer left and the ACK now covers (data jumped ahead, the missing part never came).
        if let e = x.peek(extras), peerIsA ? e.pointee.holeA.active : e.pointee.holeB.active {
            let hole = peerIsA ? e.pointee.holeA : e.pointee.holeB
            let holeEnd = peer.toRelative(hole.end, peer.seqWraps)
            if relAck >= holeEnd && holeEnd &- peer.toRelative(hole.start, peer.seqWraps) < 1 << 31 {
                gap &+= UInt64(hole.end &- hole.start)
                if peerIsA { e.pointee.holeA.active = false } else { e.pointee.holeB.active = false }
            }
        }
        // Sequence space beyond anything the peer was seen sending.
        let seen = max(peer.relativeLastSeq, peer.gapReportedTo)
        if relAck > seen && relAck &- seen < 1 << 31 {
            gap &+= relAck &- seen
            peer.gapReportedTo = relAck
        }
        guard gap > 0 else { return }
        x.get(&extras).pointee.anomalies[fromA: peerIsA].ackedUnseen &+= gap
        if !finOrRst && ep.state == .established && peer.state == .established {
            missedBytes &+= gap
            peer.gapEvents &+= 1
            if isScaledHistoryStep(UInt64(peer.gapEvents)) { history.add(UInt8(ascii: "G"), isOrig: peerIsA == origIsA) }
        }
    }
}
