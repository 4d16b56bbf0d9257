import FlowAnalysis
import Foundation
import PacketCodec
import Pcap
import Testing

/// `sockeye analyze` end to end: the binary's records against the fixtures' expected flows and
/// against the library run in-process on one thread (the CLI reads and decodes on a second
/// thread; records must come out identical), several files merged, Zeek TSV read the way
/// zeek-cut reads it, and damaged input.
@Suite("sockeye analyze end to end")
struct AnalyzeCommandTests {
    static let expected: [[String: String]] = {
        let text = (try? String(contentsOf: TestEnvironment.fixture("expected-flows.tsv"), encoding: .utf8)) ?? ""
        let lines = text.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first else { return [] }
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
    }()

    static var expectedFiles: [String] { Array(Set(expected.compactMap { $0["file"] })).sorted() }

    func records(_ r: ProcessOutput) throws -> [[String: Any]] {
        try r.stdoutLines.filter { !$0.isEmpty }.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    @Test("conn_state, history and packet counts match Fixtures/expected-flows.tsv", arguments: expectedFiles)
    func expectedFlows(file: String) async throws {
        let r = try await Sockeye.run(["analyze", TestEnvironment.fixture(file).path, "--format", "json"])
        #expect(r.status == 0, "\(r.stderrText)")
        let got = try records(r)
        for row in Self.expected where row["file"] == file {
            let match = got.first {
                "\($0["id.orig_h"] ?? "")" == row["orig_h"] && "\($0["id.orig_p"] ?? "")" == row["orig_p"]
                    && "\($0["id.resp_h"] ?? "")" == row["resp_h"] && "\($0["id.resp_p"] ?? "")" == row["resp_p"]
                    && "\($0["proto"] ?? "")" == row["proto"]
            }
            let rec = try #require(match, "\(file): no record for \(row)")
            #expect(rec["conn_state"] as? String == row["conn_state"], "\(file) \(row["orig_p"] ?? "")")
            #expect((rec["history"] as? String ?? "-") == row["history"], "\(file) \(row["orig_p"] ?? "")")
            // Sockeye counts bad-checksum packets (Zeek drops them): compare without them.
            let anomalies = rec["anomalies"] as? [String: [String: Any]]
            let badOrig = anomalies?["orig"]?["bad_checksums"] as? Int ?? 0
            let badResp = anomalies?["resp"]?["bad_checksums"] as? Int ?? 0
            #expect((rec["orig_pkts"] as? Int ?? 0) - badOrig == Int(row["orig_pkts"] ?? ""), "\(file) orig_pkts")
            #expect((rec["resp_pkts"] as? Int ?? 0) - badResp == Int(row["resp_pkts"] ?? ""), "\(file) resp_pkts")
        }
    }

    @Test("the two-thread CLI gives exactly the records of a one-thread in-process run",
          arguments: ["tcp-many-concurrent.pcap", "lo-offload-partial.pcap", "ipv6-tcp-udp.pcap", "malformed-packets.pcap",
                     "ipv4-options.pcap", "any-sll2.pcap", "vlan-qinq.pcap"])
    func sameAsLibrary(file: String) async throws {
        let r = try await Sockeye.run(["analyze", TestEnvironment.fixture(file).path, "--format", "json"])
        #expect(r.status == 0)
        let cli = try records(r)
        var library: [ConnectionRecord] = []
        let analyzer = FlowAnalyzer { library.append($0) }
        let capture = try CaptureFile(path: TestEnvironment.fixture(file).path)
        let decoder = PacketDecoder()
        while let rec = try capture.next() {
            let p = decoder.decode(rec.bytes, linkType: LinkType(dlt: capture.linkType), wireLength: rec.wireLength)
            analyzer.process(p, time: rec.timestamp.totalNanoseconds, bytes: rec.bytes)
        }
        analyzer.finish()
        #expect(cli.count == library.count)
        for (a, b) in zip(cli, library) {
            #expect(a["uid"] as? String == b.uid)
            #expect(a["conn_state"] as? String == b.connState.rawValue)
            #expect(a["orig_pkts"] as? Int == Int(b.originatorPackets))
            #expect(a["resp_ip_bytes"] as? Int == Int(b.responderIPBytes))
        }
    }

    @Test("ICMP type and code reach the records through the two-thread CLI (echo request/reply pair)")
    func icmp() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sockeye-icmp-\(getpid()).pcap").path
        defer { unlink(path) }
        let writer = try CaptureWriter(path: path, linkType: 12)  // raw IP
        for (i, type) in [UInt8(8), 0].enumerated() {
            var ip = IPv4Header()
            ip.source = i == 0 ? 0x0a00_0001 : 0x0a00_0002
            ip.destination = i == 0 ? 0x0a00_0002 : 0x0a00_0001
            ip.protocol = 1
            let body: [UInt8] = [type, 0, 0, 0, 0x12, 0x34, 0, 1] + [UInt8](repeating: 0x61, count: 56)
            let frame = PacketRepr(link: .raw, network: .ipv4(ip, options: []), transport: .none, payload: body).encode()
            writer.write(frame, timestamp: Timestamp(seconds: 1_700_000_000, nanoseconds: UInt32(i) * 1_000_000),
                         wireLength: frame.count)
        }
        try writer.close()
        let r = try await Sockeye.run(["analyze", path, "--format", "json"])
        #expect(r.status == 0)
        let recs = try records(r)
        #expect(recs.count == 1)
        #expect(recs.first?["proto"] as? String == "icmp")
        #expect(recs.first?["id.orig_p"] as? Int == 8)
        #expect(recs.first?["id.resp_p"] as? Int == 0)
        #expect(recs.first?["orig_pkts"] as? Int == 1 && recs.first?["resp_pkts"] as? Int == 1)
    }

