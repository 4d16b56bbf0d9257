import Foundation
import Testing
import FlowAnalysis
import PacketCodec
import Pcap
@testable import Reports

/// Sockeye's `community_id` of every record against tshark 4.0's Community ID dissector
/// (`--enable-protocol communityid`, an independent C implementation), capture by capture: the
/// set of values Sockeye writes (one per flow) must equal the set tshark computes (one per
/// packet). tshark is a required oracle: without it these tests fail.
@Suite struct CommunityIDFixtureTests {
    static let tshark = "/usr/bin/tshark"

    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// Every capture in Fixtures/, Fixtures/crafted/ and Fixtures/linktypes/, except
    /// malformed-packets.pcap (Sockeye drops packets with a bad IPv4 header or total length
    /// before any flow, as Zeek does; tshark still hashes them) and unsupported-user0-147.pcap
    /// (a link type neither tool decodes, so there is nothing to hash).
    static var fixtures: [String] {
        var out: [String] = []
        for sub in ["", "crafted/", "linktypes/"] {
            let dir = root.appendingPathComponent("Fixtures/" + sub).path
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            out += names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.map { "Fixtures/" + sub + $0 }
        }
        return out.filter { $0 != "Fixtures/malformed-packets.pcap" && $0 != "Fixtures/linktypes/unsupported-user0-147.pcap" }
            .sorted()
    }

    /// ICMP, ICMPv6 and IPv6 traces of the shared corpus (../shared/corpus). Left out, where the
    /// record's `ip_proto` (FlowAnalysis) is not the protocol tshark hashes:
    /// libpcap_ipv6_ext_headers.pcap (a chain of 13 extension headers: Sockeye's record stops
    /// at 43), tcpdump_ipv6-srh-ext-header.pcap (IPv6 inside a segment-routing header: tshark
    /// hashes the inner packet), tcpdump_ipv6_no_next_header.pcap (next header 59: tshark
    /// computes no ID; Sockeye hashes it as a port-less protocol, as pycommunityid does), and
    /// tcpdump_ipv6-routing-header.pcap (source-routed: `sourceRoutedIPv6` below).
    static let corpus = [
        "encap/zeek_icmp_icmp-ping.pcap", "encap/zeek_icmp_icmp6-destunreach-ip6ext.pcap",
        "encap/zeek_icmp_icmp6-timeexceeded.pcap", "encap/zeek_icmp_icmp6-toobig.pcap",
        "encap/pcapplusplus_IcmpV6_EchoMessages.pcap", "ipv4/zeek_icmp_icmp-timeexceeded.pcap",
        "ipv6/zeek_communityid_ipv6.pcap", "ipv6/tcpdump_icmpv6-rfc7112.pcap", "ipv6/zeek_ftp_ipv6.pcap",
        "ipv6/zeek_ipv6_zero_len_ah.pcap", "ipv6/zeek_ipv6-fragmented-dns.pcap",
        "udp/gopacket_test_dns.pcap", "udp/zeek_dhcp_dhcp.pcap",
    ].map { "../shared/corpus/" + $0 }

