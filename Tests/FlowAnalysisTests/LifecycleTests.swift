import Testing
import PacketCodec
@testable import FlowAnalysis

/// Timeouts, port reuse, eviction and uids.
@Suite struct LifecycleTests {
    @Test func udpInactivityTimeoutSplitsFlows() {
        var t = Trace(client: .client, server: Host(address: IPAddress("10.0.0.2")!, port: 5000))
        t.udp(true, payload: 10, at: 0)
        t.udp(false, payload: 20, at: 30)
        t.udp(true, payload: 10, at: 91)   // 61 s after the last packet
        let (records, summary) = t.run()
        #expect(records.count == 2)
        #expect(records[0].closeReason == .timeout)
        #expect(records[0].connState == .SF && records[0].history == "Dd")
        #expect(records[0].originatorBytes == 10 && records[0].responderBytes == 20)
        #expect(records[1].closeReason == .endOfInput && records[1].connState == .S0)
        #expect(records[0].uid != records[1].uid)
        #expect(summary.flows == 2)
    }

    @Test func udpWithinTimeoutIsOneFlow() {
        var t = Trace(client: .client, server: Host(address: IPAddress("10.0.0.2")!, port: 5000))
        t.udp(true, payload: 10, at: 0)
        t.udp(true, payload: 10, at: 59)
        #expect(t.run().records.count == 1)
    }

    @Test func attemptDelayGivesS0AndNewConnection() {
        var t = Trace()
        t.tcp(true, .syn, seq: cISN, at: 0)
        t.tcp(true, .syn, seq: cISN, at: 3)
        t.tcp(true, .syn, seq: cISN, at: 9)      // after tcp_attempt_delay (5 s): a new connection
        let records = t.run().records
        #expect(records.count == 2)
        #expect(records[0].connState == .S0 && records[0].closeReason == .timeout)
        #expect(records[0].originatorPackets == 2)
        #expect(records[1].originatorPackets == 1)
        #expect(records[1].startTime == Trace.ns(9))
    }

    @Test func portReuseAfterCloseGivesTwoRecords() {
        var t = Trace()
        t.established()
        t.tcp(true, .finAck, seq: cISN + 11, ack: sISN + 21, at: 0.07)
        t.tcp(false, .finAck, seq: sISN + 21, ack: cISN + 12, at: 0.08)
        t.tcp(true, .ack, seq: cISN + 12, ack: sISN + 22, at: 0.09)
        t.tcp(true, .syn, seq: 777_000, at: 1.0)   // within the close delay, new ISN
        t.tcp(false, .synAck, seq: 888_000, ack: 777_001, at: 1.01)
        let records = t.run().records
        #expect(records.count == 2)
        #expect(records[0].closeReason == .reused && records[0].connState == .SF)
        #expect(records[1].history == "Sh" && records[1].connState == .S1)
        #expect(records[1].handshake?.state == .synSynAck)
        #expect(records[0].uid != records[1].uid)
    }

    @Test func newIsnWhileAttemptingIsReuse() {
        var t = Trace()
        t.tcp(true, .syn, seq: cISN, at: 0)
        t.tcp(true, .syn, seq: cISN + 99_999, at: 1)
        let records = t.run().records
        #expect(records.count == 2)
        #expect(records[0].closeReason == .reused)
    }

    @Test func closedConnectionIsWrittenAfterCloseDelay() {
        var t = Trace()
        t.established()
        t.tcp(true, .rstAck, seq: cISN + 11, ack: sISN + 21, at: 0.07)
        t.udp(true, payload: 1, at: 10)   // unrelated packet advances time past the close delay
        let records = t.run(finish: false).records
        #expect(records.count == 1)
        #expect(records.first?.closeReason == .closed)
        #expect(records.first?.connState == .RSTO)
    }

    @Test func establishedTcpUsesLongInactivityTimeout() {
        var t = Trace()
        t.established()
        t.tcp(true, .pshAck, seq: cISN + 11, ack: sISN + 21, payload: 1, at: 200)   // 200 s idle: same flow
        t.tcp(true, .pshAck, seq: cISN + 12, ack: sISN + 21, payload: 1, at: 501)   // 301 s idle: new flow
        let records = t.run().records
        #expect(records.count == 2)
        #expect(records[0].closeReason == .timeout && records[0].connState == .S1)
        #expect(records[1].history == "D")
    }

