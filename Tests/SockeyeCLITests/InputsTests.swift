import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `analyze` inputs (issue 14, "Several inputs"): directories, files that are skipped with one
/// stderr line and a 65/66 exit at the end, the same file twice refused before anything is read.
@Suite("analyze inputs", .serialized)
struct InputsTests {
    /// A fresh scratch directory, removed by `remove()`.
    struct Scratch {
        let url: URL
        init(_ name: String) throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("sockeye-inputs-\(name)-\(getpid())")
            try? FileManager.default.removeItem(at: url)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }
        func path(_ name: String) -> String { url.appendingPathComponent(name).path }
        /// Copies a fixture into the scratch directory under `name`.
        @discardableResult
        func copy(_ fixture: String, as name: String) throws -> String {
            try FileManager.default.copyItem(atPath: TestEnvironment.fixture(fixture).path, toPath: path(name))
            return path(name)
        }
        func write(_ name: String, _ text: String) throws -> String {
            try Data(text.utf8).write(to: url.appendingPathComponent(name))
            return path(name)
        }
        func remove() { try? FileManager.default.removeItem(at: url) }
    }

    static let first = "tcp-handshake-data-fin.pcap"
    static let second = "udp-exchange.pcap"
    static let third = "tcp-refused.pcap"

    @Test("a non-capture file between two captures: reported in one line, skipped, the others' records written, exit 65")
    func skipsNonCapture() async throws {
        let s = try Scratch("skip")
        defer { s.remove() }
        let a = try s.copy(Self.first, as: "a.pcap"), b = try s.copy(Self.second, as: "b.pcap")
        let readme = try s.write("README.md", "# notes\nnot a capture\n")
        let both = try await Sockeye.run(["analyze", "--format", "json", a, b])
        #expect(both.status == 0)
        #expect(both.stdoutLines.count >= 2)
        let r = try await Sockeye.run(["analyze", "--format", "json", a, readme, b])
        #expect(r.status == 65)
        #expect(r.stdout == both.stdout)
        #expect(r.stderrLines.count == 1)
        #expect(r.stderrText.hasPrefix("sockeye: \(readme): not a pcap or pcapng capture file: "))
    }

    @Test("a missing file among captures: skipped, exit 66 at the end; all inputs missing: 66 and no output")
    func skipsMissing() async throws {
        let s = try Scratch("missing")
        defer { s.remove() }
        let a = try s.copy(Self.first, as: "a.pcap")
        let alone = try await Sockeye.run(["analyze", "--format", "json", a])
        let r = try await Sockeye.run(["analyze", "--format", "json", s.path("gone.pcap"), a])
        #expect(r.status == 66)
        #expect(r.stdout == alone.stdout)
        #expect(r.stderrLines == ["sockeye: \(s.path("gone.pcap")): No such file or directory"])
        let none = try await Sockeye.run(["analyze", "--format", "json", s.path("gone.pcap"), s.path("gone2.pcap")])
        #expect(none.status == 66)
        #expect(none.stdout.isEmpty)
        #expect(none.stderrLines.count == 2)
    }

    @Test("a directory: its capture files sorted by name, merged in time order; other files ignored")
    func directory() async throws {
        let s = try Scratch("dir")
        defer { s.remove() }
        let d = s.url.appendingPathComponent("captures")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TestEnvironment.fixture(Self.third).path, toPath: d.appendingPathComponent("c.pcap").path)
        try FileManager.default.copyItem(atPath: TestEnvironment.fixture(Self.first).path, toPath: d.appendingPathComponent("a.pcap").path)
        try FileManager.default.copyItem(atPath: TestEnvironment.fixture("tcp-handshake-data-fin.pcapng").path,
                                         toPath: d.appendingPathComponent("b.pcapng").path)
        try Data("notes\n".utf8).write(to: d.appendingPathComponent("NOTES.txt"))
        try Data().write(to: d.appendingPathComponent(".hidden.pcap"))
        try FileManager.default.createDirectory(at: d.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TestEnvironment.fixture(Self.second).path, toPath: d.appendingPathComponent("sub/x.pcap").path)

        let explicit = try await Sockeye.run(["analyze", "--format", "json", d.appendingPathComponent("a.pcap").path,
                                              d.appendingPathComponent("b.pcapng").path, d.appendingPathComponent("c.pcap").path])
        #expect(explicit.status == 0)
        let r = try await Sockeye.run(["analyze", "--format", "json", d.path])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        #expect(r.stdout == explicit.stdout)
        // A trailing slash names the same directory.
        let slash = try await Sockeye.run(["analyze", "--format", "json", d.path + "/"])
        #expect(slash.stdout == explicit.stdout)

        // A directory with no capture: reported, exit 66 (nothing else to read: no output).
        let empty = s.url.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        try Data("x\n".utf8).write(to: empty.appendingPathComponent("x.txt"))
        let e = try await Sockeye.run(["analyze", "--format", "json", empty.path])
        #expect(e.status == 66)
        #expect(e.stdout.isEmpty)
        #expect(e.stderrLines == ["sockeye: \(empty.path): no pcap or pcapng capture files in the directory"])
        let withFile = try await Sockeye.run(["analyze", "--format", "json", empty.path, d.appendingPathComponent("a.pcap").path])
        #expect(withFile.status == 66)
        #expect(!withFile.stdout.isEmpty)
    }

    @Test("the same file twice (same path, a symbolic link, a hard link, through a directory, stdin): exit 64, no output")
    func sameFileTwice() async throws {
        let s = try Scratch("twice")
        defer { s.remove() }
        let d = s.url.appendingPathComponent("dir")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        let a = d.appendingPathComponent("a.pcap").path
        try FileManager.default.copyItem(atPath: TestEnvironment.fixture(Self.first).path, toPath: a)
        let b = try s.copy(Self.second, as: "b.pcap")
        try FileManager.default.createSymbolicLink(atPath: s.path("link.pcap"), withDestinationPath: a)
        #expect(link(a, s.path("hard.pcap")) == 0)
        let output = s.path("out.json")
        for args in [[a, a], [a, b, s.path("link.pcap")], [s.path("hard.pcap"), a], [d.path, a], [b, d.path, s.path("link.pcap")]] {
            let r = try await Sockeye.run(["analyze", "--format", "json", "-o", output] + args)
            #expect(r.status == 64, "\(args)")
            #expect(r.stdout.isEmpty)
            #expect(r.stderrLines.count == 1, "\(args)")
            #expect(r.stderrText.contains("same file") || r.stderrText.contains("given twice"), "\(args)")
            #expect(!FileManager.default.fileExists(atPath: output))
        }
        // `-` redirected from a file that is also named.
        let sh = try await ProcessRunner.run(URL(fileURLWithPath: "/bin/sh"),
                                            ["-c", "exec \"$0\" analyze --format json - \"$1\" < \"$1\"",
                                             try #require(TestEnvironment.sockeyeExecutable).path, a])
        #expect(sh.status == 64)
        #expect(sh.stderrLines == ["sockeye: - and \(a) are the same file"])
    }

    /// Runs a shell command line (`$S` is the sockeye executable); for pipes and compressors.
    static func shell(_ script: String) async throws -> ProcessOutput {
        let exe = try #require(TestEnvironment.sockeyeExecutable)
        return try await ProcessRunner.run(URL(fileURLWithPath: "/bin/sh"), ["-c", script], environment: ["S": exe.path])
    }

    static let compressors = [("gz", "gzip -c"), ("zst", "zstd -q -c"), ("lz4", "lz4 -q -c")]

    @Test("gzip, zstd and lz4 files, and standard input (plain and compressed), give the records of the plain file")
    func compressedAndStandardInput() async throws {
        let s = try Scratch("compressed")
        defer { s.remove() }
        for fixture in ["tcp-many-concurrent.pcap", "tcp-handshake-data-fin.pcapng", "ipv6-tcp-udp.pcap", "vlan-qinq.pcap"] {
            let plain = TestEnvironment.fixture(fixture).path
            let expected = try await Sockeye.run(["analyze", "--format", "json", plain])
            #expect(expected.status == 0)
            #expect(!expected.stdout.isEmpty)
            let stdin = try await Self.shell("cat '\(plain)' | \"$S\" analyze --format json -")
            #expect(stdin.status == 0, "\(fixture) stdin")
            #expect(stdin.stdout == expected.stdout, "\(fixture) stdin")
            for (ext, tool) in Self.compressors {
                let packed = s.path("\(fixture).\(ext)")
                let made = try await Self.shell("\(tool) '\(plain)' > '\(packed)'")
                try #require(made.status == 0, "\(tool) failed: is it installed (make deps)? \(made.stderrText)")
                let file = try await Sockeye.run(["analyze", "--format", "json", packed])
                #expect(file.status == 0, "\(fixture).\(ext)")
                #expect(file.stdout == expected.stdout, "\(fixture).\(ext)")
                let piped = try await Self.shell("cat '\(packed)' | \"$S\" analyze --format json -")
                #expect(piped.status == 0, "\(fixture).\(ext) stdin")
                #expect(piped.stdout == expected.stdout, "\(fixture).\(ext) stdin")
                // The name does not matter: the magic bytes do.
                let renamed = s.path("\(fixture)-\(ext).pcap")
                try FileManager.default.copyItem(atPath: packed, toPath: renamed)
                let byMagic = try await Sockeye.run(["analyze", "--format", "json", renamed])
                #expect(byMagic.stdout == expected.stdout, "\(fixture) as .pcap")
                // With a filter (libpcap reads the decompressed stream).
                let f1 = try await Sockeye.run(["analyze", "--format", "json", "-f", "tcp", plain])
                let f2 = try await Sockeye.run(["analyze", "--format", "json", "-f", "tcp", packed])
                #expect(f2.status == f1.status)
                #expect(f2.stdout == f1.stdout, "\(fixture).\(ext) -f tcp")
            }
        }
        // A directory of compressed captures reads as the plain ones.
        let d = s.url.appendingPathComponent("packed")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: s.path("tcp-many-concurrent.pcap.zst"), toPath: d.appendingPathComponent("1.zst").path)
        try FileManager.default.moveItem(atPath: s.path("ipv6-tcp-udp.pcap.gz"), toPath: d.appendingPathComponent("2.gz").path)
        let both = try await Sockeye.run(["analyze", "--format", "json", TestEnvironment.fixture("tcp-many-concurrent.pcap").path,
                                          TestEnvironment.fixture("ipv6-tcp-udp.pcap").path])
        let dir = try await Sockeye.run(["analyze", "--format", "json", d.path])
        #expect(dir.status == 0)
        #expect(dir.stdout == both.stdout)
    }

    @Test("a truncated .gz/.zst/.lz4: the records before the damage, one damage line, exit 65")
    func truncatedCompressed() async throws {
        let s = try Scratch("truncated")
        defer { s.remove() }
        let plain = try DataSafetyTests.manyFlows(count: 30_000, name: "sockeye-inputs-flows")
        defer { unlink(plain.path) }
        let full = try await Sockeye.run(["analyze", "--format", "json", plain.path])
        #expect(full.status == 0)
        for (ext, tool) in Self.compressors {
            let packed = s.path("flows.\(ext)"), cut = s.path("cut.\(ext)")
            let tool = ext == "lz4" ? "lz4 -q -B4 -c" : tool   // 64 KiB blocks: a cut file still holds whole ones
            let made = try await Self.shell("\(tool) '\(plain.path)' > '\(packed)' && head -c $(( $(wc -c < '\(packed)') / 2 )) '\(packed)' > '\(cut)'")
            try #require(made.status == 0, "\(tool): \(made.stderrText)")
            let name = ["gz": "gzip", "zst": "zstd", "lz4": "lz4"][ext]!
            for r in [try await Sockeye.run(["analyze", "--format", "json", cut]),
                      try await Self.shell("cat '\(cut)' | \"$S\" analyze --format json -")] {
                #expect(r.status == 65, "\(ext)")
                #expect(r.stderrLines.count == 1, "\(ext)")
                #expect(r.stderrText.contains("truncated \(name) data: the compressed stream ends early (after "), "\(ext): \(r.stderrText)")
                #expect(!r.looksLikeCrash)
                #expect(r.stdoutLines.count > 1000 && r.stdoutLines.count < full.stdoutLines.count, "\(ext)")
                #expect(r.stdoutLines.allSatisfy { $0.hasPrefix("{") && $0.hasSuffix("}") })
            }
        }
    }
}
