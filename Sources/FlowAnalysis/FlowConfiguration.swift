/// Knobs of `FlowAnalyzer`. Defaults are Zeek's (scripts/base/init-bare.zeek): all times are in
/// nanoseconds of *packet* time.
public struct FlowConfiguration: Sendable {
    /// `tcp_inactivity_timeout` (5 min): an established TCP connection with no packet for this
    /// long is written with close reason `.timeout`.
    public var tcpInactivityTimeout: Int64 = 300 * 1_000_000_000
    /// `udp_inactivity_timeout` (1 min). Zeek also applies it to TCP connections that have not
    /// left the handshake states (src/packet_analysis/protocol/tcp/TCP.cc `MakeSessionAdapter`,
    /// TCP_Endpoint.cc `SetState`).
    public var udpInactivityTimeout: Int64 = 60 * 1_000_000_000
    /// `icmp_inactivity_timeout` (1 min).
    public var icmpInactivityTimeout: Int64 = 60 * 1_000_000_000
    /// `unknown_ip_inactivity_timeout` (1 min), for IP protocols other than TCP/UDP/ICMP.
    public var otherInactivityTimeout: Int64 = 60 * 1_000_000_000
    /// `tcp_attempt_delay` (5 s): a SYN (or originator SYN-ACK) that got no reply at all is
    /// written as an attempt (S0) this long after it was sent; a later SYN starts a new record.
    public var tcpAttemptDelay: Int64 = 5 * 1_000_000_000
    /// `tcp_close_delay` (5 s): how long a closed connection (both FINs, a RST, or a close with
    /// a silent peer) is kept for stragglers before it is written.
    public var tcpCloseDelay: Int64 = 5 * 1_000_000_000
    /// `tcp_connection_linger` (5 s): TCP state that never became active (only bad-checksum
    /// packets) is dropped after this much silence.
    public var tcpConnectionLinger: Int64 = 5 * 1_000_000_000
    /// Most flows tracked at once; beyond it the least recently active flow is written with
    /// close reason `.evicted` (counted in `AnalysisSummary.evictedFlows`). A tracked TCP flow
    /// costs about 510 B (128 B hot record, 360 B TCP core, index) and about 680 B once it needs
    /// its 168 B `TCPExtras` record (a FIN/RST or an anomaly); a UDP/ICMP flow about 250 B. So
    /// the default bounds a SYN flood of distinct 5-tuples near 125 MB peak RSS; ordinary
    /// captures hold far fewer flows at once (the 5M-packet benchmark peaks near 1,300).
    public var maxFlows: Int = 200_000
    /// `frag_timeout` (5 min): an incomplete fragmented datagram is dropped this long after its
    /// first fragment (see `FragmentReassembler`).
    public var fragmentTimeout: Int64 = 300 * 1_000_000_000
    /// Verify the checksums of reassembled datagrams (IPv4 header, TCP, UDP): set it as the
    /// `PacketDecoder` of the packets is set (`--no-checksums` turns both off).
    public var verifyChecksums = true
    /// Keep `PacketEvent`s of TCP flows (for ladder diagrams).
    public var keepEvents = false
    /// Cap on events kept per flow.
    public var maxEventsPerFlow = 10_000
    /// Zeek's `likely_server_ports`, used to pick the originator when the first packet is not a
    /// SYN (TCP) and for UDP. See `LikelyServerPorts.zeekDefault`.
    public var likelyServerPorts = LikelyServerPorts.zeekDefault

    public init() {}
}
