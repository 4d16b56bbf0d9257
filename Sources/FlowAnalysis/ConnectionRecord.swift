import PacketCodec

/// What Sockeye reports for one flow: Zeek conn.log fields first, then the handshake,
/// teardown and anomaly reports. This is the contract between `FlowAnalysis` and `Reports`
/// (DESIGN.md §2 "Flow JSON"). Times are nanoseconds since the Unix epoch.
public struct ConnectionRecord: Sendable {
    /// Deterministic id: "C" + base62 of a hash of (5-tuple, first timestamp, per-5-tuple
    /// sequence number). Same input, same uid.
    public var uid: String
    /// First packet time (ns since epoch).
    public var startTime: Int64
    /// Last packet time counted in the duration (Zeek: not advanced after both sides closed).
    public var lastTime: Int64
    public var proto: TransportProtocol
    public var originator: Endpoint
    public var responder: Endpoint
    /// Zeek `duration`: nil when 0 (one-packet flows).
    public var duration: Double?
    /// Zeek `orig_bytes` / `resp_bytes` (TCP: from sequence numbers; UDP: Σ(len − 8)); nil when
    /// `duration` is nil, as Zeek leaves them unset.
    public var originatorBytes: UInt64?
    public var responderBytes: UInt64?
    public var connState: ConnState
    public var missedBytes: UInt64
    /// Zeek history string (may be empty; written as "-" in TSV).
    public var history: String
    public var originatorPackets: UInt64
    public var originatorIPBytes: UInt64
    public var responderPackets: UInt64
    public var responderIPBytes: UInt64
    /// IP protocol number (Zeek `ip_proto`).
    public var ipProtocol: UInt8
    /// TCP only.
    public var handshake: HandshakeReport?
    /// TCP only.
    public var teardown: TeardownReport?
    public var originatorAnomalies = DirectionAnomalies()
    public var responderAnomalies = DirectionAnomalies()
    /// Why the record was written: the flow ended, timed out, was evicted, or the input ended.
    public var closeReason: CloseReason
    /// Per-packet events for ladder diagrams; empty unless the analyzer was asked to keep them.
    public var events: [PacketEvent] = []
    /// VLAN id of the outermost link's first tag (Zeek's `vlan`, policy/protocols/conn/vlan-logging);
    /// part of the flow key.
    public var vlan: UInt16? = nil
    /// VLAN id of its second tag (Zeek's `inner_vlan`).
    public var innerVLAN: UInt16? = nil
    /// The tunnel around the flow's packets (from its first packet); nil when not tunnelled.
    public var tunnel: TunnelInfo? = nil
    /// Uids of the tunnels that directly wrapped this flow's packets (Zeek's `tunnel_parents`),
    /// in the order met: for each encapsulation the flow was seen in, the innermost tunnel —
    /// a UDP delivery flow (VXLAN, VXLAN-GPE, Geneve, GTP-U, Teredo, MPLS over UDP), which is a
    /// record of its own, or a GRE, ERSPAN or IP-in-IP tunnel, whose uid only tunnel.log
    /// (`FlowAnalyzer.onTunnel`) names.
    public var tunnelParents: [String] = []
    /// Link-layer (MAC) addresses of the originator and responder from the outermost Ethernet
    /// header of the flow's first packet (Zeek's `orig_l2_addr`/`resp_l2_addr`,
    /// policy/protocols/conn/mac-logging); nil on other link types.
    public var originatorL2Address: MACAddress? = nil
    public var responderL2Address: MACAddress? = nil
    /// ICMP/ICMPv6 error messages that quoted a packet of this flow; nil when none did.
    public var icmpErrors: ICMPErrorReport? = nil

