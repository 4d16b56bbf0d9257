import ArgumentParser
import FlowAnalysis
import PacketCodec
import Pcap
import Reports
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `sockeye packets FILE… [-r FILE]… [--filter BPF] [-c N] [-e] [-t…] [-v] [-x…|-X…] [--format text|json]`: one
/// line per packet. Several files print one after another in the order given (frame numbers
/// continue), as `for f in …; do tcpdump -r "$f"; done` would; `-c` counts over all of them.
struct Packets: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print one line per packet (text close to tcpdump -nn -S, or JSON Lines).")

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Argument(help: "pcap or pcapng files, printed one after another.", completion: .file())
    var files: [String] = []

    @Option(name: .customShort("r"), help: "Read this file (tcpdump habit; may repeat, same as a FILE argument).",
            completion: .file())
    var readFiles: [String] = []

    @Flag(name: .customShort("e"), help: "Print the link-level header (MACs, EtherType, VLAN tags, SLL fields) as tcpdump -e.")
    var linkHeaders = false

    @Flag(name: .customShort("t"), help: "-t no time, -tt epoch seconds, -ttt delta from previous, -tttt date and local time, -ttttt delta from first.")
    var timeStampLevel: Int

    @Flag(name: .customShort("v"), help: "Verbose, as tcpdump -v: IP header fields (tos, ttl, id, offset, flags, length; IPv6 flow label, hop limit) and TCP/UDP/ICMPv6 checksum verdicts.")
    var verbosity: Int

    @Flag(name: .customShort("x"), help: "Hex dump of each packet from the network header (-xx: from the link header), as tcpdump -x.")
    var hexLevel: Int

    @Flag(name: .customShort("X"), help: "Hex and ASCII dump from the network header (-XX: from the link header), as tcpdump -X.")
    var hexASCIILevel: Int

    @Flag(name: .customLong("utc"), help: "Print times in UTC instead of local time (TZ).")
    var utc = false

    @Option(name: [.short, .long], help: "BPF filter expression (pcap-filter(7)).")
    var filter: String?

    @Option(name: [.short, .long], help: "Stop after N packets.")
    var count: Int?

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    @Flag(help: "Do not verify IPv4, TCP and UDP checksums.")
    var noChecksums = false

    func validate() throws {
        if files.isEmpty && readFiles.isEmpty { throw ValidationError("no capture file given (FILE or -r FILE)") }
        if timeStampLevel > 5 { throw ValidationError("at most five -t (-ttttt)") }
        if verbosity > 1 { throw ValidationError("only one -v (tcpdump's -vv and -vvv details are not printed)") }
        if hexLevel > 2 || hexASCIILevel > 2 { throw ValidationError("at most -xx / -XX") }
    }

    func run() throws {
        // Open every file first, so a missing one fails before any output.
        var captures: [CaptureFile] = []
        for file in readFiles + files {
            do {
                captures.append(try CaptureFile(path: file, filter: filter))
            } catch {
                throw failure(reporting: error)
            }
        }
        // A closed pipe (`sockeye packets … | head`) ends the run quietly, as in `analyze`.
        signal(SIGPIPE, SIG_IGN)
        let out = OutputBuffer(fileDescriptor: 1)
        // Ctrl-C / SIGTERM: stop after the current packet; whole lines only, then exit 128 + signal.
        let interruption = Interruption {}
        let decoder = PacketDecoder(verifyChecksums: !noChecksums)
        let json = PacketJSONFormatter()
        var options = PacketTextFormatter.Options()
        options.timestamps = [.timeOfDay, .none, .epoch, .sincePrevious, .dateAndTime, .sinceFirst][timeStampLevel]
        options.localTime = !utc
        options.linkHeaders = linkHeaders
        options.verbose = verbosity
        options.verifyChecksums = !noChecksums
        // -X wins over -x, as in tcpdump (print.c pretty_print_packet).
        options.hexDump = hexASCIILevel > 0 ? (hexASCIILevel > 1 ? .hexASCIIWithLink : .hexASCII)
                        : hexLevel > 0 ? (hexLevel > 1 ? .hexWithLink : .hex) : .none
        let text = PacketTextFormatter(options: options)
        var number = 0
        // JSON marks the fragment that completes a datagram (reassembled as the analyzer does).
        var fragments = FragmentReassembler()
        let limit = count ?? Int.max
        do {
            for capture in captures {
            let linkType = LinkType(dlt: capture.linkType)
            while number < limit, interruption.receivedSignal == nil, !out.writeFailed, let record = try capture.next() {
                number += 1
                let packet = decoder.decode(record.bytes, linkType: record.linkType == capture.linkType ? linkType : LinkType(dlt: record.linkType),
                                            wireLength: record.wireLength)
                let ts = record.timestamp.totalNanoseconds
                switch format {
                case .json:
                    var reassembled: Int? = nil
                    if packet.isFragment, withUnsafePointer(to: packet, { fragments.add($0, bytes: record.bytes, time: ts) }) != nil {
                        reassembled = fragments.lastReassembledLength
                    }
                    json.write(frame: number, timestampNanoseconds: ts, packet: packet, bytes: record.bytes,
                               reassembledLength: reassembled, to: out)
                case .text: text.write(frame: number, timestampNanoseconds: ts, packet: packet, bytes: record.bytes, to: out)
                }
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
