// swift-tools-version:6.1
//
// Sockeye benchmarks and the workload generator, kept out of the main package so that
// `swift build` / `swift test` there never resolve ordo-one/benchmark.
//
//   swift package benchmark                      # all suites (release build)
//   swift package benchmark thresholds check     # fails (exit 2) if a decode/checksum/flow
//                                                # update allocates: see Thresholds/*.json
//   SOCKEYE_BENCH_SMOKE=1 swift package benchmark   # a few iterations each (CI)
//   swift run -c release sockeye-workload --packets 1000000 --flows 20000 --seed 1 --out F.pcap
import Foundation
import PackageDescription

// A path dependency's identity is its directory's name (the clone's, not "Sockeye").
let sockeye = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "SockeyeBenchmarks",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "sockeye-workload", targets: ["sockeye-workload"]),
    ],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Synthetic traffic model + pcap writer, shared by the generator and the benchmarks.
        .target(
            name: "SockeyeWorkload",
            dependencies: [.product(name: "PacketCodec", package: sockeye)]
        ),
        .executableTarget(
            name: "sockeye-workload",
            dependencies: ["SockeyeWorkload"]
        ),
        .executableTarget(
            name: "Codec",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "PacketCodec", package: sockeye),
                "SockeyeWorkload",
            ],
            path: "Benchmarks/Codec",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Flow",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "PacketCodec", package: sockeye),
                .product(name: "FlowAnalysis", package: sockeye),
                "SockeyeWorkload",
            ],
            path: "Benchmarks/Flow",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
