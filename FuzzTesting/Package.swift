// swift-tools-version:6.0
// libFuzzer targets for Sockeye. A separate package so that fuzz and sanitizer flags never touch
// the main build. Build and run with ./run.sh (see README.md):
//
//   swift build -c release --sanitize fuzzer --sanitize address
//
// FuzzCommon/FuzzHarness.swift is a symlink to Tests/PacketCodecTests/FuzzRegressionTests.swift:
// the fuzz targets and the regression test replaying Fixtures/fuzz/ run the same checks.
import PackageDescription

let fuzzing: [SwiftSetting] = [.define("FUZZING")]

let package = Package(
    name: "SockeyeFuzzTesting",
    dependencies: [
        .package(name: "Sockeye", path: ".."),
    ],
    targets: [
        .target(
            name: "FuzzCommon",
            dependencies: [
                .product(name: "PacketCodec", package: "Sockeye"),
                .product(name: "Pcap", package: "Sockeye"),
                .product(name: "Reports", package: "Sockeye"),
                .product(name: "FlowAnalysis", package: "Sockeye"),
            ],
            swiftSettings: fuzzing
        ),
        .executableTarget(name: "FuzzDecode", dependencies: ["FuzzCommon"], swiftSettings: fuzzing),
        .executableTarget(name: "FuzzRoundTrip", dependencies: ["FuzzCommon"], swiftSettings: fuzzing),
        .executableTarget(name: "FuzzChecksum", dependencies: ["FuzzCommon"], swiftSettings: fuzzing),
        .executableTarget(name: "FuzzCaptureFile", dependencies: ["FuzzCommon"], swiftSettings: fuzzing),
        .executableTarget(name: "FuzzAnalyzer", dependencies: ["FuzzCommon"], swiftSettings: fuzzing),
        .executableTarget(name: "FuzzReports", dependencies: ["FuzzCommon"], swiftSettings: fuzzing),
    ],
    swiftLanguageModes: [.v6]
)
