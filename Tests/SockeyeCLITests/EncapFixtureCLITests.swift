import Foundation
import Testing

/// The tunnel fixtures made from real inner traffic (Fixtures/encap/, made by
/// Fixtures/scripts/encap/make-encap.sh: a real veth capture wrapped with scapy into the tunnels
/// this kernel cannot create, plus a real kernel VXLAN capture on UDP 8472) against tshark:
///
/// 1. per packet, `sockeye packets --format json`'s innermost IP addresses, protocol and ports
///    are tshark's innermost layer's, and every checksum (outer and inner) is valid in both tools;
/// 2. per inner 5-tuple, `sockeye analyze --format json` has tshark's conversation
///    (`-z conv,tcp` / `-z conv,udp` minus the tunnels' delivery UDP) with its packet count; the
///    delivery flows of UDP tunnels are tshark's UDP conversations on the tunnel port; every
///    inner record has the `tunnel` object its first packet's delivery datagram gives (type,
///    outer addresses and ports, VNI / GRE key / TEID / ERSPAN session as tshark decodes them)
///    and `tunnel_parents` as in Zeek: the delivery flows that carried it (UDP tunnels) or the IP
///    tunnel's uid as tunnel.log names it (GRE, ERSPAN, IP-in-IP);
/// 3. each inner connection's conn_state, history, packet and byte counts are those Sockeye
///    gives for the same connection in the unwrapped capture (`Fixtures/encap/inner-veth.pcap`,
///    or `vxlan-8472-inner.pcap` captured on the VXLAN device): a tunnel must not change the
///    inner analysis.
///
/// GTP-U's two directions carry different TEIDs and are still one connection (the TEID is not
/// in the flow key); Teredo delivery flows count the packets without origin/authentication
/// indicators too; the Teredo bubble and PPTP's ack-only GRE packets make no record.
@Suite("tunnel fixtures from real traffic vs tshark",
       .enabled(if: TestEnvironment.tsharkTestsEnabled, "tshark is not installed; outside CI this suite is skipped"))
struct EncapFixtureCLITests {
    /// What a fixture should show.
    struct Case: Sendable, CustomTestStringConvertible {
        var file: String
        /// The unwrapped capture of the same connections.
        var plain = "encap/inner-veth.pcap"
        /// `tunnel.type` of the inner records; nil for link-level encapsulations (MPLS on
        /// Ethernet, PPPoE), which are no tunnel in Zeek: no `tunnel`, no `tunnel_parents`.
        var tunnel: String?
        /// UDP destination port of the delivery datagrams (UDP tunnels); nil for IP tunnels.
        var udpPort: Int? = nil
        /// tshark field holding the tunnel id (`tunnel.id`), nil when the tunnel has none.
        var idField: String? = nil
        /// Inner address families present (4, 6).
        var families: Set<Int> = [4, 6]
        /// The plain capture holds the same frames at the same times (the wrapped fixtures), not
        /// a capture of its own at another point of the path (vxlan-8472: the VXLAN device,
        /// microseconds before encapsulation), where durations and handshake times differ.
        var sameTimestamps = true
        var testDescription: String { file }
    }

    static let cases: [Case] = [
        Case(file: "encap/gre-ipv4.pcap", tunnel: "GRE", families: [4]),
        Case(file: "encap/gre-key-seq-ipv6inner.pcap", tunnel: "GRE", idField: "gre.key", families: [6]),
        Case(file: "encap/gretap-ethernet.pcap", tunnel: "GRE", idField: "gre.key"),
        Case(file: "encap/erspan2.pcap", tunnel: "ERSPAN", idField: "erspan.spanid"),
        Case(file: "encap/erspan3.pcap", tunnel: "ERSPAN", idField: "erspan.spanid"),
        Case(file: "encap/mpls-two-labels.pcap", tunnel: nil),
        Case(file: "encap/mpls-over-udp.pcap", tunnel: "MPLS_UDP", udpPort: 6635),
        Case(file: "encap/mpls-over-gre.pcap", tunnel: "GRE"),
        Case(file: "encap/pppoe-session.pcap", tunnel: nil),
        Case(file: "encap/gtpu.pcap", tunnel: "GTPv1", udpPort: 2152, idField: "gtp.teid"),
        Case(file: "encap/geneve-options.pcap", tunnel: "GENEVE", udpPort: 6081, idField: "geneve.vni"),
        Case(file: "encap/ipip-4in4.pcap", tunnel: "IP", families: [4]),
        Case(file: "encap/sit-6in4.pcap", tunnel: "IP", families: [6]),
        Case(file: "encap/ip6tnl-4in6-6in6.pcap", tunnel: "IP"),
        Case(file: "encap/teredo.pcap", tunnel: "TEREDO", udpPort: 3544, families: [6]),
        Case(file: "encap/pptp-gre-v1.pcap", tunnel: "GRE"),
        Case(file: "encap/vxlan-gpe.pcap", tunnel: "VXLAN", udpPort: 4790, idField: "vxlan.vni"),
        Case(file: "encap/vxlan-8472.pcap", plain: "encap/vxlan-8472-inner.pcap", tunnel: "VXLAN", udpPort: 8472, idField: "vxlan.vni",
             sameTimestamps: false),
    ]

