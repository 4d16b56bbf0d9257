import ArgumentParser
import FlowAnalysis
import FlowPipeline
import PacketCodec
import Pcap
import Reports
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `sockeye analyze FILE… [-f BPF] [--format text|json|zeek|csv|zeek-tunnel] [-o PATH] [--flow UID]
/// [--ladder [--ladder-format text|svg|mermaid]] [--quiet] [--no-summary] [--tcp-timeout S] [--udp-timeout S]
/// [--max-flows N]`: the flow report.
///
/// Several files are analyzed as one capture: their packets are merged in timestamp order
/// (k-way merge; equal timestamps in command-line order), so a connection split across files
/// is one flow.
///
/// Output order: `text` collects every record and sorts by start time, then uid. `json`,
/// `zeek` and `csv` stream each record as its flow ends (the analyzer's deterministic order:
/// same input, same output), so memory stays bounded on large captures.
///
/// Errors print one line on stderr and exit with a sysexits code: 64 bad usage or filter,
/// 65 input damaged (everything read before the damage is still analyzed and written, output
/// well-formed: whole JSON lines, the Zeek `#close` footer), 66 input missing or unreadable,
/// 73 output file cannot be created, 1 `--flow` names no flow.
struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Flow report: handshake and teardown of every TCP connection, UDP flows, Zeek conn.log fields.",
        discussion: """
            Several files are merged in timestamp order and analyzed as one capture. The text \
            report is sorted by flow start time; json, zeek and csv records are written as flows \
            end. With --ladder, a sequence diagram of each selected TCP connection is written \
            instead of the report (svg and mermaid need --flow UID).
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json, zeek, csv
        case zeekTunnel = "zeek-tunnel"
    }

    @Argument(help: "pcap or pcapng files, or directories of them ('-' reads standard input).",
              completion: .file())
    var files: [String]

    @Option(name: [.short, .long], help: "BPF filter expression (pcap-filter(7)), applied inside libpcap.")
    var filter: String?

    @Option(help: "Output format: text, json (JSON Lines), zeek (conn.log TSV), csv, or zeek-tunnel (Zeek's tunnel.log TSV).")
    var format: Format = .text

    @Option(name: [.short, .long], help: "Write to PATH instead of standard output (never over an input).",
            completion: .file())
    var output: String?

    @Option(help: "Only report the flow with this uid.")
    var flow: String?

    @Flag(help: "Draw a ladder (sequence) diagram of the selected TCP connections instead of the report.")
    var ladder = false

    @Option(help: "Ladder diagram format: text, svg or mermaid.")
    var ladderFormat: LadderDiagram.Format = .text

    @Flag(name: [.short, .long], help: "No progress line on stderr.")
    var quiet = false

    @Flag(help: "Leave the summary section out of the text report.")
    var noSummary = false

    @OptionGroup var flowOptions: FlowOptions
    @OptionGroup var recordOptions: RecordOptions

    func validate() throws {
        if ladder && ladderFormat != .text && flow == nil {
            throw ValidationError("--ladder-format \(ladderFormat.rawValue) draws one connection: add --flow UID")
        }
        if format == .zeekTunnel && (ladder || flow != nil) {
            throw ValidationError("--format zeek-tunnel writes tunnels, not flows: it takes neither --flow nor --ladder")
        }
    }

    var flowConfiguration: FlowConfiguration {
        var c = flowOptions.configuration
        c.keepEvents = ladder
        return c
    }

    func run() throws {
        // Open every input first (InputFiles: directories, skipped files, the same file twice);
        // a bad filter or no readable input fails before any output.
        let inputs = try InputFiles.open(files, filter: filter)
        let captures = inputs.captures

        let outputFile = try OutputFile.forCommand(output, inputs: inputs.paths) { "refusing to write the output over an input: \(output ?? "") is \($0)" }
        let descriptor = outputFile?.descriptor ?? 1
        // A closed pipe (`sockeye analyze … | head`) becomes EPIPE on write, not a signal.
        signal(SIGPIPE, SIG_IGN)

        let out = OutputBuffer(fileDescriptor: descriptor)
        let sink = makeSink(out)
        let pipeline = FlowPipeline(files: captures, decoder: flowOptions.decoder,
                                    configuration: flowConfiguration)
        let progress = ProgressReporter(totalBytes: captures.reduce(0) { $0 + $1.fileSize }, quiet: quiet)
        if let progress {
            pipeline.onProgress = { packets, bytes in progress.update(packets: packets, bytesRead: bytes) }
        }
        // Ctrl-C / SIGTERM: stop reading, finish and write what was read, then exit 128 + signal.
        let interruption = Interruption { pipeline.stop() }
        let wanted = flow
        let tunnelLog = format == .zeekTunnel ? ZeekTunnelLogWriter(output: out) : nil
        let result = pipeline.run(
            onStart: { tunnelLog?.begin(firstPacketTime: $0) ?? sink.begin(firstPacketTime: $0) },
            onTunnel: tunnelLog.map { log in { event in log.write(event) } },
            shouldContinue: { !out.writeFailed },
            onRecord: { record in
                if tunnelLog != nil { return }
                if let wanted, record.uid != wanted { return }
                sink.write(record)
            })
        progress?.finish()
        let (summary, errors) = (result.summary, result.errors)
        interruption.cancel()
        if let tunnelLog { tunnelLog.finish(summary: summary) } else { sink.finish(summary: summary) }
        out.flush()

        try OutputFile.finish(outputFile, out, name: output)
        // Many bad checksums usually mean a capture taken on the sending host with checksum
        // offload, not a broken network: say once how to analyze it anyway.
        if !flowOptions.noChecksums, summary.badChecksumPackets >= 10,
           summary.badChecksumPackets &* 10 >= summary.ipPackets {
            writeToStandardError("sockeye: note: \(summary.badChecksumPackets) of \(summary.ipPackets) IP packets have bad checksums; "
                + "if the capture was taken on a host with checksum offload, add --no-checksums")
        }
        if let status = interruption.exitStatus {
            for error in errors { writeToStandardError(error.description) }
            writeToStandardError("sockeye: interrupted after \(result.packetsRead) packets")
            throw ExitCode(status)
        }
        if let first = errors.first {
            for error in errors { writeToStandardError(error.description) }
            throw ExitCode(inputs.skippedExitCode ?? first.exitCode)
        }
        if let skipped = inputs.skippedExitCode { throw ExitCode(skipped) }
        if let wanted, !sink.sawRecord {
            writeToStandardError("sockeye: no flow with uid \(wanted)")
            throw ExitCode(1)
        }
    }

    private func makeSink(_ out: OutputBuffer) -> RecordSink {
        if ladder { return LadderSink(output: out, format: ladderFormat) }
        let writer: FlowRecordWriter
        switch format {
        case .text:
            let report = FlowTextReport(output: out)
            // The summary counts every packet of the capture: with --flow it would describe
            // flows that are not shown, so only the selected flow is printed.
            report.includesSummary = !noSummary && flow == nil
            writer = report
        case .json: writer = FlowJSONWriter(output: out, options: recordOptions.fieldOptions)
        case .zeek, .zeekTunnel: writer = ZeekTSVWriter(output: out, options: recordOptions.fieldOptions)
        case .csv: writer = FlowCSVWriter(output: out, options: recordOptions.fieldOptions)
        }
        return WriterSink(writer: writer)
    }
}

/// Where the analyze command sends records: a report writer or the ladder renderer.
private protocol RecordSink: AnyObject {
    var sawRecord: Bool { get }
    func begin(firstPacketTime: Int64?)
    func write(_ record: ConnectionRecord)
    func finish(summary: AnalysisSummary)
}

private final class WriterSink: RecordSink {
    let writer: FlowRecordWriter
    var sawRecord = false
    init(writer: FlowRecordWriter) { self.writer = writer }
    func begin(firstPacketTime: Int64?) { writer.begin(firstPacketTime: firstPacketTime) }
    func write(_ record: ConnectionRecord) { sawRecord = true; writer.write(record) }
    func finish(summary: AnalysisSummary) { writer.finish(summary: summary) }
}

/// Collects TCP records with events and draws them, sorted like the text report.
private final class LadderSink: RecordSink {
    let output: OutputBuffer
    let format: LadderDiagram.Format
    var records: [ConnectionRecord] = []
    var sawRecord = false
    init(output: OutputBuffer, format: LadderDiagram.Format) { self.output = output; self.format = format }
    func begin(firstPacketTime: Int64?) {}
    func write(_ record: ConnectionRecord) {
        sawRecord = true
        if record.proto == .tcp || !record.events.isEmpty { records.append(record) }
    }
    func finish(summary: AnalysisSummary) {
        records.sort { $0.startTime != $1.startTime ? $0.startTime < $1.startTime : $0.uid < $1.uid }
        if records.isEmpty && sawRecord {
            output.append("(the selected flow is not a TCP connection: no ladder diagram)\n")
        }
        for (i, r) in records.enumerated() {
            if i > 0 { output.append("\n") }
            LadderDiagram(record: r).write(format, to: output)
        }
        output.flush()
    }
}

extension LadderDiagram.Format: ExpressibleByArgument {}
