import ArgumentParser
import PacketCodec
import Pcap
import Reports
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `sockeye packets FILE [--filter BPF] [--count N] [--format text|json]`: one line per packet.
struct Packets: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print one line per packet (text close to tcpdump -nn -S, or JSON Lines).")

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Argument(help: "A pcap or pcapng file.", completion: .file())
    var file: String

    @Option(name: [.short, .long], help: "BPF filter expression (pcap-filter(7)).")
    var filter: String?

    @Option(name: [.short, .long], help: "Stop after N packets.")
    var count: Int?

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    @Flag(help: "Do not verify IPv4, TCP and UDP checksums.")
    var noChecksums = false

    func run() throws {
        let capture: CaptureFile
        do {
            capture = try CaptureFile(path: file, filter: filter)
        } catch {
            throw failure(reporting: error)
        }
        // A closed pipe (`sockeye packets … | head`) ends the run quietly, as in `analyze`.
        signal(SIGPIPE, SIG_IGN)
        let out = OutputBuffer(fileDescriptor: 1)
        // Ctrl-C / SIGTERM: stop after the current packet; whole lines only, then exit 128 + signal.
        let interruption = Interruption {}
        let decoder = PacketDecoder(verifyChecksums: !noChecksums)
        let linkType = LinkType(dlt: capture.linkType)
        let json = PacketJSONFormatter()
        let text = PacketTextFormatter()
        var number = 0
        let limit = count ?? Int.max
        do {
            while number < limit, interruption.receivedSignal == nil, !out.writeFailed, let record = try capture.next() {
                number += 1
                let packet = decoder.decode(record.bytes, linkType: linkType, wireLength: record.wireLength)
                let ts = record.timestamp.totalNanoseconds
                switch format {
                case .json: json.write(frame: number, timestampNanoseconds: ts, packet: packet, bytes: record.bytes, to: out)
                case .text: text.write(frame: number, timestampNanoseconds: ts, packet: packet, bytes: record.bytes, to: out)
                }
            }
        } catch {
            out.flush()
            throw failure(reporting: error)
        }
        out.flush()
        if out.writeFailed && out.writeErrno != EPIPE {
            writeToStandardError("sockeye: standard output: \(String(cString: strerror(out.writeErrno)))")
            throw ExitCode(74)
        }
        if let status = interruption.exitStatus {
            writeToStandardError("sockeye: interrupted after \(number) packets")
            throw ExitCode(status)
        }
    }
}