    /// tshark's decoding options for every fixture: Teredo's heuristic on, VXLAN on 8472 and
    /// MPLS on 6635 (Sockeye's ports), IP reassembly off, all checksums verified.
    static let tsharkOptions = ["-n", "--enable-heuristic", "teredo_udp", "-d", "udp.port==8472,vxlan", "-d", "udp.port==6635,mpls",
                                "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE", "-o", "ip.check_checksum:TRUE",
                                "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"]

    /// One frame as tshark dissects it.
    struct Row {
        var frame: Int
        /// Innermost IP datagram: addresses, protocol, transport and ports (nil without one).
        var src: String?, dst: String?, proto: String?
        var transport: String?, sport: String?, dport: String?
        /// Outermost IP addresses, the first UDP header's ports (the delivery datagram at depth 1).
        var outerSrc: String?, outerDst: String?, outerSport: String?, outerDport: String?
        var ipCount: Int
        var tunnelID: UInt32?
        var checksumStatuses: [String]
        var teredoIndicator: Bool
        var innerV6: Bool
    }

    static func tsharkRows(_ path: String, idField: String?) async throws -> [Row] {
        let tool = try #require(TestEnvironment.tshark, "tshark is required (CI=true)")
        let fields = ["frame.number", "frame.protocols", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "ip.proto", "ipv6.nxt",
                      "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport",
                      "ip.checksum.status", "tcp.checksum.status", "udp.checksum.status", "gre.checksum.status",
                      "teredo.orig.port", "teredo.auth.nonce"] + (idField.map { [$0] } ?? [])
        let out = try await ProcessRunner.run(tool, ["-r", path] + tsharkOptions
                                              + ["-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"]
                                              + fields.flatMap { ["-e", $0] })
        try #require(out.status == 0, "tshark: \(out.stderrText)")
        return try out.stdoutLines.map { line in
            let c = line.split(separator: "\t", omittingEmptySubsequences: false).map { $0.split(separator: ",").map(String.init) }
            try #require(c.count == fields.count, "\(line)")
            let tokens = c[1].first?.split(separator: ":").map(String.init) ?? []
            let ipTokens = tokens.filter { $0 == "ip" || $0 == "ipv6" }
            var r = Row(frame: Int(c[0].first ?? "") ?? 0, ipCount: ipTokens.count, checksumStatuses: c[12] + c[13] + c[14] + c[15],
                        teredoIndicator: !c[16].isEmpty || !c[17].isEmpty, innerV6: ipTokens.last == "ipv6")
            if let last = ipTokens.last {
                (r.src, r.dst, r.proto) = last == "ipv6" ? (c[4].last, c[5].last, c[7].last) : (c[2].last, c[3].last, c[6].last)
                let lastIP = tokens.lastIndex { $0 == "ip" || $0 == "ipv6" }!
                r.transport = tokens[(lastIP + 1)...].first { $0 == "tcp" || $0 == "udp" }
                if r.transport == "tcp" { (r.sport, r.dport) = (c[8].last, c[9].last) }
                if r.transport == "udp" { (r.sport, r.dport) = (c[10].last, c[11].last) }
            }
            if let first = ipTokens.first {
                (r.outerSrc, r.outerDst) = first == "ipv6" ? (c[4].first, c[5].first) : (c[2].first, c[3].first)
            }
            (r.outerSport, r.outerDport) = (c[10].first, c[11].first)
            if idField != nil, let v = c[18].first {
                r.tunnelID = v.hasPrefix("0x") ? UInt32(v.dropFirst(2), radix: 16) : UInt32(v)
            }
            return r
        }
    }

