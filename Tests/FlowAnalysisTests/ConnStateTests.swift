import Testing
import PacketCodec
@testable import FlowAnalysis

/// One crafted conversation per Zeek `conn_state` (flow-semantics §1.2).
@Suite struct ConnStateTests {
    @Test func s0AttemptWithoutReply() throws {
        var t = Trace()
        t.tcp(true, .syn, seq: cISN, at: 0)
        let r = try #require(t.single())
        #expect(r.connState == .S0)
        #expect(r.history == "S")
        #expect(r.originatorPackets == 1 && r.responderPackets == 0)
        #expect(r.duration == nil && r.originatorBytes == nil)
        #expect(r.closeReason == .endOfInput)
    }

    @Test func s1EstablishedNotTerminated() throws {
        var t = Trace()
        t.established()
        let r = try #require(t.single())
        #expect(r.connState == .S1)
        #expect(r.history == "ShADad")
        #expect(r.originatorBytes == 10 && r.responderBytes == 20)
    }

    @Test func sfNormalEstablishmentAndTermination() throws {
        var t = Trace()
        t.established()
        t.tcp(true, .finAck, seq: cISN + 11, ack: sISN + 21, at: 0.070)
        t.tcp(false, .finAck, seq: sISN + 21, ack: cISN + 12, at: 0.080)
        t.tcp(true, .ack, seq: cISN + 12, ack: sISN + 22, at: 0.090)
        let r = try #require(t.single())
        #expect(r.connState == .SF)
        #expect(r.history == "ShADadFf")
        #expect(r.originatorPackets == 6 && r.responderPackets == 4)
        #expect(r.originatorBytes == 10 && r.responderBytes == 20)
        // IPv4 20 + TCP 20 per packet, plus payload.
        #expect(r.originatorIPBytes == 6 * 40 + 10 && r.responderIPBytes == 4 * 40 + 20)
        // The final ACK after both FINs does not extend the duration (Zeek last_time rule).
        #expect(r.lastTime == Trace.ns(0.080))
        #expect(r.originator.port == 40000 && r.responder.port == 80)
    }

    @Test func rejRejected() throws {
        var t = Trace()
        t.tcp(true, .syn, seq: cISN, at: 0)
        t.tcp(false, .rstAck, seq: 0, ack: cISN + 1, at: 0.001)
        let r = try #require(t.single())
        #expect(r.connState == .REJ)
        #expect(r.history == "Sr")
        #expect(r.handshake?.state == .rejected)
    }

    @Test func s2OriginatorCloseAttemptOnly() throws {
        var t = Trace()
        t.established()
        t.tcp(true, .finAck, seq: cISN + 11, ack: sISN + 21, at: 0.070)
        t.tcp(false, .ack, seq: sISN + 21, ack: cISN + 12, at: 0.080)
        let r = try #require(t.single())
        #expect(r.connState == .S2)
        #expect(r.history == "ShADadF")
    }

    @Test func s3ResponderCloseAttemptOnly() throws {
        var t = Trace()
        t.established()
        t.tcp(false, .finAck, seq: sISN + 21, ack: cISN + 11, at: 0.070)
        let r = try #require(t.single())
        #expect(r.connState == .S3)
        #expect(r.history == "ShADadf")
    }

    @Test func rstoOriginatorAborts() throws {
        var t = Trace()
        t.established()
        t.tcp(true, .rstAck, seq: cISN + 11, ack: sISN + 21, at: 0.070)
        let r = try #require(t.single())
        #expect(r.connState == .RSTO)
        #expect(r.history == "ShADadR")
        #expect(r.teardown?.style == .abort && r.teardown?.rstBy == .originator)
    }

    @Test func rstrResponderAborts() throws {
        var t = Trace()
        t.established()
        t.tcp(false, .rst, seq: sISN + 21, at: 0.070)
        let r = try #require(t.single())
        #expect(r.connState == .RSTR)
        #expect(r.history == "ShADadr")
        #expect(r.teardown?.style == .abort && r.teardown?.rstBy == .responder)
    }

    @Test func rstos0SynThenOwnRst() throws {
        var t = Trace()
        t.tcp(true, .syn, seq: cISN, at: 0)
        t.tcp(true, .rst, seq: cISN + 1, at: 0.5)
        let r = try #require(t.single())
        #expect(r.connState == .RSTOS0)
        #expect(r.history == "SR")
        #expect(r.closeReason == .endOfInput)
    }

