import PacketCodec

/// Turns a finished `FlowState` into the `ConnectionRecord` handed to the report writers: maps the
/// physical sides to originator/responder, decides `conn_state`, sizes, duration, and builds the
/// handshake and teardown reports. Runs once per flow, so it may allocate.
enum RecordBuilder {
    static func record(_ f: FlowState, reason: CloseReason, events: [PacketEvent]) -> ConnectionRecord {
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
        switch f.kind {
        case .tcp:
            let oe = o ? f.tcp.a : f.tcp.b
            let re = o ? f.tcp.b : f.tcp.a
            origSize = ByteCounting.size(of: oe, peer: re)
            respSize = ByteCounting.size(of: re, peer: oe)
            connState = ConnStateDecision.tcp(orig: oe.state, resp: re.state, origSize: origSize, respSize: respSize,
                                              history: f.history)
            let oh = o ? f.tcp.hsA : f.tcp.hsB
            let rh = o ? f.tcp.hsB : f.tcp.hsA
            handshake = HandshakeBuilder.report(orig: oh, resp: rh, respReset: re.state == .reset,
                                                rejected: connState == .REJ)
            teardown = f.tcp.teardownReport(origIsA: o)
            missed = f.tcp.missedBytes
        case .udp:
            origSize = o ? f.sizeA : f.sizeB
            respSize = o ? f.sizeB : f.sizeA
            connState = ConnStateDecision.udp(origActive: o ? f.activeA : f.activeB, respActive: o ? f.activeB : f.activeA)
        case .icmp:
            origSize = o ? f.sizeA : f.sizeB
            respSize = o ? f.sizeB : f.sizeA
        case .other:
            break
        }

        let durationNS = f.lastTime - f.startTime
        let duration: Double? = durationNS > 0 ? Double(durationNS) / 1e9 : nil
        var r = ConnectionRecord(
            uid: FlowUID.make(key: key, startTime: f.startTime, reuseIndex: f.reuseIndex),
            startTime: f.startTime, lastTime: f.lastTime, proto: proto,
            originator: origEndpoint, responder: respEndpoint, duration: duration,
            originatorBytes: duration == nil ? nil : origSize, responderBytes: duration == nil ? nil : respSize,
            connState: connState, missedBytes: missed, history: f.history.string,
            originatorPackets: o ? f.packetsA : f.packetsB, originatorIPBytes: o ? f.ipBytesA : f.ipBytesB,
            responderPackets: o ? f.packetsB : f.packetsA, responderIPBytes: o ? f.ipBytesB : f.ipBytesA,
            ipProtocol: key.proto, handshake: handshake, teardown: teardown, closeReason: reason)
        r.originatorAnomalies = o ? f.anomA : f.anomB
        r.responderAnomalies = o ? f.anomB : f.anomA
        if !events.isEmpty {
            // Events were stored with `fromOriginator` meaning "from side A".
            r.events = o ? events : events.map { var e = $0; e.fromOriginator.toggle(); return e }
        }
        return r
    }
}
