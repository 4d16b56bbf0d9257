/// Zeek's byte counters (scripts/base/protocols/conn/main.zeek, flow-semantics §1.4).
///
/// * TCP `orig_bytes`/`resp_bytes` come from sequence numbers, not from payload sums:
///   `TCP_Endpoint::Size()` = max(last seq, highest ack received) − start seq in 64-bit wrapped
///   space, minus one for the SYN and one more when a FIN was sent. So they count the sequence
///   *span* (lost and unseen bytes included) and can be wrong when sequence numbers are bogus.
/// * UDP: Σ(UDP length − 8); ICMP: Σ(ICMP length − 8).
/// * `*_ip_bytes`: Σ IP total length (IPv6: 40 + payload length), counted per packet.
/// * `missed_bytes`: bytes the peer acknowledged that were never seen (content gaps), counted while
///   both sides are established (see `TCPConnection.ackReceived`).
enum ByteCounting {
    /// `TCP_Endpoint::Size()` (TCP_Endpoint.cc).
    static func size(of e: TCPEndpoint, peer: TCPEndpoint) -> UInt64 {
        if e.prevState == .synSent && e.state == .reset && peer.state == .inactive && !e.noDataAcked {
            // A half-open connection discovered and aborted: the sequence numbers say nothing.
            return 0
        }
        let last = TCPEndpoint.full(e.lastSeq, e.seqWraps)
        let ack = TCPEndpoint.full(e.ackSeq, e.ackWraps)
        var size = (last > ack ? last : ack) &- UInt64(e.startSeq)
        if size != 0 { size &-= 1 }                      // the SYN octet
        if e.finCount > 0 && size != 0 { size &-= 1 }   // the FIN octet
        return size
    }
}
