import Dispatch
import FlowAnalysis
import FlowPipeline
import Foundation
import PacketCodec
import Pcap
import Testing

/// The library pipeline against the one-thread reference loop (capture → decode → analyze on the
/// caller's thread): same records in the same order, for every fixture; its policies (payload,
/// back-pressure, stop) do what they say.
@Suite("FlowPipeline")
struct FlowPipelineTests {
    static let fixtures: URL = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/", !FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("Fixtures")
    }()

    static let captures: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: fixtures.path)) ?? []
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
    }()

    /// Every field of a record, as Swift prints the value (uids, times, handshake, teardown, events…).
    static func dump(_ r: ConnectionRecord) -> String { String(describing: r) }

    /// The reference: one thread, whole frames, no batching.
    static func oneThread(_ paths: [String], configuration: FlowConfiguration = .init()) throws -> [String] {
        var out: [String] = []
        let analyzer = FlowAnalyzer(configuration: configuration) { out.append(dump($0)) }
        let decoder = PacketDecoder()
        for path in paths {
            let capture = try CaptureFile(path: path)
            while let rec = try capture.next() {
                let p = decoder.decode(rec.bytes, linkType: LinkType(dlt: capture.linkType), wireLength: rec.wireLength)
                analyzer.process(p, time: rec.timestamp.totalNanoseconds, bytes: rec.bytes)
            }
        }
        analyzer.finish()
        return out
    }

    @Test("fixture directory is populated")
    func fixturesExist() {
        #expect(Self.captures.count >= 20)
    }

    @Test("records equal the one-thread run, field for field", arguments: captures)
    func sameAsOneThread(name: String) throws {
        let path = Self.fixtures.appendingPathComponent(name).path
        let reference = try Self.oneThread([path])
        var configuration = FlowConfiguration()
        configuration.keepEvents = true
        let withEvents = try Self.oneThread([path], configuration: configuration)
        for (config, expected) in [(FlowConfiguration(), reference), (configuration, withEvents)] {
            var got: [String] = []
            let pipeline = FlowPipeline(files: [try CaptureFile(path: path)], configuration: config)
            let result = pipeline.run { got.append(Self.dump($0)) }
            #expect(result.errors.isEmpty)
            #expect(result.droppedPackets == 0)
            #expect(!result.stoppedEarly)
            #expect(got == expected, "\(name)")
        }
        #expect(!reference.isEmpty || name.contains("malformed") || name.contains("snaplen"), "\(name) gives no flows")
    }

    @Test("a whole-frame payload policy gives the same records as the analyzer's default")
    func payloadPolicies() throws {
        for name in ["tcp-many-concurrent.pcap", "ipv6-tcp-udp.pcap", "vlan-qinq.pcap"] {
            let path = Self.fixtures.appendingPathComponent(name).path
            var a: [String] = [], b: [String] = []
            _ = FlowPipeline(files: [try CaptureFile(path: path)], payload: .whole).run { a.append(Self.dump($0)) }
            _ = FlowPipeline(files: [try CaptureFile(path: path)]).run { b.append(Self.dump($0)) }
            #expect(a == b && !a.isEmpty)
        }
        #expect(PayloadPolicy.headers(plus: 8).bytesKept(of: 1514, payloadOffset: 54) == 62)
        #expect(PayloadPolicy.headers(plus: 8).bytesKept(of: 60, payloadOffset: 54) == 60)
        #expect(PayloadPolicy.headers(plus: 0).bytesKept(of: 60, payloadOffset: -1) == 0)
        #expect(PayloadPolicy.whole.bytesKept(of: 1514, payloadOffset: 54) == 1514)
    }

    @Test("two files merge into one capture in time order (a connection split across files is one flow)")
    func merged() throws {
        // Split one capture into its odd and even packets: each half alone breaks the connections;
        // merged they must give exactly the whole file's records.
        let source = Self.fixtures.appendingPathComponent("tcp-many-concurrent.pcap").path
        let dir = FileManager.default.temporaryDirectory
        let halves = [dir.appendingPathComponent("pipeline-odd-\(getpid()).pcap").path,
                      dir.appendingPathComponent("pipeline-even-\(getpid()).pcap").path]
        defer { for h in halves { unlink(h) } }
        let input = try CaptureFile(path: source)
        let writers = try halves.map { try CaptureWriter(path: $0, linkType: input.linkType) }
        var i = 0
        while let rec = try input.next() {
            writers[i % 2].write(bytes: rec.bytes, timestamp: rec.timestamp, wireLength: rec.wireLength)
            i += 1
        }
        for w in writers { try w.close() }
        #expect(i > 10)
        var got: [String] = []
        let result = FlowPipeline(files: try halves.map { try CaptureFile(path: $0) }).run { got.append(Self.dump($0)) }
        #expect(result.packetsRead == i)
        #expect(got == (try Self.oneThread([source])))
    }

    /// A capture of `count` UDP datagrams between two hosts, 1 ms apart.
    static func udpCapture(count: Int, tag: String = #function) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-udp-\(getpid())-\(tag.prefix(while: { $0.isLetter })).pcap").path
        let writer = try CaptureWriter(path: path, linkType: 12)  // raw IP
        var ip = IPv4Header()
        ip.source = 0x0a00_0001
        ip.destination = 0x0a00_0002
        ip.protocol = 17
        for i in 0..<count {
            var udp = UDPHeader()
            udp.sourcePort = UInt16(1024 + i % 4000)
            udp.destinationPort = 53
            let frame = PacketRepr(link: .raw, network: .ipv4(ip, options: []), transport: .udp(udp), payload: [1, 2, 3, 4]).encode()
            writer.write(frame, timestamp: Timestamp(seconds: 1_700_000_000 + Int64(i / 1000), nanoseconds: UInt32(i % 1000) * 1_000_000),
                         wireLength: frame.count)
        }
        try writer.close()
        return path
    }

    @Test("the drop policy never blocks the reader: packets that find the hand-off full are counted, not lost silently")
    func dropPolicy() throws {
        let total = 40_000
        let path = try Self.udpCapture(count: total)
        defer { unlink(path) }
        let pipeline = FlowPipeline(files: [try CaptureFile(path: path)], backPressure: .drop)
        let readAll = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var seen = 0
        pipeline.onPacketRead = { _ in
            seen += 1
            if seen == total { readAll.signal() }
        }
        // The analysis thread stalls on the first batch until the reader has read every packet:
        // with 4 batches of at most 2048 packets in flight, most packets must be dropped.
        let result = pipeline.run(onStart: { _ in readAll.wait() }, onRecord: { _ in })
        #expect(result.packetsRead == total)
        #expect(result.droppedPackets > 0)
        #expect(Int(result.summary.packets) + result.droppedPackets == total)
        // `onPacketRead` fires for the last packet before it is handed over, so the stall can end
        // (and the first batch be recycled) in time for that one packet to find room: + 1.
        #expect(result.summary.packets <= 4 * 2048 + 1)
    }

    @Test("the block policy loses nothing under the same stall")
    func blockPolicy() throws {
        let total = 40_000
        let path = try Self.udpCapture(count: total)
        defer { unlink(path) }
        let pipeline = FlowPipeline(files: [try CaptureFile(path: path)])
        var stalled = false
        let result = pipeline.run(onStart: { _ in usleep(100_000); stalled = true }, onRecord: { _ in })
        #expect(stalled)
        #expect(result.droppedPackets == 0)
        #expect(Int(result.summary.packets) == total)
    }

    @Test("stop() ends reading early; open flows are still finished and written")
    func stop() throws {
        let total = 40_000
        let path = try Self.udpCapture(count: total)
        defer { unlink(path) }
        let pipeline = FlowPipeline(files: [try CaptureFile(path: path)])
        pipeline.onPacketRead = { _ in }
        nonisolated(unsafe) var n = 0
        pipeline.onProgress = { packets, _ in n = packets; if packets >= 8192 { pipeline.stop() } }
        var records: [ConnectionRecord] = []
        let result = pipeline.run { records.append($0) }
        #expect(result.stoppedEarly)
        #expect(n >= 8192)
        #expect(result.packetsRead < total)
        #expect(Int(result.summary.packets) == result.packetsRead)
        #expect(!records.isEmpty)
        #expect(records.allSatisfy { $0.closeReason == .endOfInput || $0.closeReason == .timeout })
    }

    @Test("damage: records up to the damage, the error returned")
    func damaged() throws {
        let damaged = Self.fixtures.appendingPathComponent("damaged")
        let names = try FileManager.default.contentsOfDirectory(atPath: damaged.path).filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
        #expect(!names.isEmpty)
        var sawError = false
        for name in names {
            guard let file = try? CaptureFile(path: damaged.appendingPathComponent(name).path) else { continue }
            let result = FlowPipeline(files: [file]).run { _ in }
            sawError = sawError || !result.errors.isEmpty
        }
        #expect(sawError)
    }

    @Test("records() as an AsyncSequence: the same records, with a one-record buffer and a slow consumer")
    func asyncRecords() async throws {
        let path = Self.fixtures.appendingPathComponent("tcp-many-concurrent.pcap").path
        let expected = try Self.oneThread([path])
        for size in [1, 1024] {
            var got: [String] = []
            for try await record in FlowPipeline(files: [try CaptureFile(path: path)]).records(bufferSize: size) {
                got.append(Self.dump(record))
                if size == 1 { try await Task.sleep(for: .milliseconds(1)) }
            }
            #expect(got == expected)
        }
    }

    @Test("records() throws the damage after the records read before it")
    func asyncDamage() async throws {
        let path = Self.fixtures.appendingPathComponent("damaged/truncated-record.pcap").path
        let expected = try? Self.oneThread([path])
        #expect(expected == nil)  // the one-thread loop meets the damage too
        var got = 0
        var thrown: (any Error)?
        do {
            for try await _ in FlowPipeline(files: [try CaptureFile(path: path)]).records() { got += 1 }
        } catch {
            thrown = error
        }
        #expect(thrown is CaptureError)
        var reference = 0
        _ = FlowPipeline(files: [try CaptureFile(path: path)]).run { _ in reference += 1 }
        #expect(got == reference)
    }

    @Test("cancelling the consuming task, or leaving the loop early, stops the pipeline")
    func asyncCancel() async throws {
        let path = try Self.udpCapture(count: 200_000)
        defer { unlink(path) }
        // Waiting inside next() when cancelled: every flow stays open to the end, so no record
        // comes before the whole file is read.
        let quiet = FlowPipeline(files: [try CaptureFile(path: path)], configuration: {
            var c = FlowConfiguration(); c.udpInactivityTimeout = 1_000_000_000_000; return c }())
        let waiting = Task { () -> Int in
            var n = 0
            for try await _ in quiet.records(bufferSize: 4) { n += 1 }
            return n
        }
        try await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        let n = try await waiting.value
        #expect(quiet.isStopped)
        #expect(n < 200_000)
        // Records streaming (flows time out after 60 s of capture time) and the loop left by
        // `break` while the analysis thread waits on a full buffer: it must be released.
        let streaming = FlowPipeline(files: [try CaptureFile(path: path)])
        var seen = 0
        for try await _ in streaming.records(bufferSize: 2) {
            seen += 1
            if seen == 10 { break }
        }
        #expect(seen == 10)
        for _ in 0..<200 where !streaming.isStopped { try await Task.sleep(for: .milliseconds(10)) }
        #expect(streaming.isStopped)
    }

    @Test("analysisTime tells when each record was decided: never before its last packet, in non-decreasing order")
    func decisionTime() throws {
        let path = Self.fixtures.appendingPathComponent("tcp-many-concurrent.pcap").path
        let capture = try CaptureFile(path: path)
        var lastPacket: Int64 = 0
        while let r = try capture.next() { lastPacket = max(lastPacket, r.timestamp.totalNanoseconds) }
        let pipeline = FlowPipeline(files: [try CaptureFile(path: path)])
        var decided: [(Int64, ConnectionRecord)] = []
        _ = pipeline.run { decided.append((pipeline.analysisTime, $0)) }
        #expect(decided.count == 50)
        #expect(decided.allSatisfy { $0.0 >= $0.1.lastTime })
        #expect(zip(decided, decided.dropFirst()).allSatisfy { $0.0 <= $1.0 })
        // Records written at the end of input were decided at the last packet's time.
        #expect(decided.filter { $0.1.closeReason == .endOfInput }.allSatisfy { $0.0 == lastPacket })
    }
}
