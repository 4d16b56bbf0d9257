import Testing
import Glibc
@testable import Pcap

@Suite("CaptureWriter")
struct CaptureWriterTests {
    static let frames: [[UInt8]] = [
        Frame.ethernetIPv4(protocol: 17, destinationPort: 53, payload: Array(0..<32)),
        Frame.ethernetIPv4(protocol: 6, destinationPort: 80),
        [],
        Array(repeating: 0x5A, count: 1514),
    ]

    @Test("nanosecond round trip is byte-identical")
    func roundTripNanoseconds() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("out.pcap")
        let writer = try CaptureWriter(path: path, linkType: 1)
        for (i, frame) in Self.frames.enumerated() {
            writer.write(frame, timestamp: Timestamp(seconds: 1_700_000_000 + Int64(i), nanoseconds: 123_456_789 + UInt32(i)))
        }
        #expect(writer.packetsWritten == 4)
        try writer.close()
        try writer.close()   // idempotent

        let file = try CaptureFile(path: path)
        #expect(file.linkType == 1)
        #expect(file.snapshotLength == PacketFilter.defaultSnapshotLength)
        let packets = try readAll(file)
        #expect(packets.map(\.bytes) == Self.frames)
        #expect(packets.map(\.wireLength) == Self.frames.map(\.count))
        #expect(packets.map(\.timestamp) == (0..<4).map {
            Timestamp(seconds: 1_700_000_000 + Int64($0), nanoseconds: 123_456_789 + UInt32($0))
        })
    }

    @Test("microsecond files truncate nanoseconds and use the a1b2c3d4 magic")
    func microseconds() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("us.pcap")
        let writer = try CaptureWriter(path: path, linkType: 113, precision: .microseconds)
        writer.write([1, 2, 3], timestamp: Timestamp(seconds: 42, nanoseconds: 123_456_789))
        try writer.close()
        let header = try readBytes(path).prefix(4)
        #expect(Array(header) == withUnsafeBytes(of: UInt32(0xA1B2_C3D4)) { Array($0) })
        let packets = try readAll(CaptureFile(path: path))
        #expect(packets.map(\.timestamp) == [Timestamp(seconds: 42, nanoseconds: 123_456_000)])
        #expect(packets.first?.linkType == 113)
    }

    @Test("records copied from a reader round-trip through write(record)")
    func copyRecords() throws {
        let dir = try TemporaryDirectory()
        let source = try dir.write("in.pcap", ClassicPcap.file(order: .big, packets: samplePackets))
        let copy = dir.path("copy.pcap")
        let reader = try CaptureFile(path: source)
        let writer = try CaptureWriter(path: copy, linkType: reader.linkType)
        try reader.forEachPacket { record in writer.write(record) }
        try writer.close()
        #expect(try readAll(CaptureFile(path: copy)) == readAll(CaptureFile(path: source)))
    }

    @Test("packets longer than the snapshot length are truncated, wire length kept")
    func snapshotTruncation() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("snap.pcap")
        let writer = try CaptureWriter(path: path, linkType: 1, snapshotLength: 64)
        writer.write(Array(repeating: 7, count: 100), timestamp: Timestamp(seconds: 1))
        writer.write(Array(repeating: 8, count: 10), timestamp: Timestamp(seconds: 2), wireLength: 1500)
        try writer.flush()
        try writer.close()
        let packets = try readAll(CaptureFile(path: path))
        #expect(packets.map(\.captureLength) == [64, 10])
        #expect(packets.map(\.wireLength) == [100, 1500])
        #expect(packets[0].bytes == Array(repeating: 7, count: 64))
    }

    @Test("an uncreatable path gives writeFailed, exit 73")
    func uncreatable() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("missing-dir/out.pcap")
        let error = #expect(throws: CaptureError.self) { try CaptureWriter(path: path, linkType: 1) }
        #expect(error == .writeFailed(path: path, reason: "No such file or directory"))
        #expect(error?.exitCode == 73)
    }
}

func readBytes(_ path: String) throws -> [UInt8] {
    let file = try #require(fopen(path, "rb"))
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n == 0 { break }
        bytes += buffer[0..<n]
    }
    return bytes
}
