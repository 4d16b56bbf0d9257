import ArgumentParser
import Dispatch
import FlowAnalysis
import FlowPipeline
import PacketCodec
import Pcap
import Reports
#if canImport(Glibc)
import Glibc
#endif

/// `sockeye live -i IF …`: capture on an interface, stream connection events as they happen,
/// and print the flow report and capture statistics when the capture stops (`-c`, `--duration`,
/// Ctrl-C or SIGTERM).
///
/// Capture runs on its own thread and hands packets to the analysis thread through a bounded
/// `FlowPipeline` with the drop policy (the capture thread decodes and never waits for the
/// analysis); slow output therefore never blocks `pcap_next_ex`. `-w` writes every captured
/// packet on the capture thread, before the hand-off, so the file is complete even if the
/// hand-off had to drop.
struct Live: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Capture on an interface and report connections as they open and close.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, zeek, csv }

    @Option(name: [.short, .long],
            help: ArgumentHelp("Interface to capture on: a name, or the number 'sockeye interfaces' prints before it (as tcpdump -i). Default: the first device listed, as tcpdump.",
                               valueName: "interface"),
            completion: .custom { _, _, _ in (try? CaptureDevice.all().map(\.name)) ?? [] })
    var interface: String?

    @Option(name: [.short, .long], help: "BPF filter expression (pcap-filter(7)).")
    var filter: String?

    @Option(name: [.short, .long], help: "Stop after N packets.")
    var count: Int?

    @Option(help: "Stop after S seconds.")
    var duration: Double?

    @Option(name: [.short, .customLong("write")], help: "Also save every captured packet to this pcap file.", completion: .file())
    var write: String?

    @Option(help: "Output format: text (events, then the report), json (one event per line), zeek (conn.log) or csv (records as flows end).")
    var format: Format = .text

    @Option(name: [.short, .long], help: "Write the events and records to PATH instead of standard output (renamed into place when the capture ends).",
            completion: .file())
    var output: String?

    @Flag(name: [.short, .long], help: "No 'listening on' line and no capture statistics on stderr (errors are still printed).")
    var quiet = false

    @Option(help: "Bytes captured per packet.")
    var snaplen: Int = 262_144

    @Flag(help: "Do not put the interface into promiscuous mode.")
    var noPromisc = false

    /// Without immediate mode libpcap on Linux uses TPACKET_V3: packets are packed into blocks
    /// handed over when full or after the 100 ms read timeout, as in tcpdump. Immediate mode
    /// uses a ring of fixed-size frames (one per packet, sized by the snapshot length or MTU:
    /// ~64 KiB on lo), which a 2000-connection burst on lo overflows even at 64 MiB.
    @Flag(help: "Hand each packet over as soon as it arrives (pcap_set_immediate_mode) instead of in blocks of at most 100 ms; bursts then need a much larger --buffer-size.")
    var immediateMode = false

    @Option(help: "Kernel capture buffer size in MiB.")
    var bufferSize: Int = 8

    @OptionGroup var flowOptions: FlowOptions
    @OptionGroup var recordOptions: RecordOptions

    func validate() throws {
        if let count, count <= 0 { throw ValidationError("--count must be positive") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        if snaplen <= 0 { throw ValidationError("--snaplen must be positive") }
        if bufferSize <= 0 { throw ValidationError("--buffer-size must be positive") }
    }

    func run() throws {
        let interface: String
        do {
            interface = try Self.resolve(self.interface)
        } catch {
            throw failure(reporting: error)
        }
        let capture: LiveCapture
        let saver: CaptureWriter?
        do {
            capture = try LiveCapture(interface: interface, configuration: .init(
                snapshotLength: snaplen, promiscuous: !noPromisc, immediateMode: immediateMode,
                bufferSize: bufferSize << 20, filter: filter))
            saver = try write.map { path throws(CaptureError) in try CaptureWriter(path: path, for: capture) }
        } catch {
            throw failure(reporting: error)
        }
        let outputFile = try OutputFile.forCommand(output, inputs: write.map { [$0] } ?? []) { _ in "-o and -w name the same file: \(output ?? "")" }
        signal(SIGPIPE, SIG_IGN)
        if let warning = capture.activationWarning { writeToStandardError("sockeye: warning: \(warning)") }
        if !quiet {
            writeToStandardError("sockeye: listening on \(interface), link-type \(LinkType(dlt: capture.linkType)), snapshot length \(capture.snapshotLength) bytes")
        }

        let pipeline = FlowPipeline(live: capture, count: count, duration: duration.map { .milliseconds(Int64($0 * 1000)) },
                                    decoder: flowOptions.decoder, configuration: flowOptions.configuration)
        // Stop cleanly on Ctrl-C and SIGTERM: the handler only asks the capture loop to end.
        // Like tcpdump, a capture stopped this way exits 0: it is the normal way to end one.
        let interruption = Interruption { pipeline.stop() }
        let stop = capture.stopHandle

        // libpcap's Linux reader keeps polling while no packet arrives, so the loop's own
        // deadline check would wait for traffic: a timer ends an idle capture on time.
        if let duration {
            DispatchQueue.global().asyncAfter(deadline: .now() + duration) { stop.stop() }
        }

        nonisolated(unsafe) var captured = 0
        pipeline.onPacketRead = { record in
            saver?.write(record)
            captured += 1
        }
        let out = OutputBuffer(fileDescriptor: outputFile?.descriptor ?? 1)
        let session = LiveSession(format: format, output: out, options: recordOptions.fieldOptions)
        let result = pipeline.run(onEvent: { session.event($0) }, onIdle: { out.flush() },
                                  shouldContinue: { !out.writeFailed }, onRecord: { session.ended($0, decidedAt: pipeline.analysisTime) })
        interruption.cancel()
        do { try saver?.close() } catch { writeToStandardError(error.description) }
        session.finish(summary: result.summary)
        let captureError = result.errors.first

        let stats = try? capture.statistics()
        var lines = ["\(captured) packets captured"]
        if let stats {
            lines.append("\(stats.received) packets received by filter")
            lines.append("\(stats.droppedByKernel) packets dropped by kernel")
            if stats.droppedByInterface != 0 { lines.append("\(stats.droppedByInterface) packets dropped by interface") }
        }
        let handoffDrops = result.droppedPackets
        if handoffDrops != 0 { lines.append("\(handoffDrops) packets dropped by the analysis hand-off (analysis too slow)") }
        if format == .json {
            out.append("{\"event\":\"stats\",\"captured\":"); out.append(int: captured)
            out.append(",\"received\":"); out.append(int: stats?.received ?? 0)
            out.append(",\"dropped_kernel\":"); out.append(int: stats?.droppedByKernel ?? 0)
            out.append(",\"dropped_interface\":"); out.append(int: stats?.droppedByInterface ?? 0)
            out.append(",\"dropped_handoff\":"); out.append(int: handoffDrops)
            out.append("}\n")
            out.flush()
        }
        if !quiet { writeToStandardError(lines.joined(separator: "\n")) }
        try OutputFile.finish(outputFile, out, name: output)
        if let captureError { throw failure(reporting: captureError) }
    }
}

