import ArgumentParser
import Pcap
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `sockeye` command-line tool: argument parsing and the choice of output over the libraries
/// (Pcap → FlowPipeline → FlowAnalysis → Reports).
@main
struct Sockeye: ParsableCommand {
    /// The release, as `sockeye --version` and `sockeye version` print it.
    static let version = "0.3.0"

    static let configuration = CommandConfiguration(
        commandName: "sockeye",
        abstract: "Packet-header codec and pcap flow analyzer: TCP handshakes, teardowns and Zeek-style conn records.",
        discussion: """
            Exit codes (sysexits): 0 success; 1 analyze --flow names no flow; 64 usage error, bad \
            filter, or an output that is one of the inputs; 65 input damaged (results up to the \
            damage were written); 66 input missing or unreadable; 69 capture device unavailable; \
            70 other capture failure; 73 output file cannot be created; 74 writing output failed; \
            77 permission denied; 130/143 analyze or packets stopped by SIGINT/SIGTERM (whole \
            lines and footers were written).
            """,
        version: version,
        subcommands: [Analyze.self, Packets.self, Live.self, Interfaces.self, Version.self],
        defaultSubcommand: nil
    )

    /// Like ArgumentParser's `main`, but a usage error is one line in Sockeye's own form
    /// (`sockeye: <problem> (see 'sockeye <command> --help')`, exit 64) instead of a message,
    /// a help excerpt and the usage block.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help, --version, completion scripts: ArgumentParser's own text, on stdout.
                Self.exit(withError: error)
            }
            if error is ExitCode { Self.exit(withError: error) }
            let message = Self.message(for: error)
            guard code == .validationFailure, !message.isEmpty else { Self.exit(withError: error) }
            let sub = arguments.first { name in configuration.subcommands.contains { $0._commandName == name } }
            let help = sub.map { "sockeye \($0) --help" } ?? "sockeye --help"
            let line = message.split(separator: "\n").map { $0.drop { $0 == " " } }.joined(separator: " ")
            writeToStandardError("sockeye: \(line.hasPrefix("Error: ") ? String(line.dropFirst(7)) : line) (see '\(help)')")
            terminate(code.rawValue)
        }
    }
}

/// `sockeye version`: the versions as one JSON object, for scripts (`--version` prints the bare number).
struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the versions of sockeye and libpcap as JSON.")

    func run() throws {
        var libpcap = ""
        for u in CaptureDevice.libraryVersion.unicodeScalars {
            switch u {
            case "\"": libpcap += "\\\""
            case "\\": libpcap += "\\\\"
            case _ where u.value < 0x20: libpcap += " "
            default: libpcap.unicodeScalars.append(u)
            }
        }
        print("{\"name\":\"sockeye\",\"version\":\"\(Sockeye.version)\",\"libpcap\":\"\(libpcap)\"}")
    }
}

/// `exit(3)`, outside the command types (whose own `exit(withError:)` would shadow it).
func terminate(_ status: Int32) -> Never { exit(status) }
