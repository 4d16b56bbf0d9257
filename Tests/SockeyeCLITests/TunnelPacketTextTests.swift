import Foundation
import Testing

/// `sockeye packets` text against tcpdump 4.99 on every tunnelled capture of the public corpus
/// (`../shared/corpus/encap/`) and the bundled Fixtures/encap/: the delivery datagram first, then
/// the inner packet, in tcpdump's words (PacketTextFormatter+Tunnels.swift). Packet by packet,
/// line by line; a line may differ only in one of the named `TcpdumpOnly` kinds, and only in the
/// files listed below for that kind (and every listed file must still show its kind, so the list
/// cannot outlive the difference it excuses).
@Suite("packets text vs tcpdump on tunnelled captures (corpus encap/)",
       .enabled(if: TestEnvironment.corpusDirectory != nil || TestEnvironment.isCI,
                "no corpus at <package>/../shared/corpus; tunnel text comparison skipped"),
       .enabled(if: TestEnvironment.tcpdumpTestsEnabled))
struct TunnelPacketTextTests {
    static let utc = ["TZ": "UTC"]

    /// The encap/ files of the corpus, then the bundled fixture.
    static var files: [URL] {
        let corpus = TestEnvironment.corpusEntries.filter { $0.category == "encap" }
            .compactMap { e in TestEnvironment.corpusDirectory?.appendingPathComponent(e.path) }
        return corpus + TestEnvironment.encapFixtures.map(TestEnvironment.fixture)
    }

    /// Files whose default (and -e) output differs from tcpdump's, and in what known way.
    static let exceptions: [String: Set<TcpdumpOnly>] = [
        // Link types the decoder does not decode: LINKTYPE_NFLOG (239) and LINKTYPE_PPP (9).
        "arkime_nflog.pcap": [.unsupportedLink],
        "ndpi_dlt_ppp.pcap": [.unsupportedLink],
        "tcpdump_icmp-rfc5837.pcap": [.unsupportedLink],
        "tcpdump_lspping-fec-ldp.pcap": [.unsupportedLink],
        "suricata-verify_defrag_bug-6887-defrag-ppp-ipv6-tcp_frag-ppp-ipv6-tcp.pcap": [.unsupportedLink],
        // IP fragments (outer or inner): tcpdump's `frag (off|len)` / `ip-proto-N` wording.
        "peafowl_ip_fragmentation_4in4_outer.pcap": [.fragment, .malformed],
        "peafowl_ip_fragmentation_6in6_both.pcap": [.fragment],
        "peafowl_ip_fragmentation_6in6_inner.pcap": [.fragment],
        "peafowl_ip_fragmentation_teardrop.pcap": [.fragment],
        "peafowl_tcp_resegment_http_ip_fragmented_out_of_order.pcap": [.fragment, .malformed],
        "suricata-verify_defrag_bug-6887-defrag-ipv6-tcp_frag-ip-tcp.pcap": [.fragment],
        "suricata-verify_ipv6-evasion_ipv6-malformed-fragments-1_frag-1.pcap": [.fragment],
        "zeek_tunnels_gtp_gtp_ext_header.pcap": [.fragment],
        // Applications over UDP that tcpdump decodes (DNS, mDNS, DHCP, DHCPv6, syslog).
        "vxlan-tcp-udp.pcap": [.application],
        "ndpi_6in4tunnel.pcap": [.application],
        "suricata-verify_bug-5633-gre-01_gre-udp.pcap": [.application],
        "suricata-verify_flow-drop-iponly-02_input.pcap": [.application],
        "suricata-verify_output-eve-ftp-data_input.pcap": [.application],
        "zeek_tunnels_vxlan-triple-v2.pcap": [.application],
        // MPLS pseudowire (control word + Ethernet) nested past the decoder's depth: tcpdump dumps
        // the payload after the first label in hex.
        "suricata-verify_decode-too-many-layers_input.pcap": [.mplsPayloadHex],
    ]

