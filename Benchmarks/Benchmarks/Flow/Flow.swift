// Flow-table and whole-pipeline benchmarks.
//
// flow-update-*   FlowAnalyzer.process on a ring of pre-decoded mid-connection packets of N
//                 flows (every flow exists after the first lap): lookup + per-flow update.
// pipeline-*      the same ring decoded each time (checksums verified) and processed: what
//                 `sockeye analyze` does per packet, minus libpcap and output.
// pipeline-workload-50k
//                 a realistic 50k-packet / 1k-flow capture (handshakes, teardowns, records
//                 built and dropped) through decode + analyze + finish, one run per iteration.
//
// Steady-state per-packet work must not allocate: Thresholds/Flow.{flow-update,pipeline}-*.p90.json
// pin mallocCountTotal to 0 (the workload benchmark creates flows and records, so it has none).
import Benchmark
import FlowAnalysis
import PacketCodec
import SockeyeWorkload

#if canImport(Glibc)
import Glibc
#endif

let smoke = getenv("SOCKEYE_BENCH_SMOKE") != nil

/// A ring of frames, decoded once, and an analyzer that has already seen every flow.
final class SteadyState: @unchecked Sendable {
    let ring: FrameRing
    let decoded: [DecodedPacket]
    let analyzer = FlowAnalyzer { _ in }
    let decoder = PacketDecoder()
    var next = 0
    var time: Int64 = 1_700_000_000 * 1_000_000_000

    init(flows: Int) {
        let ring = FrameRing.steadyState(flows: flows, perFlow: flows > 10_000 ? 2 : 4)
        let decoder = PacketDecoder()
        self.ring = ring
        decoded = (0..<ring.count).map { decoder.decode(ring[$0], linkType: .ethernet) }
        for i in 0..<ring.count { step(i, decode: false) }   // create every flow
    }

    @inline(__always) func step(_ i: Int, decode: Bool) {
        time &+= 1_000
        let bytes = ring[i]
        let packet = decode ? decoder.decode(bytes, linkType: .ethernet) : decoded[i]
        analyzer.process(packet, time: time, bytes: bytes)
    }

    func run(_ n: Int, decode: Bool) {
        var i = next
        for _ in 0..<n {
            step(i, decode: decode)
            i += 1
            if i == ring.count { i = 0 }
        }
        next = i
    }
}

let steady1k = SteadyState(flows: 1_000)
let steady100k = SteadyState(flows: 100_000)
let workload50k = FrameRing.workload(packets: 50_000, flows: 1_000)

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],  // no OS-stat metrics: reading /proc mallocs in the measured window
        timeUnits: .nanoseconds,
        warmupIterations: smoke ? 1 : 10,
        scalingFactor: .kilo,
        maxDuration: smoke ? .milliseconds(100) : .seconds(2),
        maxIterations: smoke ? 5 : 100_000
    )

    Benchmark("flow-update-1k-flows") { benchmark in
        steady1k.run(benchmark.scaledIterations.count, decode: false)
    }
    Benchmark("flow-update-100k-flows") { benchmark in
        steady100k.run(benchmark.scaledIterations.count, decode: false)
    }
    Benchmark("pipeline-1k-flows") { benchmark in
        steady1k.run(benchmark.scaledIterations.count, decode: true)
    }
    Benchmark("pipeline-100k-flows") { benchmark in
        steady100k.run(benchmark.scaledIterations.count, decode: true)
    }
    Benchmark("pipeline-workload-50k",
              configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal, .cpuTotal, .peakMemoryResident],
                                   timeUnits: .milliseconds, warmupIterations: 1, scalingFactor: .one,
                                   maxDuration: smoke ? .milliseconds(100) : .seconds(5),
                                   maxIterations: smoke ? 2 : 50)) { benchmark in
        let ring = workload50k
        let decoder = PacketDecoder()
        var records = 0
        let analyzer = FlowAnalyzer { _ in records += 1 }
        for i in 0..<ring.count {
            let bytes = ring[i]
            analyzer.process(decoder.decode(bytes, linkType: .ethernet), time: ring.times[i] &* 1_000, bytes: bytes)
        }
        analyzer.finish()
        blackHole(records)
    }
}