    public init(uid: String, startTime: Int64, lastTime: Int64, proto: TransportProtocol, originator: Endpoint,
                responder: Endpoint, duration: Double?, originatorBytes: UInt64?, responderBytes: UInt64?,
                connState: ConnState, missedBytes: UInt64, history: String, originatorPackets: UInt64,
                originatorIPBytes: UInt64, responderPackets: UInt64, responderIPBytes: UInt64, ipProtocol: UInt8,
                handshake: HandshakeReport?, teardown: TeardownReport?, closeReason: CloseReason) {
        self.uid = uid
        self.startTime = startTime
        self.lastTime = lastTime
        self.proto = proto
        self.originator = originator
        self.responder = responder
        self.duration = duration
        self.originatorBytes = originatorBytes
        self.responderBytes = responderBytes
        self.connState = connState
        self.missedBytes = missedBytes
        self.history = history
        self.originatorPackets = originatorPackets
        self.originatorIPBytes = originatorIPBytes
        self.responderPackets = responderPackets
        self.responderIPBytes = responderIPBytes
        self.ipProtocol = ipProtocol
        self.handshake = handshake
        self.teardown = teardown
        self.closeReason = closeReason
    }
}

public struct Endpoint: Hashable, Sendable {
    public var address: IPAddress
    /// Port (ICMP: type for the originator, code/counterpart type for the responder, as Zeek).
    public var port: UInt16
    public init(address: IPAddress, port: UInt16) { self.address = address; self.port = port }
}

public enum TransportProtocol: Hashable, Sendable, CustomStringConvertible {
    case tcp, udp, icmp
    case other(UInt8)
    /// Zeek's `proto` column value.
    public var description: String {
        switch self {
        case .tcp: "tcp"
        case .udp: "udp"
        case .icmp: "icmp"
        case .other: "unknown_transport"
        }
    }
}

/// Zeek conn.log `conn_state` (scripts/base/protocols/conn/main.zeek).
public enum ConnState: String, Sendable, CaseIterable {
    case S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0, RSTRH, SH, SHR, OTH
}

public enum Side: String, Sendable {
    case originator = "orig"
    case responder = "resp"
}

public enum CloseReason: String, Sendable {
    /// Closed (FIN/RST) and the close delay passed.
    case closed
    /// Inactivity timeout (or SYN attempt timeout).
    case timeout
    /// Dropped to respect the flow-table cap.
    case evicted
    /// Still tracked when the input ended.
    case endOfInput = "end_of_input"
    /// A new connection reused the 5-tuple.
    case reused
}

/// Offered TCP options from a SYN or SYN-ACK.
public struct OfferedOptions: Sendable, Equatable {
    public var mss: UInt16?
    public var windowScale: UInt8?
    public var sackPermitted = false
    public var timestamps = false
    public var fastOpen = false
    public init() {}
}

/// DESIGN.md §2 `handshake`.
public struct HandshakeReport: Sendable {
    public enum State: String, Sendable {
        case complete
        case synOnly = "syn-only"
        case synSynAck = "syn-synack"
        case rejected
        case none
    }
    public var state: State = .none
    public var synTime: Int64?
    public var synAckTime: Int64?
    public var ackTime: Int64?
    /// SYN → SYN-ACK seconds (Argus `synack`).
    public var synToSynAck: Double?
    /// SYN-ACK → ACK seconds (Argus `ackdat`).
    public var synAckToAck: Double?
    public var originatorISN: UInt32?
    public var responderISN: UInt32?
    /// SYN-ACK acks originator ISN+1 and the ACK acks responder ISN+1 (nil until both seen).
    public var valid: Bool?
    public var synRetransmissions = 0
    public var synAckRetransmissions = 0
    public var simultaneousOpen = false
    /// Payload bytes carried on the SYN (TCP Fast Open).
    public var synPayloadBytes = 0
    public var originatorOptions: OfferedOptions?
    public var responderOptions: OfferedOptions?
    /// An ICMP destination unreachable (ICMP type 3, ICMPv6 type 1) quoted the originator's
    /// packet before the responder sent a SYN-ACK: the connection was refused by a router or
    /// firewall (RFC 1122 §4.2.3.9, RFC 5461) rather than by the peer's RST. `state` stays what
    /// the TCP packets made it (usually `syn-only`; Zeek's conn_state stays S0).
    public var rejectedByICMP = false
    public init() {}
}

