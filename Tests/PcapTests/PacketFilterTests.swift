import Testing
@testable import Pcap

/// Alternating UDP and TCP Ethernet/IPv4 frames.
let mixedPackets: [TestPacket] = (0..<6).map { i in
    let udp = i % 2 == 0
    return TestPacket(
        seconds: 1_700_000_000 + UInt32(i), fraction: 0,
        bytes: Frame.ethernetIPv4(protocol: udp ? 17 : 6, destinationPort: udp ? 53 : 80, payload: [UInt8(i)]))
}

@Suite("PacketFilter")
struct PacketFilterTests {
    @Test("a filter on a file keeps only matching packets", arguments: [("udp", 17), ("tcp", 6)])
    func fileFilter(expression: String, ipProtocol: UInt8) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("mixed.pcap", ClassicPcap.file(packets: mixedPackets))
        let file = try CaptureFile(path: path, filter: expression)
        #expect(file.filter == expression)
        let packets = try readAll(file)
        #expect(packets.count == 3)
        #expect(packets.allSatisfy { $0.bytes[23] == ipProtocol })
        // The payload byte is the packet index: the right ones, in order.
        #expect(packets.map { $0.bytes.last! } == (ipProtocol == 17 ? [0, 2, 4] : [1, 3, 5]))
        #expect(file.packetsRead == 3)
    }

    @Test("a port filter")
    func portFilter() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("mixed.pcap", ClassicPcap.file(packets: mixedPackets))
        let packets = try readAll(CaptureFile(path: path, filter: "tcp dst port 80"))
        #expect(packets.map { $0.bytes.last! } == [1, 3, 5])
        #expect(try readAll(CaptureFile(path: path, filter: "port 9")).isEmpty)
    }

    @Test("a bad filter on a file gives badFilter with libpcap's message, exit 64")
    func badFilterOnFile() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("mixed.pcap", ClassicPcap.file(packets: mixedPackets))
        let error = #expect(throws: CaptureError.self) { try CaptureFile(path: path, filter: "udp and") }
        #expect(error == .badFilter(expression: "udp and", message: "can't parse filter expression: syntax error"))
        #expect(error?.exitCode == 64)
    }

    @Test("validate without a file")
    func validate() throws {
        try PacketFilter.validate(expression: "tcp port 80 and not host 10.0.0.1")
        try PacketFilter.validate(expression: "")
        let error = #expect(throws: CaptureError.self) {
            try PacketFilter.validate(expression: "port 99999")
        }
        guard case .badFilter("port 99999", let message)? = error else {
            Issue.record("expected badFilter, got \(String(describing: error))")
            return
        }
        #expect(message.contains("99999"))
        // Link-type-specific: an Ethernet-only primitive on raw IP fails.
        #expect(throws: CaptureError.self) {
            try PacketFilter.validate(expression: "ether host 02:00:00:00:00:01", linkType: DataLink.rawIP)
        }
    }

    @Test("matches() tests single packets")
    func matches() throws {
        let filter = try PacketFilter(expression: "udp port 53")
        #expect(filter.expression == "udp port 53")
        let udp = Frame.ethernetIPv4(protocol: 17, destinationPort: 53)
        let tcp = Frame.ethernetIPv4(protocol: 6, destinationPort: 53)
        #expect(udp.withUnsafeBytes { filter.matches(bytes: $0) })
        #expect(!tcp.withUnsafeBytes { filter.matches(bytes: $0) })
        #expect(!filter.matches(bytes: UnsafeRawBufferPointer(start: nil, count: 0)))
    }
}
