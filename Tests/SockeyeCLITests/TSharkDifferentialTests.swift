import Foundation
import Testing

/// Differential test against Wireshark's dissectors: every header field of every packet of every
/// fixture (except `Fixtures/damaged/`) must equal what `tshark -T fields` reports with checksum
/// validation on.
///
/// Checksum verdicts are mapped to tshark's numbering (0 Bad, 1 Good, 2 Unverified, 3 Not
/// present, 4 Illegal — UDP checksum 0 over IPv6, which Sockeye calls `bad`). Two rules are not
/// plain equality:
/// * Sockeye `partial` vs tshark Bad: tshark 4.0 has no offload verdict; the test recomputes
///   the pseudo-header sum from the addresses, protocol and length and accepts `partial` only
///   when the field equals it.
/// * Sockeye `unverified` matches only tshark Unverified (2). Both tools decline to verify
///   snaplen-truncated segments and IP fragments (tshark with `ip.defragment:FALSE`), so no
///   looser rule is needed; a truncated or fragmented packet on which tshark gives a Good/Bad
///   verdict would show up here as a disagreement.
@Suite("tshark differential (Fixtures/)",
       .enabled(if: TestEnvironment.tsharkTestsEnabled,
                "tshark is not installed (looked for /usr/bin/tshark and PATH); outside CI the differential test is skipped — install the tshark package to run it"))
struct TSharkDifferentialTests {
    /// Differences on our own fixtures that are understood (see ``KnownDifferences``); they are
    /// printed on every run and must come only from `malformed-packets.pcap` and the snaplen cut.
    static let knownDifferences = KnownDifferences.fixtures

    @Test("tshark is installed (required in CI)")
    func tsharkIsInstalled() {
        #expect(TestEnvironment.tshark != nil,
                "tshark not found at /usr/bin/tshark or on PATH; CI=true requires it (apt-get install tshark)")
    }

    @Test("Fixtures/ holds captures to compare")
    func fixturesExist() {
        #expect(!TestEnvironment.fixtureCaptures.isEmpty,
                "no *.pcap / *.pcapng under \(TestEnvironment.fixturesDirectory.path)")
    }

    @Test("each fixture agrees with tshark field by field", arguments: TestEnvironment.fixtureCaptures)
    func fixtureAgrees(_ name: String) async throws {
        let r = try await DifferentialCache.shared.comparison(
            of: TestEnvironment.fixture(name), label: name, count: nil, known: Self.knownDifferences)
        #expect(r.sockeye.status == 0, "sockeye exited \(r.sockeye.status): \(r.sockeye.stderrText)")
        #expect(r.invalidJSONLines.isEmpty, "not JSON: \(r.invalidJSONLines.prefix(3))")
        #expect(r.tally.frameCountMismatch == nil, "\(r.tally.frameCountMismatch ?? "")")
        #expect(r.tally.disagreements.isEmpty,
                "\(r.tally.disagreements.count) disagreements:\n\(r.tally.disagreements.prefix(20).map(\.description).joined(separator: "\n"))")
    }

    @Test("overall agreement on fixtures is 100% apart from listed differences")
    func overallAgreement() async throws {
        let names = TestEnvironment.fixtureCaptures
        try #require(!names.isEmpty, "no fixtures")
        let results = try await withThrowingTaskGroup(of: FileComparison.self) { group in
            for n in names {
                group.addTask {
                    try await DifferentialCache.shared.comparison(
                        of: TestEnvironment.fixture(n), label: n, count: nil, known: Self.knownDifferences)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }.sorted { $0.label < $1.label }
        }
        Report.print(title: "tshark differential, Fixtures/", results, limit: 50)
        var total = ComparisonTally()
        for r in results { total.add(r.tally) }
        #expect(total.framesCompared > 0, "no frames compared")
        #expect(total.compared > 0)
        #expect(total.disagreements.isEmpty,
                "agreement \(total.agreed)/\(total.compared); unexplained: \(total.disagreements.prefix(10).map(\.description))")
        #expect(results.allSatisfy { $0.tally.frameCountMismatch == nil })
        // Excused differences may come only from the deliberately malformed or cut fixtures.
        let excusedFiles = Set(total.excused.map(\.0.file))
        #expect(excusedFiles.isSubset(of: ["malformed-packets.pcap", "snaplen-truncated.pcap"]),
                "excused differences in \(excusedFiles.sorted())")
    }
}