    /// What -v adds on top of `exceptions`: tcpdump's tab-indented decoding (HTTP bodies, PPP
    /// control options, ICMPv6 neighbour-discovery options).
    static let verboseExceptions: [String: Set<TcpdumpOnly>] = [
        "vxlan-tcp-udp.pcap": [.controlDetail],
        "vxlan-8472.pcap": [.controlDetail],   // router solicitations' link-address option
        "suricata-verify_pppoe_input.pcap": [.pppControl],
        "pcapplusplus_GrePackets.cap": [.pppControl],
        "suricata-verify_bug-4810_pppoe-session-http.pcap": [.application],
        "pcapplusplus_one_http_stream_rst.pcap": [.application],
        "pcapplusplus_IPv4-encapsulated-IPv6.pcap": [.application],
        "zeek_mpls-in-vlan.pcap": [.application],
        "zeek_tunnels_geneve-many-options.pcap": [.application],
        "suricata-verify_output-eve-ftp-data_input.pcap": [.controlDetail],
        "suricata-verify_ipv6-evasion_ipv6-malformed-fragments-1_frag-1.pcap": [.controlDetail],
        "suricata-verify_flow-drop-iponly-02_input.pcap": [.controlDetail],
    ]

    struct FileResult { var name: String; var packets: Int; var kinds: Set<TcpdumpOnly>; var failures: [String] }

    static func compare(_ file: URL, _ options: [String]) async throws -> FileResult {
        let name = file.lastPathComponent
        let dump = try await TextNormalization.tcpdumpLines(file, options: options)
        let ours = try await Sockeye.run(["packets"] + options + [file.path], environment: utc)
        #expect(ours.status == 0, "\(name) \(options): exit \(ours.status): \(ours.stderrText)")
        #expect(!ours.looksLikeCrash, "\(name) \(options): crashed")
        let mine = TunnelTextComparison.records(ours.stdoutLines), theirs = TunnelTextComparison.records(dump.stdoutLines)
        var result = FileResult(name: name, packets: theirs.count, kinds: [], failures: [])
        if mine.count != theirs.count { result.failures.append("\(mine.count) packets, tcpdump \(theirs.count)") }
        for (i, (a, e)) in zip(mine, theirs).enumerated() {
            switch TunnelTextComparison.compare(sockeye: a, tcpdump: e) {
            case .equal: break
            case let .known(k): result.kinds.formUnion(k)
            case let .failure(why): result.failures.append("packet \(i + 1): \(why)")
            }
        }
        return result
    }

    @Test("every encap/ capture: text equals tcpdump's, or differs only in its listed known kinds",
          arguments: [[String](), ["-e"], ["-v"], ["-e", "-v"]])
    func corpusMatchesTcpdump(_ options: [String]) async throws {
        let files = Self.files
        #expect(files.count >= 50, "expected the corpus's 50 encap/ captures and the bundled fixture, found \(files.count)")
        let verbose = options.contains("-v")
        var exact = 0, packets = 0
        var report: [String] = []
        for file in files {
            let r = try await Self.compare(file, options)
            packets += r.packets
            var allowed = Self.exceptions[r.name] ?? []
            if verbose { allowed.formUnion(Self.verboseExceptions[r.name] ?? []) }
            for f in r.failures.prefix(3) { Issue.record("\(r.name) \(options): \(f)") }
            #expect(r.failures.isEmpty, "\(r.name) \(options): \(r.failures.count) packets differ from tcpdump")
            #expect(r.kinds.isSubset(of: allowed), "\(r.name) \(options): differs as \(r.kinds.map(\.rawValue).sorted()), allowed \(allowed.map(\.rawValue).sorted())")
            if !verbose, let listed = Self.exceptions[r.name] {
                // An exception that no longer happens must leave the list.
                #expect(!r.kinds.isEmpty, "\(r.name) \(options) now matches tcpdump exactly: remove it from the exceptions (\(listed.map(\.rawValue).sorted()))")
            }
            if r.kinds.isEmpty && r.failures.isEmpty { exact += 1 } else { report.append("\(r.name): \(r.kinds.map(\.rawValue).sorted())") }
        }
        print("~ tunnel text \(options): \(exact) of \(files.count) files identical to tcpdump (\(packets) packets); known differences:\n  "
              + report.joined(separator: "\n  "))
        #expect(exact >= (verbose ? 20 : 25), "\(options): only \(exact) files match exactly")
    }

