import Foundation
import Testing

/// IP fragment reassembly against tshark (which reassembles by default): on the fixture made by
/// the senders' kernels (Fixtures/reassembly/ip-fragments.pcap) each flow's datagrams and bytes equal
/// tshark's reassembled UDP datagrams; on the corpus fragment traces the number of datagrams
/// Sockeye reassembles equals the number tshark reassembles.
@Suite("IP fragment reassembly vs tshark",
       .enabled(if: TestEnvironment.tsharkTestsEnabled, "tshark is not installed; outside CI this suite is skipped"))
struct FragmentReassemblyTests {
    static func tshark(_ path: String, _ fields: [String]) async throws -> [[String]] {
        let tool = try #require(TestEnvironment.tshark, "tshark is required (CI=true)")
        let r = try await ProcessRunner.run(tool, ["-r", path, "-T", "fields"] + fields.flatMap { ["-e", $0] })
        #expect(r.status == 0)
        return r.stdoutLines.map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }

    /// "reassembled N datagrams" from the text report, or 0 without a fragments line.
    static func reassembled(_ path: String) async throws -> Int {
        let r = try await Sockeye.run(["analyze", "-q", path])
        #expect(r.status == 0, "\(path): exit \(r.status) \(r.stderrText)")
        guard let line = r.stdoutLines.first(where: { $0.hasPrefix("  fragments ") }),
              let range = line.range(of: "reassembled ") else { return 0 }
        return Int(line[range.upperBound...].prefix { $0.isNumber }) ?? -1
    }

    @Test("Fixtures/reassembly/ip-fragments.pcap: per direction, datagrams and bytes as tshark reassembles them")
    func fixtureAgrees() async throws {
        let path = TestEnvironment.fixture("reassembly/ip-fragments.pcap").path
        // tshark: frames where a whole UDP datagram is dissected (reassembled or not fragmented).
        let rows = try await Self.tshark(path, ["ip.src", "ipv6.src", "udp.srcport", "udp.length"])
        var expected: [String: (packets: UInt64, bytes: UInt64)] = [:]
        for r in rows where r.count == 4 && !r[3].isEmpty {
            let key = (r[0].isEmpty ? r[1] : r[0]) + "/" + r[2]
            let len = try #require(UInt64(r[3]))
            expected[key, default: (0, 0)].packets += 1
            expected[key, default: (0, 0)].bytes += len - 8
        }
        #expect(expected.count == 4, "tshark sees 4 directions: \(expected)")
        let out = try await Sockeye.run(["analyze", "--format", "json", "-q", path])
        #expect(out.status == 0)
        var seen = 0
        for line in out.stdoutLines {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            guard o["proto"] as? String == "udp" else { continue }
            let origKey = "\(o["id.orig_h"]!)/\(o["id.orig_p"]!)", respKey = "\(o["id.resp_h"]!)/\(o["id.resp_p"]!)"
            let e = try #require(expected[origKey]), f = try #require(expected[respKey])
            #expect(o["orig_pkts"] as? Int == Int(e.packets) && o["orig_bytes"] as? Int == Int(e.bytes), "\(line)")
            #expect(o["resp_pkts"] as? Int == Int(f.packets) && o["resp_bytes"] as? Int == Int(f.bytes), "\(line)")
            #expect(o["history"] as? String == "Dd" && o["conn_state"] as? String == "SF")
            seen += 1
        }
        #expect(seen == 2)
    }

    static let corpusFragmentTraces = [
        "ipv4/zeek_ipv4_fragmented-1.pcap", "ipv4/zeek_ipv4_fragmented-2.pcap", "ipv4/zeek_ipv4_fragmented-3.pcap",
        "ipv4/zeek_ipv4_fragmented-4.pcap", "ipv4/zeek_ipv4_fragmented-syn.pcap", "ipv4/pcapplusplus_ip4_fragments.pcap",
        "ipv4/pcapplusplus_frag_http_req.pcap", "ipv4/pcapplusplus_frag_with_padding.pcap",
        "ipv4/deepflow_ip-fragment.pcap", "ipv4/zeek_dns-edns-ecs.pcap", "ipv6/zeek_ipv6-fragmented-dns.pcap",
        "ipv6/pcapplusplus_ip6_fragments.pcap", "encap/peafowl_ip_fragmentation_teardrop.pcap",
    ]

