import PacketCodec
import Testing
@testable import FlowAnalysis

/// Hostile resource use: a SYN flood of distinct 5-tuples must stay under the flow-table cap
/// (evictions counted), and one flow with many out-of-order and repeated segments must stay one
/// small flow with correct counters. (The 1M-packet versions run from scripts/hostile-captures.py;
/// numbers are in the README.)
@Suite("Resource caps under hostile traffic")
struct ResourceCapTests {
    @Test("a SYN flood of 30 000 distinct 5-tuples never holds more than maxFlows flows")
    func synFlood() {
        var config = FlowConfiguration()
        config.maxFlows = 2_000
        var records: [ConnectionRecord] = []
        let analyzer = FlowAnalyzer(configuration: config) { records.append($0) }
        let decoder = PacketDecoder()
        var peak = 0
        let server = IPAddress("198.18.0.1")!.ipv4
        for i in 0..<30_000 {
            var ip = IPv4Header()
            ip.source = 0x0a00_0000 | UInt32(i >> 14)
            ip.destination = server
            ip.protocol = 6
            var h = TCPHeader()
            h.sourcePort = UInt16(1024 + (i & 0x3fff))
            h.destinationPort = 80
            h.sequenceNumber = UInt32(truncatingIfNeeded: i &* 2_654_435_761)
            h.flags = [.syn]
            h.window = 64240
            let frame = PacketRepr(link: .raw, network: .ipv4(ip, options: []), transport: .tcp(h, options: [])).encode()
            frame.withUnsafeBytes { raw in
                analyzer.process(decoder.decode(raw, linkType: .rawIP), time: 1_700_000_000_000_000_000 + Int64(i) * 1000, bytes: raw)
            }
            peak = max(peak, analyzer.activeFlows)
        }
        #expect(peak <= config.maxFlows)
        #expect(analyzer.summary.evictedFlows == 28_000)
        analyzer.finish()
        #expect(records.count == 30_000)
        #expect(records.filter { $0.closeReason == .evicted }.count == 28_000)
        let odd = records.filter { !($0.connState == .S0 && $0.history == "S" && $0.originatorPackets == 1) }
        #expect(odd.isEmpty, "\(odd.count) records are not a lone SYN (first: \(odd.first.map { "\($0.connState) \($0.history)" } ?? ""))")
        #expect(analyzer.activeFlows == 0)
    }

    @Test("20 000 data segments in reversed blocks with repeats: one flow, no false gaps")
    func outOfOrderFlood() throws {
        var t = Trace()
        t.handshake()
        let segments = 20_000
        var time = 0.03
        var repeats = 0
        var order: [Int] = []
        for block in stride(from: 0, to: segments, by: 64) {
            order += (block..<min(block + 64, segments)).reversed()
        }
        for (k, i) in order.enumerated() {
            let seq = cISN &+ 1 &+ UInt32(100 * i)
            time += 0.000_01
            t.tcp(true, .pshAck, seq: seq, ack: sISN + 1, payload: 100, at: time)
            if k % 7 == 0 {
                t.tcp(true, .pshAck, seq: seq, ack: sISN + 1, payload: 100, at: time)
                repeats += 1
            }
            if k % 64 == 63 {
                t.tcp(false, .ack, seq: sISN + 1, ack: cISN &+ 1 &+ UInt32(100 * min(i + 64, segments)), at: time)
            }
        }
        let end = cISN &+ 1 &+ UInt32(100 * segments)
        t.tcp(true, .finAck, seq: end, ack: sISN + 1, at: time + 0.001)
        t.tcp(false, .finAck, seq: sISN + 1, ack: end + 1, at: time + 0.002)
        t.tcp(true, .ack, seq: end + 1, ack: sISN + 2, at: time + 0.003)
        let (records, summary) = t.run()
        #expect(records.count == 1)
        #expect(summary.maxConcurrentFlows == 1)
        let r = try #require(records.first)
        #expect(r.connState == .SF)
        #expect(r.missedBytes == 0)
        #expect(r.originatorBytes == UInt64(100 * segments))
        #expect(r.originatorAnomalies.retransmissions == UInt64(repeats))
        #expect(r.originatorAnomalies.outOfOrder > 0)
        #expect(!r.history.contains("G"))
    }
}