    /// One packet of each tunnel kind, spelled out as tcpdump prints it.
    @Test("each tunnel kind, as tcpdump words it")
    func spelledOut() async throws {
        let corpus = try #require(TestEnvironment.corpusDirectory).appendingPathComponent("encap")
        func first(_ name: String, _ options: [String] = [], count: Int = 1) async throws -> String {
            let r = try await Sockeye.run(["packets", "-c", String(count)] + options + [corpus.appendingPathComponent(name).path], environment: Self.utc)
            #expect(r.status == 0, "\(name): \(r.stderrText)")
            return r.stdoutText
        }
        #expect(try await first("packetnet_gre_all_options.pcap") ==
                "15:21:59.230698 IP 203.0.113.1 > 192.0.2.2: GREv0, off 0x0, key=0x1d97c, seq 5, length 116: IP 10.1.2.1 > 10.1.2.2: ICMP echo request, id 4, seq 0, length 80\n")
        #expect(try await first("packetnet_gre_nvgre.pcap", ["-e"]) ==
                "07:57:11.201984 aa:bb:00:00:20:01 > aa:bb:00:00:20:02, ethertype IPv4 (0x0800), length 98: 100.0.17.1 > 100.0.17.2: GREv0, key=0x12345602, proto TEB (0x6558), length 64: aa:bb:00:00:10:01 > aa:bb:00:00:10:02, ethertype IPv4 (0x0800), length 56: 10.0.0.1.1001 > 10.0.0.2.1002: Flags [.], seq 0:2, ack 0, win 128, length 2 [bad tcp cksum 0x0000]\n")
        #expect(try await first("pcapplusplus_Vxlan1.pcap") ==
                "20:21:45.838156 IP 192.168.203.1.45149 > 192.168.202.1.4789: VXLAN, flags [I] (0x88), vni 3000001\nIP 192.168.203.3 > 192.168.203.5: ICMP echo request, id 1292, seq 2, length 64\n")
        #expect(try await first("zeek_tunnels_vxlan-triple-v2.pcap").hasPrefix(
                "15:30:09.594662 IP 1.1.1.1.4789 > 1.1.1.9.4789: VXLAN, flags [I] (0x0c), vni 1\nIP 2.2.2.2.4789 > 2.2.2.9.4789: VXLAN, flags [I] (0x0c), vni 2\nIP 3.3.3.3.4789 > 3.3.3.9.4789: VXLAN, flags [I] (0x0c), vni 3\nIP 4.4.4.4.53 > 4.4.4.9.53: UDP, length 29"))
        #expect(try await first("zeek_mpls-in-vlan.pcap", count: 3).contains(
                "\n00:09:21.479321 MPLS (label 254, tc 0, ttl 60) (label 99, tc 0, [S], ttl 60) IP 65.65.65.65.61193 > 65.65.65.65.80: Flags [P.], seq 2629953142:2629953800"))
        #expect(try await first("pcapplusplus_one_http_stream_rst.pcap", ["-e"]).contains(
                "ethertype PPPoE S (0x8864), PPPoE  [ses 0xdde5] IP (0x0021), length 54: 10.3.65.35.5068 > 185.8.212.46.80: Flags [S]"))
        #expect(try await first("suricata-verify_pppoe_input.pcap", count: 5) == """
            21:27:07.642544 PPPoE PADI [Service-Name] [Host-Uniq 0x00001761]
            21:27:07.642628 PPPoE PADO [AC-Name "test"] [Service-Name "test"] [AC-Cookie 0xAFB0DFBE9A018FC9FA8CE5C41F47A97B1C522B00] [Host-Uniq 0x00001761]
            21:27:07.642868 PPPoE PADR [Service-Name] [Host-Uniq 0x00001761] [AC-Cookie 0xAFB0DFBE9A018FC9FA8CE5C41F47A97B1C522B00]
            21:27:07.643142 PPPoE PADS [ses 0x1] [Service-Name "test"] [Host-Uniq 0x00001761]
            21:27:07.647473 PPPoE  [ses 0x1] LCP, Conf-Request (0x01), id 1, length 16

            """)
        #expect(try await first("zeek_tunnels_geneve-ipv6.pcap") ==
                "11:10:56.686121 IP 10.0.0.1.12345 > 10.0.0.2.6081: Geneve, Flags [none], vni 0x123456: IP6 fd00::1.40000 > fd00::2.40001: UDP, length 5\n")
        #expect(try await first("peafowl_L3_4in4.pcap", ["-v"]) == """
            12:12:06.059907 IP (tos 0x0, ttl 255, id 20, offset 0, flags [none], proto IPIP (4), length 120)
                10.0.0.1 > 10.0.0.2: IP (tos 0x0, ttl 255, id 20, offset 0, flags [none], proto ICMP (1), length 100)
                1.1.1.1 > 2.2.2.2: ICMP echo request, id 4, seq 0, length 80

            """)
        #expect(try await first("pcapplusplus_GrePackets.cap", count: 28).contains(
                " IP 20.0.0.2 > 20.0.0.1: GREv1, call 24, seq 3, ack 2, length 34: PAP, Auth-Req (0x01), id 0, Peer ixia, Name ixia\n"))
        #expect(try await first("pcapplusplus_GrePackets.cap", count: 28).contains(
                " IP 20.0.0.2 > 20.0.0.1: GREv1, call 24, seq 7, length 100: IP 17.1.1.122 > 40.0.0.2: ICMP echo request, id 6187, seq 1, length 64\n"))
        // GTP-U and Teredo: tcpdump 4.99 does not decode them on their ports; nor does this text.
        #expect(try await first("ndpi_ipv6_in_gtp.pcap") == "11:45:20.404326 IP 10.238.80.26.2152 > 10.238.254.75.2152: UDP, length 100\n")
        #expect(try await first("ndpi_teredo.pcap") == "09:33:35.305874 IP 10.112.16.106.52513 > 194.136.28.76.3544: UDP, length 61\n")
    }
}

extension TunnelPacketTextTests {
    /// Files whose -x/-X dump (not -xx/-XX) cannot equal tcpdump's: link types the decoder does not decode
    /// (Sockeye dumps the whole frame, tcpdump from after the PPP/NFLOG header) and fragments
    /// tcpdump's printer stops inside (`[|hsrp]`, `[|tcp]`: it then dumps from the first byte).
    static let dumpExceptions: Set<String> = [
        "arkime_nflog.pcap", "ndpi_dlt_ppp.pcap", "tcpdump_icmp-rfc5837.pcap", "tcpdump_lspping-fec-ldp.pcap",
        "suricata-verify_defrag_bug-6887-defrag-ppp-ipv6-tcp_frag-ppp-ipv6-tcp.pcap",
        "peafowl_ip_fragmentation_6in6_inner.pcap", "peafowl_tcp_resegment_http_ip_fragmented_out_of_order.pcap",
    ]

    @Test("-x, -X, -xx, -XX dumps of every encap/ capture equal tcpdump's byte for byte (from the delivery header)",
          arguments: [["-x"], ["-X"], ["-xx"], ["-XX"]])
    func dumpsMatchTcpdump(_ options: [String]) async throws {
        var compared = 0
        for file in Self.files {
            let name = file.lastPathComponent
            let dump = try await TextNormalization.tcpdumpLines(file, options: options)
            let ours = try await Sockeye.run(["packets"] + options + [file.path], environment: Self.utc)
            func dumps(_ lines: [String]) -> [[String]] {
                TunnelTextComparison.records(lines).map { $0.filter { $0.hasPrefix("\t0x") } }
            }
            let mine = dumps(ours.stdoutLines), theirs = dumps(dump.stdoutLines)
            // -xx/-XX start at the first byte in both tools: no exception applies.
            let fromLink = options == ["-xx"] || options == ["-XX"]
            if Self.dumpExceptions.contains(name) && !fromLink {
                #expect(mine != theirs, "\(name) \(options): the dump now equals tcpdump's; remove it from dumpExceptions")
                continue
            }
            #expect(mine == theirs, "\(name) \(options): dumps differ from tcpdump's (first: \(zip(mine, theirs).first { $0 != $1 }.map { "\($0.0.prefix(2)) vs \($0.1.prefix(2))" } ?? "count"))")
            compared += mine.count
        }
        #expect(compared > 1900, "\(options): only \(compared) packets' dumps compared")
    }
}

/// Tunnels the corpus lacks, built here packet by packet and compared with tcpdump byte for byte
/// (Sockeye's own end-of-line notes removed): VXLAN on 8472 (tcpdump's OTV), ARP inside VXLAN,
/// VXLAN-GPE, MPLS over UDP 6635, GRE-in-UDP 4754 (plain UDP to tcpdump), MPLS over GRE, ERSPAN
/// type II, a two-label MPLS stack on Ethernet, IP-in-IP behind a VLAN tag, Geneve with the O flag
/// and a critical option, GTP-U (plain UDP to tcpdump), GRE with a key over IPv6, VXLAN over IPv6
/// with a zero UDP checksum (tcpdump -v: `[bad udp cksum 0x0000 -> …!]`).
@Suite("packets text vs tcpdump on constructed tunnel packets", .enabled(if: TestEnvironment.tcpdumpTestsEnabled))
struct TunnelConstructedTextTests {
    static func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
    static func le32(_ v: UInt32) -> [UInt8] { be32(v).reversed() }
    static func checksum(_ b: [UInt8]) -> Int {
        var s = 0
        var i = 0
        while i < b.count { s += Int(b[i]) << 8 + (i + 1 < b.count ? Int(b[i + 1]) : 0); i += 2 }
        while s > 0xffff { s = (s & 0xffff) + (s >> 16) }
        return ~s & 0xffff
    }
    static func ipv4(_ src: [UInt8], _ dst: [UInt8], _ proto: UInt8, _ payload: [UInt8]) -> [UInt8] {
        var h: [UInt8] = [0x45, 0] + be16(20 + payload.count) + be16(1) + [0, 0, 64, proto, 0, 0] + src + dst
        let c = be16(checksum(h)); h[10] = c[0]; h[11] = c[1]
        return h + payload
    }
    static func ipv6(_ nextHeader: UInt8, _ payload: [UInt8]) -> [UInt8] {
        let a: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11)
        return [0x60, 0, 0, 0] + be16(payload.count) + [nextHeader, 64] + a + [1] + a + [2] + payload
    }
    static func udp(_ sport: Int, _ dport: Int, _ payload: [UInt8]) -> [UInt8] { be16(sport) + be16(dport) + be16(8 + payload.count) + [0, 0] + payload }
    static func ether(_ type: Int, _ payload: [UInt8]) -> [UInt8] { [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1] + be16(type) + payload }
    static let a: [UInt8] = [10, 0, 0, 1], b: [UInt8] = [10, 0, 0, 2], c: [UInt8] = [192, 168, 1, 1], d: [UInt8] = [192, 168, 1, 2]
    static var echo: [UInt8] {
        var m: [UInt8] = [8, 0, 0, 0, 0, 7, 0, 1] + Array("abcdefgh".utf8)
        let s = be16(checksum(m)); m[2] = s[0]; m[3] = s[1]
        return m
    }
    static var inner: [UInt8] { ipv4(c, d, 1, echo) }
    static func vxlan(_ vni: UInt32) -> [UInt8] { [0x08, 0, 0, 0] + be32(vni << 8) }
    static func mpls(_ label: UInt32, tc: UInt32 = 0, bottom: Bool, ttl: UInt32) -> [UInt8] {
        be32(label << 12 | tc << 9 | (bottom ? 0x100 : 0) | ttl)
    }

    static var frames: [[UInt8]] {
        let arp: [UInt8] = [0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 3] + c + [UInt8](repeating: 0, count: 6) + d + [UInt8](repeating: 0, count: 18)
        let gtp: [UInt8] = [0x30, 0xff] + be16(inner.count) + be32(0x1234) + inner
        return [
            ether(0x0800, ipv4(a, b, 17, udp(1234, 8472, vxlan(5) + ether(0x0800, inner)))),
            ether(0x0800, ipv4(a, b, 17, udp(1234, 4789, vxlan(5) + ether(0x0806, arp)))),
            ether(0x0800, ipv4(a, b, 17, udp(1234, 4790, [0x0c, 0, 0, 1] + be32(7 << 8) + inner))),
            ether(0x0800, ipv4(a, b, 17, udp(1234, 6635, mpls(100, bottom: true, ttl: 64) + inner))),
            ether(0x0800, ipv4(a, b, 17, udp(1234, 4754, [0, 0, 0x08, 0] + inner))),
            ether(0x0800, ipv4(a, b, 47, [0, 0, 0x88, 0x47] + mpls(200, bottom: true, ttl: 9) + inner)),
            ether(0x0800, ipv4(a, b, 47, [0x10, 0, 0x88, 0xbe] + be32(3) + be32(0x1001_0064) + be32(0) + ether(0x0800, inner))),
            ether(0x8847, mpls(300, tc: 5, bottom: false, ttl: 200) + mpls(301, bottom: true, ttl: 199) + inner),
            ether(0x8100, be16(3 << 13 | 42) + [0x08, 0] + ipv4(a, b, 4, inner)),
            ether(0x0800, ipv4(a, b, 17, udp(1234, 6081, [0x01, 0x80, 0x08, 0x00] + be32(0x123456 << 8) + [0x01, 0x04, 0x81, 0] + inner))),
            ether(0x0800, ipv4(a, b, 17, udp(2152, 2152, gtp))),
            ether(0x86dd, ipv6(47, [0x20, 0, 0x08, 0] + be32(0xabcdef) + inner)),
            ether(0x86dd, ipv6(17, udp(5555, 4789, vxlan(9) + ether(0x0800, inner)))),
        ]
    }

    static func pcap() throws -> URL {
        var file: [UInt8] = le32(0xa1b2c3d4) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(65535) + le32(1)
        for (i, f) in frames.enumerated() {
            file += le32(1_700_000_000 + UInt32(i)) + le32(0) + le32(UInt32(f.count)) + le32(UInt32(f.count)) + f
        }
        return try PacketsCommandTests.temporaryFile("tunnels.pcap", Data(file))
    }

    @Test("constructed tunnel packets: byte for byte tcpdump's (default, -e, -v, -e -v, -x, -X, -XX)",
          arguments: [[String](), ["-e"], ["-v"], ["-e", "-v"], ["-x"], ["-X"], ["-XX"]])
    func constructedMatchTcpdump(_ options: [String]) async throws {
        let file = try Self.pcap()
        let dump = try await TextNormalization.tcpdumpLines(file, options: options)
        let ours = try await Sockeye.run(["packets"] + options + [file.path], environment: ["TZ": "UTC"])
        #expect(ours.status == 0 && dump.status == 0, "\(ours.stderrText) \(dump.stderrText)")
        let mine = ours.stdoutLines.map { $0.replacing(TextNormalization.sockeyeSuffix, with: "") }
        #expect(mine == dump.stdoutLines, "\(options):\n\(mine.joined(separator: "\n"))\nvs tcpdump\n\(dump.stdoutText)")
        #expect(TunnelTextComparison.records(dump.stdoutLines).count == Self.frames.count)
        // The words that show each tunnel was printed as tcpdump's printer prints it.
        if options.isEmpty {
            for word in ["OTV, flags [I] (0x08), overlay 0, instance 5\n", "VXLAN, flags [I] (0x08), vni 5\nARP, Request who-has",
                         "VXLAN-GPE, flags [IP], vni 7: IP 192.168.1.1", "6635: MPLS (label 100, tc 0, [S], ttl 64) IP",
                         "4754: UDP, length 40", "GREv0, length 44: MPLS (label 200", "seq 3, length 66: gre-proto-0x88be",
                         "MPLS (label 300, tc 5, ttl 200) (label 301, tc 0, [S], ttl 199) IP", "IP 10.0.0.1 > 10.0.0.2: IP 192.168.1.1",
                         "Geneve, Flags [O], vni 0x123456, options [4 bytes]: IP", "2152: UDP, length 44",
                         "IP6 2001:db8::1 > 2001:db8::2: GREv0, key=0xabcdef, length 44: IP"] {
                #expect(ours.stdoutText.contains(word), "missing «\(word)»")
            }
        }
    }
}
