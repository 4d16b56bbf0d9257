import Testing
@testable import FlowAnalysis

/// `AnalysisSummary.unsupportedLinkTypes`: frames of an undecoded link type are counted per DLT,
/// and `malformedPackets` leaves them out (issue 16 §10).
@Suite struct UnsupportedLinkTypeSummaryTests {
    @Test func countedPerLinkTypeNotAsMalformed() throws {
        let (records, summary) = try Fixtures.analyze("linktypes/unsupported-user0-147.pcap")
        #expect(records.isEmpty)
        #expect(summary.packets == 10)
        #expect(summary.unsupportedLinkTypes == [147: 10])
        #expect(summary.malformedPackets == 0)
        let malformed = try Fixtures.analyze("malformed-packets.pcap").summary
        #expect(malformed.malformedPackets > 0 && malformed.unsupportedLinkTypes.isEmpty)
    }
}
