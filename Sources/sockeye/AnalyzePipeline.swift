import FlowAnalysis
import PacketCodec
import Pcap
import Dispatch
import Synchronization

/// Reads several capture files as one stream, in timestamp order.
///
/// A k-way merge: each file's next packet is held (libpcap keeps its bytes valid until the next
/// read on that handle), and the earliest of the held packets is delivered next. Equal
/// timestamps go in command-line order, so the merge is deterministic. Every file must itself be
/// in time order (as capture files normally are); a packet that goes back in time within a file
/// is delivered where the file puts it. With one file this is a plain read loop.
///
/// A damaged file stops contributing at the damage (every packet before it has been delivered)
/// while the other files are read to their end; the damage errors are returned afterwards, in
/// the order they were met.
struct MergedCaptureReader {
    let files: [CaptureFile]

    /// Calls `body(record, fileIndex)` for every packet in merged time order until `body` returns
    /// false or every file is exhausted. Returns the damage errors met on the way.
    func forEachPacket(_ body: (borrowing PacketRecord, Int) -> Bool) -> [CaptureError] {
        var errors: [CaptureError] = []
        if files.count == 1 {
            let file = files[0]
            do {
                while let record = try file.next() {
                    if !body(record, 0) { break }
                }
            } catch {
                errors.append(error)
            }
            return errors
        }

        var heads = [PacketRecord?](repeating: nil, count: files.count)
        func advance(_ i: Int) {
            do {
                heads[i] = try files[i].next()
            } catch {
                heads[i] = nil
                errors.append(error)
            }
        }
        for i in files.indices { advance(i) }
        while true {
            var best = -1
            var bestTime = Timestamp(seconds: 0)
            for i in heads.indices {
                guard let t = heads[i]?.timestamp else { continue }
                if best < 0 || t < bestTime { best = i; bestTime = t }
            }
            if best < 0 { break }
            if !body(heads[best]!, best) { break }
            advance(best)
        }
        return errors
    }
}

/// Capture files → `PacketDecoder` → `FlowAnalyzer` → a record sink.
struct AnalyzePipeline {
    var files: [CaptureFile]
    var decoder: PacketDecoder
    var configuration: FlowConfiguration
    /// Progress on stderr for long inputs (nil: none).
    var progress: ProgressReporter? = nil

    /// Runs the analysis on two threads: this one analyzes, a second one reads and decodes
    /// (libpcap reads, checksums and header parsing) into recycled batches. Packets reach the
    /// analyzer in exactly the order a single thread would use, so the output is identical.
    /// `onRecord` gets each record as its flow ends (and at the end for flows still open);
    /// `beforeFirstRecord` is called once with the first packet's time before any record (nil if
    /// there were no packets); `shouldContinue` is polled per batch (e.g. to stop when the output
    /// went away).
    ///
    /// - Returns: the run's summary and the damage errors met (empty for clean input).
    func run(beforeFirstRecord: (Int64?) -> Void,
             onRecord: @escaping (ConnectionRecord) -> Void,
             shouldContinue: () -> Bool) -> (summary: AnalysisSummary, errors: [CaptureError]) {
        let analyzer = FlowAnalyzer(configuration: configuration) { record in onRecord(record) }
        let queue = BatchQueue()
        let stop = Atomic<Bool>(false)
        let reader = UnsafeSendable((files, decoder, progress))
        nonisolated(unsafe) var errors: [CaptureError] = []
        let readerDone = DispatchSemaphore(value: 0)
        DispatchQueue.global(qos: .userInitiated).async {
            let (files, decoder, progress) = reader.value
            let linkTypes = files.map { LinkType(dlt: $0.linkType) }
            var writer = BatchWriter(queue.emptyBatch())
            var counter = 0
            errors = MergedCaptureReader(files: files).forEachPacket { record, index in
                if !writer.fits(record.bytes.count) {
                    queue.put(writer.finish())
                    writer = BatchWriter(queue.emptyBatch())
                    if stop.load(ordering: .relaxed) { return false }
                }
                writer.append(time: record.timestamp.totalNanoseconds, bytes: record.bytes,
                              wireLength: record.wireLength, linkType: linkTypes[index], decoder: decoder)
                counter &+= 1
                if counter & 0xfff == 0 {
                    progress?.update(packets: counter, bytesRead: files.reduce(0) { $0 + $1.bytesRead })
                }
                return true
            }
            if !writer.isEmpty { queue.put(writer.finish()) } else { queue.recycle(writer.finish()) }
            queue.put(nil)
            progress?.finish()
            readerDone.signal()
        }

        var begun = false
        while let batch = queue.take() {
            if !begun, batch.count > 0 { begun = true; beforeFirstRecord(batch.entries[0].time) }
            for i in 0..<batch.count {
                let e = batch.entries + i
                analyzer.process(packetAt: UnsafePointer(e).pointer(to: \.packet)!, time: e.pointee.time,
                                 bytes: batch.frame(e))
            }
            queue.recycle(batch)
            if !shouldContinue() {
                stop.store(true, ordering: .relaxed)
                // Drain what the reader still hands over so it can finish.
                while let rest = queue.take() { queue.recycle(rest) }
                break
            }
        }
        readerDone.wait()
        if !begun { beforeFirstRecord(nil) }
        analyzer.finish()
        return (analyzer.summary, errors)
    }
}
