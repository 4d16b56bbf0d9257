import PacketCodec

/// Something that happened to a connection while packets stream in, for live views
/// (`sockeye live`). Records (`ConnectionRecord`) still come when flows end; events come at the
/// moment the state changes.
public struct FlowEvent: Sendable {
    public enum Kind: String, Sendable {
        /// The three-way handshake completed (the originator's ACK of the SYN-ACK was seen).
        case opened
        /// The responder answered the SYN with a RST.
        case rejected
        /// An ICMP destination unreachable quoted the originator's SYN before any SYN-ACK: a
        /// router or firewall refused the connection (`HandshakeReport.rejectedByICMP` if no
        /// SYN-ACK follows).
        case rejectedByICMP = "rejected_by_icmp"
    }

    public var kind: Kind
    /// Packet time of the event (ns since the epoch).
    public var time: Int64
    public var uid: String
    public var originator: Endpoint
    public var responder: Endpoint
    /// SYN → SYN-ACK seconds, for `opened`.
    public var synToSynAck: Double?
    /// SYN-ACK → ACK seconds, for `opened`.
    public var synAckToAck: Double?
    /// The ICMP error's type and code and its sender, for `rejectedByICMP`.
    public var icmpType: UInt8? = nil
    public var icmpCode: UInt8? = nil
    public var icmpFrom: IPAddress? = nil

    public init(kind: Kind, time: Int64, uid: String, originator: Endpoint, responder: Endpoint,
                synToSynAck: Double? = nil, synAckToAck: Double? = nil) {
        self.kind = kind
        self.time = time
        self.uid = uid
        self.originator = originator
        self.responder = responder
        self.synToSynAck = synToSynAck
        self.synAckToAck = synAckToAck
    }
}