    /// `-z conv,tcp` and `-z conv,udp`: "proto a|b" (sorted "address/port" endpoints) →
    /// (frames, frames A→B, frames B→A, A) with A tshark's first endpoint.
    static func tsharkConversations(_ path: String) async throws -> [String: (total: Int, aToB: Int, bToA: Int, a: String)] {
        let tool = try #require(TestEnvironment.tshark, "tshark is required (CI=true)")
        let out = try await ProcessRunner.run(tool, ["-r", path, "-q"] + tsharkOptions + ["-z", "conv,tcp", "-z", "conv,udp"])
        try #require(out.status == 0, "tshark: \(out.stderrText)")
        var proto = ""
        var result: [String: (total: Int, aToB: Int, bToA: Int, a: String)] = [:]
        let frames = try NSRegularExpression(pattern: #"(\d+)\s+[\d,.]+\s+(?:bytes|kB|MB)"#)
        for line in out.stdoutLines {
            if line.hasPrefix("TCP Conversations") { proto = "tcp" }
            if line.hasPrefix("UDP Conversations") { proto = "udp" }
            let t = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard t.count > 3, t[1] == "<->" else { continue }
            func endpoint(_ s: String) -> String {
                let i = s.lastIndex(of: ":")!
                return "\(s[..<i])/\(s[s.index(after: i)...])"
            }
            let ns = line as NSString
            let counts = frames.matches(in: line, range: NSRange(location: 0, length: ns.length)).map { Int(ns.substring(with: $0.range(at: 1)))! }
            try #require(counts.count >= 3, "\(line)")
            let a = endpoint(t[0]), b = endpoint(t[2])
            result[TunnelFlowCLITests.key(proto, a, b)] = (counts[2], counts[1], counts[0], a)
        }
        return result
    }

    static func records(_ path: String) async throws -> [[String: Any]] {
        let out = try await Sockeye.run(["analyze", "--format", "json", "-q", path])
        try #require(out.status == 0, "\(out.stderrText)")
        return try out.stdoutLines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    static func recordKey(_ o: [String: Any]) -> String {
        TunnelFlowCLITests.key(o["proto"] as? String ?? "", "\(o["id.orig_h"]!)/\(o["id.orig_p"]!)", "\(o["id.resp_h"]!)/\(o["id.resp_p"]!)")
    }

    /// Address family, protocol and the two ports: a connection's identity across the plain and
    /// the wrapped capture (Teredo's inner addresses are rewritten, its ports are not).
    static func portKey(_ o: [String: Any]) -> String {
        let v = (o["id.orig_h"] as? String ?? "").contains(":") ? 6 : 4
        let ports = [o["id.orig_p"] as? Int ?? -1, o["id.resp_p"] as? Int ?? -1].sorted()
        return "v\(v) \(o["proto"] as? String ?? "") \(ports[0])-\(ports[1])"
    }

    // MARK: 1. packets

    @Test("sockeye packets: innermost addresses, protocol and ports are tshark's; every checksum is valid", arguments: cases)
    func packets(_ c: Case) async throws {
        let path = TestEnvironment.fixture(c.file).path
        let rows = try await Self.tsharkRows(path, idField: c.idField)
        let out = try await Sockeye.run(["packets", "--format", "json", path])
        #expect(out.status == 0, "\(out.stderrText)")
        let lines = out.stdoutLines
        #expect(lines.count == rows.count && rows.count >= 16, "\(c.file): sockeye \(lines.count) packets, tshark \(rows.count)")
        var tunnelled = 0
        for (row, line) in zip(rows, lines) {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(o["frame"] as? Int == row.frame)
            let ip = o["ip"] as? [String: Any]
            let l4 = (o["tcp"] ?? o["udp"]) as? [String: Any]
            let mine = [ip?["src"] as? String, ip?["dst"] as? String, (ip?["proto"] as? Int).map(String.init),
                        o["tcp"] != nil ? "tcp" : o["udp"] != nil ? "udp" : nil,
                        (l4?["src_port"] as? Int).map(String.init), (l4?["dst_port"] as? Int).map(String.init)]
            let theirs = [row.src, row.dst, row.proto, row.transport, row.sport, row.dport]
            #expect(mine == theirs, "\(c.file) frame \(row.frame): sockeye \(mine), tshark \(theirs)")
            // Valid checksums everywhere (tshark: 0 bad, 4 illegal), and in Sockeye's innermost layers.
            #expect(!row.checksumStatuses.contains("0") && !row.checksumStatuses.contains("4"), "\(c.file) frame \(row.frame): \(row.checksumStatuses)")
            for layer in [ip, l4].compactMap({ $0 }) where layer["checksum_status"] != nil {
                #expect(layer["checksum_status"] as? String == "good", "\(c.file) frame \(row.frame): \(layer)")
            }
            if row.ipCount > 1 { tunnelled += 1 }
        }
        // IP tunnels and UDP tunnels put a second IP header in (almost) every frame; MPLS and
        // PPPoE frames hold one IP header.
        if c.tunnel != nil { #expect(tunnelled >= rows.count - 3, "\(c.file): only \(tunnelled) tunnelled frames") }
        else { #expect(tunnelled == 0) }
    }

    // MARK: 2. conversations, tunnel, tunnel_parents; 3. inner analysis as in the plain capture

    @Test("sockeye analyze: tshark's inner conversations and delivery flows, the tunnel object, tunnel_parents, and the plain capture's analysis", arguments: cases)
    func flows(_ c: Case) async throws {
        let path = TestEnvironment.fixture(c.file).path
        let rows = try await Self.tsharkRows(path, idField: c.idField)
        let conversations = try await Self.tsharkConversations(path)

        // tshark's view: which delivery 5-tuples carried each inner 5-tuple, and each inner
        // 5-tuple's first frame (its tunnel object's source).
        func deliveryKey(_ r: Row) -> String? {
            guard let port = c.udpPort, let s = r.outerSrc, let d = r.outerDst, let sp = r.outerSport, let dp = r.outerDport,
                  sp == "\(port)" || dp == "\(port)" else { return nil }
            return TunnelFlowCLITests.key("udp", "\(s)/\(sp)", "\(d)/\(dp)")
        }
        var carriers: [String: Set<String>] = [:], firstRow: [String: Row] = [:]
        var deliveryKeys: Set<String> = []
        for r in rows {
            if let d = deliveryKey(r) { deliveryKeys.insert(d) }
            guard r.ipCount > (c.tunnel == nil ? 0 : 1), let t = r.transport, let sp = r.sport, let dp = r.dport, let s = r.src, let d = r.dst
            else { continue }
            let k = TunnelFlowCLITests.key(t, "\(s)/\(sp)", "\(d)/\(dp)")
            if firstRow[k] == nil { firstRow[k] = r }
            if let d = deliveryKey(r) { carriers[k, default: []].insert(d) }
        }
        let inner = conversations.filter { !deliveryKeys.contains($0.key) }
        // The traffic: per family a TCP connection, a refused SYN and a UDP exchange.
        #expect(inner.count == 3 * c.families.count, "\(c.file): \(inner.keys.sorted())")
        #expect(Set(inner.keys) == Set(firstRow.keys), "\(c.file): tshark conversations vs tunnelled frames")
        if c.udpPort == nil { #expect(deliveryKeys.isEmpty) } else { #expect(!deliveryKeys.isEmpty) }

        let records = try await Self.records(path)
        var innerRecords: [String: [[String: Any]]] = [:]
        var deliveryUID: [String: String] = [:], deliveryPackets: [String: Int] = [:]
        var otherRecords: [[String: Any]] = []
        for o in records {
            let proto = o["proto"] as? String ?? ""
            let k = Self.recordKey(o)
            if deliveryKeys.contains(k) {
                #expect(o["tunnel"] == nil && o["tunnel_parents"] == nil, "\(c.file): delivery flow \(k)")
                #expect(deliveryUID[k] == nil, "\(c.file): one record per delivery 5-tuple: \(k)")
                deliveryUID[k] = o["uid"] as? String
                deliveryPackets[k] = (o["orig_pkts"] as? Int ?? 0) + (o["resp_pkts"] as? Int ?? 0)
            } else if proto == "tcp" || proto == "udp" {
                innerRecords[k, default: []].append(o)
            } else {
                otherRecords.append(o)
            }
        }
        // Delivery flows: tshark's UDP conversations on the tunnel port, with their frame counts.
        #expect(Set(deliveryUID.keys) == deliveryKeys, "\(c.file): delivery flows")
        for k in deliveryKeys {
            #expect(deliveryPackets[k] == conversations[k]?.total,
                    "\(c.file): delivery \(k): sockeye \(deliveryPackets[k] ?? -1), tshark \(conversations[k]?.total ?? -1)")
        }
        if c.udpPort == 3544 {
            // The fixture has Teredo packets with and without indicators (a 0-byte Teredo layer).
            #expect(rows.contains { $0.teredoIndicator } && rows.contains { !$0.teredoIndicator && deliveryKey($0) != nil })
        }
        #expect(Set(innerRecords.keys) == Set(inner.keys), "\(c.file): inner flows \(innerRecords.keys.sorted()) vs tshark \(inner.keys.sorted())")
        // Records that are neither: ICMP flows for the ICMP frames (the kernel's router
        // solicitations in vxlan-8472); nothing else. No unknown_transport record: a Teredo
        // bubble (IPv6 No Next Header) and PPTP's ack-only GRE packets make no connection in
        // Zeek, nor in Sockeye.
        let icmpFrames = rows.filter { $0.proto == "1" || $0.proto == "58" }.count
        let icmpPackets = otherRecords.filter { $0["proto"] as? String == "icmp" }
            .map { ($0["orig_pkts"] as? Int ?? 0) + ($0["resp_pkts"] as? Int ?? 0) }.reduce(0, +)
        #expect(icmpPackets == icmpFrames, "\(c.file): ICMP")
        #expect(otherRecords.allSatisfy { $0["proto"] as? String == "icmp" },
                "\(c.file): \(otherRecords.map { "\($0["proto"] ?? "-") \($0["ip_proto"] ?? "-")" })")

        // IP tunnels: their uids as tunnel.log names them.
        let tunnelLog = try await Sockeye.run(["analyze", "--format", "zeek-tunnel", "-q", path])
        #expect(tunnelLog.status == 0)
        var discovered: [(uid: String, a: String, b: String, type: String, ports: [String])] = []
        for row in tunnelLog.stdoutLines where !row.hasPrefix("#") {
            let f = row.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            try #require(f.count == 8, "\(row)")
            if f[7] == "Tunnel::DISCOVER" { discovered.append((f[1], f[2], f[4], f[6], [f[3], f[5]])) }
        }
        if let type = c.tunnel {
            #expect(!discovered.isEmpty && discovered.allSatisfy { $0.type == "Tunnel::\(type)" }, "\(c.file): \(discovered)")
        } else {
            #expect(discovered.isEmpty, "\(c.file): \(discovered)")
        }

        let plain = try await Self.records(TestEnvironment.fixture(c.plain).path)
        let plainByPorts = Dictionary(plain.map { (Self.portKey($0), $0) }, uniquingKeysWith: { a, _ in a })

        for (k, recs) in innerRecords.sorted(by: { $0.key < $1.key }) {
            let conv = try #require(inner[k])
            let first = try #require(firstRow[k])
            let packets = recs.map { ($0["orig_pkts"] as? Int ?? 0) + ($0["resp_pkts"] as? Int ?? 0) }
            #expect(packets.reduce(0, +) == conv.total, "\(c.file) \(k): sockeye \(packets), tshark \(conv.total)")
            #expect(recs.count == 1, "\(c.file) \(k): \(recs.count) records")
            let o = recs[0]
            // 2. the tunnel object (the first frame's delivery datagram) and tunnel_parents.
            if let type = c.tunnel {
                let t = try #require(o["tunnel"] as? [String: Any], "\(c.file) \(k): no tunnel")
                #expect(t["type"] as? String == type && t["depth"] as? Int == 1, "\(c.file) \(k): \(t)")
                #expect(t["outer_src_h"] as? String == first.outerSrc && t["outer_dst_h"] as? String == first.outerDst, "\(c.file) \(k): \(t)")
                if c.udpPort != nil {
                    #expect((t["outer_src_p"] as? Int).map(String.init) == first.outerSport
                            && (t["outer_dst_p"] as? Int).map(String.init) == first.outerDport, "\(c.file) \(k): \(t)")
                } else {
                    #expect(t["outer_src_p"] == nil && t["outer_dst_p"] == nil)
                }
                #expect((t["id"] as? Int).map(UInt32.init) == first.tunnelID, "\(c.file) \(k): id \(t["id"] ?? "nil"), tshark \(first.tunnelID.map(String.init) ?? "nil")")
                if c.idField != nil { #expect(first.tunnelID != nil, "\(c.file): tshark shows no \(c.idField!)") }
                let parents = o["tunnel_parents"] as? [String] ?? []
                if c.udpPort != nil {
                    // Zeek: the delivery flows (each direction often has its own).
                    let expected = Set((carriers[k] ?? []).compactMap { deliveryUID[$0] })
                    #expect(!expected.isEmpty && Set(parents) == expected && parents.count == expected.count, "\(c.file) \(k): \(parents) vs \(expected)")
                } else {
                    // Zeek: the IP tunnel, by the uid tunnel.log gives the outer address pair (ports 0).
                    let pair = Set([first.outerSrc, first.outerDst].compactMap { $0 })
                    let ipTunnels = discovered.filter { Set([$0.a, $0.b]) == pair && $0.ports == ["0", "0"] }
                    #expect(ipTunnels.count == 1 && parents == ipTunnels.map(\.uid), "\(c.file) \(k): \(parents) vs \(ipTunnels)")
                }
                for p in parents { #expect(discovered.contains { $0.uid == p }, "\(c.file): parent \(p) not DISCOVERed in tunnel.log") }
            } else {
                #expect(o["tunnel"] == nil && o["tunnel_parents"] == nil, "\(c.file) \(k): link-level encapsulation is no tunnel")
            }
            // 3. the analysis of the same connection unwrapped.
            let p = try #require(plainByPorts[Self.portKey(o)], "\(c.file) \(k): not in \(c.plain)")
            for field in ["conn_state", "history", "orig_pkts", "resp_pkts", "orig_bytes", "resp_bytes", "orig_ip_bytes", "resp_ip_bytes",
                          "id.orig_p", "id.resp_p"] + (c.sameTimestamps ? ["duration"] : []) {
                #expect("\(o[field] ?? "-")" == "\(p[field] ?? "-")", "\(c.file) \(k) \(field): \(o[field] ?? "-") tunnelled, \(p[field] ?? "-") plain")
            }
            if (o["proto"] as? String) == "tcp" {
                #expect(["SF", "REJ"].contains(o["conn_state"] as? String ?? ""), "\(c.file) \(k)")
                for part in ["handshake", "teardown", "anomalies"] {
                    // Times left out when the plain capture was taken at another point.
                    let times: Set<String> = c.sameTimestamps ? [] : ["syn_ts", "synack_ts", "ack_ts", "syn_to_synack", "synack_to_ack"]
                    func strip(_ d: Any?) -> NSDictionary? { (d as? [String: Any]).map { NSDictionary(dictionary: $0.filter { !times.contains($0.key) }) } }
                    let (x, y) = (strip(o[part]), strip(p[part]))
                    #expect(x != nil && x == y, "\(c.file) \(k) \(part): \(x ?? [:]) tunnelled, \(y ?? [:]) plain")
                }
            }
        }
    }

    @Test("the fixture list covers every capture under Fixtures/encap/ but the VXLAN one TunnelFlowCLITests checks and the plain captures")
    func coverage() {
        let all = TestEnvironment.captures(under: TestEnvironment.fixturesDirectory.appendingPathComponent("encap"), excluding: [])
            .map { "encap/" + $0 }
        let plain = Set(Self.cases.map(\.plain))
        #expect(Set(all).subtracting(plain).subtracting([TunnelFlowCLITests.fixture]) == Set(Self.cases.map(\.file)))
    }
}
