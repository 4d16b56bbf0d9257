import Glibc
import Testing
@testable import Pcap

/// A copied-out packet, so tests can look at packets after the read loop.
struct ReadPacket: Equatable {
    var timestamp: Timestamp
    var captureLength: Int
    var wireLength: Int
    var linkType: Int32
    var bytes: [UInt8]
}

func readAll(_ file: CaptureFile) throws(CaptureError) -> [ReadPacket] {
    var packets: [ReadPacket] = []
    try file.forEachPacket { record in
        packets.append(ReadPacket(
            timestamp: record.timestamp, captureLength: record.captureLength,
            wireLength: record.wireLength, linkType: record.linkType, bytes: Array(record.bytes)))
    }
    return packets
}

let samplePackets: [TestPacket] = [
    TestPacket(seconds: 1_700_000_000, fraction: 116, bytes: Frame.ethernetIPv4(protocol: 17, destinationPort: 53, payload: [1, 2, 3])),
    TestPacket(seconds: 1_700_000_001, fraction: 999_999, bytes: Frame.ethernetIPv4(protocol: 6, destinationPort: 80)),
    TestPacket(seconds: 1_700_000_002, fraction: 0, bytes: Array(Frame.ethernetIPv4(protocol: 6, destinationPort: 443, payload: Array(repeating: 0xAB, count: 100)).prefix(60)), wireLength: 154),
]

@Suite("CaptureFile reading")
struct CaptureFileTests {
    @Test("microsecond file: timestamps scaled to ns, lengths, link type, header fields")
    func microsecondFile() throws {
        let dir = try TemporaryDirectory()
        let bytes = ClassicPcap.file(order: .little, nanosecond: false, snaplen: 65535, packets: samplePackets)
        let path = try dir.write("us.pcap", bytes)
        let file = try CaptureFile(path: path)
        #expect(file.linkType == 1)
        #expect(file.snapshotLength == 65535)
        #expect(file.majorVersion == 2 && file.minorVersion == 4)
        #expect(file.fileSize == Int64(bytes.count))
        #expect(file.isSwapped == (ByteOrder.little != hostOrder))

        let packets = try readAll(file)
        try #require(packets.count == 3)
        #expect(packets[0].timestamp == Timestamp(seconds: 1_700_000_000, nanoseconds: 116_000))
        #expect(packets[1].timestamp == Timestamp(seconds: 1_700_000_001, nanoseconds: 999_999_000))
        #expect(packets[0].bytes == samplePackets[0].bytes)
        #expect(packets[0].captureLength == samplePackets[0].bytes.count)
        #expect(packets[2].captureLength == 60)
        #expect(packets[2].wireLength == 154)
        #expect(packets.allSatisfy { $0.linkType == 1 })
        #expect(file.packetsRead == 3)
        #expect(file.bytesRead == Int64(bytes.count))
        // After the end, next() keeps returning nil.
        #expect(try file.next() == nil)
    }

    @Test("nanosecond file keeps nanoseconds")
    func nanosecondFile() throws {
        let dir = try TemporaryDirectory()
        let packets = [TestPacket(seconds: 1_700_000_000, fraction: 123_456_789, bytes: [1, 2, 3, 4])]
        let path = try dir.write("ns.pcap", ClassicPcap.file(nanosecond: true, packets: packets))
        let read = try readAll(CaptureFile(path: path))
        #expect(read.map(\.timestamp) == [Timestamp(seconds: 1_700_000_000, nanoseconds: 123_456_789)])
    }

    @Test("a byte-swapped file reads identically", arguments: [false, true])
    func swapped(nanosecond: Bool) throws {
        let dir = try TemporaryDirectory()
        let little = try dir.write("le.pcap", ClassicPcap.file(order: .little, nanosecond: nanosecond, linkType: 113, packets: samplePackets))
        let big = try dir.write("be.pcap", ClassicPcap.file(order: .big, nanosecond: nanosecond, linkType: 113, packets: samplePackets))
        let littleFile = try CaptureFile(path: little)
        let bigFile = try CaptureFile(path: big)
        #expect(littleFile.isSwapped != bigFile.isSwapped)
        #expect(bigFile.linkType == 113)
        let fromLittle = try readAll(littleFile)
        let fromBig = try readAll(bigFile)
        #expect(fromLittle.count == 3)
        #expect(fromLittle == fromBig)
    }

