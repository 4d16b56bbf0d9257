import Foundation
import PacketCodec
import Pcap
@testable import FlowAnalysis

/// Runs captures in `Fixtures/` through CaptureFile → PacketDecoder → FlowAnalyzer.
enum Fixtures {
    static let directory: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Fixtures")
    }()

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Capture files in Fixtures/, Fixtures/crafted and Fixtures/linktypes (not the damaged files or
    /// fuzz corpora), as paths relative to Fixtures/.
    static var captures: [String] {
        var result: [String] = []
        for sub in ["", "crafted/", "linktypes/"] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path + "/" + sub)) ?? []
            result += names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.map { sub + $0 }
        }
        return result.sorted()
    }

    static func analyze(_ name: String, configuration: FlowConfiguration = .init()) throws -> (records: [ConnectionRecord], summary: AnalysisSummary) {
        var records: [ConnectionRecord] = []
        let analyzer = FlowAnalyzer(configuration: configuration) { records.append($0) }
        let decoder = PacketDecoder()
        let file = try CaptureFile(path: path(name))
        try file.forEachPacket { record in
            let packet = decoder.decode(record.bytes, linkType: LinkType(dlt: record.linkType), wireLength: record.wireLength)
            analyzer.process(packet, time: record.timestamp.totalNanoseconds, bytes: record.bytes)
        }
        analyzer.finish()
        return (records, analyzer.summary)
    }
}

/// Runs an external tool and returns its standard output.
enum Tool {
    static let tshark = "/usr/bin/tshark"
    static var hasTshark: Bool { FileManager.default.isExecutableFile(atPath: tshark) }

    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// `run`, with the output cached under the temporary directory, keyed by the capture's path,
    /// size and modification time (tshark takes ~0.3 s to start; the fixtures rarely change).
    static func cachedRun(file: String, _ executable: String, _ arguments: [String]) throws -> String {
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        let mtime = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        var tag: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in (file + "|" + arguments.joined(separator: " ")).utf8 { tag = (tag ^ UInt64(b)) &* 0x100_0000_01b3 }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sockeye-tshark-cache")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let cache = dir.appendingPathComponent("\(String(tag, radix: 16))-\(size)-\(Int64(mtime * 1000)).txt")
        if let data = try? Data(contentsOf: cache) { return String(decoding: data, as: UTF8.self) }
        let out = try run(executable, arguments)
        try? Data(out.utf8).write(to: cache, options: .atomic)
        return out
    }

    /// Runs `body` for every element with at most `width` running at once; results in input order.
    static func parallelMap<T: Sendable>(_ items: [String], width: Int, _ body: @escaping @Sendable (String) -> T) -> [T] {
        let lock = NSLock()
        nonisolated(unsafe) var results = [T?](repeating: nil, count: items.count)
        nonisolated(unsafe) var next = 0
        let group = DispatchGroup()
        for _ in 0..<max(1, min(width, items.count)) {
            group.enter()
            Thread.detachNewThread {
                while true {
                    lock.lock()
                    let i = next
                    next += 1
                    lock.unlock()
                    if i >= items.count { break }
                    let r = body(items[i])
                    lock.lock()
                    results[i] = r
                    lock.unlock()
                }
                group.leave()
            }
        }
        group.wait()
        return results.map { $0! }
    }
}
