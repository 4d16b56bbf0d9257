import Testing
import FlowAnalysis
import PacketCodec
@testable import Reports

@Suite struct FlowEventWriterTests {
    static let v4 = (Endpoint(address: IPAddress("10.0.0.1")!, port: 51514), Endpoint(address: IPAddress("10.0.0.2")!, port: 80))
    static let v6 = (Endpoint(address: IPAddress("fd77::1")!, port: 33088), Endpoint(address: IPAddress("fd77::2")!, port: 7777))

    static func opened(_ ends: (Endpoint, Endpoint)) -> FlowEvent {
        FlowEvent(kind: .opened, time: Samples.ms(0.254), uid: "CHhAvVGS1DHFjwGM9", originator: ends.0,
                  responder: ends.1, synToSynAck: 0.000213, synAckToAck: 0.000041)
    }

    func render(_ format: FlowEventWriter.Format, _ body: (FlowEventWriter) -> Void) -> String {
        let out = OutputBuffer(fileDescriptor: nil)
        body(FlowEventWriter(format: format, output: out))
        return out.text
    }

    @Test func textOpenedAndRejected() {
        let text = render(.text) { w in
            w.event(Self.opened(Self.v4))
            w.event(FlowEvent(kind: .rejected, time: Samples.t0, uid: "Cx", originator: Self.v4.0, responder: Self.v4.1))
        }
        #expect(text == "22:13:20.000370 opened   CHhAvVGS1DHFjwGM9  tcp  10.0.0.1:51514 → 10.0.0.2:80  SYN→SYN-ACK 0.213 ms\n"
                + "22:13:20.000116 rejected Cx  tcp  10.0.0.1:51514 → 10.0.0.2:80\n")
    }

    @Test("rejected_by_icmp: text and JSON carry the ICMP type, code and sender")
    func rejectedByICMP() throws {
        var e = FlowEvent(kind: .rejectedByICMP, time: Samples.t0, uid: "Cy", originator: Self.v4.0, responder: Self.v4.1)
        e.icmpType = 3
        e.icmpCode = 13
        e.icmpFrom = IPAddress("10.0.0.254")
        let text = render(.text) { $0.event(e) }
        #expect(text == "22:13:20.000116 icmp-rej Cy  tcp  10.0.0.1:51514 → 10.0.0.2:80  ICMP 3/13 from 10.0.0.254\n")
        let json = render(.json) { $0.event(e) }
        #expect(json.hasPrefix("{\"event\":\"rejected_by_icmp\",\"ts\":"))
        #expect(json.hasSuffix(",\"icmp_type\":3,\"icmp_code\":13,\"icmp_from_h\":\"10.0.0.254\"}\n"), "\(json)")
    }

    @Test func textIPv6EndpointsAreBracketed() {
        var r = Samples.tcpConnection()
        r.originator = Self.v6.0; r.responder = Self.v6.1
        let text = render(.text) { w in w.event(Self.opened(Self.v6)); w.closed(r) }
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.contains("[fd77::1]:33088 → [fd77::2]:7777") })
    }

    @Test func textClosedAndExpired() {
        var udp = Samples.udpFlow()
        udp.closeReason = .timeout
        var atExit = Samples.tcpConnection()
        atExit.closeReason = .endOfInput
        var openAtExit = Samples.udpFlow()
        openAtExit.closeReason = .endOfInput
        let decided = Samples.tcpConnection().lastTime + 5_000_000_000   // after Zeek's close delay
        let text = render(.text) { w in
            w.closed(Samples.tcpConnection(), decidedAt: decided); w.closed(udp); w.closed(atExit); w.closed(openAtExit)
        }
        let lines = text.split(separator: "\n").map(String.init)
        // No line for a flow still open at the end of input; a connection that had already
        // closed when the input ended is reported closed.
        #expect(lines.count == 3)
        #expect(lines[0] == "22:13:26.204116 closed   CHhAvVGS1DHFjwGM9  tcp  10.0.0.1:51514 → 10.0.0.2:80  SF  ShADadFf  "
                + "\(Samples.tcpConnection().teardown!.style.rawValue)  1.204 s  orig 120 B / resp 5.1 kB")
        #expect(lines[1].contains(" expired  ") && lines[1].contains("  udp  "))
        #expect(lines[2].hasPrefix("22:13:21.204116 closed   "))
    }

    @Test func jsonOpened() {
        let text = render(.json) { w in w.event(Self.opened(Self.v6)) }
        #expect(text == #"{"event":"opened","ts":1700000000.000370,"uid":"CHhAvVGS1DHFjwGM9","id.orig_h":"fd77::1","id.orig_p":33088,"id.resp_h":"fd77::2","id.resp_p":7777,"proto":"tcp","community_id":"1:uvHV3QrcgY711sHjV2YWkB/fwDM=","syn_to_synack":0.000213,"synack_to_ack":0.000041}"# + "\n")
    }

    /// `--no-community-id` leaves the key out; local networks add local_orig/local_resp before it.
    @Test func jsonOpenedFollowsTheFieldOptions() throws {
        let out = OutputBuffer(fileDescriptor: nil)
        FlowEventWriter(format: .json, output: out, options: ConnFieldOptions(communityID: nil)).event(Self.opened(Self.v6))
        #expect(out.text == #"{"event":"opened","ts":1700000000.000370,"uid":"CHhAvVGS1DHFjwGM9","id.orig_h":"fd77::1","id.orig_p":33088,"id.resp_h":"fd77::2","id.resp_p":7777,"proto":"tcp","syn_to_synack":0.000213,"synack_to_ack":0.000041}"# + "\n")
        let nets = ConnFieldOptions(communityID: CommunityID(seed: 1), localNetworks: try LocalNetworks(parsing: "fd77::1/128"))
        let out2 = OutputBuffer(fileDescriptor: nil)
        let w = FlowEventWriter(format: .json, output: out2, options: nets)
        w.event(Self.opened(Self.v6))
        #expect(out2.text.contains(#""proto":"tcp","local_orig":true,"local_resp":false,"community_id":"1:5vWwFTE4n8MFHAMfS65jU/v9fPM=","#))
        // The closed event carries the same values through the schema.
        var r = Samples.tcpConnection()
        r.originator = Self.v6.0; r.responder = Self.v6.1
        w.closed(r)
        let closed = try #require(out2.text.split(separator: "\n").last.map(String.init))
        #expect(closed.contains(#""ip_proto":6,"community_id":"1:5vWwFTE4n8MFHAMfS65jU/v9fPM=","#))
        #expect(closed.contains(#""conn_state":"SF","local_orig":true,"local_resp":false,"missed_bytes":0"#))
    }

    /// `closed` is the record's JSON line with `"event"` first, built from the schema.
    @Test func jsonClosedCarriesTheRecord() throws {
        let records = [Samples.tcpConnection(), Samples.udpFlow()]
        var atExit = Samples.tcpConnection()
        atExit.closeReason = .endOfInput
        let text = render(.json) { w in for r in records + [atExit] { w.closed(r) } }
        let lines = text.split(separator: "\n").map(String.init)
        let plain = Samples.render(FlowJSONWriter.init, records + [atExit]).split(separator: "\n").map(String.init)
        try #require(lines.count == 3 && plain.count == 3)
        #expect(Samples.udpFlow().closeReason == .endOfInput)
        #expect(lines[0] == #"{"event":"closed","# + plain[0].dropFirst())
        #expect(lines[1] == #"{"event":"open_at_exit","# + plain[1].dropFirst())
        // Closed (4-way) before the input ended: `closed`, not `open_at_exit`.
        #expect(lines[2] == #"{"event":"closed","# + plain[2].dropFirst())
        let stamped = render(.json) { w in w.closed(records[0], decidedAt: 1_700_000_006_204_116_000) }
        #expect(stamped == #"{"event":"closed","event_ts":1700000006.204116,"# + plain[0].dropFirst() + "\n")
    }

    @Test func flushesEachEvent() {
        // A collect-only buffer is cleared by nothing; a descriptor-backed one must be empty after each call.
        let out = OutputBuffer(fileDescriptor: -1)  // writes fail, but the buffer is drained
        let w = FlowEventWriter(format: .json, output: out)
        w.closed(Samples.tcpConnection())
        #expect(out.bytes.isEmpty)
        w.event(Self.opened(Self.v4))
        #expect(out.bytes.isEmpty)
    }
}