    @Test func rstrhSynAckThenRstWithoutSyn() throws {
        var t = Trace()
        // First packet is a SYN-ACK from port 80: the roles flip by likely server port.
        t.tcp(false, .synAck, seq: sISN, ack: cISN + 1, at: 0)
        t.tcp(false, .rst, seq: sISN + 1, at: 0.1)
        let r = try #require(t.single())
        #expect(r.connState == .RSTRH)
        #expect(r.history == "^hr")
        #expect(r.originator.port == 40000)
    }

    @Test func shSynThenFin() throws {
        var t = Trace()
        t.tcp(true, .syn, seq: cISN, at: 0)
        t.tcp(true, .fin, seq: cISN + 1, at: 0.2)
        let r = try #require(t.single())
        #expect(r.connState == .SH)
        #expect(r.history == "SF")
    }

    @Test func shrSynAckThenFin() throws {
        var t = Trace()
        t.tcp(false, .synAck, seq: sISN, ack: cISN + 1, at: 0)
        t.tcp(false, .finAck, seq: sISN + 1, ack: cISN + 1, at: 0.1)
        let r = try #require(t.single())
        #expect(r.connState == .SHR)
        #expect(r.history == "^hf")
    }

    @Test func othMidstream() throws {
        var t = Trace()
        t.tcp(true, .pshAck, seq: 7000, ack: 9000, payload: 100, at: 0)
        t.tcp(false, .pshAck, seq: 9000, ack: 7100, payload: 50, at: 0.1)
        let r = try #require(t.single())
        #expect(r.connState == .OTH)
        #expect(r.history == "Dd")
        #expect(r.handshake?.state == HandshakeReport.State.none)
        // Partial connections number bytes as if a SYN had been seen.
        #expect(r.originatorBytes == 100 && r.responderBytes == 50)
    }

    @Test func midstreamFromServerPortFlips() throws {
        var t = Trace()
        t.tcp(false, .pshAck, seq: 9000, ack: 7000, payload: 50, at: 0)
        t.tcp(true, .ack, seq: 7000, ack: 9050, at: 0.1)
        let r = try #require(t.single())
        #expect(r.history == "^dA")
        #expect(r.originator.port == 40000 && r.responder.port == 80)
        #expect(r.responderPackets == 1 && r.originatorPackets == 1)
    }

    @Test func finThenRstThenPeerFinIsSF() throws {
        var t = Trace()
        t.established()
        t.tcp(true, .finAck, seq: cISN + 11, ack: sISN + 21, at: 0.070)
        t.tcp(true, .rst, seq: cISN + 12, at: 0.071)
        t.tcp(false, .finAck, seq: sISN + 21, ack: cISN + 12, at: 0.080)
        let r = try #require(t.single())
        #expect(r.history == "ShADadFRf")
        #expect(r.connState == .SF)
    }

    @Test func rstAfterBothFinsStaysSF() throws {
        var t = Trace()
        t.established()
        t.tcp(true, .finAck, seq: cISN + 11, ack: sISN + 21, at: 0.070)
        t.tcp(false, .finAck, seq: sISN + 21, ack: cISN + 12, at: 0.080)
        t.tcp(true, .rst, seq: cISN + 12, at: 0.090)
        let r = try #require(t.single())
        #expect(r.history == "ShADadFfR")
        #expect(r.connState == .SF)
        #expect(r.teardown?.kind == .fin && r.teardown?.rstAfterFIN == true && r.teardown?.rstBy == .originator)
    }

    @Test func finThenPeerRstIsRSTR() throws {
        var t = Trace()
        t.established()
        t.tcp(true, .finAck, seq: cISN + 11, ack: sISN + 21, at: 0.070)
        t.tcp(false, .rst, seq: sISN + 21, at: 0.080)
        let r = try #require(t.single())
        #expect(r.connState == .RSTR)
        #expect(r.teardown?.kind == .rst)
    }

    @Test func ipv6Connection() throws {
        var t = Trace(client: .client6, server: .server6)
        t.handshake()
        t.tcp(true, .finAck, seq: cISN + 1, ack: sISN + 1, at: 0.03)
        t.tcp(false, .finAck, seq: sISN + 1, ack: cISN + 2, at: 0.04)
        let r = try #require(t.single())
        #expect(r.connState == .SF)
        #expect(r.originator.address.description == "fd00::1")
        #expect(r.originatorIPBytes == 3 * 60 && r.originatorPackets == 3)
    }
}
