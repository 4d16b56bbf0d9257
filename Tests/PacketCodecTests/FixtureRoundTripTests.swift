#if canImport(Glibc)
import Glibc
#endif
import PacketCodec
import Pcap
import Testing

/// `Fixtures/` of this package, found from this source file's path.
let fixturesDirectory: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // Tests/PacketCodecTests/FixtureRoundTripTests.swift
    return parts.joined(separator: "/") + "/Fixtures"
}()

/// Every capture under Fixtures/ except damaged files and fuzz inputs.
func fixtureCaptures() -> [String] {
    var found: [String] = []
    func walk(_ dir: String) {
        guard let d = opendir(dir) else { return }
        defer { closedir(d) }
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix(".") { continue }
            let path = dir + "/" + name
            if e.pointee.d_type == UInt8(DT_DIR) {
                if name != "damaged" && name != "fuzz" && name != "scripts" { walk(path) }
            } else if name.hasSuffix(".pcap") || name.hasSuffix(".pcapng") {
                found.append(path)
            }
        }
    }
    walk(fixturesDirectory)
    return found.sorted()
}

@Suite("Round trip over every fixture packet")
struct FixtureRoundTripTests {
    @Test("fixtures exist")
    func fixturesExist() {
        #expect(fixtureCaptures().count >= 10)
    }

    @Test("encode(decode(bytes)) == bytes for every valid packet", arguments: fixtureCaptures())
    func roundTrip(path: String) throws {
        let file = try CaptureFile(path: path)
        let link = LinkType(dlt: file.linkType)
        var represented = 0, total = 0, checksummed = 0
        let decoder = PacketDecoder()
        while let record = try file.next() {
            total += 1
            guard let repr = PacketRepr(decoding: record.bytes, linkType: link) else { continue }
            represented += 1
            let original = Array(record.bytes)
            #expect(repr.encode(options: .verbatim) == original, "\(path) packet \(total): verbatim")
            // With every checksum good, recomputing lengths and checksums must give the same bytes.
            let p = decoder.decode(record.bytes, linkType: link, wireLength: record.wireLength)
            let ipGood = p.ipv4.map { $0.checksumStatus == .good } ?? true
            let tcpGood = p.tcp.map { $0.checksumStatus == .good } ?? true
            let udpGood = p.udp.map { $0.checksumStatus == .good } ?? true
            if ipGood && tcpGood && udpGood && (p.ipv4 != nil || p.ipv6 != nil) && p.defects.isEmpty {
                checksummed += 1
                #expect(repr.encode() == original, "\(path) packet \(total): recomputed")
            }
            // And the owned form is a fixed point.
            #expect(PacketRepr(decoding: repr.encode(options: .verbatim), linkType: link) == repr)
        }
        #expect(total > 0)
        // Files made to hold malformed packets (or an unsupported link type) are exempt from the coverage floor.
        if !path.contains("malformed") && !path.contains("truncated") && !path.contains("unsupported") {
            #expect(represented * 10 >= total * 9, "\(path): only \(represented)/\(total) packets representable")
        }
        _ = checksummed   // counted over all fixtures by recomputedCoverage
    }

    @Test("the recomputed-encoding comparison covers real packets (not only verbatim copies)")
    func recomputedCoverage() throws {
        var n = 0
        let decoder = PacketDecoder()
        for path in fixtureCaptures() {
            let file = try CaptureFile(path: path)
            let link = LinkType(dlt: file.linkType)
            while let record = try file.next() {
                let p = decoder.decode(record.bytes, linkType: link, wireLength: record.wireLength)
                guard PacketRepr(decoding: record.bytes, linkType: link) != nil else { continue }
                let good = (p.ipv4.map { $0.checksumStatus == .good } ?? true) && (p.tcp.map { $0.checksumStatus == .good } ?? true)
                    && (p.udp.map { $0.checksumStatus == .good } ?? true)
                if good && (p.ipv4 != nil || p.ipv6 != nil) && p.defects.isEmpty { n += 1 }
            }
        }
        #expect(n >= 100, "only \(n) packets had every checksum good: the recomputed round trip checks too little")
    }
}
