import Dispatch
import FlowAnalysis
import PacketCodec
import Pcap
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What happens when the analysis thread falls behind the reading thread.
public enum BackPressure: Sendable, Hashable {
    /// The reader waits: nothing is lost (files, standard input).
    case block
    /// The reader never waits: packets that find the hand-off full are dropped and counted in
    /// ``PipelineResult/droppedPackets`` (live capture, where waiting would make the kernel drop
    /// packets instead, and the saved `-w` file still gets every one).
    case drop
}

/// How many bytes of each frame cross from the reading thread to the analyzer.
///
/// The decoded packet (offsets and header fields) always crosses; the frame bytes are copied
/// only as far as this policy says, so payload bytes are never copied when nothing reads them.
public enum PayloadPolicy: Sendable, Hashable {
    /// The headers up to the transport payload, plus the first `plus` payload bytes.
    case headers(plus: Int)
    /// The whole captured frame.
    case whole

    /// What `FlowAnalyzer` reads: the headers plus an ICMP header's type and code, which sit in
    /// the first bytes after the IP header, and the whole of every IP fragment (it reassembles
    /// them) and of every ICMP error (its quoted datagram names the flow it is about). A feature that reads payload (service identification) must widen this.
    public static let analyzer = PayloadPolicy.headers(plus: 8)

    /// Bytes of a `count`-byte frame kept, given where its (transport) payload starts. A frame
    /// the analyzer reads whole (`keepWhole`: an IP fragment, for reassembly; an ICMP error,
    /// for its quote; both rare) is kept whole under every policy.
    @inlinable @inline(__always)
    public func bytesKept(of count: Int, payloadOffset: Int, keepWhole: Bool = false) -> Int {
        switch self {
        case .headers(let plus): return keepWhole ? count : min(count, max(0, payloadOffset) &+ plus)
        case .whole: return count
        }
    }
}

/// What a pipeline run did.
public struct PipelineResult: Sendable {
    /// The analyzer's totals (packets, flows, defects…).
    public var summary: AnalysisSummary
    /// Damage or capture errors, in the order met (empty for clean input). Every packet before
    /// an error was analyzed.
    public var errors: [CaptureError]
    /// Packets the source delivered (with ``BackPressure/drop``, including the dropped ones).
    public var packetsRead: Int
    /// Packets dropped because the hand-off was full (always 0 with ``BackPressure/block``).
    public var droppedPackets: Int
    /// True when ``FlowPipeline/stop()`` (or `shouldContinue`) ended the run early.
    public var stoppedEarly: Bool
}

/// Capture source → `PacketDecoder` → `FlowAnalyzer` → records, on two threads.
///
/// The reading thread reads (a merged set of capture files, or a live capture), decodes each
/// frame straight into a recycled batch and copies only the bytes the ``PayloadPolicy`` keeps;
/// the calling thread runs the analyzer over each batch in place. Packets reach the analyzer in
/// exactly the order a single thread would use, so the records are identical to a one-thread run
/// (same uids, same order). Steady state allocates nothing.
///
/// ```swift
/// let file = try CaptureFile(path: "trace.pcap")
/// let pipeline = FlowPipeline(files: [file])
/// let result = pipeline.run { record in print(record.uid, record.connState) }
/// ```
///
/// `run` may be called once. ``stop()`` may be called from any thread (a signal handler's
/// dispatch source, a timer): reading stops, the packets already read are analyzed, every open
/// flow is finished as at the end of input, and `run` returns normally.
public final class FlowPipeline: @unchecked Sendable {
    private enum Source {
        case files(MergedCapture)
        case live(LiveCapture, count: Int?, duration: Duration?)
    }

    private let source: Source
    public let decoder: PacketDecoder
    public let configuration: FlowConfiguration
    public let payload: PayloadPolicy
    public let backPressure: BackPressure

    /// Called on the reading thread every ``progressInterval`` packets (rounded up to a power of
    /// two) with the packets read so far and the input bytes consumed (files only; 0 for live capture).
    public var onProgress: ((_ packets: Int, _ bytesRead: Int64) -> Void)?
    public var progressInterval = 4096
    /// Called on the reading thread for every packet, before the hand-off (and so even for a
    /// packet the hand-off then drops): e.g. to save every captured packet.
    public var onPacketRead: ((borrowing PacketRecord) -> Void)?
    /// Live capture: how long the analysis thread waits for packets before it lets inactivity
    /// timeouts fire on wall-clock time and calls `onIdle`.
    public var idleInterval: Duration = .milliseconds(200)

