import PacketCodec

/// What one side did during connection establishment (RFC 9293 §3.5), recorded from packets
/// that drive the state machine (bad-checksum packets do not). Kept per *physical* side of the
/// flow key and mapped to originator/responder when the record is written, so role flips cost
/// nothing.
struct SideHandshake: Sendable, BitwiseCopyable {
    // The three times first, then the 32-bit fields, then the flag: 64 bytes, no padding holes.
    var synTime: Int64 = 0
    var synAckTime: Int64 = 0
    var thirdAckTime: Int64 = 0
    /// Pure SYNs (no ACK) sent; the first one's time (above), ISN, payload and options.
    var synCount: UInt32 = 0
    var synISN: UInt32 = 0
    var synPayload: Int32 = 0
    var synOptions = PackedOptions()
    /// SYN-ACKs sent.
    var synAckCount: UInt32 = 0
    var synAckISN: UInt32 = 0
    var synAckAck: UInt32 = 0
    var synAckOptions = PackedOptions()
    var thirdAckValue: UInt32 = 0
    /// First ACK (without SYN) sent after the peer's SYN-ACK: the third packet of the handshake.
    var thirdAckSeen = false
}

/// `OfferedOptions` in a trivially copyable form.
struct PackedOptions: Sendable, BitwiseCopyable {
    var mss: UInt16 = 0
    var windowScale: UInt8 = 0
    var bits: UInt8 = 0   // 1 mss, 2 wscale, 4 sack, 8 timestamps, 16 TFO

    init() {}
    init(_ o: TCPOptionSummary) {
        if let m = o.mss { mss = m; bits |= 1 }
        if let w = o.windowScale { windowScale = w; bits |= 2 }
        if o.sackPermitted { bits |= 4 }
        if o.timestampValue != nil { bits |= 8 }
        if o.fastOpen { bits |= 16 }
    }

    var offered: OfferedOptions {
        var r = OfferedOptions()
        if bits & 1 != 0 { r.mss = mss }
        if bits & 2 != 0 { r.windowScale = windowScale }
        r.sackPermitted = bits & 4 != 0
        r.timestamps = bits & 8 != 0
        r.fastOpen = bits & 16 != 0
        return r
    }
}

extension SideHandshake {
    /// Records a segment sent by this side. `peer` is the other side's record.
    mutating func record(_ h: TCPHeader, payload: Int, time: Int64, peer: SideHandshake) {
        let f = h.flags
        if f.contains(.syn) && !f.contains(.rst) {
            if f.contains(.ack) {
                if synAckCount == 0 {
                    synAckTime = time
                    synAckISN = h.sequenceNumber
                    synAckAck = h.acknowledgmentNumber
                    synAckOptions = PackedOptions(h.options)
                }
                synAckCount &+= 1
            } else {
                if synCount == 0 {
                    synTime = time
                    synISN = h.sequenceNumber
                    synPayload = Int32(clamping: payload)
                    synOptions = PackedOptions(h.options)
                }
                synCount &+= 1
            }
        } else if f.contains(.ack) && !thirdAckSeen && peer.synAckCount > 0 && synCount > 0 {
            thirdAckSeen = true
            thirdAckTime = time
            thirdAckValue = h.acknowledgmentNumber
        }
    }
}

/// Builds DESIGN.md's `handshake` object from both sides' records.
///
/// * `state`: `complete` = SYN, SYN-ACK and the originator's ACK were all seen; `syn-synack` = no
///   third packet; `rejected` = the responder answered the SYN with a RST; `syn-only` = nothing
///   came back; `none` = no SYN from the originator (midstream or SYN-ACK-first flows).
///   In a simultaneous open (both sides sent a plain SYN, RFC 9293 §3.5 figure 8) the state is
///   `complete` once either side sent a SYN-ACK and the other acknowledged it.
/// * Times: the first SYN, the first SYN-ACK, the third packet. `synToSynAck` is measured from
///   the *first* SYN (so SYN retransmissions show up in it, as in Argus' `synack`).
/// * `valid`: SYN-ACK acknowledges originator ISN + 1 and the third packet acknowledges
///   responder ISN + 1 (the check arkime/arkime#4178 asks for); nil until both were seen.
/// * Retransmissions: further SYNs (same ISN) and further SYN-ACKs.
enum HandshakeBuilder {
    static func report(orig o: SideHandshake, resp r: SideHandshake, respReset: Bool,
                       rejected: Bool) -> HandshakeReport {
        var h = HandshakeReport()
        h.simultaneousOpen = o.synCount > 0 && r.synCount > 0
        if o.synCount > 0 {
            h.synTime = o.synTime
            h.originatorISN = o.synISN
            h.synRetransmissions = Int(o.synCount) - 1
            h.synPayloadBytes = Int(o.synPayload)
            h.originatorOptions = o.synOptions.offered
        }
        if r.synAckCount > 0 {
            h.synAckTime = r.synAckTime
            h.responderISN = r.synAckISN
            h.synAckRetransmissions = Int(r.synAckCount) - 1
            h.responderOptions = r.synAckOptions.offered
            if let s = h.synTime { h.synToSynAck = Double(r.synAckTime - s) / 1e9 }
        } else if h.simultaneousOpen {
            h.responderISN = r.synISN
            h.responderOptions = r.synOptions.offered
        }
        if o.thirdAckSeen {
            h.ackTime = o.thirdAckTime
            if r.synAckCount > 0 { h.synAckToAck = Double(o.thirdAckTime - r.synAckTime) / 1e9 }
        }
        if o.synCount == 0 {
            h.state = .none
        } else if h.simultaneousOpen {
            let oneSynAckAcked = (r.synAckCount > 0 && o.thirdAckSeen) || (o.synAckCount > 0 && r.thirdAckSeen)
            h.state = oneSynAckAcked ? .complete : (r.synAckCount > 0 || o.synAckCount > 0 ? .synSynAck : .synOnly)
        } else if r.synAckCount > 0 {
            h.state = o.thirdAckSeen ? .complete : .synSynAck
        } else if rejected || respReset {
            h.state = .rejected
        } else {
            h.state = .synOnly
        }
        if o.synCount > 0 && r.synAckCount > 0 && o.thirdAckSeen {
            h.valid = r.synAckAck == o.synISN &+ 1 && o.thirdAckValue == r.synAckISN &+ 1
        }
        return h
    }
}
