import Testing
import PacketCodec
@testable import FlowAnalysis

@Suite struct HandshakeTests {
    @Test func completeHandshakeFields() throws {
        var t = Trace()
        t.tcp(true, .syn, seq: cISN, window: 64240,
              options: [.maxSegmentSize(1460), .sackPermitted, .timestamp(value: 1, echo: 0), .noOperation, .windowScale(7)],
              at: 0)
        t.tcp(false, .synAck, seq: sISN, ack: cISN + 1, options: [.maxSegmentSize(1400), .windowScale(8)], at: 0.010)
        t.tcp(true, .ack, seq: cISN + 1, ack: sISN + 1, at: 0.025)
        let r = try #require(t.single())
        let h = try #require(r.handshake)
        #expect(h.state == .complete)
        #expect(h.valid == true)
        #expect(h.synTime == Trace.ns(0) && h.synAckTime == Trace.ns(0.010) && h.ackTime == Trace.ns(0.025))
        #expect(abs((h.synToSynAck ?? 0) - 0.010) < 1e-9)
        #expect(abs((h.synAckToAck ?? 0) - 0.015) < 1e-9)
        #expect(h.originatorISN == cISN && h.responderISN == sISN)
        #expect(h.synRetransmissions == 0 && h.synAckRetransmissions == 0)
        #expect(h.originatorOptions?.mss == 1460)
        #expect(h.originatorOptions?.windowScale == 7)
        #expect(h.originatorOptions?.sackPermitted == true && h.originatorOptions?.timestamps == true)
        #expect(h.responderOptions?.mss == 1400 && h.responderOptions?.windowScale == 8)
        #expect(h.responderOptions?.sackPermitted == false)
        #expect(!h.simultaneousOpen)
    }

    @Test func invalidAckNumbers() throws {
        var t = Trace()
        t.tcp(true, .syn, seq: cISN, at: 0)
        t.tcp(false, .synAck, seq: sISN, ack: cISN + 1, at: 0.01)
        t.tcp(true, .ack, seq: cISN + 1, ack: sISN + 7, at: 0.02)   // acks the wrong number
        let h = try #require(t.single()?.handshake)
        #expect(h.state == .complete)
        #expect(h.valid == false)
    }

    @Test func retransmittedSynAndSynAck() throws {
        var t = Trace()
        t.tcp(true, .syn, seq: cISN, at: 0)
        t.tcp(true, .syn, seq: cISN, at: 1)
        t.tcp(false, .synAck, seq: sISN, ack: cISN + 1, at: 1.01)
        t.tcp(false, .synAck, seq: sISN, ack: cISN + 1, at: 2.01)
        t.tcp(true, .ack, seq: cISN + 1, ack: sISN + 1, at: 2.02)
        let r = try #require(t.single())
        let h = try #require(r.handshake)
        #expect(r.history == "ShA")
        #expect(h.synRetransmissions == 1 && h.synAckRetransmissions == 1)
        #expect(h.synTime == 0)
        #expect(h.valid == true)
    }

    @Test func synSynAckOnly() throws {
        var t = Trace()
        t.tcp(true, .syn, seq: cISN, at: 0)
        t.tcp(false, .synAck, seq: sISN, ack: cISN + 1, at: 0.01)
        let h = try #require(t.single()?.handshake)
        #expect(h.state == .synSynAck)
        #expect(h.valid == nil && h.ackTime == nil)
    }

    @Test func fastOpenPayloadOnSyn() throws {
        var t = Trace()
        t.tcp(true, .syn, seq: cISN, payload: 32, options: [.fastOpen(cookie: [1, 2, 3, 4, 5, 6, 7, 8])], at: 0)
        t.tcp(false, .synAck, seq: sISN, ack: cISN + 33, at: 0.01)
        t.tcp(true, .ack, seq: cISN + 33, ack: sISN + 1, at: 0.02)
        let h = try #require(t.single()?.handshake)
        #expect(h.synPayloadBytes == 32)
        #expect(h.originatorOptions?.fastOpen == true)
        #expect(h.valid == false)   // the SYN-ACK acks ISN + 33, not ISN + 1
    }