    private let stopFlag = Atomic<Bool>(false)
    private let queueDepth: Int
    /// The analyzer's clock, written on the analysis thread before each packet and each advance
    /// (a plain pointer store per packet: no exclusivity check, no atomic).
    private let clock: UnsafeMutablePointer<Int64> = {
        let p = UnsafeMutablePointer<Int64>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()

    deinit { clock.deallocate() }

    /// The time the analysis has reached, in nanoseconds since the epoch: the timestamp of the
    /// packet being analyzed, or the wall-clock time a live run advanced to while idle, or at the
    /// end the time the flows still open were finished. Read it from `onRecord` or `onEvent`
    /// (on the analysis thread) to know when a flow was decided, which for a closed connection is
    /// later than its last packet (Zeek's close delay) and for a timed-out flow is its timeout.
    public var analysisTime: Int64 { clock.pointee }

    /// Analyzes capture files, merged in time order (``MergedCapture``).
    public init(files: [CaptureFile], decoder: PacketDecoder = PacketDecoder(),
                configuration: FlowConfiguration = FlowConfiguration(),
                payload: PayloadPolicy = .analyzer, backPressure: BackPressure = .block) {
        source = .files(MergedCapture(files))
        self.decoder = decoder
        self.configuration = configuration
        self.payload = payload
        self.backPressure = backPressure
        queueDepth = 4
    }

    /// Analyzes a live capture until `count` packets, `duration`, ``stop()`` or a capture error.
    /// Whenever the analysis thread has nothing to do, the batch filled so far is handed over
    /// (after each packet, and when the kernel has none waiting), so events come out with the
    /// packets that cause them; while it is busy, packets gather into one batch.
    public init(live capture: LiveCapture, count: Int? = nil, duration: Duration? = nil,
                decoder: PacketDecoder = PacketDecoder(), configuration: FlowConfiguration = FlowConfiguration(),
                payload: PayloadPolicy = .analyzer, backPressure: BackPressure = .drop) {
        source = .live(capture, count: count, duration: duration)
        self.decoder = decoder
        self.configuration = configuration
        self.payload = payload
        self.backPressure = backPressure
        queueDepth = 16
    }

    /// Asks the run to stop reading (thread-safe; idempotent).
    public func stop() {
        stopFlag.store(true, ordering: .relaxed)
        if case .live(let capture, _, _) = source { capture.stopHandle.stop() }
    }

    /// True once ``stop()`` was called.
    public var isStopped: Bool { stopFlag.load(ordering: .relaxed) }

    /// Runs the pipeline to the end of input (or ``stop()``), on this thread and one more.
    ///
    /// - Parameters:
    ///   - onStart: called once, before any record, with the first packet's time in nanoseconds
    ///     since the epoch (nil when there were no packets): e.g. for a Zeek `#open` line.
    ///   - onEvent: flow events (connection opened/rejected) as they happen; nil: none.
    ///   - onTunnel: tunnel.log events (a tunnel discovered, closed, expired) as they happen; nil: none.
    ///   - onIdle: live capture: called after each idle interval and each batch, after the
    ///     analyzer moved to wall-clock time (e.g. to flush output).
    ///   - shouldContinue: polled per batch; false stops the run as ``stop()`` does (e.g. the
    ///     output went away).
    ///   - onRecord: each record as its flow ends, then the records of flows open at the end.
    public func run(onStart: (Int64?) -> Void = { _ in },
                    onEvent: ((FlowEvent) -> Void)? = nil,
                    onTunnel: ((TunnelEvent) -> Void)? = nil,
                    onIdle: () -> Void = {},
                    shouldContinue: () -> Bool = { true },
                    onRecord: @escaping (ConnectionRecord) -> Void) -> PipelineResult {
        let analyzer = FlowAnalyzer(configuration: configuration) { record in onRecord(record) }
        if let onEvent { analyzer.onEvent = onEvent }
        if let onTunnel { analyzer.onTunnel = onTunnel }
        let queue = BatchQueue(depth: queueDepth)
        let readerDone = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var readResult = ReadResult()
        let this = UnsafeSendable(self)
        DispatchQueue.global(qos: .userInitiated).async {
            readResult = this.value.read(into: queue)
            readerDone.signal()
        }

        var live = false
        if case .live = source { live = true }
        let idle = DispatchTimeInterval.nanoseconds(Int(clamping: idleInterval.components.seconds &* 1_000_000_000
                                                                   &+ idleInterval.components.attoseconds / 1_000_000_000))
        var begun = false
        consume: while true {
            switch queue.take(timeout: live ? idle : nil) {
            case .end:
                break consume
            case .timedOut:
                let now = wallClockNanoseconds()
                clock.pointee = max(clock.pointee, now)
                analyzer.advance(to: now)
                onIdle()
                if !shouldContinue() { stop() }
            case .batch(let batch):
                if !begun, batch.count > 0 { begun = true; onStart(batch.entries[0].time) }
                for i in 0..<batch.count {
                    let e = batch.entries + i
                    clock.pointee = e.pointee.time
                    analyzer.process(packetAt: UnsafePointer(e).pointer(to: \.packet)!, time: e.pointee.time,
                                     bytes: batch.frame(e))
                }
                queue.recycle(batch)
                if live {
                    let now = wallClockNanoseconds()
                    clock.pointee = max(clock.pointee, now)
                    analyzer.advance(to: now)
                    onIdle()
                }
                if !shouldContinue() {
                    stop()
                    // Drain what the reader still hands over so it can finish.
                    drain: while true {
                        switch queue.take() {
                        case .batch(let rest): queue.recycle(rest)
                        case .end, .timedOut: break drain
                        }
                    }
                    break consume
                }
            }
        }
        readerDone.wait()
        if !begun { onStart(nil) }
        if live { clock.pointee = max(clock.pointee, wallClockNanoseconds()) }
        analyzer.finish()
        return PipelineResult(summary: analyzer.summary, errors: readResult.errors, packetsRead: readResult.packets,
                              droppedPackets: readResult.dropped, stoppedEarly: isStopped)
    }

    private struct ReadResult {
        var errors: [CaptureError] = []
        var packets = 0
        var dropped = 0
    }

    /// The reading thread: source → decode → batches. Ends the queue with `nil`.
    private func read(into queue: BatchQueue) -> ReadResult {
        var result = ReadResult()
        var state = ReaderState(queue: queue, decoder: decoder, payload: payload, blocking: backPressure == .block,
                                onPacketRead: onPacketRead)
        let mask = (1 << (Int.bitWidth - (max(1, progressInterval) - 1).leadingZeroBitCount)) - 1
        let onProgress = self.onProgress
        // Only `state` (a local struct, captured by non-escaping closures) changes per packet:
        // statically checked access, no boxes, no runtime exclusivity checks.
        switch source {
        case .files(let merged):
            // Each record carries its interface's link type (pcapng files may mix them).
            var links = LinkCache()
            result.errors = merged.forEachPacket { record, _ in
                state.accept(record, links[record.linkType])
                if _slowPath(state.counter & mask == 0) { onProgress?(state.counter, merged.bytesRead) }
                return !stopFlag.load(ordering: .relaxed)
            }
        case .live(let capture, let count, let duration):
            let linkType = LinkType(dlt: capture.linkType)
            do {
                try capture.loop(count: count, duration: duration, onIdle: { if state.queue.consumerIsIdle { state.flush() } }) { record in
                    state.accept(record, linkType)
                    if state.queue.consumerIsIdle { state.flush() }
                    if _slowPath(state.counter & mask == 0) { onProgress?(state.counter, 0) }
                }
            } catch {
                result.errors.append(error)
            }
        }
        if let w = state.writer {
            if !w.isEmpty { queue.put(w.finish()) } else { queue.recycle(w.finish()) }
        }
        queue.put(nil)
        result.packets = state.counter
        result.dropped = state.dropped
        return result
    }
}

/// `LinkType(dlt:)` of the last DLT seen: one compare per packet instead of the mapping switch.
private struct LinkCache {
    private var dlt: Int32 = .min
    private var link = LinkType(dlt: 1)

