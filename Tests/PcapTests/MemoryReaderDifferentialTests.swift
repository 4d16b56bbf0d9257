import Foundation
import Testing
@testable import Pcap

/// The in-memory classic-pcap reader (`ClassicPcapCursor`, used for mapped files and
/// `CaptureFile(bytes:)`) against libpcap (`reader: .libpcap`): same header fields, same records
/// byte for byte, same damage with the same message after the same number of packets.
@Suite("in-memory reader vs libpcap")
struct MemoryReaderDifferentialTests {
    /// Everything one read produces.
    struct Outcome: Equatable, CustomStringConvertible {
        var header: [Int64] = []
        var packets: [ReadPacket] = []
        var error: CaptureError? = nil
        var packetsRead = 0

        var description: String {
            "header \(header), \(packets.count) packets, packetsRead \(packetsRead), error \(String(describing: error))"
        }

        /// The first record that differs from `other`'s, for failure messages.
        func firstDifference(_ other: Outcome) -> String {
            guard let i = packets.indices.first(where: { $0 < other.packets.count && packets[$0] != other.packets[$0] }) else { return "" }
            return "; record \(i): \(packets[i]) vs \(other.packets[i])"
        }
    }

    static func outcome(_ open: () throws(CaptureError) -> CaptureFile) -> (Outcome, fromMemory: Bool) {
        var o = Outcome()
        let file: CaptureFile
        do {
            file = try open()
        } catch {
            o.error = error
            return (o, false)
        }
        o.header = [Int64(file.linkType), Int64(file.snapshotLength), file.isSwapped ? 1 : 0,
                    Int64(file.majorVersion), Int64(file.minorVersion), file.fileSize]
        do {
            while let r = try file.next() {
                o.packets.append(ReadPacket(timestamp: r.timestamp, captureLength: r.captureLength,
                                            wireLength: r.wireLength, linkType: r.linkType, bytes: Array(r.bytes)))
            }
        } catch {
            o.error = error
        }
        // The ending repeats.
        do {
            let again = try file.next()
            if again != nil { o.error = .captureFailed(message: "a record after the end") }
        } catch {
            if error != o.error { o.error = .captureFailed(message: "a different error after the end: \(error)") }
        }
        o.packetsRead = file.packetsRead
        return (o, file.readsFromMemory)
    }

