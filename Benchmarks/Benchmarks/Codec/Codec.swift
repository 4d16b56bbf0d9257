// Codec micro-benchmarks: decode and checksum. Every benchmark here must allocate nothing:
// Thresholds/Codec.*.p90.json pin mallocCountTotal to 0, and
// `swift package benchmark thresholds check` exits non-zero otherwise.
import Benchmark
import PacketCodec
import SockeyeWorkload

#if canImport(Glibc)
import Glibc
#endif

/// `SOCKEYE_BENCH_SMOKE=1`: a few iterations each (CI smoke run; no timing asserted).
let smoke = getenv("SOCKEYE_BENCH_SMOKE") != nil

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],  // no OS-stat metrics: reading /proc mallocs in the measured window
        timeUnits: .nanoseconds,
        warmupIterations: smoke ? 1 : 10,
        scalingFactor: .kilo,
        maxDuration: smoke ? .milliseconds(100) : .seconds(2),
        maxIterations: smoke ? 5 : 100_000
    )

    // 64 copies of each frame at different alignments, so loads are really unaligned.
    func ring(_ frame: [UInt8]) -> FrameRing {
        FrameRing((0..<64).map { i in [UInt8](repeating: 0, count: i % 8) + frame }.map { $0 })
    }
    let syn = ring(SampleFrames.linuxSYN)
    let data = ring(SampleFrames.linuxData)
    let skew = (0..<64).map { $0 % 8 }

    func decodeLoop(_ benchmark: Benchmark, _ frames: FrameRing, _ decoder: PacketDecoder) {
        var i = 0
        for _ in benchmark.scaledIterations {
            let bytes = UnsafeRawBufferPointer(rebasing: frames[i][skew[i]...])
            blackHole(decoder.decode(bytes, linkType: .ethernet))
            i = (i + 1) & 63
        }
    }

    Benchmark("decode-syn-linux-options") { benchmark in
        decodeLoop(benchmark, syn, PacketDecoder())
    }
    Benchmark("decode-data-1514-verify-checksums") { benchmark in
        decodeLoop(benchmark, data, PacketDecoder())
    }
    Benchmark("decode-data-1514-no-checksums") { benchmark in
        decodeLoop(benchmark, data, PacketDecoder(verifyChecksums: false))
    }
    Benchmark("checksum-1500") { benchmark in
        var i = 0
        for _ in benchmark.scaledIterations {
            let bytes = UnsafeRawBufferPointer(rebasing: data[i][(skew[i] + 14)..<(skew[i] + 1514)])
            blackHole(InternetChecksum.sum(bytes))
            i = (i + 1) & 63
        }
    }
}