    @Test func simultaneousOpen() throws {
        var t = Trace(client: .client, server: Host(address: IPAddress("10.0.0.2")!, port: 40001))
        t.tcp(true, .syn, seq: cISN, at: 0)
        t.tcp(false, .syn, seq: sISN, at: 0.001)
        t.tcp(true, .synAck, seq: cISN, ack: sISN + 1, at: 0.002)
        t.tcp(false, .synAck, seq: sISN, ack: cISN + 1, at: 0.003)
        t.tcp(true, .ack, seq: cISN + 1, ack: sISN + 1, at: 0.004)
        let r = try #require(t.single())
        #expect(r.handshake?.simultaneousOpen == true)
        #expect(r.handshake?.state == .complete)
        #expect(r.history == "SsA")
        #expect(r.connState == .S1)
    }

    @Test func badChecksumSynAckThenGoodRetransmission() throws {
        var t = Trace()
        t.tcp(true, .syn, seq: cISN, at: 0)
        t.tcp(false, .synAck, seq: sISN, ack: cISN + 1, at: 0.010, checksum: .bad)
        t.tcp(false, .synAck, seq: sISN, ack: cISN + 1, at: 0.210)
        t.tcp(true, .ack, seq: cISN + 1, ack: sISN + 1, at: 0.220)
        t.tcp(true, .finAck, seq: cISN + 1, ack: sISN + 1, at: 0.3)
        t.tcp(false, .finAck, seq: sISN + 1, ack: cISN + 2, at: 0.31)
        let r = try #require(t.single())
        let h = try #require(r.handshake)
        #expect(h.state == .complete && h.valid == true)
        #expect(h.synAckTime == Trace.ns(0.210))
        #expect(h.synAckRetransmissions == 0)
        #expect(r.history == "SchAFf")
        #expect(r.connState == .SF)
        #expect(r.responderPackets == 3)
        #expect(r.responderAnomalies.badChecksums == 1)
    }

    @Test func partialChecksumIsGood() throws {
        var t = Trace()
        t.tcp(true, .syn, seq: cISN, at: 0, checksum: .partial)
        t.tcp(false, .synAck, seq: sISN, ack: cISN + 1, at: 0.01)
        t.tcp(true, .ack, seq: cISN + 1, ack: sISN + 1, at: 0.02, checksum: .partial)
        t.tcp(true, .pshAck, seq: cISN + 1, ack: sISN + 1, payload: 10, at: 0.03, checksum: .partial)
        let (records, summary) = t.run()
        let r = try #require(records.first)
        #expect(r.history == "ShAD")
        #expect(r.originatorAnomalies.partialChecksums == 3 && r.originatorAnomalies.badChecksums == 0)
        #expect(summary.partialChecksumPackets == 3 && summary.badChecksumPackets == 0)
        #expect(r.handshake?.state == .complete)
    }
}

@Suite struct TeardownTests {
    /// established(), then `tail` packets.
    private func run(_ tail: (inout Trace) -> Void) throws -> TeardownReport {
        var t = Trace()
        t.established()
        tail(&t)
        return try #require(t.single()?.teardown)
    }

    @Test func fourWay() throws {
        let td = try run { t in
            t.tcp(true, .finAck, seq: cISN + 11, ack: sISN + 21, at: 0.07)
            t.tcp(false, .ack, seq: sISN + 21, ack: cISN + 12, at: 0.08)
            t.tcp(false, .finAck, seq: sISN + 21, ack: cISN + 12, at: 0.09)
            t.tcp(true, .ack, seq: cISN + 12, ack: sISN + 22, at: 0.10)
        }
        #expect(td.style == .fourWay && td.kind == .fin)
        #expect(td.firstFIN == .originator)
        #expect(td.originatorFIN && td.originatorFINAcked && td.responderFIN && td.responderFINAcked)
        #expect(td.originatorFINTime == Trace.ns(0.07) && td.responderFINTime == Trace.ns(0.09))
    }

    @Test func threeWay() throws {
        let td = try run { t in
            t.tcp(false, .finAck, seq: sISN + 21, ack: cISN + 11, at: 0.07)
            t.tcp(true, .finAck, seq: cISN + 11, ack: sISN + 22, at: 0.08)
            t.tcp(false, .ack, seq: sISN + 22, ack: cISN + 12, at: 0.09)
        }
        #expect(td.style == .threeWay)
        #expect(td.firstFIN == .responder)
        #expect(td.originatorFINAcked && td.responderFINAcked)
    }

