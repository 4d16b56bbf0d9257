import Testing
import FlowAnalysis
import PacketCodec
@testable import Reports

/// `--local-nets` parsing and matching (Zeek `Site::local_nets` / `Site::is_local_addr`).
@Suite struct LocalNetworksTests {
    func ip(_ s: String) -> IPAddress { IPAddress(s)! }

    @Test func ipv4Prefixes() throws {
        let n = try LocalNetworks(parsing: "10.0.0.0/8,192.168.1.0/24, 172.16.0.0/12")
        #expect(n.networks.map(\.description) == ["10.0.0.0/8", "192.168.1.0/24", "172.16.0.0/12"])
        #expect(n.contains(ip("10.255.255.255")) && n.contains(ip("10.0.0.0")))
        #expect(!n.contains(ip("11.0.0.0")) && !n.contains(ip("9.255.255.255")))
        #expect(n.contains(ip("192.168.1.77")) && !n.contains(ip("192.168.2.1")))
        #expect(n.contains(ip("172.31.255.1")) && !n.contains(ip("172.32.0.1")))
        // No IPv4 network holds an IPv6 address.
        #expect(!n.contains(ip("::a00:1")) && !n.contains(ip("fd00::1")))
    }

    @Test func ipv6PrefixesAcrossTheWordBoundary() throws {
        for (cidr, inside, outside) in [
            ("2001:db8::/32", "2001:db8:ffff::1", "2001:db9::1"),
            ("2001:db8:0:1::/63", "2001:db8:0:1:ffff::1", "2001:db8:0:2::1"),
            ("2001:db8:0:1::/64", "2001:db8:0:1::ffff", "2001:db8:0:0::1"),
            ("2001:db8:0:1:8000::/65", "2001:db8:0:1:ffff::1", "2001:db8:0:1:7fff::1"),
            ("fd77::1/127", "fd77::", "fd77::2"),
            ("fd77::1/128", "fd77::1", "fd77::"),
            ("fd77::1", "fd77::1", "fd77::2"),
        ] {
            let n = try LocalNetworks(parsing: cidr)
            #expect(n.contains(ip(inside)), "\(cidr) ∋ \(inside)")
            #expect(!n.contains(ip(outside)), "\(cidr) ∌ \(outside)")
        }
        // A bare IPv4 address is one host; 0.0.0.0/0 is every IPv4 address and no IPv6 one.
        let host = try LocalNetworks(parsing: "10.1.2.3")
        #expect(host.contains(ip("10.1.2.3")) && !host.contains(ip("10.1.2.4")))
        let all4 = try LocalNetworks(parsing: "0.0.0.0/0")
        #expect(all4.contains(ip("1.2.3.4")) && !all4.contains(ip("2001:db8::1")))
        // ::/0 is everything, IPv4 included (IPv4 is IPv4-mapped, as in Zeek).
        let all = try LocalNetworks(parsing: "::/0")
        #expect(all.contains(ip("2001:db8::1")) && all.contains(ip("9.9.9.9")))
    }

    @Test("host bits are dropped and IPv4 is IPv4-mapped, as Zeek stores subnets")
    func normalization() throws {
        let n = try LocalNetworks(parsing: "10.1.2.3/8,2001:db8::ffff/32")
        #expect(n.networks.map(\.description) == ["10.0.0.0/8", "2001:db8::/32"])
        #expect(try LocalNetworks(parsing: "::ffff:0:0/96").contains(ip("192.0.2.1")))
    }

    @Test func invalid() {
        for bad in ["", "10.0.0.0/8,", ",10.0.0.0/8", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "10.0.0.0/8/8", "10.0.0.256/8",
                    "fd00::/129", "fd00::/+1", "example.com", "10.0.0.0/ 8", "1:2:3:4:5:6:7:8:9/64"] {
            #expect(throws: LocalNetworks.ParseError.self, "\(bad)") { try LocalNetworks(parsing: bad) }
        }
        do {
            _ = try LocalNetworks(parsing: "10.0.0.0/8,10.0.0.0/33")
            Issue.record("accepted /33")
        } catch {
            #expect(error.description == "invalid CIDR '10.0.0.0/33': prefix length must be 0–32")
        }
    }

    @Test("records: T/F per side when configured, unset otherwise")
    func records() {
        let r = Samples.tcpConnection()   // 10.0.0.1 → 10.0.0.2
        let none = ConnFieldOptions().derived(for: r)
        #expect(none.localOrig == nil && none.localResp == nil)
        let d = ConnFieldOptions(localNetworks: try! LocalNetworks(parsing: "10.0.0.1/32")).derived(for: r)
        #expect(d.localOrig == true && d.localResp == false)
        let csv = Samples.render({ FlowCSVWriter(output: $0, options: ConnFieldOptions(localNetworks: try! LocalNetworks(parsing: "10.0.0.2"))) }, [r])
        let rows = parseCSV(csv)
        let header = rows[0]
        #expect(rows[1][header.firstIndex(of: "local_orig")!] == "false" && rows[1][header.firstIndex(of: "local_resp")!] == "true")
    }
}