    /// Frame number → reassembled payload length, as `packets --format json` marks the fragment
    /// that completes a datagram and as tshark shows `ip.reassembled.length` /
    /// `ipv6.reassembled.length` on it; and the frames marked `fragment`.
    static func completions(_ path: String) async throws -> (sockeye: [Int: Int], tshark: [Int: Int], fragments: Set<Int>, tsharkFragments: Set<Int>) {
        let rows = try await Self.tshark(path, ["frame.number", "ip.reassembled.length", "ipv6.reassembled.length",
                                                "ip.flags.mf", "ip.frag_offset", "ipv6.fraghdr.offset", "ipv6.fraghdr.more"])
        var t: [Int: Int] = [:], tf: Set<Int> = []
        for r in rows where r.count == 7 {
            guard let n = Int(r[0]) else { continue }
            if let len = Int((r[1] + r[2]).split(separator: ",").first ?? "") { t[n] = len }
            // The outermost IP header's fragment fields (the first occurrence).
            let mf = r[3].split(separator: ",").first == "1" || r[6].split(separator: ",").first == "1"
            let off = (Int(r[4].split(separator: ",").first ?? "") ?? 0) + (Int(r[5].split(separator: ",").first ?? "") ?? 0)
            if mf || off > 0 { tf.insert(n) }
        }
        let out = try await Sockeye.run(["packets", "--format", "json", path])
        #expect(out.status == 0)
        var s: [Int: Int] = [:], sf: Set<Int> = []
        for line in out.stdoutLines {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let n = try #require(o["frame"] as? Int)
            if let len = o["reassembled_len"] as? Int { s[n] = len }
            if o["fragment"] as? Bool == true { sf.insert(n) }
        }
        return (s, t, sf, tf)
    }

    @Test("packets --format json: fragments marked, and the completing one carries tshark's reassembled length")
    func packetJSONMarksCompletion() async throws {
        let c = try await Self.completions(TestEnvironment.fixture("reassembly/ip-fragments.pcap").path)
        #expect(c.sockeye.count == 10 && c.sockeye == c.tshark, "\(c.sockeye) vs tshark \(c.tshark)")
        #expect(c.fragments.count == 30 && c.fragments == c.tsharkFragments)
    }

    @Test("corpus fragment traces: the same completing frames and lengths as tshark in packet JSON",
          .enabled(if: TestEnvironment.corpusDirectory != nil || TestEnvironment.isCI,
                   "no ../shared/corpus; corpus comparison skipped outside CI"),
          arguments: corpusFragmentTraces.filter { !$0.hasPrefix("encap/") })
    func corpusCompletions(_ relative: String) async throws {
        let dir = try #require(TestEnvironment.corpusDirectory, "../shared/corpus is missing (required in CI)")
        let c = try await Self.completions(dir.appendingPathComponent(relative).path)
        #expect(Set(c.sockeye.keys) == Set(c.tshark.keys), "\(relative): \(c.sockeye) vs tshark \(c.tshark)")
        #expect(c.fragments == c.tsharkFragments, "\(relative)")
        if relative == "ipv4/zeek_ipv4_fragmented-1.pcap" {
            // Overlapping first fragments: the second (frame 3) reaches past the last fragment's
            // end; Zeek raises the datagram's size to it (`fragment_size_inconsistency`), and
            // so does Sockeye (304), where tshark stops at the last fragment's end (164).
            #expect(c.sockeye == [3: 304] && c.tshark == [3: 164], "\(c.sockeye) vs \(c.tshark)")
        } else {
            #expect(c.sockeye == c.tshark, "\(relative): \(c.sockeye) vs tshark \(c.tshark)")
        }
    }

    @Test("corpus fragment traces: as many reassembled datagrams as tshark",
          .enabled(if: TestEnvironment.corpusDirectory != nil || TestEnvironment.isCI,
                   "no ../shared/corpus; corpus comparison skipped outside CI"),
          arguments: corpusFragmentTraces)
    func corpusAgrees(_ relative: String) async throws {
        let dir = try #require(TestEnvironment.corpusDirectory, "../shared/corpus is missing (required in CI)")
        let path = dir.appendingPathComponent(relative).path
        let rows = try await Self.tshark(path, ["ip.reassembled.length", "ipv6.reassembled.length"])
        let tsharkCount = rows.filter { $0.contains { !$0.isEmpty } }.count
        #expect(tsharkCount > 0 || relative.hasSuffix("-2.pcap") || relative.hasSuffix("-3.pcap"))
        #expect(try await Self.reassembled(path) == tsharkCount, "\(relative)")
    }
}
