import Foundation
import Testing

/// `orig_l2_addr`/`resp_l2_addr` (Zeek's policy/protocols/conn/mac-logging) against tshark on
/// every fixture: a record's addresses are the outermost Ethernet source and destination of the
/// first frame tshark shows for its 5-tuple, swapped when that frame came from the responder
/// (Zeek takes them from the first packet and swaps them on a role flip); captures of other
/// link types give none.
@Suite("link-layer addresses vs tshark",
       .enabled(if: TestEnvironment.tsharkTestsEnabled, "tshark is not installed; outside CI this suite is skipped"))
struct L2AddressCLITests {
    @Test("orig_l2_addr / resp_l2_addr are the first frame's eth.src / eth.dst",
          arguments: TestEnvironment.fixtureCaptures + ["icmp/icmp-errors.pcap", "encap/vxlan-tcp-udp.pcap"])
    func firstFrameAddresses(_ name: String) async throws {
        let path = TestEnvironment.fixture(name).path
        let tool = try #require(TestEnvironment.tshark, "tshark is required (CI=true)")
        let fields = ["eth.src", "eth.dst", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst",
                      "tcp.srcport", "udp.srcport", "tcp.dstport", "udp.dstport"]
        // The outermost Ethernet and the innermost IP/transport (a tunnel's inner connection).
        let first = try await ProcessRunner.run(tool, ["-n", "-r", path, "-T", "fields", "-E", "occurrence=f"]
                                                + fields[0..<2].flatMap { ["-e", $0] })
        let last = try await ProcessRunner.run(tool, ["-n", "-r", path, "-T", "fields", "-E", "occurrence=l"]
                                               + fields[2...].flatMap { ["-e", $0] })
        #expect(first.status == 0 && last.status == 0)
        try #require(first.stdoutLines.count == last.stdoutLines.count)
        var firstFrame: [String: (src: String, eth: (String, String))] = [:]
        var ethernetFrames = 0
        for (l2, l3) in zip(first.stdoutLines, last.stdoutLines) {
            let e = l2.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let f = l3.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard e.count == 2, f.count == 8, !e[0].isEmpty else { continue }
            ethernetFrames += 1
            let src = "\(f[0] + f[1])/\(f[4] + f[5])", dst = "\(f[2] + f[3])/\(f[6] + f[7])"
            guard !(f[4] + f[5]).isEmpty else { continue }   // not TCP/UDP
            let k = [src, dst].sorted().joined(separator: "|")
            if firstFrame[k] == nil { firstFrame[k] = (src, (e[0], e[1])) }
        }
        let out = try await Sockeye.run(["analyze", "--format", "json", "-q", path])
        #expect(out.status == 0, "\(out.stderrText)")
        var checked = 0, transportRecords = 0
        for line in out.stdoutLines {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if ethernetFrames == 0 {
                #expect(o["orig_l2_addr"] == nil && o["resp_l2_addr"] == nil, "\(name): \(line)")
                continue
            }
            guard let proto = o["proto"] as? String, proto == "tcp" || proto == "udp" else { continue }
            transportRecords += 1
            let orig = "\(o["id.orig_h"]!)/\(o["id.orig_p"]!)", resp = "\(o["id.resp_h"]!)/\(o["id.resp_p"]!)"
            // A tunnel's delivery flow has the outer 5-tuple, which occurrence=l does not show.
            guard let frame = firstFrame[[orig, resp].sorted().joined(separator: "|")] else { continue }
            let (o2, r2) = frame.src == orig ? frame.eth : (frame.eth.1, frame.eth.0)
            #expect(o["orig_l2_addr"] as? String == o2 && o["resp_l2_addr"] as? String == r2,
                    "\(name) \(orig) → \(resp): \(o["orig_l2_addr"] ?? "-") \(o["resp_l2_addr"] ?? "-"), tshark \(o2) \(r2)")
            checked += 1
        }
        if transportRecords > 0 { #expect(checked > 0, "\(name): no record checked") }
    }
}
