import Foundation
import Testing

/// Shell completion as a user gets it: the generated bash script, sourced into bash, completes
/// subcommands, file names for inputs and `-o`, and interface names for `live -i`.
@Suite("shell completion and version")
struct CompletionTests {
    /// COMPREPLY after completing the last word of `sockeye <words…>` with the generated script.
    static func complete(_ words: [String]) async throws -> [String] {
        let exe = try #require(TestEnvironment.sockeyeExecutable).path
        let script = try await Sockeye.run(["--generate-completion-script", "bash"])
        #expect(script.status == 0)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sockeye-completion-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let scriptFile = dir.appendingPathComponent("sockeye.bash")
        try script.stdout.write(to: scriptFile)
        let driver = """
            source "$1"; shift
            fn=$(complete -p sockeye | sed -E 's/.*-F ([^ ]+).*/\\1/')
            COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
            COMPREPLY=()
            "$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let r = try await ProcessRunner.run(URL(fileURLWithPath: "/bin/bash"),
                                            ["-c", "cd '\(TestEnvironment.packageRoot.path)' && " + driver, "bash", scriptFile.path, exe] + words)
        #expect(r.status == 0, "\(r.stderrText)")
        return r.stdoutLines.filter { !$0.isEmpty }
    }

    @Test("subcommands")
    func subcommands() async throws {
        #expect(try await Self.complete(["an"]) == ["analyze"])
        #expect(try await Self.complete(["in"]) == ["interfaces"])
    }

    @Test("file names for analyze inputs and -o, packets, live -w")
    func files() async throws {
        #expect(try await Self.complete(["analyze", "Fixtures/tcp-handshake-data"]).sorted()
                == ["Fixtures/tcp-handshake-data-fin.pcap", "Fixtures/tcp-handshake-data-fin.pcapng"])
        #expect(try await Self.complete(["analyze", "x.pcap", "-o", "Fixtures/vlan-q"]) == ["Fixtures/vlan-qinq.pcap"])
        #expect(try await Self.complete(["packets", "Fixtures/udp-ex"]) == ["Fixtures/udp-exchange.pcap"])
        #expect(try await Self.complete(["live", "-w", "Fixtures/any-sll2"]) == ["Fixtures/any-sll2.pcap"])
    }

    @Test("interface names for live -i, the same list sockeye interfaces prints")
    func interfaces() async throws {
        let listed = try await Sockeye.run(["interfaces"])
        let names = listed.stdoutLines.compactMap { line -> String? in
            guard let dot = line.firstIndex(of: ".") else { return nil }
            return String(line[line.index(after: dot)...].prefix { $0 != " " })
        }
        #expect(names.contains("lo"))
        #expect(try await Self.complete(["live", "-i", ""]) == names)
        #expect(try await Self.complete(["live", "--interface", "l"]).contains("lo"))
    }

    @Test("zsh and fish scripts are generated")
    func otherShells() async throws {
        let zsh = try await Sockeye.run(["--generate-completion-script", "zsh"])
        #expect(zsh.status == 0 && zsh.stdoutText.contains("#compdef sockeye"))
        let fish = try await Sockeye.run(["--generate-completion-script", "fish"])
        #expect(fish.status == 0 && fish.stdoutText.contains("complete -c 'sockeye'"))
    }

    @Test("--version prints the version; sockeye version prints JSON with libpcap's")
    func version() async throws {
        let bare = try await Sockeye.run(["--version"])
        #expect(bare.status == 0)
        let number = bare.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(number.split(separator: ".").count == 3 && number.allSatisfy { $0.isNumber || $0 == "." })
        let json = try await Sockeye.run(["version"])
        let object = try JSONSerialization.jsonObject(with: json.stdout) as? [String: String]
        #expect(object?["version"] == number)
        #expect(object?["libpcap"]?.hasPrefix("libpcap version ") == true)
    }

    @Test("usage errors are one line in Sockeye's form with a hint, exit 64", arguments: [
        (["analyze"], "sockeye analyze --help"),
        (["analyze", "x.pcap", "--format", "yaml"], "sockeye analyze --help"),
        (["packets", "x.pcap", "--count", "many"], "sockeye packets --help"),
        (["anlyze", "x.pcap"], "sockeye --help"),
        (["live", "--max-flows", "0"], "sockeye live --help"),
    ])
    func usageErrors(arguments: [String], hint: String) async throws {
        let r = try await Sockeye.run(arguments)
        #expect(r.status == 64)
        let lines = r.stderrLines.filter { !$0.isEmpty }
        #expect(lines.count == 1, "\(r.stderrText)")
        #expect(lines.first?.hasPrefix("sockeye: ") == true)
        #expect(lines.first?.hasSuffix("(see '\(hint)')") == true, "\(r.stderrText)")
        #expect(r.stdout.isEmpty)
    }

    @Test("the top-level help lists every exit code the README lists")
    func helpExitCodes() async throws {
        let help = try await Sockeye.run(["--help"])
        let readme = try String(contentsOf: TestEnvironment.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## Exit codes").dropFirst().first?.components(separatedBy: "\n## ").first)
        var codes: [String] = []
        for line in section.split(separator: "\n") where line.hasPrefix("| ") {
            let cell = line.dropFirst(2).prefix { $0 != "|" }.trimmingCharacters(in: .whitespaces)
            for code in cell.split(separator: "/") {
                let c = code.trimmingCharacters(in: .whitespaces)
                if Int(c) != nil { codes.append(c) }
            }
        }
        #expect(codes.count >= 11)
        let text = help.stdoutText.replacingOccurrences(of: "\n", with: " ")
        for code in codes {
            #expect(text.contains(" \(code) ") || text.contains(" \(code)/") || text.contains("/\(code) "), "exit code \(code) missing from --help")
        }
    }
}