    subscript(_ value: Int32) -> LinkType {
        mutating get {
            if _slowPath(value != dlt) { dlt = value; link = LinkType(dlt: value) }
            return link
        }
    }
}

/// The reading thread's per-packet state: the batch being filled and the counts.
private struct ReaderState {
    let queue: BatchQueue
    let decoder: PacketDecoder
    let payload: PayloadPolicy
    let blocking: Bool
    let onPacketRead: ((borrowing PacketRecord) -> Void)?
    var writer: BatchWriter?
    var counter = 0
    var dropped = 0

    init(queue: BatchQueue, decoder: PacketDecoder, payload: PayloadPolicy, blocking: Bool,
         onPacketRead: ((borrowing PacketRecord) -> Void)?) {
        self.queue = queue
        self.decoder = decoder
        self.payload = payload
        self.blocking = blocking
        self.onPacketRead = onPacketRead
        writer = blocking ? BatchWriter(queue.emptyBatch()) : queue.tryEmptyBatch().map(BatchWriter.init)
    }

    /// Decodes one record into the batch (or, with the drop policy and no free batch, counts it
    /// as dropped).
    @inline(__always)
    mutating func accept(_ record: borrowing PacketRecord, _ linkType: LinkType) {
        onPacketRead?(record)
        counter &+= 1
        if blocking {
            if !writer.unsafelyUnwrapped.fits(record.bytes.count) {
                queue.put(writer.unsafelyUnwrapped.finish())
                writer = BatchWriter(queue.emptyBatch())
            }
        } else {
            if let w = writer, !w.fits(record.bytes.count) {
                queue.put(w.finish())
                writer = nil
            }
            if writer == nil { writer = queue.tryEmptyBatch().map(BatchWriter.init) }
            if writer == nil { dropped &+= 1; return }
        }
        writer!.append(time: record.timestamp.totalNanoseconds, bytes: record.bytes,
                       wireLength: record.wireLength, linkType: linkType, decoder: decoder, payload: payload)
    }

    /// Hands a partly filled batch over (live capture, when the analysis thread is idle).
    mutating func flush() {
        guard let w = writer, !w.isEmpty else { return }
        queue.put(w.finish())
        writer = blocking ? BatchWriter(queue.emptyBatch()) : queue.tryEmptyBatch().map(BatchWriter.init)
    }
}

/// Wraps a non-Sendable value handed to the one other thread that uses it.
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Nanoseconds since the epoch on the wall clock (`CLOCK_REALTIME`): live capture's time base.
public func wallClockNanoseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}
