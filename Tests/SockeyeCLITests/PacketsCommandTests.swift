import Foundation
import Testing

/// End-to-end tests of `sockeye packets` against tcpdump (text), tshark (counts) and the
/// DESIGN.md §2 contract (JSON key order, exit codes, one-line diagnostics).
@Suite("sockeye packets end to end")
struct PacketsCommandTests {
    static let primaryFixture = "tcp-handshake-data-fin.pcap"
    static let controlFixture = "crafted/icmp-arp-igmp.pcap"
    /// Both tools print local time: every text comparison fixes the zone.
    static let utc = ["TZ": "UTC"]

    static func temporaryFile(_ name: String, _ contents: Data) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sockeye-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try contents.write(to: url)
        return url
    }

    static func mayBeExcused(_ name: String) -> Bool { name == "malformed-packets.pcap" || name == Self.unsupportedFixture }

    /// Tunnelled fixtures (Fixtures/encap/) whose inner packets carry applications tcpdump decodes
    /// (mDNS `domain […] (invalid)`, with -v HTTP request lines): the only difference allowed there,
    /// recognised by `TunnelTextComparison` from both tools' lines (same text up to the ports).
    static let encapExcusable: Set<TcpdumpOnly> = [.application]

    /// `TextNormalization.compare`, and for an encap/ fixture a difference of a kind in
    /// `encapExcusable` is excused with its name.
    static func compareLine(_ name: String, sockeye a: String, tcpdump e: String) -> TextNormalization.LineVerdict {
        let v = TextNormalization.compare(sockeye: a, tcpdump: e)
        if case .different = v, name.hasPrefix("encap/"),
           let kind = TunnelTextComparison.lineKind(sockeye: a, tcpdump: e), encapExcusable.contains(kind) {
            return .excused("tcpdump-only \(kind.rawValue): sockeye «\(a)» tcpdump «\(e)»")
        }
        return v
    }

    /// `TextNormalization.compareRecord`, with the same allowance for encap/ fixtures (checked by
    /// `TunnelTextComparison.compare` on the record: every other line equal).
    static func compareRecord(_ name: String, sockeye a: [String], tcpdump e: [String], hex: Bool) -> TextNormalization.LineVerdict {
        let v = TextNormalization.compareRecord(sockeye: a, tcpdump: e, hex: hex)
        if case .different = v, name.hasPrefix("encap/"),
           case let .known(kinds) = TunnelTextComparison.compare(sockeye: a, tcpdump: e), kinds.isSubset(of: encapExcusable) {
            return .excused("tcpdump-only \(kinds.map(\.rawValue).sorted()): sockeye «\(a.joined(separator: "\n"))» tcpdump «\(e.joined(separator: "\n"))»")
        }
        return v
    }

    /// Excused lines are allowed only in the malformed/unsupported fixtures and, of the
    /// `encapExcusable` kinds only, in encap/ fixtures.
    static func excuseAllowed(_ name: String, _ excused: [String]) -> Bool {
        if excused.isEmpty || mayBeExcused(name) { return true }
        return name.hasPrefix("encap/") && excused.allSatisfy { $0.contains("tcpdump-only") }
    }
    static let unsupportedFixture = "linktypes/unsupported-user0-147.pcap"

    /// Exit status, one stderr line beginning `sockeye: `, never a crash.
    static func expectTypedFailure(_ r: ProcessOutput, status: Int32, _ what: String,
                                   sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!r.looksLikeCrash, "\(what): crashed: \(r.stderrText)", sourceLocation: sourceLocation)
        #expect(r.status == status, "\(what): exit \(r.status), expected \(status); stderr: \(r.stderrText)",
                sourceLocation: sourceLocation)
        #expect(r.stderrLines.count == 1, "\(what): stderr should be exactly one line: \(r.stderrText)",
                sourceLocation: sourceLocation)
        #expect(r.stderrLines.first?.hasPrefix("sockeye: ") == true, "\(what): \(r.stderrText)",
                sourceLocation: sourceLocation)
    }

    // MARK: text vs tcpdump

    @Test("text output equals tcpdump -nn -S line by line", .enabled(if: TestEnvironment.tcpdumpTestsEnabled),
          arguments: TestEnvironment.textFixtureCaptures)
    func textMatchesTcpdump(_ name: String) async throws {
        let file = TestEnvironment.fixture(name)
        let dump = try await TextNormalization.tcpdumpLines(file)
        let ours = try await Sockeye.run(["packets", file.path], environment: Self.utc)
        guard dump.status == 0 else {
            // libpcap (and so tcpdump) rejects pcapng files whose interfaces differ in link type;
            // sockeye uses libpcap too and must then fail the same way, cleanly.
            Self.expectTypedFailure(ours, status: 65, "\(name) (tcpdump failed: \(dump.stderrText))")
            return
        }
        #expect(ours.status == 0, "\(name): exit \(ours.status): \(ours.stderrText)")
        let dumpLines = TextNormalization.tcpdumpPacketLines(dump)
        #expect(ours.stdoutLines.count == dumpLines.count,
                "\(name): \(ours.stdoutLines.count) lines, tcpdump \(dumpLines.count)")
        var differing = 0, excused: [String] = []
        for (i, (a, e)) in zip(ours.stdoutLines, dumpLines).enumerated() {
            switch Self.compareLine(name, sockeye: a, tcpdump: e) {
            case .equal: break
            case let .excused(why): excused.append("line \(i + 1): \(why)")
            case let .different(s, t):
                differing += 1
                if differing <= 5 { Issue.record("\(name) line \(i + 1):\n  sockeye: \(s)\n  tcpdump: \(t)") }
            }
        }
        #expect(differing == 0, "\(name): \(differing) lines differ from tcpdump")
        if !excused.isEmpty {
            print("~ \(name): \(excused.count) lines excused\n  " + excused.joined(separator: "\n  "))
        }
        // Only the deliberately malformed fixture (and the unsupported link type) may have excused lines.
        #expect(Self.excuseAllowed(name, excused), "\(name): unexpected excused lines \(excused.prefix(3))")
    }

    /// Compares every packet of `sockeye packets <options> file` with `tcpdump -nn -S <options>`,
    /// record by record (a packet's line plus its -v transport line and -x/-X dump lines; see
    /// `TextNormalization.compareRecord`). Returns the excused records.
    @discardableResult
    static func expectSameAsTcpdump(_ name: String, _ options: [String], timeZone: String = "UTC",
                                    sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String] {
        let file = TestEnvironment.fixture(name)
        let dump = try await TextNormalization.tcpdumpLines(file, options: options, timeZone: timeZone)
        guard dump.status == 0 else { return [] }   // see textMatchesTcpdump
        let ours = try await Sockeye.run(["packets"] + options + [file.path], environment: ["TZ": timeZone])
        #expect(ours.status == 0, "\(name) \(options): exit \(ours.status): \(ours.stderrText)", sourceLocation: sourceLocation)
        let hex = options.contains { $0.hasPrefix("-x") || $0.hasPrefix("-X") }
        let mine = TextNormalization.records(ours.stdoutLines), theirs = TextNormalization.records(dump.stdoutLines)
        #expect(mine.count == theirs.count, "\(name) \(options): \(mine.count) packets, tcpdump \(theirs.count)",
                sourceLocation: sourceLocation)
        var differing = 0
        var excused: [String] = []
        for (i, (a, e)) in zip(mine, theirs).enumerated() {
            switch Self.compareRecord(name, sockeye: a, tcpdump: e, hex: hex) {
            case .equal: break
            case let .excused(why): excused.append("packet \(i + 1): \(why)")
            case let .different(s, t):
                differing += 1
                if differing <= 3 { Issue.record("\(name) \(options) packet \(i + 1):\n  sockeye: \(s)\n  tcpdump: \(t)", sourceLocation: sourceLocation) }
            }
        }
        #expect(differing == 0, "\(name) \(options): \(differing) packets differ", sourceLocation: sourceLocation)
        // Only the deliberately malformed fixture (and the unsupported link type) may have excused packets.
        #expect(Self.excuseAllowed(name, excused), "\(name) \(options): excused \(excused)", sourceLocation: sourceLocation)
        return excused
    }

    @Test("-e and every -t form equal tcpdump's on every fixture", .enabled(if: TestEnvironment.tcpdumpTestsEnabled),
          arguments: [["-e"], ["-t"], ["-tt"], ["-ttt"], ["-tttt"], ["-ttttt"], ["-e", "-ttt"]])
    func optionsMatchTcpdump(_ options: [String]) async throws {
        for name in TestEnvironment.textFixtureCaptures { try await Self.expectSameAsTcpdump(name, options) }
    }

    // MARK: -v and hex dumps

    @Test("-v (alone and with -e, -tttt, -ttt) equals tcpdump -v on every fixture",
          .enabled(if: TestEnvironment.tcpdumpTestsEnabled),
          arguments: [["-v"], ["-v", "-e"], ["-v", "-tttt"], ["-e", "-ttt", "-v"]])
    func verboseMatchesTcpdump(_ options: [String]) async throws {
        // encap/ is compared with -v, -e -v and the hex dumps by TunnelPacketTextTests, whose
        // comparison knows tcpdump's tab-indented inner lines of a tunnelled packet.
        for name in TestEnvironment.fixtureCaptures { try await Self.expectSameAsTcpdump(name, options) }
    }

    /// Fixtures whose whole `-v` output is tcpdump's, byte for byte, with no normalisation:
    /// IPv4 + TCP (two-line layout, DF, checksums), IPv6 (flow label, one line, UDP checksums),
    /// IPv4 options (RR with EOL), UDP over IPv4, VLAN tags with -e, SLL2, an offload partial
    /// sum (tcpdump and Sockeye -v both say `incorrect`; Sockeye's `[partial …]` note is the only
    /// addition, so that file is compared after removing it).
    static let verboseExact = ["tcp-handshake-data-fin.pcap", "ipv6-tcp-udp.pcap", "ipv4-options.pcap", "udp-exchange.pcap",
                               "vlan-qinq.pcap", "tcp-refused.pcap", "linktypes/raw-mixed.pcap", "tcp-options-ecn-tfo.pcap"]

    @Test("-v output is byte-identical to tcpdump -v on the plain fixtures", .enabled(if: TestEnvironment.tcpdumpTestsEnabled))
    func verboseByteIdentical() async throws {
        for name in Self.verboseExact {
            for options in [["-v"], ["-v", "-e"]] {
                let file = TestEnvironment.fixture(name)
                let dump = try await TextNormalization.tcpdumpLines(file, options: options)
                let ours = try await Sockeye.run(["packets"] + options + [file.path], environment: Self.utc)
                var expected = dump.stdoutText
                if name == "tcp-options-ecn-tfo.pcap" { expected = expected.replacingOccurrences(of: "tfo  cookie", with: "tfo cookie") }
                #expect(ours.status == 0 && ours.stdoutText == expected, "\(name) \(options):\n\(ours.stdoutText.prefix(600))\nvs\n\(expected.prefix(600))")
            }
        }
        // packets/verbose-fields.pcap: every -v field variant (ECN, ttl 0, rsvd, IP options,
        // wrong IPv4/TCP/UDP/ICMP/IGMP/ICMPv6 checksums, RST text, IPv6 class/flow label,
        // DSTOPT options): tcpdump's text exactly, once Sockeye's end-of-line notes are removed.
        let crafted = TestEnvironment.fixture("packets/verbose-fields.pcap")
        let craftedDump = try await TextNormalization.tcpdumpLines(crafted, options: ["-v"])
        let craftedOurs = try await Sockeye.run(["packets", "-v", crafted.path], environment: Self.utc)
        #expect(craftedDump.stdoutLines.count == 34)
        #expect(craftedOurs.stdoutLines.map { $0.replacing(TextNormalization.sockeyeSuffix, with: "") } == craftedDump.stdoutLines)
        for fact in ["(tos 0xb9,ECT(1), id 1, offset 0, flags [DF, rsvd], proto TCP (6), length 40)", "(tos 0x3,CE, ttl 64",
                     "length 40, bad cksum 5f68 (->4e79)!)", "cksum 0x56e1 (incorrect -> 0x0cbb)",
                     "options (timestamp TS{TS+ADDR 777@192.0.2.1 ^ 0@0.0.0.0 [2 hops not recorded]} ))",
                     "options (security,EOL))", "options (RA value 1,NOP,NOP,NOP,NOP))", "[RST+ reset^AbyM-ipeer: too many open c]",
                     "flags [+], proto UDP (17), length 44)", "(wrong icmp cksum", "bad igmp cksum 1234!",
                     "IP6 (class 0xb8, flowlabel 0x12345, hlim 64, next-header UDP (17) payload length: 14)",
                     "[bad udp cksum 0x31b8 -> 0x3147!] UDP, length 6",
                     "DSTOPT (pad1)(opt_type 0x1e: len=1)(padn) [bad icmp6 cksum 0xc3af -> 0xc2ae!] ICMP6, echo request"] {
            #expect(craftedOurs.stdoutText.contains(fact), "missing «\(fact)»")
        }
        // The facts -v adds, spelled out once.
        let primary = try await Sockeye.run(["packets", "-v", "-c", "1", TestEnvironment.fixture(Self.primaryFixture).path], environment: Self.utc)
        #expect(primary.stdoutText == """
            20:54:43.227087 IP (tos 0x0, ttl 64, id 35003, offset 0, flags [DF], proto TCP (6), length 60)
                10.77.0.1.52726 > 10.77.0.2.7777: Flags [S], cksum 0x17cc (correct), seq 848371998, win 64240, options [mss 1460,sackOK,TS val 367381175 ecr 0,nop,wscale 10], length 0

            """)
        let offload = try await Sockeye.run(["packets", "-v", "-c", "1", TestEnvironment.fixture("lo-offload-partial.pcap").path], environment: Self.utc)
        #expect(offload.stdoutText.contains("cksum 0xfe30 (incorrect -> 0x9fa4)") && offload.stdoutText.hasSuffix("length 0 [partial tcp cksum (offload)]\n"),
                "\(offload.stdoutText)")
        // --no-checksums is tcpdump's -K: no verdicts.
        let k = try await Sockeye.run(["packets", "-v", "--no-checksums", "-c", "1", TestEnvironment.fixture(Self.primaryFixture).path], environment: Self.utc)
        #expect(k.status == 0 && !k.stdoutText.contains("cksum"), "\(k.stdoutText)")
        if let tcpdump = TestEnvironment.tcpdump {
            let dk = try await ProcessRunner.run(tcpdump, ["-nn", "-S", "-v", "-K", "-c", "1", "-r", TestEnvironment.fixture(Self.primaryFixture).path],
                                                 environment: Self.utc)
            #expect(k.stdoutText == dk.stdoutText)
        }
        let twice = try await Sockeye.run(["packets", "-vv", TestEnvironment.fixture(Self.primaryFixture).path])
        #expect(twice.status == 64, "-vv is refused (its extra details are not printed): \(twice.stderrText)")
    }

    @Test("-x, -xx, -X, -XX dumps equal tcpdump's byte for byte on every fixture",
          .enabled(if: TestEnvironment.tcpdumpTestsEnabled),
          arguments: [["-x"], ["-xx"], ["-X"], ["-XX"], ["-v", "-X"], ["-e", "-xx"], ["-x", "-X"]])
    func hexDumpsMatchTcpdump(_ options: [String]) async throws {
        var dumps = 0
        // encap/: TunnelPacketTextTests (dumps from the delivery header).
        for name in TestEnvironment.fixtureCaptures {
            try await Self.expectSameAsTcpdump(name, options)
            let ours = try await Sockeye.run(["packets"] + options + [TestEnvironment.fixture(name).path], environment: Self.utc)
            dumps += ours.stdoutLines.filter { $0.hasPrefix("\t0x0000:") }.count
        }
        #expect(dumps > 300, "\(options): only \(dumps) dumps; the comparison would prove little")
        // One frame spelled out: -xx starts at the Ethernet header, -x after it, -X adds ASCII.
        let file = TestEnvironment.fixture(Self.primaryFixture).path
        let x = try await Sockeye.run(["packets", "-x", "-c", "1", file], environment: Self.utc)
        #expect(x.stdoutLines.dropFirst().first == "\t0x0000:  4500 003c 88bb 4000 4006 9d64 0a4d 0001")
        let xx = try await Sockeye.run(["packets", "-xx", "-c", "1", file], environment: Self.utc)
        #expect(xx.stdoutLines.dropFirst().first == "\t0x0000:  0277 0000 0002 0277 0000 0001 0800 4500")
        let xa = try await Sockeye.run(["packets", "-XX", "-c", "1", file], environment: Self.utc)
        #expect(xa.stdoutLines.last == "\t0x0040:  cab7 0000 0000 0103 030a                 ..........")
    }

    /// Fixtures/encap/vxlan-tcp-udp.pcap spelled out (no tcpdump needed): the delivery datagram
    /// in tcpdump's VXLAN words, then the inner packet on a line of its own, without a time
    /// stamp; with -e each line has its own link header and no `IP ` prefix; the -x dump starts at
    /// the delivery IPv4 header. (Compared with tcpdump above; the corpus in TunnelPacketTextTests.)
    @Test("a VXLAN packet: delivery line, then the inner packet, as tcpdump prints it")
    func vxlanSpelledOut() async throws {
        let file = TestEnvironment.fixture("encap/vxlan-tcp-udp.pcap").path
        let plain = try await Sockeye.run(["packets", file], environment: Self.utc)
        #expect(plain.status == 0)
        #expect(plain.stdoutLines.count == 132, "66 packets, two lines each: \(plain.stdoutLines.count)")
        #expect(plain.stdoutText.hasPrefix("""
            06:57:50.479989 IP 192.0.2.2.33272 > 192.0.2.1.4789: VXLAN, flags [I] (0x08), vni 42
            IP6 :: > ff02::16: HBH ICMP6, multicast listener report v2, 2 group record(s), length 48

            """))
        #expect(plain.stdoutText.contains("""
            06:57:52.751584 IP 192.0.2.1.51114 > 192.0.2.2.4789: VXLAN, flags [I] (0x08), vni 42
            IP 10.42.0.1.32848 > 10.42.0.2.8080: Flags [S], seq 2635154546, win 64860, options [mss 1410,sackOK,TS val 2515324210 ecr 0,nop,wscale 10], length 0

            """))
        let e = try await Sockeye.run(["packets", "-e", "-c", "1", file], environment: Self.utc)
        #expect(e.stdoutText == """
            06:57:50.479989 a6:f3:09:2c:5f:7f > f2:ef:b1:12:47:2f, ethertype IPv4 (0x0800), length 160: 192.0.2.2.33272 > 192.0.2.1.4789: VXLAN, flags [I] (0x08), vni 42
            8e:c5:95:be:cc:a0 > 33:33:00:00:00:16, ethertype IPv6 (0x86dd), length 110: :: > ff02::16: HBH ICMP6, multicast listener report v2, 2 group record(s), length 48

            """)
        let x = try await Sockeye.run(["packets", "-x", "-c", "1", file], environment: Self.utc)
        #expect(x.stdoutLines.dropFirst(2).first == "\t0x0000:  4500 0092 f293 0000 4011 03c4 c000 0202", "\(x.stdoutText)")
        // One record per packet with -c: the inner line belongs to the first packet.
        let one = try await Sockeye.run(["packets", "-c", "1", file], environment: Self.utc)
        #expect(one.stdoutLines == Array(plain.stdoutLines.prefix(2)))
    }

    @Test("ICMP, ICMPv6, IGMP and ARP lines equal tcpdump's, word for word (no excused line)",
          .enabled(if: TestEnvironment.tcpdumpTestsEnabled))
    func controlProtocolsMatchTcpdump() async throws {
        let file = TestEnvironment.fixture(Self.controlFixture)
        let ours = try await Sockeye.run(["packets", file.path], environment: Self.utc)
        let dump = TextNormalization.tcpdumpPacketLines(try await TextNormalization.tcpdumpLines(file))
        #expect(ours.stdoutLines == dump)
        #expect(dump.count == 43)
        for word in ["ICMP echo request, id 1, seq 1, length 64", "ICMP 10.0.0.2 udp port 53 unreachable, length 36",
                     "ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 46", "ICMP6, neighbor solicitation, who has fe80::2",
                     "igmp v2 report 239.1.1.1", "ICMP time exceeded in-transit"] {
            #expect(ours.stdoutText.contains(word), "missing «\(word)»")
        }
        try await Self.expectSameAsTcpdump(Self.controlFixture, ["-e"])
    }

    @Test("local time: TZ is respected as by tcpdump (default and -tttt), and differs from UTC",
          .enabled(if: TestEnvironment.tcpdumpTestsEnabled))
    func localTimeFollowsTZ() async throws {
        for tz in ["Asia/Kolkata", "America/New_York", "UTC"] {
            try await Self.expectSameAsTcpdump(Self.controlFixture, [], timeZone: tz)
            try await Self.expectSameAsTcpdump(Self.controlFixture, ["-tttt"], timeZone: tz)
        }
        let file = TestEnvironment.fixture(Self.controlFixture).path
        let kolkata = try await Sockeye.run(["packets", "-c", "1", file], environment: ["TZ": "Asia/Kolkata"])
        let utc = try await Sockeye.run(["packets", "-c", "1", file], environment: Self.utc)
        #expect(kolkata.stdoutLines.first?.hasPrefix("03:43:20.000017 ") == true, "\(kolkata.stdoutText)")
        #expect(utc.stdoutLines.first?.hasPrefix("22:13:20.000017 ") == true, "\(utc.stdoutText)")
        let forcedUTC = try await Sockeye.run(["packets", "--utc", "-c", "1", file], environment: ["TZ": "Asia/Kolkata"])
        #expect(forcedUTC.stdoutLines == utc.stdoutLines)
    }

    @Test("-r FILE equals FILE; several files print one after another, frame numbers continue, -c counts over all")
    func severalFiles() async throws {
        let a = TestEnvironment.fixture(Self.primaryFixture).path, b = TestEnvironment.fixture(Self.controlFixture).path
        let ra = try await Sockeye.run(["packets", a], environment: Self.utc)
        let rb = try await Sockeye.run(["packets", b], environment: Self.utc)
        let r = try await Sockeye.run(["packets", "-r", a], environment: Self.utc)
        #expect(r.status == 0 && r.stdoutLines == ra.stdoutLines)
        let both = try await Sockeye.run(["packets", a, b], environment: Self.utc)
        #expect(both.stdoutLines == ra.stdoutLines + rb.stdoutLines)
        let mixed = try await Sockeye.run(["packets", "-r", a, b], environment: Self.utc)
        #expect(mixed.stdoutLines == both.stdoutLines, "-r files come first, then FILE arguments")
        let n = ra.stdoutLines.count
        let limited = try await Sockeye.run(["packets", "-c", String(n + 2), a, b], environment: Self.utc)
        #expect(limited.stdoutLines == Array(both.stdoutLines.prefix(n + 2)))
        let json = try await Sockeye.run(["packets", "--format", "json", a, b])
        let frames = json.stdoutLines.compactMap { (try? SockeyeFields.object($0))?["frame"] as? Int }
        #expect(frames == Array(1...(n + rb.stdoutLines.count)))
        let missing = try await Sockeye.run(["packets", a, "/nonexistent/x.pcap"])
        Self.expectTypedFailure(missing, status: 66, "second file missing")
        #expect(missing.stdout.isEmpty, "a missing file fails before any output")
    }

    @Test("JSON ts is truncated to microseconds, the same instant the text prints (nanosecond capture)")
    func jsonTimestampTruncated() async throws {
        let file = TestEnvironment.fixture("nanosecond.pcap").path
        let json = try await Sockeye.run(["packets", "--format", "json", file])
        let text = try await Sockeye.run(["packets", "-tt", file], environment: Self.utc)
        let ts = json.stdoutLines.compactMap { line -> String? in
            guard let r = line.range(of: #""ts":[0-9.]+"#, options: .regularExpression) else { return nil }
            return String(line[r].dropFirst(5))
        }
        #expect(!ts.isEmpty && ts.count == text.stdoutLines.count)
        #expect(ts.allSatisfy { $0.split(separator: ".").last?.count == 6 }, "\(ts.prefix(3))")
        #expect(ts == text.stdoutLines.map { String($0.prefix { $0 != " " }) })
    }

    // MARK: --count

    @Test("--count 3 and -c 3 print exactly three lines, the first three of the full output")
    func countLimitsOutput() async throws {
        let file = TestEnvironment.fixture(Self.primaryFixture)
        let tsharkCount = try await TSharkFields.read(file).count
        try #require(tsharkCount > 3, "\(Self.primaryFixture) should hold more than 3 packets (tshark: \(tsharkCount))")
        let all = try await Sockeye.run(["packets", file.path])
        #expect(all.stdoutLines.count == tsharkCount)
        for args in [["--count", "3"], ["-c", "3"]] {
            let r = try await Sockeye.run(["packets", file.path] + args)
            #expect(r.status == 0)
            #expect(r.stdoutLines.count == 3, "\(args): \(r.stdoutLines.count) lines")
            #expect(r.stdoutLines == Array(all.stdoutLines.prefix(3)))
            let j = try await Sockeye.run(["packets", file.path, "--format", "json"] + args)
            #expect(j.stdoutLines.count == 3)
            #expect(j.stdoutLines.last.map { (try? SockeyeFields.object($0))?["frame"] as? Int } == 3)
        }
    }

    // MARK: --filter

    static let filters = ["tcp port 7777", "udp", "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0", "ip6", "vlan"]

    @Test("--filter selects the same packets as tcpdump with the same expression",
          .enabled(if: TestEnvironment.tcpdumpTestsEnabled),
          arguments: TestEnvironment.textFixtureCaptures)
    func filterAgreesWithTcpdump(_ name: String) async throws {
        let file = TestEnvironment.fixture(name)
        let unfiltered = try await TextNormalization.tcpdumpLines(file)
        guard unfiltered.status == 0 else { return }   // tcpdump cannot read it (see textMatchesTcpdump)
        var reduced = false
        for f in Self.filters {
            let dump = try await TextNormalization.tcpdumpLines(file, filter: f)
            let ours = try await Sockeye.run(["packets", file.path, "--filter", f], environment: Self.utc)
            if dump.status != 0 {
                // libpcap rejects the expression for this link type (e.g. `vlan` on Linux SLL,
                // `ip6` on LINKTYPE_IPV4): a usage error, like tcpdump's.
                Self.expectTypedFailure(ours, status: 64, "\(name) '\(f)' (tcpdump: \(dump.stderrText))")
                continue
            }
            #expect(ours.status == 0, "\(name) '\(f)': exit \(ours.status) \(ours.stderrText)")
            // The same packets selected: compare the timestamps (line formatting is checked by
            // textMatchesTcpdump).
            let expected = TextNormalization.tcpdumpPacketLines(dump).map { $0.prefix { $0 != " " } }
            let actual = ours.stdoutLines.map { $0.prefix { $0 != " " } }
            #expect(actual == expected, "\(name) '\(f)': \(actual.count) lines vs tcpdump \(expected.count)")
            if expected.count < TextNormalization.tcpdumpPacketLines(unfiltered).count { reduced = true }
            let short = try await Sockeye.run(["packets", file.path, "-f", f], environment: Self.utc)
            #expect(short.stdoutLines == ours.stdoutLines, "-f and --filter differ")
        }
        if name == Self.primaryFixture { #expect(reduced, "no filter reduced \(name); the test would prove nothing") }
    }

    // MARK: JSON key order (DESIGN.md §2)

    /// Key order of the DESIGN.md §2 example, per object.
    static let designOrder: [String: [String]] = [
        "": ["frame", "ts", "caplen", "len", "link", "eth", "ip", "tcp", "udp", "defects"],
        "eth": ["src", "dst", "type", "vlan"],
        "ip4": ["version", "src", "dst", "hdr_len", "tos", "total_len", "id", "df", "mf", "frag_offset",
                "ttl", "proto", "checksum", "checksum_status", "options"],
        // "ip":{"version":6,…,"hop_limit":…,"next_header":…,"ext_headers":[…]}
        "ip6": ["version", "hop_limit", "next_header", "ext_headers"],
        "tcp": ["src_port", "dst_port", "seq", "ack", "hdr_len", "flags", "flags_raw", "window", "checksum",
                "checksum_status", "urgent", "options", "payload_len"],
        "udp": ["src_port", "dst_port", "length", "checksum", "checksum_status", "payload_len"],
    ]

    /// `keys` must contain `order`'s keys that are present, in that relative order, and for the
    /// objects fully listed in DESIGN no others.
    static func expectOrder(_ keys: [String], _ order: [String], exhaustive: Bool, _ what: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        let present = keys.filter(order.contains)
        let expected = order.filter(keys.contains)
        #expect(present == expected, "\(what) keys out of DESIGN order: \(keys)", sourceLocation: sourceLocation)
        if exhaustive {
            #expect(Set(keys).subtracting(order).isEmpty, "\(what) has keys DESIGN does not list: \(keys)",
                    sourceLocation: sourceLocation)
        }
    }

    @Test("JSON objects have DESIGN.md §2 keys in DESIGN order (TCP, UDP, IPv6 packets)")
    func jsonKeyOrder() async throws {
        var sawTCP = false, sawUDP = false, sawIPv6 = false
        for name in TestEnvironment.fixtureCaptures {
            let r = try await Sockeye.run(["packets", TestEnvironment.fixture(name).path, "--format", "json", "--count", "50"])
            for line in r.stdoutLines {
                let top = try OrderedJSON.parse(line)
                let keys = top.keys
                Self.expectOrder(keys, Self.designOrder[""]!, exhaustive: false, "\(name) top level")
                #expect(Array(keys.prefix(5)) == ["frame", "ts", "caplen", "len", "link"])
                #expect(keys.last == "defects")
                if let eth = top["eth"]?.object { Self.expectOrder(eth.keys, Self.designOrder["eth"]!, exhaustive: true, "eth") }
                if let ip = top["ip"]?.object {
                    if ip["version"]?.number == "4" {
                        Self.expectOrder(ip.keys, Self.designOrder["ip4"]!, exhaustive: true, "\(name) ip (v4)")
                    } else {
                        sawIPv6 = true
                        Self.expectOrder(ip.keys, Self.designOrder["ip6"]!, exhaustive: false, "\(name) ip (v6)")
                        #expect(ip.keys.first == "version")
                    }
                }
                if let tcp = top["tcp"]?.object {
                    sawTCP = true
                    Self.expectOrder(tcp.keys, Self.designOrder["tcp"]!, exhaustive: true, "\(name) tcp")
                }
                if let udp = top["udp"]?.object {
                    sawUDP = true
                    Self.expectOrder(udp.keys, Self.designOrder["udp"]!, exhaustive: true, "\(name) udp")
                }
            }
        }
        #expect(sawTCP, "no fixture produced a TCP packet")
        #expect(sawUDP, "no fixture produced a UDP packet")
        #expect(sawIPv6, "no fixture produced an IPv6 packet")
    }

    // MARK: errors and exit codes

    @Test("missing file: exit 66, one stderr line, nothing on stdout")
    func missingFile() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID().uuidString).pcap").path
        for format in ["text", "json"] {
            let r = try await Sockeye.run(["packets", path, "--format", format])
            Self.expectTypedFailure(r, status: 66, "missing file")
            #expect(r.stdout.isEmpty)
            #expect(r.stderrText.contains(path), "the diagnostic should name the file")
        }
    }

    @Test("a directory instead of a file: exit 66")
    func directoryInput() async throws {
        let r = try await Sockeye.run(["packets", FileManager.default.temporaryDirectory.path])
        Self.expectTypedFailure(r, status: 66, "directory")
    }

    @Test("empty file: exit 65, one stderr line")
    func emptyFile() async throws {
        let url = try Self.temporaryFile("empty.pcap", Data())
        let r = try await Sockeye.run(["packets", url.path])
        Self.expectTypedFailure(r, status: 65, "empty file")
        #expect(r.stdout.isEmpty)
    }

    @Test("not a capture (text file): exit 65")
    func notACapture() async throws {
        let url = try Self.temporaryFile("notes.pcap", Data(String(repeating: "not a capture\n", count: 10).utf8))
        let r = try await Sockeye.run(["packets", url.path, "--format", "json"])
        Self.expectTypedFailure(r, status: 65, "text file")
        #expect(r.stdout.isEmpty)
    }

    @Test("header-only pcap (no records): exit 0, no output — as tcpdump")
    func headerOnly() async throws {
        // 24-byte little-endian pcap header, version 2.4, snaplen 65535, LINKTYPE_ETHERNET.
        let header: [UInt8] = [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0]
        let url = try Self.temporaryFile("header-only.pcap", Data(header))
        let r = try await Sockeye.run(["packets", url.path])
        #expect(r.status == 0, "\(r.stderrText)")
        #expect(r.stdout.isEmpty)
        if TestEnvironment.tcpdump != nil {
            let d = try await TextNormalization.tcpdumpLines(url)
            #expect(d.status == 0 && d.stdoutLines.isEmpty, "tcpdump disagrees on the constructed file")
        }
    }

    @Test("bad filter: exit 64, one stderr line, nothing on stdout")
    func badFilter() async throws {
        let file = TestEnvironment.fixture(Self.primaryFixture)
        for f in ["tcp port", "nonsense ((", "port 99999999"] {
            let r = try await Sockeye.run(["packets", file.path, "--filter", f])
            Self.expectTypedFailure(r, status: 64, "filter '\(f)'")
            #expect(r.stdout.isEmpty)
        }
    }

    @Test("usage errors exit 64")
    func usageErrors() async throws {
        let file = TestEnvironment.fixture(Self.primaryFixture)
        for args in [["packets"], ["packets", file.path, "--format", "xml"], ["packets", file.path, "--count", "x"]] {
            let r = try await Sockeye.run(args)
            #expect(r.status == 64, "\(args): exit \(r.status)")
            #expect(!r.looksLikeCrash)
            #expect(r.stdout.isEmpty)
        }
    }

    @Test("file truncated inside record k: k packets printed, then exit 65 and one stderr line",
          arguments: [1, 2])
    func truncatedMidRecord(_ k: Int) async throws {
        let original = TestEnvironment.fixture(Self.primaryFixture)
        let pcap = try #require(ClassicPcap(try Data(contentsOf: original)), "\(Self.primaryFixture) is not a classic pcap")
        try #require(pcap.records.count > k + 1)
        for cut in [8, 16 + 10] {   // inside the record header; inside the packet data
            let url = try Self.temporaryFile("cut.pcap", pcap.truncated(atRecord: k, into: cut))
            for format in ["text", "json"] {
                let r = try await Sockeye.run(["packets", url.path, "--format", format], environment: Self.utc)
                Self.expectTypedFailure(r, status: 65, "cut at record \(k)+\(cut) (\(format))")
                #expect(r.stdoutLines.count == k, "records before the damage: \(k), printed \(r.stdoutLines.count)")
                if format == "json" {
                    #expect(r.stdoutLines.allSatisfy { (try? SockeyeFields.object($0)) != nil })
                } else if TestEnvironment.tcpdump != nil {
                    let d = try await TextNormalization.tcpdumpLines(original, count: k)
                    #expect(r.stdoutLines.map(TextNormalization.sockeye) == TextNormalization.tcpdumpPacketLines(d).map(TextNormalization.tcpdump))
                }
            }
        }
    }

    @Test("Fixtures/damaged/: exit 65 with the packets before the damage, one stderr line",
          .enabled(if: !TestEnvironment.damagedFixtures.isEmpty, "no Fixtures/damaged/ captures yet"),
          arguments: TestEnvironment.damagedFixtures)
    func damagedFixture(_ name: String) async throws {
        let file = TestEnvironment.fixture(name)
        let r = try await Sockeye.run(["packets", file.path], environment: Self.utc)
        Self.expectTypedFailure(r, status: 65, name)
        if TestEnvironment.tcpdump != nil {
            // tcpdump reads through the same libpcap: it prints the same packets before failing.
            let d = try await TextNormalization.tcpdumpLines(file)
            #expect(d.status != 0, "tcpdump read \(name) without error")
            #expect(r.stdoutLines.map(TextNormalization.sockeye) == TextNormalization.tcpdumpPacketLines(d).map(TextNormalization.tcpdump),
                    "\(name): sockeye printed \(r.stdoutLines.count) packets, tcpdump \(d.stdoutLines.count)")
        }
        let j = try await Sockeye.run(["packets", file.path, "--format", "json"])
        #expect(j.status == 65)
        #expect(j.stdoutLines.count == r.stdoutLines.count)
        #expect(j.stdoutLines.allSatisfy { (try? SockeyeFields.object($0)) != nil })
    }
}
