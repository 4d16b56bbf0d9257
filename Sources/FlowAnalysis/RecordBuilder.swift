import PacketCodec

/// Turns a finished `FlowState` into the `ConnectionRecord` handed to the report writers: maps the
/// physical sides to originator/responder, decides `conn_state`, sizes, duration, and builds the
/// handshake and teardown reports. Runs once per flow, so it may allocate.
enum RecordBuilder {
    /// `tcp` is the side record of a TCP flow (with its extras, when it has any), `datagram`
    /// that of a UDP or ICMP flow.
    static func record(_ f: FlowState, tcp: TCPConnection?, extras: TCPExtras?, datagram: DatagramFlow?,
                       reason: CloseReason, events: [PacketEvent],
                       context: FlowContext = FlowContext(raw: 0)) -> ConnectionRecord {
        let o = f.origIsA
        let key = f.key
        let (origEndpoint, respEndpoint) = f.endpoints
        let proto: TransportProtocol
        switch f.kind {
        case .tcp: proto = .tcp
        case .udp: proto = .udp
        case .icmp: proto = .icmp
        case .other: proto = .other(key.proto)
        }

        var connState = ConnState.OTH
        var origSize: UInt64 = 0
        var respSize: UInt64 = 0
        var handshake: HandshakeReport?
        var teardown: TeardownReport?
        var missed: UInt64 = 0
        var history = HistoryBuffer()
        var anomalies = SidePair<DirectionAnomalies>()
        switch f.kind {
        case .tcp:
            guard let tcp else { preconditionFailure("RecordBuilder: TCP flow without its side record") }
            history = tcp.history.letters
            let x = extras ?? TCPExtras()
            anomalies = SidePair(x.anomalies.a.report, x.anomalies.b.report)
            let oe = o ? tcp.a : tcp.b
            let re = o ? tcp.b : tcp.a
            origSize = ByteCounting.size(of: oe, peer: re)
            respSize = ByteCounting.size(of: re, peer: oe)
            connState = ConnStateDecision.tcp(orig: oe.state, resp: re.state, origSize: origSize, respSize: respSize,
                                              history: history)
            let oh = o ? tcp.hsA : tcp.hsB
            let rh = o ? tcp.hsB : tcp.hsA
            handshake = HandshakeBuilder.report(orig: oh, resp: rh, respReset: re.state == .reset,
                                                rejected: connState == .REJ)
            teardown = x.teardownReport(origIsA: o)
            missed = tcp.missedBytes
        case .udp, .icmp:
            guard let d = datagram else { preconditionFailure("RecordBuilder: datagram flow without its side record") }
            history = d.history.letters
            anomalies = SidePair(d.anomalies(fromA: true), d.anomalies(fromA: false))
            (origSize, respSize) = d.size.roles(origIsA: o)
            if f.kind == .udp {
                let (oa, ra) = d.active.roles(origIsA: o)
                connState = ConnStateDecision.udp(origActive: oa, respActive: ra)
            }
        case .other:
            break
        }

        let durationNS = f.lastTime - f.startTime
        let duration: Double? = durationNS > 0 ? Double(durationNS) / 1e9 : nil
        var r = ConnectionRecord(
            uid: FlowUID.make(key: key, startTime: f.startTime, reuseIndex: f.reuseIndex, context: context),
            startTime: f.startTime, lastTime: f.lastTime, proto: proto,
            originator: origEndpoint, responder: respEndpoint, duration: duration,
            originatorBytes: duration == nil ? nil : origSize, responderBytes: duration == nil ? nil : respSize,
            connState: connState, missedBytes: missed, history: history.string,
            originatorPackets: f.packets.roles(origIsA: o).0, originatorIPBytes: f.ipBytes.roles(origIsA: o).0,
            responderPackets: f.packets.roles(origIsA: o).1, responderIPBytes: f.ipBytes.roles(origIsA: o).1,
            ipProtocol: key.proto, handshake: handshake, teardown: teardown, closeReason: reason)
        (r.originatorAnomalies, r.responderAnomalies) = anomalies.roles(origIsA: o)
        if !events.isEmpty {
            // Events were stored with `fromOriginator` meaning "from side A".
            r.events = o ? events : events.map { var e = $0; e.fromOriginator.toggle(); return e }
        }
        return r
    }
}
