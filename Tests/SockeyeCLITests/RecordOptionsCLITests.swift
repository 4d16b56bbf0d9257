import Foundation
import Testing

/// `analyze` with the record-field options: `--community-id` / `--no-community-id`,
/// `--community-id-seed`, `--local-nets` and `SOCKEYE_LOCAL_NETS`.
@Suite struct RecordOptionsCLITests {
    static func fields(_ r: ProcessOutput) throws -> (fields: [String], rows: [[String: String]]) {
        let lines = r.stdoutLines.filter { !$0.isEmpty }
        let fields = try #require(lines.first { $0.hasPrefix("#fields\t") }).split(separator: "\t").dropFirst().map(String.init)
        let rows = lines.filter { !$0.hasPrefix("#") }.map {
            Dictionary(uniqueKeysWithValues: zip(fields, $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)))
        }
        return (fields, rows)
    }

    @Test("community_id on by default (tshark's value), off with --no-community-id, seeded with --community-id-seed")
    func communityID() async throws {
        let file = TestEnvironment.fixture("tcp-handshake-data-fin.pcap").path
        let on = try Self.fields(try await Sockeye.run(["analyze", file, "--format", "zeek"]))
        #expect(on.fields.last == "community_id" && on.fields.count == 23)
        // tshark 4.0: `tshark -r tcp-handshake-data-fin.pcap --enable-protocol communityid -e communityid`.
        #expect(on.rows.map { $0["community_id"] } == ["1:9jhhlQ0rXNWSOwl+z6pVtgvQpGs="])
        let off = try Self.fields(try await Sockeye.run(["analyze", file, "--format", "zeek", "--no-community-id"]))
        #expect(off.fields.count == 22 && off.fields.last == "ip_proto")
        let seeded = try await Sockeye.run(["analyze", file, "--format", "json", "--community-id-seed", "1"])
        #expect(seeded.status == 0)
        #expect(seeded.stdoutText.contains(#""community_id":"1:"#) && !seeded.stdoutText.contains("9jhhlQ0rXNWSOwl"))
        let csv = try await Sockeye.run(["analyze", file, "--format", "csv", "--no-community-id"])
        #expect(!csv.stdoutText.contains("community_id"))
    }

    @Test("--local-nets and SOCKEYE_LOCAL_NETS fill local_orig/local_resp; unset stays -")
    func localNets() async throws {
        let file = TestEnvironment.fixture("ipv6-tcp-udp.pcap").path
        let none = try Self.fields(try await Sockeye.run(["analyze", file, "--format", "zeek"]))
        #expect(!none.rows.isEmpty && none.rows.allSatisfy { $0["local_orig"] == "-" && $0["local_resp"] == "-" })
        let flag = try Self.fields(try await Sockeye.run(["analyze", file, "--format", "zeek", "--local-nets", "10.0.0.0/8, fd77::1/128"]))
        #expect(flag.rows.allSatisfy { $0["id.orig_h"] == "fd77::1" && $0["local_orig"] == "T" && $0["local_resp"] == "F" })
        let env = try Self.fields(try await Sockeye.run(["analyze", file, "--format", "zeek"], environment: ["SOCKEYE_LOCAL_NETS": "fd77::/16"]))
        #expect(env.rows.allSatisfy { $0["local_orig"] == "T" && $0["local_resp"] == "T" })
        // The flag wins over the environment.
        let both = try Self.fields(try await Sockeye.run(["analyze", file, "--format", "zeek", "--local-nets", "192.168.0.0/16"],
                                                         environment: ["SOCKEYE_LOCAL_NETS": "fd77::/16"]))
        #expect(both.rows.allSatisfy { $0["local_orig"] == "F" && $0["local_resp"] == "F" })
        let csv = try await Sockeye.run(["analyze", file, "--format", "csv", "--local-nets", "fd77::2"])
        let header = try #require(csv.stdoutLines.first).split(separator: ",").map(String.init)
        #expect(header.contains("local_orig") && header.contains("local_resp"))
    }

    @Test("an invalid CIDR or seed is a usage error: exit 64, one line on stderr, no output")
    func invalid() async throws {
        let file = TestEnvironment.fixture("udp-exchange.pcap").path
        for (args, env, text) in [
            (["--local-nets", "10.0.0.0/33"], [String: String](), "--local-nets: invalid CIDR '10.0.0.0/33'"),
            (["--local-nets", "10.0.0.0/8,"], [:], "--local-nets: invalid CIDR"),
            (["--local-nets", "fd00::/129"], [:], "invalid CIDR 'fd00::/129'"),
            ([], ["SOCKEYE_LOCAL_NETS": "not-a-net"], "SOCKEYE_LOCAL_NETS: invalid CIDR 'not-a-net'"),
            (["--community-id-seed", "65536"], [:], "--community-id-seed"),
        ] {
            let r = try await Sockeye.run(["analyze", file] + args, environment: env)
            #expect(r.status == 64, "\(args) \(env)")
            #expect(r.stderrLines.count == 1 && r.stderrText.hasPrefix("sockeye: ") && r.stderrText.contains(text), "\(r.stderrText)")
            #expect(r.stdout.isEmpty)
        }
    }
}