extension Live {
    /// tcpdump's `-i` rules: a device's name; else a number N, the Nth device `sockeye interfaces`
    /// lists; no `-i` at all: the first device listed (libpcap lists up, running, non-loopback
    /// devices first).
    static func resolve(_ argument: String?) throws(CaptureError) -> String {
        let devices = try CaptureDevice.all()
        guard let argument else {
            guard let first = devices.first else {
                throw .deviceUnavailable(device: "live", message: "no capture device found (run as root, or name one with -i)")
            }
            return first.name
        }
        if devices.contains(where: { $0.name == argument }) { return argument }
        if let n = Int(argument), n >= 1 {
            guard n <= devices.count else {
                throw .deviceUnavailable(device: argument, message: "no interface with that number ('sockeye interfaces' lists \(devices.count))")
            }
            return devices[n - 1].name
        }
        return argument
    }
}

/// Renders live events and the final report in one of the live formats: events through
/// `FlowEventWriter` (text, json), records through the `analyze` writers (zeek, csv). Only the
/// text format keeps records, for its report at the end.
final class LiveSession {
    let format: Live.Format
    let output: OutputBuffer
    private var records: [ConnectionRecord] = []
    private let events: FlowEventWriter?
    /// zeek and csv: the same writers as `analyze`, fed as flows end.
    private let writer: FlowRecordWriter?

    init(format: Live.Format, output: OutputBuffer, options: ConnFieldOptions = .default) {
        self.format = format
        self.output = output
        switch format {
        case .zeek: writer = ZeekTSVWriter(output: output, options: options); events = nil
        case .csv: writer = FlowCSVWriter(output: output, options: options); events = nil
        case .text: writer = nil; events = FlowEventWriter(format: .text, output: output, options: options)
        case .json: writer = nil; events = FlowEventWriter(format: .json, output: output, options: options)
        }
    }

    func event(_ e: FlowEvent) { events?.event(e) }

    /// A flow ended (closed, timed out, evicted, reused) or the capture stopped (end of input);
    /// `decidedAt`: when the analysis decided it.
    func ended(_ r: ConnectionRecord, decidedAt: Int64) {
        if format == .text { records.append(r) }
        if let events {
            events.closed(r, decidedAt: decidedAt)
        } else {
            writer?.write(r)
            output.flush()
        }
    }

    func finish(summary: AnalysisSummary) {
        switch format {
        case .text:
            output.append("\n")
            let report = FlowTextReport(output: output)
            for r in records { report.write(r) }
            report.finish(summary: summary)
        case .json:
            break
        case .zeek, .csv:
            writer?.finish(summary: summary)
        }
        output.flush()
    }
}
