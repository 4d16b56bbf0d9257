import Foundation
import Testing
import PacketCodec
@testable import FlowAnalysis

/// One row of Fixtures/expected-flows.tsv (Zeek-style reference computed by
/// Fixtures/scripts/flows.py and checked against tshark).
struct ExpectedFlow: Sendable, CustomStringConvertible {
    var file: String
    var proto: String
    var origHost: String
    var origPort: UInt16
    var respHost: String
    var respPort: UInt16
    var connState: String
    var history: String
    var origPackets: UInt64
    var respPackets: UInt64
    var description: String { "\(file) \(proto) \(origHost):\(origPort) > \(respHost):\(respPort)" }

    static let all: [ExpectedFlow] = {
        guard let text = try? String(contentsOfFile: Fixtures.path("expected-flows.tsv"), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 10, let op = UInt16(f[3]), let rp = UInt16(f[5]), let o = UInt64(f[8]), let r = UInt64(f[9]) else { return nil }
            return ExpectedFlow(file: f[0], proto: f[1], origHost: f[2], origPort: op, respHost: f[4], respPort: rp,
                                connState: f[6], history: f[7], origPackets: o, respPackets: r)
        }
    }()

    static var files: [String] { Array(Set(all.map(\.file))).sorted() }
}

/// Runs every capture listed in Fixtures/expected-flows.tsv and compares each row field by field:
/// originator/responder, conn_state, history, and packet counts.
///
/// Packet counts: the reference follows Zeek, which drops bad-checksum packets before counting;
/// Sockeye keeps and counts them (README "Departures from Zeek"), so the comparison subtracts each
/// direction's `badChecksums`.
@Suite struct FixtureTests {
    @Test func expectationsArePresent() {
        #expect(ExpectedFlow.all.count >= 100, "Fixtures/expected-flows.tsv missing or short")
    }

    @Test(arguments: ExpectedFlow.files)
    func flowsMatchReference(_ file: String) throws {
        let expected = ExpectedFlow.all.filter { $0.file == file }
        let records = try Fixtures.analyze(file).records
            .filter { $0.proto == .tcp || $0.proto == .udp }
            .sorted { $0.startTime < $1.startTime }
        #expect(records.count == expected.count, "\(file): \(records.count) TCP/UDP flows, reference lists \(expected.count)")
        var unused = records
        for row in expected {
            let canonical = { (s: String) in IPAddress(s)?.description ?? s }
            guard let k = unused.firstIndex(where: {
                $0.proto.description == row.proto
                    && $0.originator.address.description == canonical(row.origHost) && $0.originator.port == row.origPort
                    && $0.responder.address.description == canonical(row.respHost) && $0.responder.port == row.respPort
            }) else {
                Issue.record("\(row): no Sockeye flow with these originator/responder endpoints")
                continue
            }
            let r = unused.remove(at: k)
            #expect(r.connState.rawValue == row.connState, "\(row): conn_state")
            #expect(r.history == row.history, "\(row): history")
            #expect(r.originatorPackets - r.originatorAnomalies.badChecksums == row.origPackets, "\(row): orig_pkts")
            #expect(r.responderPackets - r.responderAnomalies.badChecksums == row.respPackets, "\(row): resp_pkts")
        }
    }
}
