import Foundation
import Testing
@testable import Pcap

/// Captures read as streams (issue 14): gzip, zstd and lz4 files (compressed at test time with the
/// `gzip`, `zstd` and `lz4` tools, which `make deps` installs; a missing tool fails the test),
/// FIFOs fed in small odd-sized pieces (records and pcapng blocks split across reads), and
/// damaged compressed data. The oracle is the same capture read uncompressed from its mapping:
/// same header fields, same records byte for byte, same damage message after as many packets.
@Suite("streaming and compressed captures")
struct StreamingInputTests {
    /// What a read produced, without the file's path and size (which differ by design).
    struct Outcome: Equatable, CustomStringConvertible {
        var header: [Int64] = []
        var packets: [ReadPacket] = []
        var error: String? = nil
        var packetsRead = 0
        var description: String { "header \(header), \(packets.count) packets, error \(error ?? "none")" }
    }

    static func reason(_ error: CaptureError) -> String {
        switch error {
        case let .damaged(_, reason, n): return "damaged after \(n): \(reason)"
        case let .notACaptureFile(_, reason): return "not a capture: \(reason)"
        case let .fileUnreadable(_, reason): return "unreadable: \(reason)"
        default: return "\(error)"
        }
    }

    static func outcome(_ open: () throws(CaptureError) -> CaptureFile) -> Outcome {
        var o = Outcome()
        let file: CaptureFile
        do { file = try open() } catch { o.error = reason(error); return o }
        o.header = [Int64(file.linkType), Int64(file.snapshotLength), file.isSwapped ? 1 : 0,
                    Int64(file.majorVersion), Int64(file.minorVersion)]
        do {
            while let r = try file.next() {
                o.packets.append(ReadPacket(timestamp: r.timestamp, captureLength: r.captureLength,
                                            wireLength: r.wireLength, linkType: r.linkType, bytes: Array(r.bytes)))
            }
            if try file.next() != nil { o.error = "a record after the end" }
        } catch {
            o.error = reason(error)
        }
        o.packetsRead = file.packetsRead
        return o
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Every fixture capture: Fixtures/*.pcap(ng), the damaged ones, the pcapng reader's fixtures.
    static let fixtures: [String] = {
        var paths: [String] = []
        for dir in ["Fixtures", "Fixtures/damaged", "Tests/PcapTests/PcapNGFixtures"] {
            let url = packageRoot.appendingPathComponent(dir)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            where name.hasSuffix(".pcap") || name.hasSuffix(".pcapng") {
                paths.append(url.appendingPathComponent(name).path)
            }
        }
        return paths.sorted()
    }()

    /// Runs a tool; the test fails when it is missing or fails.
    static func run(_ tool: String, _ arguments: [String], stdout: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        FileManager.default.createFile(atPath: stdout, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdout))
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "\(tool) \(arguments) failed (is it installed? make deps)")
    }

    /// `file` compressed with `compression`'s command-line tool, into `dir`.
    /// `smallBlocks`: lz4 with 64 KiB blocks (`-B4`; its default is 4 MiB), so a cut file still
    /// holds whole blocks.
    static func compress(_ file: String, _ compression: Compression, into dir: TemporaryDirectory,
                         smallBlocks: Bool = false) throws -> String {
        let name = URL(fileURLWithPath: file).lastPathComponent
        let out = dir.path(name + "." + compression.rawValue)
        switch compression {
        case .gzip: try run("gzip", ["-c", file], stdout: out)
        case .zstd: try run("zstd", ["-q", "-c", file], stdout: out)
        case .lz4: try run("lz4", ["-q", "-c"] + (smallBlocks ? ["-B4"] : []) + [file], stdout: out)
        }
        return out
    }

    @Test("every fixture compressed with gzip, zstd and lz4 reads exactly as the uncompressed file",
          arguments: Compression.allCases)
    func compressedFixtures(_ compression: Compression) throws {
        #expect(Self.fixtures.count >= 30)
        let dir = try TemporaryDirectory()
        for file in Self.fixtures {
            let packed = try Self.compress(file, compression, into: dir)
            let expected = Self.outcome { () throws(CaptureError) in try CaptureFile(path: file) }
            let got = Self.outcome { () throws(CaptureError) in try CaptureFile(path: packed) }
            if expected.error?.hasPrefix("not a capture: ") == true {
                #expect(got.error == expected.error.map { $0.replacingOccurrences(of: "not a capture: ", with: "not a capture: \(compression.rawValue)-compressed data: ") },
                        "\(file)")
            } else {
                #expect(got == expected, "\(file)")
            }
            // The same bytes in memory.
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: packed)))
            let inMemory = Self.outcome { () throws(CaptureError) in try CaptureFile(bytes: bytes) }
            #expect(inMemory.packets == expected.packets, "\(file) from memory")
            if expected.error == nil {
                let f = try CaptureFile(path: packed)
                #expect(f.compression == compression)
                #expect(f.readsFromMemory == (try CaptureFile(path: file).readsFromMemory))
                #expect(f.fileSize == Int64(bytes.count))
            }
        }
    }

    @Test("a filter and the libpcap reader on compressed data: the same records as on the plain file")
    func compressedThroughLibpcap() throws {
        let dir = try TemporaryDirectory()
        for name in ["tcp-many-concurrent.pcap", "ipv6-tcp-udp.pcap", "vlan-8021q.pcap", "tcp-handshake-data-fin.pcapng"] {
            let file = Self.packageRoot.appendingPathComponent("Fixtures/\(name)").path
            for compression in Compression.allCases {
                let packed = try Self.compress(file, compression, into: dir)
                for filter in ["tcp", "udp", "ip6"] {
                    let expected = Self.outcome { () throws(CaptureError) in try CaptureFile(path: file, filter: filter) }
                    let got = Self.outcome { () throws(CaptureError) in try CaptureFile(path: packed, filter: filter) }
                    #expect(got == expected, "\(name) \(compression) \(filter)")
                }
                let expected = Self.outcome { () throws(CaptureError) in try CaptureFile(path: file, reader: .libpcap) }
                let got = Self.outcome { () throws(CaptureError) in try CaptureFile(path: packed, reader: .libpcap) }
                #expect(got == expected, "\(name) \(compression) libpcap")
                #expect(!expected.packets.isEmpty)
            }
        }
    }

    /// Writes `bytes` into a FIFO at `path` from another thread, `piece` bytes per write.
    static func feed(_ bytes: [UInt8], to path: String, piece: Int) -> Thread {
        let thread = Thread {
            let fd = open(path, O_WRONLY)
            guard fd >= 0 else { return }
            var at = 0
            while at < bytes.count {
                let n = min(piece, bytes.count - at)
                let w = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + at, n) }
                if w <= 0 { break }
                at += w
            }
            close(fd)
        }
        thread.start()
        return thread
    }

    @Test("a FIFO fed in small pieces: records and pcapng blocks split across reads come out whole",
          arguments: [7, 61, 1500, 70_000])
    func fifo(piece: Int) throws {
        // The reader stops at damage and closes the FIFO: the writer then gets EPIPE, not a signal.
        signal(SIGPIPE, SIG_IGN)
        let dir = try TemporaryDirectory()
        for file in Self.fixtures {
            let fifo = dir.path("fifo")
            unlink(fifo)
            try #require(mkfifo(fifo, 0o600) == 0)
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
            _ = Self.feed(bytes, to: fifo, piece: piece)
            let got = Self.outcome { () throws(CaptureError) in try CaptureFile(path: fifo) }
            let expected = Self.outcome { () throws(CaptureError) in try CaptureFile(path: file) }
            #expect(got == expected, "\(file) in pieces of \(piece)")
        }
    }

    /// A classic pcap of `count` UDP packets with distinct payloads (about 1.2 MB for 10 000).
    static func bigCapture(count: Int) -> [UInt8] {
        var packets: [TestPacket] = []
        for i in 0..<count {
            let payload = (0..<64).map { UInt8(truncatingIfNeeded: i &* 31 &+ $0 &* 7) }
            packets.append(TestPacket(seconds: 1_700_000_000 + UInt32(i / 1000), fraction: UInt32(i % 1000) * 1000,
                                      bytes: Frame.ethernetIPv4(protocol: Frame.ipProtocolUDP, sourcePort: UInt16(1024 + i % 50_000),
                                                                destinationPort: 53, payload: payload)))
        }
        return ClassicPcap.file(packets: packets)
    }

    @Test("a truncated compressed file: the records before the damage, then the decompressor's damage error",
          arguments: Compression.allCases)
    func truncated(_ compression: Compression) throws {
        let dir = try TemporaryDirectory()
        let plain = try dir.write("big.pcap", Self.bigCapture(count: 20_000))
        let full = Self.outcome { () throws(CaptureError) in try CaptureFile(path: plain) }
        #expect(full.packets.count == 20_000)
        let packed = try Self.compress(plain, compression, into: dir, smallBlocks: true)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: packed)))
        for fraction in [0.5, 0.9, 0.999] {
            let cut = try dir.write("cut", Array(bytes.prefix(Int(Double(bytes.count) * fraction))))
            let got = Self.outcome { () throws(CaptureError) in try CaptureFile(path: cut) }
            #expect(got.error == "damaged after \(got.packets.count): truncated \(compression.rawValue) data: the compressed stream ends early",
                    "\(fraction)")
            #expect(got.packets.count > 0 && got.packets.count < 20_000, "\(fraction)")
            #expect(Array(full.packets.prefix(got.packets.count)) == got.packets)
            // Through libpcap (a filter): the same damage, the same packets before it.
            let filtered = Self.outcome { () throws(CaptureError) in try CaptureFile(path: cut, filter: "udp") }
            #expect(filtered.error?.hasSuffix("truncated \(compression.rawValue) data: the compressed stream ends early") == true)
            #expect(Array(full.packets.prefix(filtered.packets.count)) == filtered.packets)
        }
        // Cut inside the compressed header: nothing decodes; still the damage error, no crash.
        let header = try dir.write("header", Array(bytes.prefix(6)))
        let none = Self.outcome { () throws(CaptureError) in try CaptureFile(path: header) }
        #expect(none.packets.isEmpty)
        #expect(none.error == "damaged after 0: truncated \(compression.rawValue) data: the compressed stream ends early")
    }

    @Test("corrupt compressed data ends with a damage error after the good part, never a crash",
          arguments: Compression.allCases)
    func corrupt(_ compression: Compression) throws {
        let dir = try TemporaryDirectory()
        let plain = try dir.write("big.pcap", Self.bigCapture(count: 20_000))
        let full = Self.outcome { () throws(CaptureError) in try CaptureFile(path: plain) }
        let packed = try Self.compress(plain, compression, into: dir)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: packed)))
        var generator = SystemRandomNumberGenerator()
        for position in [bytes.count / 2, bytes.count - 12, bytes.count - 3] {
            let saved = bytes[position]
            bytes[position] ^= 0x5a
            let got = Self.outcome { () throws(CaptureError) in try CaptureFile(bytes: bytes) }
            bytes[position] = saved
            #expect(got.error?.contains("\(compression.rawValue) data") == true, "\(position): \(got)")
            #expect(got.error?.hasPrefix("damaged after \(got.packets.count)") == true)
            // A bad trailer checksum is found after every packet was decoded.
            #expect(got.packets.count <= 20_000)
            #expect(got.packets.isEmpty || got.packets.first == full.packets.first)
        }
        // Random bytes after a valid magic: an error, no crash, no hang.
        for _ in 0..<20 {
            var noise = Array(bytes.prefix(4))
            noise += (0..<Int.random(in: 0..<5000, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let got = Self.outcome { () throws(CaptureError) in try CaptureFile(bytes: noise) }
            #expect(got.error != nil)
        }
    }

    @Test("concatenated gzip members, zstd frames and lz4 frames read as one stream", arguments: Compression.allCases)
    func concatenated(_ compression: Compression) throws {
        let dir = try TemporaryDirectory()
        let capture = Self.bigCapture(count: 3000)
        let plain = try dir.write("whole.pcap", capture)
        let half = capture.count / 2
        let first = try dir.write("a", Array(capture.prefix(half))), second = try dir.write("b", Array(capture.suffix(from: half)))
        let a = try [UInt8](Data(contentsOf: URL(fileURLWithPath: try Self.compress(first, compression, into: dir))))
        let b = try [UInt8](Data(contentsOf: URL(fileURLWithPath: try Self.compress(second, compression, into: dir))))
        let joined = try dir.write("joined", a + b)
        let expected = Self.outcome { () throws(CaptureError) in try CaptureFile(path: plain) }
        let got = Self.outcome { () throws(CaptureError) in try CaptureFile(path: joined) }
        #expect(got == expected)
        #expect(got.packets.count == 3000)
    }
}