    /// The shared corpus sits beside the package in CI and on the developers' machines, not in a
    /// user's clone: its tests run when it is there and under CI (where its absence fails them).
    static let corpusPresent: Bool = FileManager.default.fileExists(atPath: path("../shared/corpus/MANIFEST.tsv"))
        || ProcessInfo.processInfo.environment["CI"] != nil

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).standardized.path }

    static func sockeye(_ file: String, _ id: CommunityID) throws -> Set<String> {
        var records: [ConnectionRecord] = []
        let analyzer = FlowAnalyzer(configuration: .init()) { records.append($0) }
        let decoder = PacketDecoder()
        try CaptureFile(path: path(file)).forEachPacket { record in
            let packet = decoder.decode(record.bytes, linkType: LinkType(dlt: record.linkType), wireLength: record.wireLength)
            analyzer.process(packet, time: record.timestamp.totalNanoseconds, bytes: record.bytes)
        }
        analyzer.finish()
        return Set(records.compactMap { id.hash($0) })
    }

    static func tshark(_ file: String, _ id: CommunityID) throws -> Set<String> {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tshark)
        process.arguments = ["-n", "-r", path(file), "--enable-protocol", "communityid",
                             "-o", "communityid.seed:\(id.seed)", "-o", "communityid.do_base64:\(id.base64 ? "TRUE" : "FALSE")",
                             "-T", "fields", "-e", "communityid"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
        return Set(String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init).filter { !$0.isEmpty })
    }

    /// (file, Sockeye's set, tshark's set) for every file, two tshark runs at a time.
    static func compare(_ files: [String], _ id: CommunityID) -> [(String, Result<(Set<String>, Set<String>), Error>)] {
        nonisolated(unsafe) var results = [Result<(Set<String>, Set<String>), Error>?](repeating: nil, count: files.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            for i in stride(from: worker, to: files.count, by: 2) {
                let r = Result { (try sockeye(files[i], id), try tshark(files[i], id)) }
                lock.lock(); results[i] = r; lock.unlock()
            }
        }
        return zip(files, results.map { $0! }).map { ($0, $1) }
    }

    static func expectSame(_ files: [String], _ id: CommunityID) {
        #expect(FileManager.default.isExecutableFile(atPath: tshark), "tshark (the oracle) is missing: make deps installs it")
        var hashes = 0
        for (file, result) in compare(files, id) {
            switch result {
            case .failure(let e):
                Issue.record("\(file): \(e)")
            case .success(let (mine, theirs)):
                #expect(!theirs.isEmpty, "\(file): tshark computed no Community ID")
                #expect(mine == theirs, "\(file): only Sockeye \(mine.subtracting(theirs).sorted()), only tshark \(theirs.subtracting(mine).sorted())")
                hashes += mine.count
            }
        }
        #expect(hashes >= files.count)
    }

    @Test("Fixtures/: default seed, base64")
    func fixturesDefault() {
        #expect(Self.fixtures.count >= 40)
        Self.expectSame(Self.fixtures, CommunityID())
    }

    @Test("shared corpus ICMP, ICMPv6, IPv6 and UDP traces: default seed, base64",
          .enabled(if: corpusPresent, "no ../shared/corpus beside the package"))
    func corpusDefault() {
        for f in Self.corpus { #expect(FileManager.default.fileExists(atPath: Self.path(f)), "missing \(f)") }
        Self.expectSame(Self.corpus, CommunityID())
    }

    /// Source-routed IPv6: a record's endpoints are the Routing header's final destination (Zeek
    /// keys the connection on it, RFC 8200 §8.1), and its Community ID hashes them, as Zeek's
    /// community-id logging hashes `c$id`; tshark hashes the fixed header's destination instead.
    /// The expected IDs: tshark's own fields (the type-0 route's last address while segments are
    /// left) through the Community ID function the other tests check against tshark.
    @Test("source-routed IPv6: the Community ID hashes the final destination, from tshark's routing fields",
          .enabled(if: corpusPresent, "no ../shared/corpus beside the package"))
    func sourceRoutedIPv6() throws {
        let file = "../shared/corpus/ipv6/tcpdump_ipv6-routing-header.pcap"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.tshark)
        process.arguments = ["-n", "-r", Self.path(file), "-T", "fields", "-e", "ipv6.src", "-e", "ipv6.dst",
                             "-e", "ipv6.routing.segleft", "-e", "ipv6.routing.src.addr", "-e", "udp.srcport",
                             "-e", "udp.dstport", "-e", "icmpv6.type", "-e", "icmpv6.code"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let id = CommunityID()
        var expected: Set<String> = []
        var routed = 0
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            try #require(f.count == 8)
            let src = try #require(IPAddress(f[0]))
            var dst = try #require(IPAddress(f[1]))
            if (Int(f[2]) ?? 0) > 0, let last = f[3].split(separator: ",").last {
                dst = try #require(IPAddress(String(last)))
                routed += 1
            }
            if let sp = UInt16(f[4]), let dp = UInt16(f[5]) {
                expected.insert(id.hash(proto: 17, source: src, destination: dst, ports: (sp, dp)))
            } else if let type = UInt8(f[6]), let code = UInt8(f[7]) {
                expected.insert(id.icmp(type: type, code: code, v6: true, source: src, destination: dst))
            }
        }
        #expect(routed == 4 && expected.count == 4)
        let mine = try Self.sockeye(file, id)
        #expect(mine == expected)
        // …and tshark's own IDs (fixed header) are not these: the departure is real. (One
        // coincides: frame 1's fixed destination is frame 2's final one.)
        let theirs = try Self.tshark(file, id)
        #expect(theirs != mine && theirs.subtracting(mine).count == 2)
    }

    @Test("IPv6 TCP/UDP and every ICMP/ICMPv6 kind: seed 1, and hex instead of base64")
    func seedAndHex() {
        var files = ["Fixtures/ipv6-tcp-udp.pcap", "Fixtures/crafted/icmp-arp-igmp.pcap"]
        if Self.corpusPresent {
            files += ["../shared/corpus/encap/zeek_icmp_icmp-ping.pcap", "../shared/corpus/ipv6/zeek_communityid_ipv6.pcap"]
        }
        Self.expectSame(files, CommunityID(seed: 1))
        Self.expectSame(files, CommunityID(seed: 65535, base64: false))
    }
}
