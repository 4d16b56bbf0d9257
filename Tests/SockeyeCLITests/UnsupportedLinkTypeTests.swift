import Foundation
import Testing

/// issue 16 §10: packets of a link type Sockeye does not decode are counted by link type in the
/// `analyze` text summary (`unsupported link type 147: 10`), not as `malformed`.
/// Fixture: linktypes/unsupported-user0-147.pcap, the real tcp-handshake-data-fin.pcap rewritten
/// to LINKTYPE_USER0 (147) by `editcap -T user0` (Fixtures/README.md).
@Suite("unsupported link types in the analyze summary")
struct UnsupportedLinkTypeTests {
    static let fixture = "linktypes/unsupported-user0-147.pcap"

    @Test("the summary names the link type and its packet count; nothing is called malformed")
    func summaryCountsUnsupportedLinkType() async throws {
        let file = TestEnvironment.fixture(Self.fixture)
        if let tshark = TestEnvironment.tshark {
            // The oracle agrees the file is LINKTYPE_USER0 with 10 frames.
            let t = try await ProcessRunner.run(tshark, ["-r", file.path, "-T", "fields", "-e", "frame.encap_type"])
            #expect(t.stdoutLines.filter { !$0.isEmpty }.count == 10, "\(t.stdoutText)")
        }
        let r = try await Sockeye.run(["analyze", file.path])
        #expect(r.status == 0, "\(r.stderrText)")
        let packets = try #require(r.stdoutLines.first { $0.hasPrefix("  packets ") }, "\(r.stdoutText)")
        #expect(packets == "  packets     10  (tcp 0  udp 0  other 10)  unsupported link type 147: 10", "\(packets)")
        #expect(!r.stdoutText.contains("malformed"), "\(r.stdoutText)")
        // A file with real defects still says malformed, and no link-type note.
        let m = try await Sockeye.run(["analyze", TestEnvironment.fixture("malformed-packets.pcap").path])
        #expect(m.stdoutText.contains("malformed ") && !m.stdoutText.contains("unsupported link type"), "\(m.stdoutText)")
    }

    @Test("two files of different unsupported link types are counted separately, in DLT order")
    func perLinkType() async throws {
        let original = try Data(contentsOf: TestEnvironment.fixture(Self.fixture))
        var other = original
        // Classic pcap header: the link type is the little-endian 32-bit word at offset 20.
        other.replaceSubrange(20..<24, with: [148, 0, 0, 0])   // LINKTYPE_USER1
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sockeye-dlt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("user1.pcap")
        try other.write(to: url)
        let r = try await Sockeye.run(["analyze", url.path, TestEnvironment.fixture(Self.fixture).path])
        #expect(r.status == 0, "\(r.stderrText)")
        #expect(r.stdoutText.contains("(tcp 0  udp 0  other 20)  unsupported link type 147: 10  unsupported link type 148: 10"), "\(r.stdoutText)")
    }
}
