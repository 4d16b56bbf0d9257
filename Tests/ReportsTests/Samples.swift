import FlowAnalysis
import PacketCodec
@testable import Reports

/// Hand-built records shared by the writer tests.
enum Samples {
    /// 2023-11-14T22:13:20.000116Z
    static let t0: Int64 = 1_700_000_000_000_116_000
    static let clientISN: UInt32 = 1_694_179_788
    static let serverISN: UInt32 = 3_032_912_001

    static func ms(_ v: Double) -> Int64 { t0 + Int64(v * 1_000_000) }

    /// A complete HTTP-like connection: 3-way handshake, 120 B request, 5100 B response,
    /// 4-way close started by the client.
    static func tcpConnection() -> ConnectionRecord {
        var r = ConnectionRecord(
            uid: "CHhAvVGS1DHFjwGM9", startTime: t0, lastTime: ms(1204), proto: .tcp,
            originator: Endpoint(address: IPAddress("10.0.0.1")!, port: 51514),
            responder: Endpoint(address: IPAddress("10.0.0.2")!, port: 80),
            duration: 1.204, originatorBytes: 120, responderBytes: 5100, connState: .SF, missedBytes: 0,
            history: "ShADadFf", originatorPackets: 6, originatorIPBytes: 440, responderPackets: 5,
            responderIPBytes: 5400, ipProtocol: 6, handshake: nil, teardown: nil, closeReason: .closed)
        var h = HandshakeReport()
        h.state = .complete
        h.synTime = t0
        h.synAckTime = ms(0.213)
        h.ackTime = ms(0.254)
        h.synToSynAck = 0.000213
        h.synAckToAck = 0.000041
        h.originatorISN = clientISN
        h.responderISN = serverISN
        h.valid = true
        var opts = OfferedOptions()
        opts.mss = 1460; opts.windowScale = 7; opts.sackPermitted = true; opts.timestamps = true
        h.originatorOptions = opts
        h.responderOptions = opts
        r.handshake = h
        var t = TeardownReport()
        t.kind = .fin
        t.style = .fourWay
        t.firstFIN = .originator
        t.originatorFIN = true; t.originatorFINAcked = true; t.originatorFINTime = ms(1150)
        t.responderFIN = true; t.responderFINAcked = true; t.responderFINTime = ms(1160)
        r.teardown = t
        r.responderAnomalies.retransmissions = 2
        r.events = events()
        return r
    }

    static func events() -> [PacketEvent] {
        func e(_ at: Double, _ fromClient: Bool, _ flags: TCPFlags, _ seq: UInt32, _ ack: UInt32, _ len: Int,
               _ checksum: ChecksumStatus = .good) -> PacketEvent {
            PacketEvent(time: ms(at), fromOriginator: fromClient, flags: flags, sequenceNumber: seq,
                        acknowledgmentNumber: ack, payloadLength: len, window: 64240, checksumStatus: checksum)
        }
        let c = clientISN, s = serverISN
        return [
            e(0, true, [.syn], c, 0, 0),
            e(0.213, false, [.syn, .ack], s, c &+ 1, 0),
            e(0.254, true, [.ack], c &+ 1, s &+ 1, 0),
            e(0.300, true, [.psh, .ack], c &+ 1, s &+ 1, 120),
            e(10.5, false, [.psh, .ack], s &+ 1, c &+ 121, 5100, .bad),
            e(1150, true, [.fin, .ack], c &+ 121, s &+ 5101, 0),
            e(1155, false, [.ack], s &+ 5101, c &+ 122, 0),
            e(1160, false, [.fin, .ack], s &+ 5101, c &+ 122, 0),
            e(1204, true, [.ack], c &+ 122, s &+ 5102, 0),
        ]
    }

    /// A one-packet UDP flow: Zeek leaves duration and byte counts unset.
    static func udpFlow() -> ConnectionRecord {
        ConnectionRecord(
            uid: "CdNs1ZHm2lLQ5O8Ly", startTime: ms(500), lastTime: ms(500), proto: .udp,
            originator: Endpoint(address: IPAddress("2001:db8::1")!, port: 5353),
            responder: Endpoint(address: IPAddress("2001:db8::53")!, port: 53),
            duration: nil, originatorBytes: nil, responderBytes: nil, connState: .S0, missedBytes: 0,
            history: "D", originatorPackets: 1, originatorIPBytes: 80, responderPackets: 0,
            responderIPBytes: 0, ipProtocol: 17, handshake: nil, teardown: nil, closeReason: .endOfInput)
    }

    static func summary() -> AnalysisSummary {
        var s = AnalysisSummary()
        s.packets = 12
        s.bytes = 6000
        s.tcpPackets = 11
        s.udpPackets = 1
        s.flows = 2
        s.firstTime = t0
        s.lastTime = ms(1204)
        return s
    }

    /// Runs `writer` over `records` and returns what it wrote.
    static func render(_ make: (OutputBuffer) -> FlowRecordWriter, _ records: [ConnectionRecord],
                       summary: AnalysisSummary = summary()) -> String {
        let out = OutputBuffer(fileDescriptor: nil)
        let writer = make(out)
        writer.begin(firstPacketTime: summary.firstTime)
        for r in records { writer.write(r) }
        writer.finish(summary: summary)
        return out.text
    }
}