    /// Compares the two readers on `bytes` (named `name`); returns whether the memory reader ran.
    @discardableResult
    static func compare(bytes: [UInt8], name: String = "(memory)",
                        sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let (memory, fromMemory) = outcome { () throws(CaptureError) in try CaptureFile(bytes: bytes, name: name) }
        let (libpcap, _) = outcome { () throws(CaptureError) in try CaptureFile(bytes: bytes, name: name, reader: .libpcap) }
        #expect(memory == libpcap, "\(name): memory reader \(memory) vs libpcap \(libpcap)\(memory.firstDifference(libpcap))",
                sourceLocation: sourceLocation)
        return fromMemory
    }

    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// Whether the file starts with a pcapng Section Header Block (those are compared in
    /// `PcapNGReaderTests`, with tshark as the oracle where libpcap refuses them).
    static func isPcapNG(_ url: URL) -> Bool {
        guard let h = FileHandle(forReadingAtPath: url.path) else { return false }
        defer { try? h.close() }
        return [UInt8](h.readData(ofLength: 4)) == [0x0A, 0x0D, 0x0D, 0x0A]
    }

    static func files(under dir: URL, skipping: Set<String> = []) -> [URL] {
        let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey])
        var out: [URL] = []
        while let url = e?.nextObject() as? URL {
            let rel = url.path.dropFirst(dir.path.count + 1)
            if skipping.contains(where: { rel.hasPrefix($0) }) { continue }
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
               !["md", "tsv", "py", "sh"].contains(url.pathExtension) {
                out.append(url)
            }
        }
        return out.sorted { $0.path < $1.path }
    }

    @Test("every fixture file: path and bytes, both readers agree; classic files are read from memory")
    func fixtureFiles() throws {
        var fromMemory = 0
        let urls = Self.files(under: Self.fixtures, skipping: ["fuzz", "scripts"])
        #expect(urls.count >= 40)
        for url in urls where !Self.isPcapNG(url) {
            let (mapped, usedMapping) = Self.outcome { () throws(CaptureError) in try CaptureFile(path: url.path) }
            let (libpcap, _) = Self.outcome { () throws(CaptureError) in try CaptureFile(path: url.path, reader: .libpcap) }
            #expect(mapped == libpcap, "\(url.lastPathComponent): mapped \(mapped) vs libpcap \(libpcap)\(mapped.firstDifference(libpcap))")
            let bytes = [UInt8](try Data(contentsOf: url))
            Self.compare(bytes: bytes, name: url.path)
            if usedMapping { fromMemory += 1 }
            // The mapped reader takes the common link types only; DLT_USER0 (147) goes to libpcap.
            if url.pathExtension == "pcap", !url.path.contains("/damaged/"), !url.lastPathComponent.hasPrefix("unsupported-") {
                #expect(usedMapping, "\(url.lastPathComponent) was not read from memory")
            }
        }
        #expect(fromMemory >= 35)
    }

    @Test("every cut of small captures: the same records, then the same damage message")
    func truncations() throws {
        for name in ["tcp-handshake-data-fin.pcap", "byteswapped.pcap", "nanosecond.pcap", "snaplen-truncated.pcap"] {
            let bytes = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent(name)))
            for cut in 0...min(bytes.count, 1500) {
                Self.compare(bytes: Array(bytes.prefix(cut)), name: "\(name) cut at \(cut)")
            }
        }
    }

    /// A file whose records are given as raw (caplen, len, data) triples.
    static func crafted(order: ByteOrder = .little, nanosecond: Bool = false, linkType: UInt32 = 1,
                        snaplen: UInt32, version: (UInt16, UInt16) = (2, 4),
                        records: [(sec: UInt32, frac: UInt32, caplen: UInt32, len: UInt32, data: Int)]) -> [UInt8] {
        var w = ByteWriter(order)
        w.u32(nanosecond ? 0xA1B2_3C4D : 0xA1B2_C3D4)
        w.u16(version.0)
        w.u16(version.1)
        w.u32(0)
        w.u32(0)
        w.u32(snaplen)
        w.u32(linkType)
        for (i, r) in records.enumerated() {
            w.u32(r.sec); w.u32(r.frac); w.u32(r.caplen); w.u32(r.len)
            w.raw((0..<r.data).map { UInt8(truncatingIfNeeded: $0 &+ i) })
        }
        return w.bytes
    }

    @Test("snapshot-length edge cases, odd timestamps, both byte orders and precisions")
    func craftedRecords() {
        for order in [ByteOrder.little, .big] {
            for nano in [false, true] {
                // caplen above snaplen: the first snaplen bytes are delivered, the rest skipped.
                #expect(Self.compare(bytes: Self.crafted(order: order, nanosecond: nano, snaplen: 100, records: [
                    (1, 2, 200, 300, 200), (3, 4, 50, 50, 50)])))
                // ... and cut inside the skipped part, and inside the delivered part.
                Self.compare(bytes: Self.crafted(order: order, nanosecond: nano, snaplen: 100, records: [(1, 2, 200, 300, 150)]))
                Self.compare(bytes: Self.crafted(order: order, nanosecond: nano, snaplen: 100, records: [(1, 2, 200, 300, 60)]))
                // caplen above libpcap's maximum, with a zero snaplen (read as the maximum) and a small one.
                for snaplen: UInt32 in [0, 65535, 262_144, 262_145, 0xFFFF_FFFF] {
                    Self.compare(bytes: Self.crafted(order: order, nanosecond: nano, snaplen: snaplen, records: [
                        (1, 2, 10, 10, 10), (1, 2, 262_145, 262_145, 40)]))
                    Self.compare(bytes: Self.crafted(order: order, nanosecond: nano, snaplen: snaplen, records: [
                        (1, 2, 0xFFFF_FF00, 10, 40)]))
                }
                // Timestamps: negative seconds, fractions of a second or more, the extremes.
                #expect(Self.compare(bytes: Self.crafted(order: order, nanosecond: nano, snaplen: 65535, records: [
                    (0xFFFF_FFFF, 0xFFFF_FFFF, 4, 4, 4), (0x8000_0000, 2_000_000_000, 0, 60, 0),
                    (0x7FFF_FFFF, 999_999_999, 1, 1, 1), (0, 1_000_000, 2, 1, 2)])))
            }
        }
    }

    @Test("files the memory reader leaves to libpcap still read correctly")
    func handedToLibpcap() {
        let one: [(sec: UInt32, frac: UInt32, caplen: UInt32, len: UInt32, data: Int)] = [(1, 2, 20, 20, 20)]
        // Version 2.3 (lengths maybe swapped), 2.2, an unknown link type, extension bits, swapped SLL.
        #expect(!Self.compare(bytes: Self.crafted(snaplen: 65535, version: (2, 3), records: one)))
        #expect(!Self.compare(bytes: Self.crafted(snaplen: 65535, version: (2, 2), records: one)))
        #expect(!Self.compare(bytes: Self.crafted(linkType: 147, snaplen: 65535, records: one)))
        #expect(!Self.compare(bytes: Self.crafted(linkType: 1 | 0x0400_0000, snaplen: 65535, records: one)))
        #expect(!Self.compare(bytes: Self.crafted(order: .big, linkType: 113, snaplen: 65535, records: one)))
        #expect(Self.compare(bytes: Self.crafted(linkType: 113, snaplen: 65535, records: one)))
        #expect(Self.compare(bytes: Self.crafted(linkType: 101, snaplen: 65535, records: one)))
        // Too short for a header, and empty.
        #expect(!Self.compare(bytes: Array(Self.crafted(snaplen: 65535, records: []).prefix(23))))
        #expect(!Self.compare(bytes: []))
    }

    @Test("a filter always goes through libpcap")
    func filterUsesLibpcap() throws {
        let path = Self.fixtures.appendingPathComponent("tcp-handshake-data-fin.pcap").path
        #expect(try CaptureFile(path: path).readsFromMemory)
        #expect(try !CaptureFile(path: path, filter: "tcp").readsFromMemory)
        #expect(try !CaptureFile(path: path, reader: .libpcap).readsFromMemory)
    }

    static let corpus: URL? = {
        let candidates = [
            ProcessInfo.processInfo.environment["SOCKEYE_CORPUS"].map { URL(fileURLWithPath: $0) },
            fixtures.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/corpus"),
        ].compactMap { $0 }
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("MANIFEST.tsv").path) }
    }()

    @Test("every corpus file: both readers agree",
          .enabled(if: corpus != nil || ProcessInfo.processInfo.environment["CI"] != nil, "no ../shared/corpus here"))
    func corpusFiles() throws {
        _ = try #require(Self.corpus, "../shared/corpus is missing (required in CI)")
        var fromMemory = 0
        for url in Self.files(under: Self.corpus!) where url.lastPathComponent != "MANIFEST.tsv" && !Self.isPcapNG(url) {
            let (mapped, usedMapping) = Self.outcome { () throws(CaptureError) in try CaptureFile(path: url.path) }
            let (libpcap, _) = Self.outcome { () throws(CaptureError) in try CaptureFile(path: url.path, reader: .libpcap) }
            #expect(mapped == libpcap, "\(url.path): mapped \(mapped) vs libpcap \(libpcap)\(mapped.firstDifference(libpcap))")
            if usedMapping { fromMemory += 1 }
        }
        #expect(fromMemory >= 50)
    }
}