/// The ICMP errors (RFC 792 destination unreachable, source quench, redirect, time exceeded,
/// parameter problem; RFC 4443 §3 ICMPv6 errors) whose quoted datagram belongs to a flow: same
/// protocol, addresses and ports, in the same VLAN/tunnel context. The error's own ICMP flow
/// is a record too, as in Zeek's conn.log.
public struct ICMPErrorReport: Hashable, Sendable {
    /// Errors that quoted this flow's packets.
    public var count: Int
    /// Time of the first one (ns since the epoch).
    public var firstTime: Int64
    /// Type and code of the first one; `isICMPv6` tells the numbering.
    public var type: UInt8
    public var code: UInt8
    public var isICMPv6: Bool
    /// Sender of the first one (a router on the path, or the destination host).
    public var from: IPAddress
    /// The first one quoted a packet sent by the originator (false: by the responder).
    public var aboutOriginator: Bool

    public init(count: Int, firstTime: Int64, type: UInt8, code: UInt8, isICMPv6: Bool, from: IPAddress,
                aboutOriginator: Bool) {
        self.count = count
        self.firstTime = firstTime
        self.type = type
        self.code = code
        self.isICMPv6 = isICMPv6
        self.from = from
        self.aboutOriginator = aboutOriginator
    }
}

/// DESIGN.md §2 `teardown`.
public struct TeardownReport: Sendable {
    public enum Kind: String, Sendable { case fin, rst, none }
    public enum Style: String, Sendable {
        case fourWay = "4-way"
        case threeWay = "3-way"
        case simultaneous
        case halfClosed = "half-closed"
        case abort
        case open
    }
    public var kind: Kind = .none
    public var style: Style = .open
    public var firstFIN: Side?
    public var originatorFIN = false
    public var originatorFINAcked = false
    public var responderFIN = false
    public var responderFINAcked = false
    public var originatorFINTime: Int64?
    public var responderFINTime: Int64?
    public var rstBy: Side?
    public var rstTime: Int64?
    /// The RST came after at least one FIN.
    public var rstAfterFIN = false
    /// Payload bytes the peer sent after the first FIN (half-close).
    public var dataAfterFirstFIN: UInt64 = 0
    public init() {}
}

/// Per-direction anomaly counters.
public struct DirectionAnomalies: Sendable, Equatable {
    public var retransmissions: UInt64 = 0
    public var outOfOrder: UInt64 = 0
    public var zeroWindow: UInt64 = 0
    /// Bad checksums that are not offload `partial` sums.
    public var badChecksums: UInt64 = 0
    /// Offload partial checksums (not counted as bad).
    public var partialChecksums: UInt64 = 0
    public var dataAfterFIN: UInt64 = 0
    /// ACKs for sequence space never seen from the peer (gaps, Zeek `missed_bytes`).
    public var ackedUnseen: UInt64 = 0
    /// Segments whose TCP header was invalid or cut by the snapshot length: they belong to the
    /// flow (and may have created it) but are not counted or analyzed, as in Zeek
    /// (`bad_TCP_header_len`, `truncated_header`).
    public var truncatedHeaders: UInt64 = 0
    public init() {}
}

/// One packet of a flow, kept for ladder diagrams.
public struct PacketEvent: Sendable {
    public var time: Int64
    public var fromOriginator: Bool
    public var flags: TCPFlags
    public var sequenceNumber: UInt32
    public var acknowledgmentNumber: UInt32
    public var payloadLength: Int
    public var window: UInt16
    public var checksumStatus: ChecksumStatus
    public init(time: Int64, fromOriginator: Bool, flags: TCPFlags, sequenceNumber: UInt32,
                acknowledgmentNumber: UInt32, payloadLength: Int, window: UInt16, checksumStatus: ChecksumStatus) {
        self.time = time
        self.fromOriginator = fromOriginator
        self.flags = flags
        self.sequenceNumber = sequenceNumber
        self.acknowledgmentNumber = acknowledgmentNumber
        self.payloadLength = payloadLength
        self.window = window
        self.checksumStatus = checksumStatus
    }
}

