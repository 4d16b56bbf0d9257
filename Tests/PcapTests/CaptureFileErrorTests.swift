import Testing
@testable import Pcap

@Suite("CaptureFile errors")
struct CaptureFileErrorTests {
    @Test("missing file: fileUnreadable, exit 66")
    func missing() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("nope.pcap")
        let error = #expect(throws: CaptureError.self) { try CaptureFile(path: path) }
        #expect(error == .fileUnreadable(path: path, reason: "No such file or directory"))
        #expect(error?.exitCode == 66)
        #expect(error?.description == "sockeye: \(path): No such file or directory")
    }

    @Test("directory: fileUnreadable, exit 66")
    func directory() throws {
        let dir = try TemporaryDirectory()
        let error = #expect(throws: CaptureError.self) { try CaptureFile(path: dir.url.path) }
        #expect(error == .fileUnreadable(path: dir.url.path, reason: "Is a directory"))
        #expect(error?.exitCode == 66)
    }

    @Test("empty file: notACaptureFile, exit 65")
    func empty() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("empty.pcap", [])
        let error = #expect(throws: CaptureError.self) { try CaptureFile(path: path) }
        guard case .notACaptureFile(let errorPath, let reason)? = error else {
            Issue.record("expected notACaptureFile, got \(String(describing: error))")
            return
        }
        #expect(errorPath == path)
        #expect(reason.contains("truncated dump file"))
        #expect(error?.exitCode == 65)
    }

    @Test("file shorter than the global header: notACaptureFile, exit 65")
    func shortHeader() throws {
        let dir = try TemporaryDirectory()
        let header = ClassicPcap.header(order: .little, nanosecond: false, linkType: 1, snaplen: 65535).bytes
        let path = try dir.write("short.pcap", Array(header.prefix(10)))
        let error = #expect(throws: CaptureError.self) { try CaptureFile(path: path) }
        guard case .notACaptureFile(_, let reason)? = error else {
            Issue.record("expected notACaptureFile, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("truncated dump file"))
        #expect(error?.exitCode == 65)
    }

    @Test("bad magic: notACaptureFile 'unknown file format', exit 65")
    func badMagic() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("text.pcap", Array("this is not a capture file at all\n".utf8))
        let error = #expect(throws: CaptureError.self) { try CaptureFile(path: path) }
        #expect(error == .notACaptureFile(path: path, reason: "unknown file format"))
        #expect(error?.exitCode == 65)
    }

    @Test("truncated record: earlier packets delivered, then damaged with packetsRead, exit 65")
    func truncatedRecord() throws {
        let dir = try TemporaryDirectory()
        var bytes = ClassicPcap.file(packets: samplePackets)
        bytes += ClassicPcap.recordHeader(seconds: 1_700_000_009, fraction: 0, caplen: 1514, len: 1514)
        bytes += [UInt8](repeating: 0xEE, count: 200)
        let path = try dir.write("trunc.pcap", bytes)
        let file = try CaptureFile(path: path)
        var delivered: [[UInt8]] = []
        let error = #expect(throws: CaptureError.self) {
            try file.forEachPacket { record in delivered.append(Array(record.bytes)) }
        }
        #expect(delivered == samplePackets.map(\.bytes))
        guard case .damaged(let errorPath, let reason, let packetsRead)? = error else {
            Issue.record("expected damaged, got \(String(describing: error))")
            return
        }
        #expect(errorPath == path)
        #expect(packetsRead == 3)
        #expect(reason == "truncated dump file; tried to read 1514 captured bytes, only got 200")
        #expect(error?.exitCode == 65)
        #expect(error?.description == "sockeye: \(path): truncated dump file; tried to read 1514 captured bytes, only got 200 (after 3 packets)")
        // The error is sticky.
        #expect(throws: CaptureError.self) { _ = try file.next() }
    }

    @Test("truncated record header: damaged after the good packets")
    func truncatedRecordHeader() throws {
        let dir = try TemporaryDirectory()
        let bytes = ClassicPcap.file(packets: samplePackets) + [1, 2, 3, 4, 5]
        let file = try CaptureFile(path: try dir.write("trunc-hdr.pcap", bytes))
        var count = 0
        let error = #expect(throws: CaptureError.self) { try file.forEachPacket { _ in count += 1 } }
        #expect(count == 3)
        guard case .damaged(_, let reason, 3)? = error else {
            Issue.record("expected damaged after 3 packets, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("truncated dump file"))
    }

    @Test("absurd caplen: damaged, exit 65")
    func hugeCaplen() throws {
        let dir = try TemporaryDirectory()
        var bytes = ClassicPcap.file(packets: [samplePackets[0]])
        bytes += ClassicPcap.recordHeader(seconds: 1, fraction: 0, caplen: 0xFFFF_FF00, len: 0xFFFF_FF00)
        bytes += [UInt8](repeating: 0, count: 64)
        let file = try CaptureFile(path: try dir.write("huge.pcap", bytes))
        var count = 0
        let error = #expect(throws: CaptureError.self) { try file.forEachPacket { _ in count += 1 } }
        #expect(count == 1)
        guard case .damaged(_, let reason, 1)? = error else {
            Issue.record("expected damaged after 1 packet, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("4294967040"))
        #expect(error?.exitCode == 65)
    }

    @Test("pcapng with a malformed block: damaged")
    func badPcapngBlock() throws {
        let dir = try TemporaryDirectory()
        var bytes = PcapNG.file(packets: [(timestamp: 1, bytes: [1, 2, 3, 4], wireLength: nil)])
        // An EPB whose total length (12) is too small for an EPB.
        var w = ByteWriter(.little)
        w.u32(6); w.u32(12); w.u32(12)
        bytes += w.bytes
        let file = try CaptureFile(path: try dir.write("bad.pcapng", bytes))
        var count = 0
        let error = #expect(throws: CaptureError.self) { try file.forEachPacket { _ in count += 1 } }
        #expect(count == 1)
        guard case .damaged(_, _, 1)? = error else {
            Issue.record("expected damaged after 1 packet, got \(String(describing: error))")
            return
        }
    }
}
