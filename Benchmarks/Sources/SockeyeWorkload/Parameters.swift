/// Knobs of the synthetic workload. Same parameters → byte-identical pcap and summary.
public struct WorkloadParameters: Sendable {
    /// Exact number of packets written (flows + ARP).
    public var packets: Int
    /// Exact number of flows (each a unique 5-tuple).
    public var flows: Int
    public var seed: UInt64
    /// Share of flows that are UDP.
    public var udpShare = 0.2
    /// Probability that an eligible (data-phase) packet gets a wrong checksum: IPv4 header
    /// (30%) or TCP/UDP (70%), never both.
    public var badShare = 0.001
    /// Share of packets that are ARP.
    public var arpShare = 0.001
    /// Share of QUIC/RTP-like flows sent with UDP checksum 0 ("none", RFC 768).
    public var udpZeroShare = 0.05
    /// Packets per second of capture time: the capture spans `packets / rate` seconds.
    public var rate = 20_000.0
    /// TCP flow outcomes, shares normalised.
    public var tcpMix: [(TCPOutcome, Double)] = [(.complete, 0.78), (.halfClosed, 0.05), (.aborted, 0.05),
                                                 (.refused, 0.06), (.synOnly, 0.06)]
    /// UDP flow kinds, shares normalised.
    public var udpMix: [(UDPKind, Double)] = [(.dns, 0.6), (.quic, 0.2), (.rtp, 0.1), (.ntp, 0.1)]

    /// When set, every TCP/UDP frame is sent inside VXLAN with this VNI (RFC 7348): outer
    /// Ethernet/IPv4 192.0.2.1 ↔ 192.0.2.2, UDP to 4789 from a per-flow source port (as Linux
    /// hashes the inner flow), UDP checksum 0 (Linux's default). ARP frames stay bare. The
    /// inner frames, and so the ground truth of the flows, are the plain workload's.
    public var vxlanVNI: UInt32? = nil

    public init(packets: Int, flows: Int, seed: UInt64) {
        self.packets = packets
        self.flows = flows
        self.seed = seed
    }

    /// Capture duration in microseconds.
    public var durationMicros: Int64 { Int64(max(1.0, Double(packets) / rate) * 1e6) }
}

public enum TCPOutcome: Int, CaseIterable, Sendable {
    /// Handshake, data both ways, FIN teardown by either side (4 or 3 packets). Zeek: SF.
    case complete
    /// Handshake, data, one FIN acknowledged, the other side keeps sending; no second FIN.
    /// Zeek: S2 (client closed) or S3 (server closed).
    case halfClosed
    /// Handshake, data, then RST (or RST+ACK) from either side. Zeek: RSTO / RSTR.
    case aborted
    /// SYN answered by RST+ACK. Zeek: REJ.
    case refused
    /// SYN with 0–2 retransmissions, no answer. Zeek: S0.
    case synOnly

    public var name: String {
        switch self {
        case .complete: "complete"
        case .halfClosed: "half_closed"
        case .aborted: "aborted"
        case .refused: "refused"
        case .synOnly: "syn_only"
        }
    }
}

public enum UDPKind: Int, CaseIterable, Sendable {
    case dns, quic, rtp, ntp
    public var name: String {
        switch self {
        case .dns: "dns"
        case .quic: "quic"
        case .rtp: "rtp"
        case .ntp: "ntp"
        }
    }
}

/// Client operating systems: SYN options, TTL, window scale, ephemeral port range.
public enum ClientOS: UInt8, CaseIterable, Sendable {
    /// MSS, SACK_PERM, TS, NOP, WS — TTL 64.
    case linux
    /// MSS, NOP, WS, NOP, NOP, TS, SACK_PERM, EOL, EOL (24 option bytes) — TTL 64.
    case macOS
    /// MSS, NOP, WS, NOP, NOP, SACK_PERM (no timestamps) — TTL 128.
    case windows

    var ttl: UInt8 { self == .windows ? 128 : 64 }
    var windowScale: UInt8 {
        switch self {
        case .linux: 7
        case .macOS: 6
        case .windows: 8
        }
    }
    var timestamps: Bool { self != .windows }
    var synWindow: UInt16 { self == .macOS ? 65535 : 64240 }
    var ephemeral: ClosedRange<Int> { self == .linux ? 32768...60999 : 49152...65535 }
    var name: String {
        switch self {
        case .linux: "linux"
        case .macOS: "macos"
        case .windows: "windows"
        }
    }
}