    @Test("pcapng with default microsecond resolution")
    func pcapngMicroseconds() throws {
        let dir = try TemporaryDirectory()
        let frame = Frame.ethernetIPv4(protocol: 17, destinationPort: 5353, payload: [9, 9, 9])   // 45 bytes: padded
        let bytes = PcapNG.file(packets: [
            (timestamp: 1_700_000_000_000_116, bytes: frame, wireLength: nil),
            (timestamp: 1_700_000_001_500_000, bytes: Array(frame.prefix(20)), wireLength: frame.count),
        ])
        let file = try CaptureFile(path: try dir.write("us.pcapng", bytes))
        #expect(file.linkType == 1)
        let packets = try readAll(file)
        try #require(packets.count == 2)
        #expect(packets[0].timestamp == Timestamp(seconds: 1_700_000_000, nanoseconds: 116_000))
        #expect(packets[0].bytes == frame)
        #expect(packets[1].timestamp == Timestamp(seconds: 1_700_000_001, nanoseconds: 500_000_000))
        #expect(packets[1].captureLength == 20)
        #expect(packets[1].wireLength == frame.count)
    }

    @Test("pcapng, big-endian, with if_tsresol = 9 (nanoseconds)")
    func pcapngNanoseconds() throws {
        let dir = try TemporaryDirectory()
        let bytes = PcapNG.file(order: .big, linkType: 101, tsresol: 9, packets: [
            (timestamp: 1_700_000_000_123_456_789, bytes: [0x45, 0, 0, 20], wireLength: nil),
        ])
        let file = try CaptureFile(path: try dir.write("ns.pcapng", bytes))
        // LINKTYPE_RAW (101) in the file is reported as the platform's DLT_RAW (12 on Linux).
        #expect(file.linkType == DataLink.rawIP)
        #expect(DataLink.linkType(fromDLT: file.linkType) == 101)
        let packets = try readAll(file)
        #expect(packets.map(\.timestamp) == [Timestamp(seconds: 1_700_000_000, nanoseconds: 123_456_789)])
        #expect(packets.first?.bytes == [0x45, 0, 0, 20])
    }

    @Test("pull-style next() returns each packet and then nil")
    func pullReading() throws {
        let dir = try TemporaryDirectory()
        let file = try CaptureFile(path: try dir.write("p.pcap", ClassicPcap.file(packets: samplePackets)))
        var lengths: [Int] = []
        while let record = try file.next() { lengths.append(record.wireLength) }
        #expect(lengths == samplePackets.map { $0.wireLength ?? $0.bytes.count })
        #expect(try file.next() == nil)
    }

    @Test("out-of-range microsecond fraction is normalised, not a trap")
    func oversizedFraction() throws {
        let dir = try TemporaryDirectory()
        let packets = [TestPacket(seconds: 10, fraction: 2_500_000, bytes: [0])]
        let read = try readAll(CaptureFile(path: try dir.write("odd.pcap", ClassicPcap.file(packets: packets))))
        #expect(read.map(\.timestamp) == [Timestamp(seconds: 12, nanoseconds: 500_000_000)])
    }

    @Test("a throwing body stops the loop and its error is rethrown")
    func throwingBody() throws {
        struct Stop: Error {}
        let dir = try TemporaryDirectory()
        let file = try CaptureFile(path: try dir.write("t.pcap", ClassicPcap.file(packets: samplePackets)))
        var seen = 0
        #expect(throws: Stop.self) {
            try file.forEachPacket { (_: borrowing PacketRecord) throws(Stop) in
                seen += 1
                if seen == 2 { throw Stop() }
            }
        }
        #expect(seen == 2)
    }
}

let hostOrder: ByteOrder = 1.littleEndian == 1 ? .little : .big

@Suite("CaptureFile from standard input")
struct StandardInputTests {
    @Test("path '-' reads standard input and leaves descriptor 0 open")
    func standardInput() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("stdin.pcap", ClassicPcap.file(packets: samplePackets))
        let saved = dup(0)
        try #require(saved >= 0)
        let input = open(path, O_RDONLY)
        try #require(input >= 0)
        dup2(input, 0)
        close(input)
        defer { dup2(saved, 0); close(saved) }

        do {
            let file = try CaptureFile(path: "-")
            #expect(file.path == "-")
            #expect(file.readsFromMemory)   // read in blocks from the current offset into the Swift cursor
            #expect(file.compression == nil)
            #expect(try readAll(file).map(\.bytes) == samplePackets.map(\.bytes))
        }
        #expect(fcntl(0, F_GETFD) >= 0)   // still open after the file is released
    }
}
