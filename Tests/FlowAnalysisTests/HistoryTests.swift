import Testing
import PacketCodec
@testable import FlowAnalysis

/// Zeek's history alphabet and repetition rules (flow-semantics §1.3).
@Suite struct HistoryTests {
    @Test func retransmittedSynWithSameISNAddsNoLetter() throws {
        var t = Trace()
        t.tcp(true, .syn, seq: cISN, at: 0)
        t.tcp(true, .syn, seq: cISN, at: 1)
        t.tcp(true, .syn, seq: cISN, at: 3)
        let r = try #require(t.single())
        #expect(r.history == "S")
        #expect(r.originatorPackets == 3)
        #expect(r.handshake?.synRetransmissions == 2)
        #expect(r.handshake?.state == .synOnly)
    }

    @Test func synAckFirstIsFlippedOnFollowingAck() throws {
        var t = Trace(client: .client, server: Host(address: IPAddress("10.0.0.2")!, port: 9999))
        t.tcp(false, .synAck, seq: sISN, ack: cISN + 1, at: 0)
        t.tcp(true, .ack, seq: cISN + 1, ack: sISN + 1, at: 0.01)
        t.tcp(true, .pshAck, seq: cISN + 1, ack: sISN + 1, payload: 5, at: 0.02)
        t.tcp(false, .pshAck, seq: sISN + 1, ack: cISN + 6, payload: 7, at: 0.03)
        let r = try #require(t.single())
        #expect(r.history == "^hADd")
        #expect(r.originator.port == 40000 && r.responder.port == 9999)
        #expect(r.originatorPackets == 2 && r.responderPackets == 2)
    }

    @Test func synAckFirstWithoutFollowUpStaysH() throws {
        var t = Trace(client: .client, server: Host(address: IPAddress("10.0.0.2")!, port: 9999))
        t.tcp(false, .synAck, seq: sISN, ack: cISN + 1, at: 0)
        let r = try #require(t.single())
        #expect(r.history == "H")
        #expect(r.originator.port == 9999)
        #expect(r.connState == .OTH)
    }

    @Test func ackAndDataOncePerDirection() throws {
        var t = Trace()
        t.handshake()
        for k in 0..<5 {
            let off = UInt32(k * 10)
            t.tcp(true, .pshAck, seq: cISN + 1 + off, ack: sISN + 1, payload: 10, at: 0.1 + Double(k) * 0.01)
            t.tcp(false, .ack, seq: sISN + 1, ack: cISN + 11 + off, at: 0.105 + Double(k) * 0.01)
        }
        let r = try #require(t.single())
        #expect(r.history == "ShADa")
        #expect(r.originatorBytes == 50)
    }

    @Test func repeatedFinWithNewSequenceNumber() throws {
        var t = Trace()
        t.established()
        t.tcp(true, .finAck, seq: cISN + 11, ack: sISN + 21, at: 0.07)
        t.tcp(true, .finAck, seq: cISN + 11, ack: sISN + 21, at: 0.08)   // same FIN: no letter
        t.tcp(true, .finAck, seq: cISN + 15, ack: sISN + 21, at: 0.09)   // FIN moved: F again
        let r = try #require(t.single())
        #expect(r.history == "ShADadFF")
    }

    @Test func retransmissionLetterIsLogarithmic() throws {
        func run(_ copies: Int) -> String? {
            var t = Trace()
            t.handshake()
            t.tcp(true, .pshAck, seq: cISN + 1, ack: sISN + 1, payload: 10, at: 0.1)
            for k in 0..<copies {
                t.tcp(true, .pshAck, seq: cISN + 1, ack: sISN + 1, payload: 10, at: 0.2 + Double(k) * 0.1)
            }
            return t.single()?.history
        }
        #expect(run(1) == "ShADT")
        #expect(run(9) == "ShADT")
        #expect(run(10) == "ShADTT")
        #expect(run(0) == "ShAD")
    }

    @Test func responderRetransmissionIsLowerCase() throws {
        var t = Trace()
        t.handshake()
        t.tcp(false, .pshAck, seq: sISN + 1, ack: cISN + 1, payload: 10, at: 0.1)
        t.tcp(false, .pshAck, seq: sISN + 1, ack: cISN + 1, payload: 10, at: 0.3)
        let r = try #require(t.single())
        #expect(r.history == "ShAdt")
        #expect(r.responderAnomalies.retransmissions == 1)
    }

    @Test func badChecksumLetterIsLogarithmic() throws {
        var t = Trace()
        t.handshake()
        for k in 0..<10 {
            t.tcp(true, .pshAck, seq: cISN + 1, ack: sISN + 1, payload: 10, at: 0.1 + Double(k) * 0.01, checksum: .bad)
        }
        let r = try #require(t.single())
        #expect(r.history == "ShACC")
        #expect(r.originatorAnomalies.badChecksums == 10)
        // Kept in the counts (Sockeye departure), but not in the byte counts.
        #expect(r.originatorPackets == 12)
        #expect(r.originatorBytes == 0)
    }

    @Test func zeroWindow() throws {
        var t = Trace()
        t.established()
        t.tcp(false, .ack, seq: sISN + 21, ack: cISN + 11, window: 0, at: 0.07)
        t.tcp(false, .ack, seq: sISN + 21, ack: cISN + 11, window: 0, at: 0.08)
        let r = try #require(t.single())
        #expect(r.history == "ShADadw")
        #expect(r.responderAnomalies.zeroWindow == 2)
    }

    @Test func synFinIsQ() throws {
        var t = Trace()
        t.tcp(true, [.syn, .fin], seq: cISN, at: 0)
        let r = try #require(t.single())
        #expect(r.history == "Q")
    }

    @Test func finRstIsI() throws {
        var t = Trace()
        t.established()
        t.tcp(true, [.fin, .rst, .ack], seq: cISN + 11, ack: sISN + 21, at: 0.07)
        t.tcp(true, [.fin, .rst, .ack], seq: cISN + 11, ack: sISN + 21, at: 0.08)
        let r = try #require(t.single())
        #expect(r.history == "ShADadI")
        #expect(r.connState == .RSTO)
    }

    @Test func historyBufferRules() {
        var h = HistoryBuffer("ShA")
        #expect(h.string == "ShA")
        #expect(!h.isExactly(UInt8(ascii: "S")))
        h.reset("H")
        #expect(h.isExactly(UInt8(ascii: "H")))
        let due = (UInt64(0)...100_000).filter(isScaledHistoryStep)
        #expect(due == [1, 10, 100, 1000, 10_000, 100_000])
        #expect(isScaledHistoryStep(1_000_000_000) && !isScaledHistoryStep(999_999_999))
        var long = HistoryBuffer()
        for _ in 0..<100 { long.append(UInt8(ascii: "F")) }
        #expect(long.string.count == HistoryBuffer.capacity)
    }

    @Test func rstos0Pattern() {
        #expect(ConnStateDecision.matchesRSTOS0(HistoryBuffer("SR")))
        #expect(ConnStateDecision.matchesRSTOS0(HistoryBuffer("^SdR")))
        #expect(ConnStateDecision.matchesRSTOS0(HistoryBuffer("ScR")))
        #expect(!ConnStateDecision.matchesRSTOS0(HistoryBuffer("SAR")))
        #expect(!ConnStateDecision.matchesRSTOS0(HistoryBuffer("R")))
    }
}
