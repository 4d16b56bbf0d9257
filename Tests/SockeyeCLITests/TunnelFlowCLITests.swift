import Foundation
import Testing

/// Tunnelled connections against tshark on the real Linux VXLAN capture
/// (Fixtures/encap/vxlan-tcp-udp.pcap): the delivery UDP flows and the inner TCP/UDP
/// connections each have tshark's packet count per 5-tuple, and every inner connection's
/// `tunnel_parents` are exactly the delivery flows tshark shows carrying it (Zeek's
/// `Conn::set_conn` adds the innermost encapsulating connection each time it changes).
@Suite("tunnelled flows vs tshark",
       .enabled(if: TestEnvironment.tsharkTestsEnabled, "tshark is not installed; outside CI this suite is skipped"))
struct TunnelFlowCLITests {
    static let fixture = "encap/vxlan-tcp-udp.pcap"

    /// "proto a|b" with the two "address/port" endpoints in sorted order.
    static func key(_ proto: String, _ a: String, _ b: String) -> String {
        "\(proto) " + [a, b].sorted().joined(separator: "|")
    }

    @Test("Fixtures/encap/vxlan-tcp-udp.pcap: delivery and inner 5-tuples, packets and tunnel_parents as tshark shows them")
    func vxlanFixture() async throws {
        let path = TestEnvironment.fixture(Self.fixture).path
        let tool = try #require(TestEnvironment.tshark, "tshark is required (CI=true)")
        let fields = ["ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "udp.srcport", "udp.dstport", "tcp.srcport", "tcp.dstport",
                      "vxlan.vni"]
        let t = try await ProcessRunner.run(tool, ["-n", "-r", path, "-T", "fields"] + fields.flatMap { ["-e", $0] })
        #expect(t.status == 0)
        var deliveryPackets: [String: Int] = [:], innerPackets: [String: Int] = [:]
        var carriers: [String: Set<String>] = [:]
        var vnis: Set<String> = []
        for line in t.stdoutLines {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map { $0.split(separator: ",").map(String.init) }
            try #require(f.count == fields.count)
            let (ip4s, ip4d, ip6s, ip6d, us, ud, ts, td) = (f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7])
            // Every frame is VXLAN over IPv4 UDP.
            try #require(!ip4s.isEmpty && !us.isEmpty && f[8].count == 1, "\(line)")
            vnis.insert(f[8][0])
            let delivery = Self.key("udp", "\(ip4s[0])/\(us[0])", "\(ip4d[0])/\(ud[0])")
            deliveryPackets[delivery, default: 0] += 1
            let (src, dst) = ip6s.isEmpty ? (ip4s.count > 1 ? ip4s[1] : "", ip4d.count > 1 ? ip4d[1] : "") : (ip6s[0], ip6d[0])
            let inner: String
            if let sp = ts.first, let dp = td.first {
                inner = Self.key("tcp", "\(src)/\(sp)", "\(dst)/\(dp)")
            } else if us.count == 2 {
                inner = Self.key("udp", "\(src)/\(us[1])", "\(dst)/\(ud[1])")
            } else {
                continue   // ICMPv6 neighbour discovery / MLD inside the tunnel
            }
            innerPackets[inner, default: 0] += 1
            carriers[inner, default: []].insert(delivery)
        }
        #expect(vnis == ["42"])
        #expect(innerPackets.count == 6, "\(innerPackets)")

        let out = try await Sockeye.run(["analyze", "--format", "json", "-q", path])
        #expect(out.status == 0, "\(out.stderrText)")
        var deliveryUID: [String: String] = [:]
        var seenDelivery: [String: Int] = [:], seenInner: [String: Int] = [:]
        var innerRecords: [(key: String, parents: [String], record: [String: Any])] = []
        for line in out.stdoutLines {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let proto = try #require(o["proto"] as? String)
            let k = Self.key(proto, "\(o["id.orig_h"]!)/\(o["id.orig_p"]!)", "\(o["id.resp_h"]!)/\(o["id.resp_p"]!)")
            let packets = (o["orig_pkts"] as? Int ?? 0) + (o["resp_pkts"] as? Int ?? 0)
            if let tunnel = o["tunnel"] as? [String: Any] {
                #expect(tunnel["type"] as? String == "VXLAN" && tunnel["id"] as? Int == 42 && tunnel["depth"] as? Int == 1)
                #expect(tunnel["outer_dst_p"] as? Int == 4789, "\(line)")
                #expect(o["vlan"] == nil)
                let parents = o["tunnel_parents"] as? [String] ?? []
                #expect(!parents.isEmpty, "\(line)")
                if proto != "icmp" {
                    seenInner[k, default: 0] += packets
                    innerRecords.append((k, parents, o))
                }
            } else {
                #expect(proto == "udp" && o["tunnel_parents"] == nil, "\(line)")
                #expect(deliveryUID[k] == nil, "one record per delivery 5-tuple: \(k)")
                deliveryUID[k] = o["uid"] as? String
                seenDelivery[k, default: 0] += packets
            }
        }
        #expect(seenDelivery == deliveryPackets)
        #expect(seenInner == innerPackets)
        for r in innerRecords {
            let expected = Set((carriers[r.key] ?? []).compactMap { deliveryUID[$0] })
            #expect(Set(r.parents) == expected && r.parents.count == expected.count, "\(r.key): \(r.parents) vs \(expected)")
            #expect(r.record["conn_state"] as? String == "SF", "\(r.key)")
        }
        // The inner TCP connections: a handshake, data both ways, FINs both ways (Zeek: SF, ShAD…Ff).
        let tcp = innerRecords.filter { $0.key.hasPrefix("tcp ") }
        #expect(tcp.count == 4 && tcp.allSatisfy { ($0.record["history"] as? String)?.hasPrefix("ShAD") == true })