    @Test func evictionCap() {
        var config = FlowConfiguration()
        config.maxFlows = 2
        var t = Trace()
        for k in 0..<3 {
            t.a = Host(address: IPAddress("10.0.1.\(k + 1)")!, port: 1000)
            t.udp(true, payload: 4, at: Double(k))
        }
        let (records, summary) = t.run(config)
        #expect(summary.evictedFlows == 1)
        #expect(records.count == 3)
        #expect(records[0].closeReason == .evicted)
        #expect(records[0].originator.address.description == "10.0.1.1")
        #expect(summary.maxConcurrentFlows == 2)
    }

    @Test func flowStateStaysSmallAndInline() {
        // Per-flow state is a small hot record plus a per-kind side record: no references,
        // bounded size; UDP/ICMP flows do not carry TCP state.
        #expect(MemoryLayout<FlowState>.stride <= 128)
        #expect(MemoryLayout<DatagramFlow>.stride <= 104)
        #expect(MemoryLayout<TCPConnection>.stride <= 360)
        #expect(MemoryLayout<TCPExtras>.stride <= 168)
        #expect(MemoryLayout<FlowKey>.size == 40)
        #expect(_isPOD(FlowKey.self) && _isPOD(TCPEndpoint.self) && _isPOD(HistoryBuffer.self))
        #expect(_isPOD(FlowState.self) && _isPOD(TCPConnection.self) && _isPOD(DatagramFlow.self)
                && _isPOD(TCPExtras.self))
    }

    @Test func tcpExtrasAreAllocatedOnFirstNeedAndFreedWithTheFlow() {
        // A connection without FIN/RST or anomaly never gets a TCPExtras record (a SYN flood
        // pays for the core only); its first FIN allocates one; the flow's end frees it.
        func feed(_ t: Trace, _ a: FlowAnalyzer) {
            let decoder = PacketDecoder()
            for f in t.frames {
                f.bytes.withUnsafeBytes { a.process(decoder.decode($0, linkType: .rawIP), time: f.time, bytes: $0) }
            }
        }
        var records: [ConnectionRecord] = []
        let analyzer = FlowAnalyzer(configuration: .init()) { records.append($0) }
        var open = Trace()
        open.established()
        feed(open, analyzer)
        #expect(analyzer.activeFlows == 1 && analyzer.tcpExtrasInUse == 0)
        var fin = Trace()
        fin.tcp(true, .finAck, seq: cISN + 11, ack: sISN + 21, at: 0.070)
        feed(fin, analyzer)
        #expect(analyzer.activeFlows == 1 && analyzer.tcpExtrasInUse == 1)
        analyzer.finish()
        #expect(analyzer.activeFlows == 0 && analyzer.tcpExtrasInUse == 0)
        #expect(records.count == 1 && records[0].teardown?.originatorFIN == true && records[0].history == "ShADadF")
    }

    @Test("bytes per flow at steady state, from strides and the table's footprint")
    func bytesPerFlow() {
        // 20,000 flows of one kind, then the table's own count of bytes held (hot slots and side
        // records handed out, plus the index buckets) divided by the flows.
        func perFlow(_ tcp: Bool) -> Int {
            var c = FlowConfiguration()
            c.maxFlows = 20_000
            var table = FlowTable(configuration: c)
            defer { table.deallocate() }
            for k in 0..<20_000 {
                let src = IPAddress(ipv4: 0x0a00_0000 | UInt32(k))
                let (key, fromA) = FlowKey.make(proto: tcp ? 6 : 17, source: src, sourcePort: 1000,
                                                destination: IPAddress(ipv4: 0x0a01_0001), destinationPort: 80)
                _ = table.insert(FlowState(key: key, kind: tcp ? .tcp : .udp, origIsA: fromA, time: Int64(k),
                                           reuseIndex: 0))
            }
            return table.footprintBytes / table.count
        }
        let tcp = perFlow(true), udp = perFlow(false)
        print("bytes per flow: tcp \(tcp), udp \(udp) (hot \(MemoryLayout<FlowState>.stride), tcp side "
              + "\(MemoryLayout<TCPConnection>.stride), udp side \(MemoryLayout<DatagramFlow>.stride))")
        #expect(tcp <= MemoryLayout<FlowState>.stride + MemoryLayout<TCPConnection>.stride + 32)
        #expect(udp <= MemoryLayout<FlowState>.stride + MemoryLayout<DatagramFlow>.stride + 32)
        #expect(udp < 300)
    }

    @Test func uidsAreDeterministic() {
        var t = Trace()
        t.established()
        let a = t.run().records.map(\.uid)
        let b = t.run().records.map(\.uid)
        #expect(a == b)
        #expect(a.first?.hasPrefix("C") == true)
        #expect((a.first?.count ?? 0) >= 12)
    }

    @Test("time going backwards to an earlier flow's start still gives a distinct uid")
    func uidsDistinctWhenTimeGoesBackwards() {
        var t = Trace()
        t.tcp(true, .ack, seq: 7000, ack: 9000, at: 100)      // flow 1 starts at 100 s
        t.tcp(true, .ack, seq: 7000, ack: 9000, at: 1000)     // flow 1 timed out; flow 2
        t.udp(true, payload: 1, at: 2000)                     // (another 5-tuple) expires flow 2
        t.tcp(true, .ack, seq: 7000, ack: 9000, at: 100)      // back to 100 s: flow 3
        let records = t.run().records.filter { $0.proto == .tcp }
        #expect(records.count == 3)
        #expect(records.map(\.startTime) == [Trace.ns(100), Trace.ns(1000), Trace.ns(100)])
        #expect(Set(records.map(\.uid)).count == 3)
        // In-order flows keep the uid they would have in any capture.
        var alone = Trace()
        alone.tcp(true, .ack, seq: 7000, ack: 9000, at: 100)
        #expect(alone.run().records.first?.uid == records[0].uid)
    }

    @Test("more flows at one instant than the guard remembers: uids stay distinct")
    func uidsDistinctInAFloodAtOneInstant() {
        // 70,000 5-tuples, every SYN at the same nanosecond, the table capped at 1,000 so flows
        // are evicted and recreated while the instant lasts.
        var frames: [(time: Int64, bytes: [UInt8])] = []
        for i in 0..<70_000 {
            var t = Trace(client: Host(address: IPAddress(ipv4: 0x0a00_0000 | UInt32(i / 60_000)), port: UInt16(1024 + i % 60_000)))
            t.tcp(true, .syn, seq: 1, at: 5)
            if i < 100 { t.tcp(true, .syn, seq: 99, at: 5) }   // a second SYN on a few
            frames += t.frames
        }
        var records: [ConnectionRecord] = []
        var config = FlowConfiguration()
        config.maxFlows = 1_000
        let analyzer = FlowAnalyzer(configuration: config) { records.append($0) }
        let decoder = PacketDecoder()
        for f in frames {
            f.bytes.withUnsafeBytes { analyzer.process(decoder.decode($0, linkType: .rawIP), time: f.time, bytes: $0) }
        }
        analyzer.finish()
        #expect(records.count >= 70_000)
        #expect(Set(records.map(\.uid)).count == records.count)
    }

    @Test func keepEventsRecordsPacketsInRoleOrder() throws {
        var config = FlowConfiguration()
        config.keepEvents = true
        var t = Trace()
        t.tcp(false, .pshAck, seq: 9000, ack: 7000, payload: 5, at: 0)   // from port 80: flipped
        t.tcp(true, .ack, seq: 7000, ack: 9005, at: 0.1)
        let r = try #require(t.run(config).records.first)
        #expect(r.events.count == 2)
        #expect(r.events.map(\.fromOriginator) == [false, true])
        #expect(r.events[0].payloadLength == 5)
    }

    @Test func icmpEchoIsOneFlow() throws {
        var t = Trace()
        t.icmp(true, type: 8, payload: 56, at: 0)
        t.icmp(false, type: 0, payload: 56, at: 0.001)
        let r = try #require(t.single())
        #expect(r.proto == .icmp)
        #expect(r.originator.port == 8 && r.responder.port == 0)
        #expect(r.connState == .OTH)
        #expect(r.originatorBytes == 56 && r.responderBytes == 56)
    }

    @Test func udpFlipsWhenSourceIsLikelyServer() throws {
        var t = Trace(client: Host(address: IPAddress("10.0.0.1")!, port: 53000), server: Host(address: IPAddress("10.0.0.2")!, port: 53))
        t.udp(false, payload: 30, at: 0)
        let r = try #require(t.single())
        #expect(r.history == "^d")
        #expect(r.originator.port == 53000)
        #expect(r.connState == .SHR)
    }

    @Test func udpBadChecksumDoesNotActivate() throws {
        var t = Trace(client: .client, server: Host(address: IPAddress("10.0.0.2")!, port: 5000))
        t.udp(true, payload: 10, at: 0)
        t.udp(false, payload: 10, at: 0.1, checksum: .bad)
        let r = try #require(t.single())
        #expect(r.history == "Dc")
        #expect(r.connState == .S0)
        #expect(r.responderPackets == 1 && r.responderAnomalies.badChecksums == 1)
    }
}
