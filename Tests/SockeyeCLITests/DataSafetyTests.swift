import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What a user's data is owed (issue "Tried as a new user would", data safety): an interrupted
/// run leaves whole lines and footers; an output never overwrites an input.
@Suite("data safety", .serialized)
struct DataSafetyTests {
    /// A raw-IP capture of `count` UDP datagrams, each its own flow (distinct source address and
    /// port), 1 ms apart: flows time out after 60 s of capture time, so records stream out while
    /// the file is still being read.
    static func manyFlows(count: Int, name: String = "sockeye-many-flows") throws -> URL {
        let tmp = FileManager.default.temporaryDirectory
        // One 130 MB file per run: remove those earlier runs left behind.
        for old in (try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? [] where old.hasPrefix("\(name)-") {
            unlink(tmp.appendingPathComponent(old).path)
        }
        let url = tmp.appendingPathComponent("\(name)-\(getpid()).pcap")
        var data = Data()
        data.reserveCapacity(24 + count * 44)
        func le32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        func be16(_ v: UInt16, _ b: inout [UInt8], _ at: Int) { b[at] = UInt8(v >> 8); b[at + 1] = UInt8(v & 0xff) }
        le32(0xa1b2_c3d4); data.append(contentsOf: [2, 0, 4, 0]); le32(0); le32(0); le32(65535); le32(101)  // LINKTYPE_RAW
        var frame: [UInt8] = [0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 0, 10, 255, 0, 1,
                              0, 0, 0, 53, 0, 8, 0, 0]
        for i in 0..<count {
            frame[13] = UInt8(truncatingIfNeeded: i >> 16); frame[14] = UInt8(truncatingIfNeeded: i >> 8)
            frame[15] = UInt8(truncatingIfNeeded: i)
            be16(UInt16(1024 + i % 60000), &frame, 20)
            // IPv4 header checksum (RFC 1071) over the 20-byte header.
            frame[10] = 0; frame[11] = 0
            var sum: UInt32 = 0
            for j in stride(from: 0, to: 20, by: 2) { sum += UInt32(frame[j]) << 8 | UInt32(frame[j + 1]) }
            while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
            be16(~UInt16(sum), &frame, 10)
            le32(UInt32(1_700_000_000 + i / 1000)); le32(UInt32(i % 1000) * 1000)
            le32(UInt32(frame.count)); le32(UInt32(frame.count))
            data.append(contentsOf: frame)
        }
        try data.write(to: url)
        return url
    }

    /// Starts `sockeye` with stdout to a file, sends `sig` after `delay` seconds, waits.
    static func interrupted(_ arguments: [String], signal sig: Int32, after delay: Double) throws -> (status: Int32, stdout: String, stderr: String) {
        let exe = try #require(TestEnvironment.sockeyeExecutable)
        let dir = FileManager.default.temporaryDirectory
        let out = dir.appendingPathComponent("sockeye-int-out-\(getpid())"), err = dir.appendingPathComponent("sockeye-int-err-\(getpid())")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        defer { unlink(out.path); unlink(err.path) }
        let process = Process()
        process.executableURL = exe
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        usleep(UInt32(delay * 1e6))
        kill(process.processIdentifier, sig)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit, "killed by the signal instead of handling it")
        return (process.terminationStatus, try String(contentsOf: out, encoding: .utf8), try String(contentsOf: err, encoding: .utf8))
    }

    static let capture: URL? = try? manyFlows(count: 3_000_000)
    /// Small enough for a few seconds per run; read from standard input, whose size is unknown,
    /// so the progress line does not wait for 64 MB.
    static let pipeCapture: URL? = try? manyFlows(count: 300_000, name: "sockeye-pipe-flows")