        // Zeek TSV: the same parents in the `tunnel_parents` column (a `set[string]`, comma-separated).
        let zeek = try await Sockeye.run(["analyze", "--format", "zeek", "-q", path])
        let header = try #require(zeek.stdoutLines.first { $0.hasPrefix("#fields\t") }).split(separator: "\t").dropFirst().map(String.init)
        let column = try #require(header.firstIndex(of: "tunnel_parents"))
        let uidColumn = try #require(header.firstIndex(of: "uid"))
        let parentsByUID = Dictionary(uniqueKeysWithValues: innerRecords.map { ($0.record["uid"] as! String, $0.parents) })
        var checked = 0
        for row in zeek.stdoutLines where !row.hasPrefix("#") {
            let cells = row.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            if let parents = parentsByUID[cells[uidColumn]] {
                #expect(cells[column] == parents.joined(separator: ","))
                checked += 1
            } else if !cells[6].hasPrefix("icmp") {
                #expect(cells[column] == "-")
            }
        }
        #expect(checked == innerRecords.count)
    }

    @Test("--format zeek-tunnel: Zeek's tunnel.log, one DISCOVER and one CLOSE per delivery flow that carried a connection")
    func tunnelLog() async throws {
        let path = TestEnvironment.fixture(Self.fixture).path
        let json = try await Sockeye.run(["analyze", "--format", "json", "-q", path])
        var delivery: [String: [String: Any]] = [:]
        var parents: Set<String> = []
        var firstNamed: [String: Double] = [:]   // delivery uid → first ts of a connection naming it
        for line in json.stdoutLines {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if o["tunnel"] == nil { delivery[o["uid"] as! String] = o }
            for p in o["tunnel_parents"] as? [String] ?? [] { parents.insert(p) }
        }
        let log = try await Sockeye.run(["analyze", "--format", "zeek-tunnel", "-q", path])
        #expect(log.status == 0, "\(log.stderrText)")
        let lines = log.stdoutLines
        #expect(lines.contains("#path\ttunnel"))
        #expect(lines.contains("#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttunnel_type\taction"))
        #expect(lines.contains("#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tenum"))
        #expect(lines.last?.hasPrefix("#close\t") == true)
        var discovered: [String] = [], closed: [String] = []
        for row in lines where !row.hasPrefix("#") {
            let c = row.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            try #require(c.count == 8, "\(row)")
            let d = try #require(delivery[c[1]], "\(c[1]) is not a delivery flow record")
            // The tunnel's 4-tuple is its delivery flow's, as Zeek's EncapsulatingConn(Connection*).
            #expect(c[2] == d["id.orig_h"] as? String && c[3] == "\(d["id.orig_p"]!)", "\(row)")
            #expect(c[4] == d["id.resp_h"] as? String && c[5] == "\(d["id.resp_p"]!)", "\(row)")
            #expect(c[6] == "Tunnel::VXLAN")
            switch c[7] {
            case "Tunnel::DISCOVER": discovered.append(c[1]); firstNamed[c[1]] = Double(c[0])
            case "Tunnel::CLOSE": closed.append(c[1])
            default: Issue.record("unexpected action: \(row)")
            }
        }
        // Zeek registers a tunnel when a connection inside it starts or moves into it: exactly the
        // delivery flows some record names in tunnel_parents (the two carrying only ARP: none).
        #expect(Set(discovered) == parents && discovered.count == parents.count)
        #expect(Set(closed) == parents && closed.count == parents.count)
        #expect(delivery.count == parents.count + 2)
        for (uid, ts) in firstNamed { #expect(ts ?? 0 >= (delivery[uid]?["ts"] as? Double ?? .infinity)) }
        // It writes tunnels, not flows.
        let bad = try await Sockeye.run(["analyze", "--format", "zeek-tunnel", "--flow", "Cx", path])
        #expect(bad.status == 64 && bad.stderrText.contains("zeek-tunnel"))
    }
}
