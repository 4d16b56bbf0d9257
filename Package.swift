// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Sockeye",
    products: [
        .executable(name: "sockeye", targets: ["sockeye"]),
        .library(name: "PacketCodec", targets: ["PacketCodec"]),
        .library(name: "Pcap", targets: ["Pcap"]),
        .library(name: "FlowAnalysis", targets: ["FlowAnalysis"]),
        .library(name: "Reports", targets: ["Reports"]),
        .library(name: "FlowPipeline", targets: ["FlowPipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.6.0"),
        // `swift package generate-documentation`: the DocC catalogs in Sources/*/*.docc.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"]), .brew(["libpcap"])]
        ),
        // OpenSSL's libcrypto: SHA-1 for the Community ID (Reports/CommunityID.swift). A system
        // library rather than swift-crypto, whose BoringSSL build added ~100 s to a clean build.
        .systemLibrary(
            name: "CLibcrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl"])]
        ),
        // Compressed captures (gzip, zstd, lz4 frame), decompressed by the kept C libraries.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"]), .brew(["lz4"])]),
        // fopencookie(3): libpcap reads a decompressed or partly consumed stream.
        .target(name: "CStdioCookie"),
        .target(name: "PacketCodec"),
        .target(name: "Pcap", dependencies: ["CPcap", "CZlib", "CZstd", "CLZ4", "CStdioCookie"]),
        .target(name: "FlowAnalysis", dependencies: ["PacketCodec"]),
        .target(name: "Reports", dependencies: ["PacketCodec", "FlowAnalysis", "CLibcrypto"]),
        // Capture source -> decode -> analyze on two threads, with back-pressure and payload policies.
        .target(name: "FlowPipeline", dependencies: ["PacketCodec", "Pcap", "FlowAnalysis"]),
        .executableTarget(
            name: "sockeye",
            dependencies: [
                "PacketCodec", "Pcap", "FlowAnalysis", "Reports", "FlowPipeline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Interposes malloc for the codec tests so "decoding allocates nothing" is asserted.
        .target(name: "CMallocCounter", path: "Tests/CMallocCounter"),
        .testTarget(name: "PacketCodecTests", dependencies: ["PacketCodec", "Pcap", "Reports", "FlowAnalysis", "CMallocCounter"]),
        .testTarget(name: "PcapTests", dependencies: ["Pcap", "PacketCodec"], exclude: ["PcapNGFixtures"]),
        .testTarget(name: "FlowAnalysisTests", dependencies: ["FlowAnalysis", "PacketCodec", "Pcap"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "FlowAnalysis", "PacketCodec", "Pcap"]),
        .testTarget(name: "SockeyeCLITests", dependencies: ["PacketCodec", "Pcap", "FlowAnalysis", "FlowPipeline"]),
        .testTarget(name: "FlowPipelineTests", dependencies: ["FlowPipeline", "FlowAnalysis", "PacketCodec", "Pcap"]),
        // Runs `sockeye live` on lo with real traffic; needs root or CAP_NET_RAW.
        .testTarget(name: "LiveCaptureCLITests", dependencies: ["sockeye"]),
    ],
    swiftLanguageModes: [.v6]
)