/// Totals for the whole run, for the text summary and JSON trailer.
public struct AnalysisSummary: Sendable {
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0
    public var ipPackets: UInt64 = 0
    public var tcpPackets: UInt64 = 0
    public var udpPackets: UInt64 = 0
    /// Packets whose IP datagram was inside a tunnel (their delivery UDP datagrams are
    /// counted in the delivery flows, not in `udpPackets`).
    public var tunnelledPackets: UInt64 = 0
    public var otherPackets: UInt64 = 0
    /// Packets with at least one decode defect, except those of an unsupported link type.
    public var malformedPackets: UInt64 = 0
    /// Packets whose link type Sockeye does not decode (defect `link.type_unsupported`), per
    /// LINKTYPE/DLT value; not counted as malformed.
    public var unsupportedLinkTypes: [Int32: UInt64] = [:]
    public var badChecksumPackets: UInt64 = 0
    public var partialChecksumPackets: UInt64 = 0
    /// IPv4 headers whose checksum field was 0x0000 (transmit offload): analyzed, not dropped.
    public var offloadedIPv4HeaderChecksums: UInt64 = 0
    /// IP fragments and their reassembly. Fragments are not in `tcpPackets`/`udpPackets`/
    /// `otherPackets`; each reassembled datagram is counted there once.
    public var fragments = FragmentCounters()
    /// ICMP/ICMPv6 error messages seen (with a good or unverified checksum), those whose quoted
    /// datagram named a flow being tracked (`ConnectionRecord.icmpErrors`), and the TCP
    /// handshakes they refused (`HandshakeReport.rejectedByICMP`).
    public var icmpErrors: UInt64 = 0
    public var icmpErrorsMatched: UInt64 = 0
    public var handshakesRejectedByICMP: UInt64 = 0
    public var flows: UInt64 = 0
    public var evictedFlows: UInt64 = 0
    public var maxConcurrentFlows: UInt64 = 0
    public var firstTime: Int64?
    public var lastTime: Int64?
    public var connStates: [ConnState: UInt64] = [:]
    public var handshakeStates: [HandshakeReport.State: UInt64] = [:]
    public var teardownStyles: [TeardownReport.Style: UInt64] = [:]
    public init() {}
}

/// What wrapped a tunnelled flow's packets (its first packet's encapsulation): the innermost
/// tunnel's type, id and delivery endpoints.
public struct TunnelInfo: Hashable, Sendable {
    /// Innermost tunnel type (Zeek's `Tunnel::Type`).
    public var type: TunnelType
    /// Tunnels around the flow's IP datagram.
    public var depth: Int
    /// VNI, GRE key, GTP-U TEID or ERSPAN session id of the innermost tunnel.
    public var id: UInt32?
    /// Delivery datagram of the innermost tunnel: addresses and (UDP tunnels) ports, as the
    /// flow's first packet carried them.
    public var outerSource: IPAddress?
    public var outerDestination: IPAddress?
    public var outerSourcePort: UInt16?
    public var outerDestinationPort: UInt16?

    public init(type: TunnelType, depth: Int, id: UInt32?, outerSource: IPAddress?, outerDestination: IPAddress?,
                outerSourcePort: UInt16?, outerDestinationPort: UInt16?) {
        self.type = type
        self.depth = depth
        self.id = id
        self.outerSource = outerSource
        self.outerDestination = outerDestination
        self.outerSourcePort = outerSourcePort
        self.outerDestinationPort = outerDestinationPort
    }
}
