import Foundation
import Testing

/// ICMP errors attached to the flows they quote, against tshark on a real capture
/// (Fixtures/icmp/icmp-errors.pcap, made by Fixtures/scripts/make-icmp-errors.sh: port
/// unreachable from a closed UDP port, time exceeded for TTL/hop limit 1, a router's
/// prohibit and unreachable routes refusing TCP SYNs, on IPv4 and IPv6). tshark dissects each
/// error's quoted datagram; every TCP/UDP record's `icmp_errors` must count exactly the errors
/// whose quote has its 5-tuple, with the first one's type, code and sender, and
/// `handshake.rejected_by_icmp` must hold exactly for the connections tshark shows with a
/// destination unreachable quoting them and no SYN-ACK.
@Suite("ICMP errors vs tshark",
       .enabled(if: TestEnvironment.tsharkTestsEnabled, "tshark is not installed; outside CI this suite is skipped"))
struct ICMPErrorCLITests {
    static let fixture = "icmp/icmp-errors.pcap"

    static func key(_ proto: String, _ a: String, _ b: String) -> String {
        "\(proto) " + [a, b].sorted().joined(separator: "|")
    }

    struct Expected {
        var count = 0
        var type = 0, code = 0
        var from = ""
        var unreachable = false
    }

    @Test("icmp_errors and rejected_by_icmp per TCP/UDP flow equal tshark's dissection of the quoted datagrams")
    func errorsMatchTshark() async throws {
        let path = TestEnvironment.fixture(Self.fixture).path
        let tool = try #require(TestEnvironment.tshark, "tshark is required (CI=true)")
        let fields = ["icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
                      "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport"]
        let errorFilter = "icmp.type==3 || icmp.type==4 || icmp.type==5 || icmp.type==11 || icmp.type==12"
            + " || (icmpv6.type>=1 && icmpv6.type<=4)"
        let t = try await ProcessRunner.run(tool, ["-n", "-r", path, "-Y", errorFilter, "-T", "fields"]
                                            + fields.flatMap { ["-e", $0] })
        #expect(t.status == 0)
        var expected: [String: Expected] = [:]
        for line in t.stdoutLines {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map { $0.split(separator: ",").map(String.init) }
            try #require(f.count == fields.count, "\(line)")
            let v6 = f[0].isEmpty
            let type = Int((v6 ? f[2] : f[0]).first ?? "") ?? -1, code = Int((v6 ? f[3] : f[1]).first ?? "") ?? -1
            let (srcs, dsts) = v6 ? (f[6], f[7]) : (f[4], f[5])
            // The error's own header, then the quoted one.
            try #require(srcs.count == 2 && dsts.count == 2, "\(line)")
            let (proto, sp, dp) = f[8].isEmpty ? ("udp", f[10], f[11]) : ("tcp", f[8], f[9])
            try #require(sp.count == 1 && dp.count == 1, "\(line)")
            let k = Self.key(proto, "\(srcs[1])/\(sp[0])", "\(dsts[1])/\(dp[0])")
            var e = expected[k] ?? Expected(type: type, code: code, from: srcs[0])
            e.count += 1
            if v6 ? type == 1 : type == 3 { e.unreachable = true }
            expected[k] = e
        }
        // The capture holds both families, UDP and TCP, unreachable and time exceeded.
        #expect(expected.count == 9, "\(expected)")
        #expect(expected.values.map(\.count).reduce(0, +) == 11)

        let synAcks = try await ProcessRunner.run(tool, ["-n", "-r", path, "-Y", "tcp.flags.syn==1 && tcp.flags.ack==1 && !icmp && !icmpv6",
                                                          "-T", "fields", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport",
                                                          "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport"])
        var answered: Set<String> = []
        for line in synAcks.stdoutLines {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            try #require(f.count == 6)
            answered.insert(Self.key("tcp", "\(f[0] + f[1])/\(f[2])", "\(f[3] + f[4])/\(f[5])"))
        }
        #expect(answered.count == 2)

        let out = try await Sockeye.run(["analyze", "--format", "json", "-q", path])
        #expect(out.status == 0, "\(out.stderrText)")
        var seen: Set<String> = []
        var refused = 0
        for line in out.stdoutLines {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let proto = try #require(o["proto"] as? String)
            guard proto == "tcp" || proto == "udp" else {
                #expect(o["icmp_errors"] == nil, "\(line)")
                continue
            }
            let k = Self.key(proto, "\(o["id.orig_h"]!)/\(o["id.orig_p"]!)", "\(o["id.resp_h"]!)/\(o["id.resp_p"]!)")
            let handshake = o["handshake"] as? [String: Any]
            guard let e = expected[k] else {
                #expect(o["icmp_errors"] == nil, "no error quotes \(k): \(line)")
                #expect(handshake?["rejected_by_icmp"] as? Bool != true, "\(line)")
                continue
            }
            seen.insert(k)
            let errors = try #require(o["icmp_errors"] as? [String: Any], "\(k): \(line)")
            #expect(errors["count"] as? Int == e.count, "\(k)")
            #expect(errors["type"] as? Int == e.type && errors["code"] as? Int == e.code, "\(k): \(errors)")
            #expect(errors["from_h"] as? String == e.from, "\(k): \(errors)")
            #expect(errors["about"] as? String == "orig", "\(k): \(errors)")
            #expect(errors["icmpv6"] as? Bool == k.contains(":"), "\(k): \(errors)")
            if proto == "tcp" {
                let refusedHere = e.unreachable && !answered.contains(k)
                #expect(handshake?["rejected_by_icmp"] as? Bool == refusedHere, "\(k): \(line)")
                // Zeek's conn_state does not look at ICMP: an unanswered SYN stays S0.
                if refusedHere { refused += 1; #expect(o["conn_state"] as? String == "S0", "\(line)") }
            }
        }
        #expect(seen == Set(expected.keys), "flows tshark's quotes name but Sockeye did not attach: \(Set(expected.keys).subtracting(seen))")
        #expect(refused == 4)

        let text = try await Sockeye.run(["analyze", "-q", path])
        #expect(text.stdoutText.contains("icmp errors 11 (11 for tracked flows)"), "\(text.stdoutText)")
        #expect(text.stdoutText.contains("(4 refused by ICMP)"))
        #expect(text.stdoutText.contains("SYN →, ICMP unreachable ←"))
    }

    @Test("packets --format json decodes each error's quote as tshark does")
    func packetJSONQuote() async throws {
        let path = TestEnvironment.fixture(Self.fixture).path
        let tool = try #require(TestEnvironment.tshark, "tshark is required (CI=true)")
        let t = try await ProcessRunner.run(tool, ["-n", "-r", path, "-T", "fields", "-E", "occurrence=l",
                                                   "-e", "icmp.type", "-e", "icmpv6.type", "-e", "icmp.code", "-e", "icmpv6.code",
                                                   "-e", "ip.src", "-e", "ipv6.src", "-e", "ip.dst", "-e", "ipv6.dst",
                                                   "-e", "tcp.srcport", "-e", "udp.srcport", "-e", "tcp.dstport", "-e", "udp.dstport"])
        let out = try await Sockeye.run(["packets", "--format", "json", path])
        #expect(out.status == 0)
        let lines = out.stdoutLines
        try #require(lines.count == t.stdoutLines.count)
        var quotes = 0
        for (line, tl) in zip(lines, t.stdoutLines) {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let f = tl.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard let icmp = o["icmp"] as? [String: Any] else {
                #expect(f[0].isEmpty && f[1].isEmpty, "tshark sees ICMP in \(tl)")
                continue
            }
            #expect(icmp["type"] as? Int == Int(f[0] + f[1]) && icmp["code"] as? Int == Int(f[2] + f[3]), "\(tl) vs \(icmp)")
            #expect(icmp["checksum_status"] as? String == "good")
            guard let q = icmp["quoted"] as? [String: Any] else {
                #expect(icmp["error"] as? Bool == false)
                continue
            }
            quotes += 1
            // occurrence=l: the last (quoted) IP header's addresses and transport ports.
            #expect(q["src"] as? String == f[4] + f[5] && q["dst"] as? String == f[6] + f[7], "\(tl) vs \(q)")
            #expect(q["src_port"] as? Int == Int(f[8] + f[9]) && q["dst_port"] as? Int == Int(f[10] + f[11]), "\(tl) vs \(q)")
        }
        #expect(quotes == 11)
    }
}