    @Test func simultaneousClose() throws {
        let td = try run { t in
            t.tcp(true, .finAck, seq: cISN + 11, ack: sISN + 21, at: 0.07)
            t.tcp(false, .finAck, seq: sISN + 21, ack: cISN + 11, at: 0.0701)   // crosses: acks nothing new
            t.tcp(true, .ack, seq: cISN + 12, ack: sISN + 22, at: 0.08)
            t.tcp(false, .ack, seq: sISN + 22, ack: cISN + 12, at: 0.08)
        }
        #expect(td.style == .simultaneous)
        #expect(td.originatorFINAcked && td.responderFINAcked)
    }

    @Test func halfClosedWithDataAfterFin() throws {
        let td = try run { t in
            t.tcp(true, .finAck, seq: cISN + 11, ack: sISN + 21, at: 0.07)
            t.tcp(false, .pshAck, seq: sISN + 21, ack: cISN + 12, payload: 100, at: 0.08)
            t.tcp(true, .ack, seq: cISN + 12, ack: sISN + 121, at: 0.09)
            t.tcp(false, .finAck, seq: sISN + 121, ack: cISN + 12, at: 0.10)
            t.tcp(true, .ack, seq: cISN + 12, ack: sISN + 122, at: 0.11)
        }
        #expect(td.style == .halfClosed)
        #expect(td.dataAfterFirstFIN == 100)
        #expect(td.kind == .fin)
    }

    @Test func halfClosedSingleFin() throws {
        let td = try run { t in
            t.tcp(false, .finAck, seq: sISN + 21, ack: cISN + 11, at: 0.07)
            t.tcp(true, .ack, seq: cISN + 11, ack: sISN + 22, at: 0.08)
        }
        #expect(td.style == .halfClosed)
        #expect(td.responderFIN && td.responderFINAcked && !td.originatorFIN)
    }

    @Test func abortByOriginator() throws {
        let td = try run { t in t.tcp(true, .rstAck, seq: cISN + 11, ack: sISN + 21, at: 0.07) }
        #expect(td.style == .abort && td.kind == .rst && td.rstBy == .originator && !td.rstAfterFIN)
        #expect(td.rstTime == Trace.ns(0.07))
    }

    @Test func abortByResponder() throws {
        let td = try run { t in t.tcp(false, .rst, seq: sISN + 21, at: 0.07) }
        #expect(td.style == .abort && td.rstBy == .responder)
    }

    @Test func open() throws {
        let td = try run { _ in }
        #expect(td.style == .open && td.kind == TeardownReport.Kind.none && td.firstFIN == nil)
    }

    @Test func anomaliesOutOfOrderVersusRetransmission() throws {
        var t = Trace()
        t.handshake()
        t.tcp(true, .pshAck, seq: cISN + 11, ack: sISN + 1, payload: 10, at: 0.1)   // skips 10 bytes
        t.tcp(true, .pshAck, seq: cISN + 1, ack: sISN + 1, payload: 10, at: 0.11)   // fills the hole
        t.tcp(true, .pshAck, seq: cISN + 1, ack: sISN + 1, payload: 10, at: 0.3)    // true retransmission
        let r = try #require(t.single())
        #expect(r.originatorAnomalies.outOfOrder == 1)
        #expect(r.originatorAnomalies.retransmissions == 1)
        #expect(r.history == "ShADT")
        #expect(r.originatorBytes == 20)
    }

    @Test func missedBytesFromAckedGap() throws {
        var t = Trace()
        t.handshake()
        t.tcp(true, .pshAck, seq: cISN + 1, ack: sISN + 1, payload: 10, at: 0.1)
        // 10..<30 never captured, then acknowledged by the server.
        t.tcp(true, .pshAck, seq: cISN + 31, ack: sISN + 1, payload: 10, at: 0.2)
        t.tcp(false, .ack, seq: sISN + 1, ack: cISN + 41, at: 0.3)
        let r = try #require(t.single())
        // The server acked 40 bytes, 30 were seen; the hole is 20.
        #expect(r.originatorBytes == 40)
        #expect(r.missedBytes == 20)
        #expect(r.history == "ShADaG")
        #expect(r.originatorAnomalies.ackedUnseen == 20)
    }
}