    @Test("several files are merged in time order: the same records as one file")
    func multiFile() async throws {
        // Split a real capture into its odd and even packets, then analyze both halves together.
        let source = try CaptureFile(path: TestEnvironment.fixture("tcp-many-concurrent.pcap").path)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sockeye-merge-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let odd = try CaptureWriter(path: dir.appendingPathComponent("odd.pcap").path, linkType: source.linkType)
        let even = try CaptureWriter(path: dir.appendingPathComponent("even.pcap").path, linkType: source.linkType)
        var n = 0
        while let rec = try source.next() {
            if n % 2 == 0 { even.write(rec) } else { odd.write(rec) }
            n += 1
        }
        try odd.close()
        try even.close()
        let whole = try await Sockeye.run(["analyze", TestEnvironment.fixture("tcp-many-concurrent.pcap").path, "--format", "json"])
        let merged = try await Sockeye.run(["analyze", dir.appendingPathComponent("odd.pcap").path,
                                            dir.appendingPathComponent("even.pcap").path, "--format", "json"])
        #expect(merged.status == 0)
        #expect(whole.stdoutText == merged.stdoutText)
        #expect(whole.stdoutLines.filter { !$0.isEmpty }.count >= 50)
    }

    @Test("Zeek TSV parses like zeek-cut: columns by name from #fields")
    func zeekCut() async throws {
        let r = try await Sockeye.run(["analyze", TestEnvironment.fixture("tcp-refused.pcap").path,
                                       TestEnvironment.fixture("udp-exchange.pcap").path, "--format", "zeek"])
        #expect(r.status == 0)
        let lines = r.stdoutLines.filter { !$0.isEmpty }
        let fields = try #require(lines.first { $0.hasPrefix("#fields\t") }).split(separator: "\t").dropFirst().map(String.init)
        let rows = lines.filter { !$0.hasPrefix("#") }.map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.allSatisfy { $0.count == fields.count })
        func column(_ name: String) -> [String] {
            guard let i = fields.firstIndex(of: name) else { return [] }
            return rows.map { $0[i] }
        }
        #expect(column("conn_state").contains("REJ"))
        #expect(column("proto").contains("udp"))
        #expect(column("history").allSatisfy { !$0.isEmpty })
        #expect(lines.last?.hasPrefix("#close\t") == true)
    }

    @Test("damaged input: records up to the damage, whole JSON lines, exit 65, one stderr line")
    func damaged() async throws {
        let r = try await Sockeye.run(["analyze", TestEnvironment.fixture("damaged/truncated-record.pcap").path, "--format", "json"])
        #expect(r.status == 65)
        #expect(r.stderrLines.filter { !$0.isEmpty }.count == 1)
        #expect(r.stderrText.hasPrefix("sockeye: "))
        let recs = try records(r)
        #expect(!recs.isEmpty)
        let z = try await Sockeye.run(["analyze", TestEnvironment.fixture("damaged/truncated-record.pcap").path, "--format", "zeek"])
        #expect(z.status == 65)
        #expect(z.stdoutLines.filter { !$0.isEmpty }.last?.hasPrefix("#close") == true)
        let missing = try await Sockeye.run(["analyze", "/nonexistent.pcap"])
        #expect(missing.status == 66)
        let badFilter = try await Sockeye.run(["analyze", TestEnvironment.fixture("tcp-refused.pcap").path, "-f", "tcp port"])
        #expect(badFilter.status == 64)
    }

    @Test("--flow UID: the text report shows that flow without the whole capture's summary; an unknown uid prints nothing but the error")
    func flowSelection() async throws {
        let file = TestEnvironment.fixture("tcp-many-concurrent.pcap").path
        let all = try records(try await Sockeye.run(["analyze", file, "--format", "json"]))
        let uid = try #require(all.first?["uid"] as? String)
        let one = try await Sockeye.run(["analyze", file, "--flow", uid])
        #expect(one.status == 0)
        #expect(!one.stdoutText.contains("Sockeye flow report"))
        #expect(one.stdoutText.contains("TCP connections (1)"))
        #expect(one.stdoutText.contains(uid))
        let none = try await Sockeye.run(["analyze", file, "--flow", "Cnope"])
        #expect(none.status == 1)
        #expect(none.stdout.isEmpty)
        #expect(none.stderrLines.filter { !$0.isEmpty } == ["sockeye: no flow with uid Cnope"])
    }

    @Test("the text report names the units and separates conn_state by protocol; a FIN stamped before the first packet is called out")
    func textReport() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sockeye-backwards-\(getpid()).pcap").path
        defer { unlink(path) }
        let writer = try CaptureWriter(path: path, linkType: 12)  // raw IP
        var ip = IPv4Header()
        ip.protocol = 6
        // SYN, SYN-ACK, ACK at t = 100 s, then both FINs stamped at t = 50 s (time went backwards).
        let steps: [(fromClient: Bool, flags: TCPFlags, seq: UInt32, ack: UInt32, t: Int64)] = [
            (true, [.syn], 1000, 0, 100), (false, [.syn, .ack], 5000, 1001, 100), (true, [.ack], 1001, 5001, 100),
            (true, [.fin, .ack], 1001, 5001, 50), (false, [.fin, .ack], 5001, 1002, 50), (true, [.ack], 1002, 5002, 50),
        ]
        for (i, s) in steps.enumerated() {
            ip.source = s.fromClient ? 0x0a00_0001 : 0x0a00_0002
            ip.destination = s.fromClient ? 0x0a00_0002 : 0x0a00_0001
            var tcp = TCPHeader()
            tcp.sourcePort = s.fromClient ? 40000 : 80
            tcp.destinationPort = s.fromClient ? 80 : 40000
            tcp.flags = s.flags
            tcp.sequenceNumber = s.seq
            tcp.acknowledgmentNumber = s.ack
            let frame = PacketRepr(link: .raw, network: .ipv4(ip, options: []), transport: .tcp(tcp, options: [])).encode()
            writer.write(frame, timestamp: Timestamp(seconds: 1_700_000_000 + s.t, nanoseconds: UInt32(i) * 1000), wireLength: frame.count)
        }
        try writer.close()
        let r = try await Sockeye.run(["analyze", path])
        #expect(r.status == 0)
        #expect(!r.stdoutText.contains("+-"), "\(r.stdoutText)")
        #expect(r.stdoutText.contains("timestamps out of order"), "\(r.stdoutText)")
        #expect(r.stdoutText.contains("  conn_state  tcp "))
        let mixed = try await Sockeye.run(["analyze", TestEnvironment.fixture("ipv6-tcp-udp.pcap").path])
        #expect(mixed.stdoutLines.contains { $0.hasPrefix("  conn_state  tcp ") && $0.contains("   udp ") }, "\(mixed.stdoutText)")
    }

    /// Raw-IP UDP datagrams 10.0.0.1 → 10.0.0.2; `mangle` edits each encoded frame.
    static func udpCapture(_ name: String, count: Int, mangle: (inout [UInt8]) -> Void) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sockeye-\(name)-\(getpid()).pcap").path
        let writer = try CaptureWriter(path: path, linkType: 12)
        var ip = IPv4Header()
        ip.source = 0x0a00_0001
        ip.destination = 0x0a00_0002
        ip.protocol = 17
        for i in 0..<count {
            var udp = UDPHeader()
            udp.sourcePort = UInt16(2000 + i)
            udp.destinationPort = 53
            var frame = PacketRepr(link: .raw, network: .ipv4(ip, options: []), transport: .udp(udp), payload: [1, 2, 3, 4]).encode()
            mangle(&frame)
            writer.write(frame, timestamp: Timestamp(seconds: 1_700_000_000, nanoseconds: UInt32(i) * 1000), wireLength: frame.count)
        }
        try writer.close()
        return path
    }

    @Test("an IPv4 header checksum of 0x0000 is transmit offload: the packets are analyzed and counted, not dropped")
    func ipv4ChecksumZero() async throws {
        let path = try Self.udpCapture("ipcsum0", count: 3) { f in f[10] = 0; f[11] = 0 }
        defer { unlink(path) }
        let json = try records(try await Sockeye.run(["analyze", path, "--format", "json"]))
        #expect(json.count == 3)
        let text = try await Sockeye.run(["analyze", path])
        #expect(text.stdoutText.contains("offloaded IPv4 header checksums 3"), "\(text.stdoutText)")
        #expect(!text.stderrText.contains("bad checksums"))
    }

    @Test("many bad checksums: one hint line pointing at --no-checksums (not with it, not for a few)")
    func badChecksumHint() async throws {
        let path = try Self.udpCapture("badcsum", count: 20) { f in f[26] ^= 0xff }   // UDP checksum high byte
        defer { unlink(path) }
        let r = try await Sockeye.run(["analyze", path, "--format", "json"])
        #expect(r.status == 0)
        #expect(r.stderrLines.filter { !$0.isEmpty } == ["sockeye: note: 20 of 20 IP packets have bad checksums; if the capture was taken on a host with checksum offload, add --no-checksums"])
        let off = try await Sockeye.run(["analyze", path, "--format", "json", "--no-checksums"])
        #expect(off.stderr.isEmpty)
        let few = try Self.udpCapture("fewbad", count: 5) { f in f[26] ^= 0xff }
        defer { unlink(few) }
        #expect(try await Sockeye.run(["analyze", few]).stderr.isEmpty)
    }
}
