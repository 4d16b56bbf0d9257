import Foundation
import Testing

/// Where things are: the package, the built `sockeye`, the fixtures, the shared corpus and the
/// reference tools (tshark, tcpdump).
enum TestEnvironment {
    static let fileManager = FileManager.default

    /// The package root: the nearest ancestor of this source file that holds `Package.swift`.
    static let packageRoot: URL = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            if fileManager.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }()

    static let fixturesDirectory = packageRoot.appendingPathComponent("Fixtures")

    static var isCI: Bool {
        let v = ProcessInfo.processInfo.environment["CI"]?.lowercased()
        return v == "true" || v == "1" || v == "yes"
    }

    // MARK: the sockeye executable

    /// The `sockeye` binary built by the same `swift build`/`swift test` run as this test bundle.
    ///
    /// Search order: `$SOCKEYE_EXECUTABLE`; the directory of the running test executable
    /// (`/proc/self/exe` on Linux, which is `<scratch>/<triple>/debug/<Pkg>PackageTests.xctest`
    /// for both the default `.build` and any `--scratch-path`); the directory holding any loaded
    /// `.xctest` bundle (macOS); finally `<package>/.build/debug/sockeye`.
    static let sockeyeExecutable: URL? = {
        if let explicit = ProcessInfo.processInfo.environment["SOCKEYE_EXECUTABLE"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        var dirs: [URL] = []
        if let exe = try? fileManager.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            dirs.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
        }
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            dirs.append(URL(fileURLWithPath: bundle.bundlePath).deletingLastPathComponent())
        }
        if let main = Bundle.main.executableURL { dirs.append(main.deletingLastPathComponent()) }
        dirs.append(packageRoot.appendingPathComponent(".build/debug"))
        for dir in dirs {
            let candidate = dir.appendingPathComponent("sockeye")
            var isDir: ObjCBool = false
            if fileManager.fileExists(atPath: candidate.path, isDirectory: &isDir), !isDir.boolValue,
               fileManager.isExecutableFile(atPath: candidate.path) {
                return candidate.resolvingSymlinksInPath()
            }
        }
        return nil
    }()

    // MARK: reference tools

    static func tool(_ name: String, preferred: String) -> URL? {
        if fileManager.isExecutableFile(atPath: preferred) { return URL(fileURLWithPath: preferred) }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let p = "\(dir)/\(name)"
            if fileManager.isExecutableFile(atPath: p) { return URL(fileURLWithPath: p) }
        }
        return nil
    }

    static let tshark = tool("tshark", preferred: "/usr/bin/tshark")
    static let tcpdump = tool("tcpdump", preferred: "/usr/bin/tcpdump")

    /// Tests that need a tool run when the tool exists, and also in CI (where a missing tool is
    /// then a failure with a clear message, never a silent skip).
    static var tsharkTestsEnabled: Bool { tshark != nil || isCI }
    static var tcpdumpTestsEnabled: Bool { tcpdump != nil || isCI }

    // MARK: fixtures

    /// Every capture under `Fixtures/` except `damaged/` (and `scripts/`, `fuzz/`), relative paths, sorted.
    /// `reassembly/` is left out of the whole-tree packet suites: `packets` prints each IP fragment
    /// as captured, while tcpdump and tshark (reassembling) dissect the datagram in the last one;
    /// `FragmentReassemblyTests` checks those captures against tshark instead.
    /// `encap/` is left out too: its packets are tunnelled, and the tshark suites compare the flat
    /// (innermost) fields with the first (outermost) layer tshark lists;
    /// `EncapsulationConformanceTests` checks those captures against tshark's innermost layer.
    /// The `packets` text suites compare with tcpdump, which prints the delivery datagram and then
    /// the inner packet as Sockeye does: they use `textFixtureCaptures`, which includes `encap/`.
    static let fixtureCaptures: [String] = captures(under: fixturesDirectory,
                                                    excluding: ["damaged", "scripts", "fuzz", "reassembly", "encap"])

    /// Captures under `Fixtures/encap/` (tunnelled packets), relative paths, sorted.
    static let encapFixtures: [String] = captures(under: fixturesDirectory.appendingPathComponent("encap"), excluding: [])
        .map { "encap/" + $0 }

    /// The captures the `packets` text suites compare with tcpdump: `fixtureCaptures` and `encap/`.
    static let textFixtureCaptures: [String] = (fixtureCaptures + encapFixtures).sorted()

    /// Captures under `Fixtures/damaged/`.
    static let damagedFixtures: [String] = captures(under: fixturesDirectory.appendingPathComponent("damaged"), excluding: [])
        .map { "damaged/" + $0 }

    static func captures(under root: URL, excluding: Set<String>) -> [String] {
        guard let e = fileManager.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var result: [String] = []
        let rootPath = root.standardizedFileURL.path
        while let url = e.nextObject() as? URL {
            let path = url.standardizedFileURL.path
            guard path.hasPrefix(rootPath + "/") else { continue }
            let rel = String(path.dropFirst(rootPath.count + 1))
            if let top = rel.split(separator: "/").first, excluding.contains(String(top)) {
                if rel == String(top) { e.skipDescendants() }
                continue
            }
            if rel.hasSuffix(".pcap") || rel.hasSuffix(".pcapng") { result.append(rel) }
        }
        return result.sorted()
    }

    static func fixture(_ relative: String) -> URL { fixturesDirectory.appendingPathComponent(relative) }

    // MARK: corpus

    /// `$SOCKEYE_CORPUS` or `<package>/../shared/corpus`, whichever holds a MANIFEST.tsv.
    static let corpusDirectory: URL? = {
        let candidates = [
            ProcessInfo.processInfo.environment["SOCKEYE_CORPUS"].map { URL(fileURLWithPath: $0) },
            packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus"),
        ].compactMap { $0 }
        return candidates.first { fileManager.fileExists(atPath: $0.appendingPathComponent("MANIFEST.tsv").path) }
    }()

    struct CorpusEntry: Sendable, CustomTestStringConvertible {
        var path: String
        var category: String
        var format: String
        var linktype: String
        var packets: Int
        var what: String
        var testDescription: String { path }
    }

    /// The rows of MANIFEST.tsv (empty when there is no corpus).
    static let corpusEntries: [CorpusEntry] = {
        guard let dir = corpusDirectory,
              let text = try? String(contentsOf: dir.appendingPathComponent("MANIFEST.tsv"), encoding: .utf8)
        else { return [] }
        var rows: [CorpusEntry] = []
        for (i, line) in text.split(separator: "\n").enumerated() where i > 0 {
            let c = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard c.count >= 9 else { continue }
            rows.append(CorpusEntry(path: c[0], category: String(c[0].split(separator: "/").first ?? ""),
                                    format: c[4], linktype: c[5], packets: Int(c[6]) ?? -1, what: c[8]))
        }
        return rows
    }()

    static let comparableCorpusCategories: Set<String> = ["ipv4", "ipv6", "linktypes", "tcp-lifecycle", "tcp-options", "udp"]
}

/// Lets a plain struct describe itself in test names without importing Testing here.
protocol CustomTestStringConvertible { var testDescription: String { get } }