    @Test("SIGINT during analyze --format json: exit 130, every line a whole JSON object, the note on stderr")
    func interruptJSON() throws {
        let file = try #require(Self.capture)
        let r = try Self.interrupted(["analyze", file.path, "--format", "json", "-q"], signal: SIGINT, after: 1.5)
        #expect(r.status == 130, "\(r.stderr)")
        #expect(r.stderr.contains("interrupted after "), "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "", "output does not end with a newline")
        var records = 0
        for line in lines.dropLast() {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["uid"] is String, "not a whole record: \(line.prefix(200))")
            records += 1
        }
        #expect(records > 0)
        // Interrupted, not finished: far fewer flows than the file holds.
        #expect(records < 3_000_000)
    }

    @Test("SIGTERM during analyze --format zeek: exit 143, #close footer written")
    func terminateZeek() throws {
        let file = try #require(Self.capture)
        let r = try Self.interrupted(["analyze", file.path, "--format", "zeek", "-q"], signal: SIGTERM, after: 1.5)
        #expect(r.status == 143, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.last?.hasPrefix("#close\t") == true, "last line: \(lines.last ?? "")")
        let fields = lines.first { $0.hasPrefix("#fields") }.map { $0.split(separator: "\t").count - 1 }
        for line in lines where !line.hasPrefix("#") {
            #expect(line.split(separator: "\t", omittingEmptySubsequences: false).count == fields, "cut line: \(line)")
        }
    }

    @Test("SIGINT during packets: exit 130 and whole lines")
    func interruptPackets() throws {
        let file = try #require(Self.capture)
        let r = try Self.interrupted(["packets", file.path, "--format", "json"], signal: SIGINT, after: 1.0)
        #expect(r.status == 130, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "")
        for line in lines.dropLast() {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "cut line: \(line.prefix(200))")
        }
    }

    /// Runs a shell command line under `script(1)`, so that the command's stdout and stderr are
    /// one pseudo-terminal; returns what appeared on that terminal.
    static func underTerminal(_ command: String) throws -> String {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("sockeye-pty-\(getpid()).log")
        defer { unlink(log.path) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", command, log.path]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return try String(decoding: Data(contentsOf: log), as: UTF8.self)
    }

    @Test("the progress line is drawn on a terminal only when stdout is not that terminal (standard input: packets and packets/s)")
    func progressLine() throws {
        let file = try #require(Self.pipeCapture).path
        let exe = try #require(TestEnvironment.sockeyeExecutable).path
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("sockeye-pty-out-\(getpid())")
        defer { unlink(out.path) }
        // stdout to a file, stderr the terminal: the progress line appears and is erased at the end.
        let redirected = try Self.underTerminal("cat '\(file)' | '\(exe)' analyze - --format json > '\(out.path)'")
        #expect(redirected.contains("packets/s"), "no progress line: \(redirected.prefix(300))")
        #expect(redirected.contains("\r\u{1b}[K"))
        #expect(try String(contentsOf: out, encoding: .utf8).split(separator: "\n").count == 300_000)
        // stdout and stderr the same terminal: records would be overwritten, so no progress line.
        let shared = try Self.underTerminal("cat '\(file)' | '\(exe)' analyze - --format json --flow none; true")
        #expect(!shared.contains("packets/s"))
        #expect(shared.contains("no flow with uid none"))
        // -q: never.
        let quiet = try Self.underTerminal("cat '\(file)' | '\(exe)' analyze -q - --format json > '\(out.path)'")
        #expect(!quiet.contains("packets/s"))
    }

    @Test("-o naming an input (directly, through a symlink, through a hard link) is refused with exit 64; the input is intact")
    func outputIsInput() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sockeye-o-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.pcap")
        try FileManager.default.copyItem(at: TestEnvironment.fixture("tcp-handshake-data-fin.pcap"), to: input)
        let original = try Data(contentsOf: input)
        let symlink = dir.appendingPathComponent("link.pcap"), hardlink = dir.appendingPathComponent("hard.pcap")
        try FileManager.default.createSymbolicLink(at: symlink, withDestinationURL: input)
        #expect(link(input.path, hardlink.path) == 0)
        for output in [input, symlink, hardlink] {
            let r = try await Sockeye.run(["analyze", input.path, "-o", output.path, "--format", "json"])
            #expect(r.status == 64, "\(output.lastPathComponent): \(r.stderrText)")
            #expect(r.stderrText.contains("refusing"), "\(r.stderrText)")
            #expect(try Data(contentsOf: input) == original)
        }
        // The symlink given as the input, the real file as the output: refused too.
        let r = try await Sockeye.run(["analyze", symlink.path, "-o", input.path])
        #expect(r.status == 64)
        #expect(try Data(contentsOf: input) == original)
        // Nothing left behind but the three names.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["hard.pcap", "in.pcap", "link.pcap"])
    }

    @Test("-o to a device writes in place (/dev/null stays a device); -o through a symlink replaces its target and keeps the link")
    func outputSpecialFiles() async throws {
        let fixture = TestEnvironment.fixture("tcp-handshake-data-fin.pcap").path
        let r = try await Sockeye.run(["analyze", fixture, "-o", "/dev/null", "--format", "json"])
        #expect(r.status == 0)
        var st = stat()
        #expect(stat("/dev/null", &st) == 0 && st.st_mode & S_IFMT == S_IFCHR, "/dev/null is no longer a device")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sockeye-o3-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("target.json"), link = dir.appendingPathComponent("link.json")
        try Data("old\n".utf8).write(to: target)
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        let viaLink = try await Sockeye.run(["analyze", fixture, "-o", link.path, "--format", "json"])
        #expect(viaLink.status == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == target.path)
        #expect(try String(contentsOf: target, encoding: .utf8).hasPrefix("{\"ts\":"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["link.json", "target.json"])
    }

    @Test("-o replaces an old output only when the run is over, and leaves no temporary file")
    func outputReplacedAtEnd() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sockeye-o2-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let output = dir.appendingPathComponent("conn.json")
        try Data("old\n".utf8).write(to: output)
        let r = try await Sockeye.run(["analyze", TestEnvironment.fixture("tcp-handshake-data-fin.pcap").path, "-o", output.path, "--format", "json"])
        #expect(r.status == 0)
        let text = try String(contentsOf: output, encoding: .utf8)
        #expect(text.hasPrefix("{\"ts\":"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["conn.json"])
        // A missing input fails before the output is touched.
        let bad = try await Sockeye.run(["analyze", dir.appendingPathComponent("missing.pcap").path, "-o", output.path])
        #expect(bad.status == 66)
        #expect(try String(contentsOf: output, encoding: .utf8) == text)
    }
}
