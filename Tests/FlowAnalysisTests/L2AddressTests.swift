import PacketCodec
import Testing
@testable import FlowAnalysis

/// `orig_l2_addr`/`resp_l2_addr`: a flow's outermost Ethernet addresses from its first packet,
/// by side, so a role flip swaps them (Zeek's `Connection` and `FlipRoles`); flows with
/// different address pairs keep their own (the pairs are numbered once per analyzer).
@Suite("link-layer addresses")
struct L2AddressTests {
    static func frame(_ src: MACAddress, _ dst: MACAddress, from: (IPAddress, UInt16), to: (IPAddress, UInt16),
                      flags: TCPFlags, seq: UInt32, ack: UInt32 = 0) -> [UInt8] {
        TunnelFlowTests.tcpFrame(from: from, to: to, flags: flags, seq: seq, ack: ack, source: src, destination: dst)
    }

    @Test("two connections with their own MAC pairs; one whose first packet is the SYN-ACK (roles flipped)")
    func pairsAndFlips() throws {
        let m1 = MACAddress("02:00:00:00:00:01")!, m2 = MACAddress("02:00:00:00:00:02")!
        let m3 = MACAddress("0a:bb:cc:dd:ee:03")!, m4 = MACAddress("0a:bb:cc:dd:ee:04")!
        let c1 = (IPAddress("10.0.0.1")!, UInt16(40000)), s1 = (IPAddress("10.0.0.2")!, UInt16(80))
        let c2 = (IPAddress("10.0.1.1")!, UInt16(40001)), s2 = (IPAddress("10.0.1.2")!, UInt16(443))
        let frames = [
            Self.frame(m1, m2, from: c1, to: s1, flags: [.syn], seq: 1),
            // The second connection is first seen at its SYN-ACK, from the server (m4).
            Self.frame(m4, m3, from: s2, to: c2, flags: [.syn, .ack], seq: 9, ack: 2),
            Self.frame(m2, m1, from: s1, to: c1, flags: [.syn, .ack], seq: 5, ack: 2),
            Self.frame(m3, m4, from: c2, to: s2, flags: [.ack], seq: 2, ack: 10),
        ]
        let records = TunnelFlowTests.run(frames)
        try #require(records.count == 2)
        let r1 = try #require(records.first { $0.responder.port == 80 })
        #expect(r1.originatorL2Address == m1 && r1.responderL2Address == m2)
        let r2 = try #require(records.first { $0.responder.port == 443 })
        // Zeek flips a connection first seen at a SYN-ACK: the client (m3) is the originator.
        #expect(r2.originator.address == c2.0, "\(r2.originator)")
        #expect(r2.originatorL2Address == m3 && r2.responderL2Address == m4)
    }

    @Test("raw IP captures have none")
    func rawIP() throws {
        var t = Trace()
        t.tcp(true, [.syn], seq: 1, at: 0)
        let r = try #require(t.single())
        #expect(r.originatorL2Address == nil && r.responderL2Address == nil)
    }
}
