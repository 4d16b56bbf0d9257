import Dispatch
import FlowAnalysis
import Pcap
import Synchronization

extension FlowPipeline {
    /// The pipeline's records as an `AsyncSequence`: the run starts on its own threads when
    /// iteration starts, and the records come in the order ``run(onStart:onEvent:onIdle:shouldContinue:onRecord:)``
    /// gives them. Damage in the input is thrown after the last record read before it.
    ///
    /// ```swift
    /// for try await record in FlowPipeline(files: [try CaptureFile(path: "trace.pcap")]).records() {
    ///     print(record.uid, record.connState, record.history)
    /// }
    /// ```
    ///
    /// At most `bufferSize` records wait for the consumer; beyond that the analysis waits (and,
    /// with ``BackPressure/block``, so does reading), so memory stays bounded however slow the
    /// consumer. Cancelling the consuming task stops the pipeline. One iteration per pipeline.
    public func records(bufferSize: Int = 1024) -> FlowRecords {
        FlowRecords(pipeline: self, bufferSize: max(1, bufferSize))
    }
}

/// An `AsyncSequence` of `ConnectionRecord`s from a ``FlowPipeline`` (see ``FlowPipeline/records(bufferSize:)``).
public struct FlowRecords: AsyncSequence, Sendable {
    public typealias Element = ConnectionRecord
    public typealias Failure = any Error

    let pipeline: FlowPipeline
    let bufferSize: Int

    public func makeAsyncIterator() -> Iterator {
        Iterator(lifetime: Lifetime(RecordChannel(pipeline: pipeline, capacity: bufferSize)))
    }

    public struct Iterator: AsyncIteratorProtocol {
        let lifetime: Lifetime

        public mutating func next() async throws -> ConnectionRecord? {
            try await lifetime.channel.next()
        }
    }

    /// Stops the pipeline when the last copy of the iterator goes away (the loop was left early
    /// by `break`, a thrown error or cancellation), so its threads never wait for a consumer
    /// that is gone.
    final class Lifetime: Sendable {
        let channel: RecordChannel
        init(_ channel: RecordChannel) { self.channel = channel }
        deinit { channel.cancel() }
    }
}

/// The hand-off between the pipeline's analysis thread (which blocks when `capacity` records
/// wait) and an async consumer (which suspends when none waits).
final class RecordChannel: Sendable {
    private struct State {
        var buffer: [ConnectionRecord] = []
        var head = 0
        var waiting: CheckedContinuation<ConnectionRecord?, any Error>?
        var started = false
        var finished = false
        var cancelled = false
        var error: CaptureError?
    }

    private let pipeline: UnsafeSendable<FlowPipeline>
    private let capacity: Int
    private let state = Mutex(State())
    private let space = DispatchSemaphore(value: 0)

    init(pipeline: FlowPipeline, capacity: Int) {
        self.pipeline = UnsafeSendable(pipeline)
        self.capacity = capacity
    }

    /// Analysis thread: hands one record over, waiting while the buffer is full.
    private func send(_ record: ConnectionRecord) {
        while true {
            let accepted: Bool = state.withLock { s in
                if s.cancelled { return true }          // nobody listens: drop
                if let c = s.waiting {
                    s.waiting = nil
                    c.resume(returning: record)
                    return true
                }
                guard s.buffer.count - s.head < capacity else { return false }
                s.buffer.append(record)
                return true
            }
            if accepted { return }
            space.wait()
        }
    }

    private func start() {
        let pipeline = self.pipeline
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            let result = pipeline.value.run { [self] record in send(record) }
            state.withLock { s in
                s.finished = true
                s.error = result.errors.first
                if let c = s.waiting {
                    s.waiting = nil
                    if let e = s.error { s.error = nil; c.resume(throwing: e) } else { c.resume(returning: nil) }
                }
            }
        }
    }

    func next() async throws -> ConnectionRecord? {
        let first = state.withLock { s -> Bool in
            defer { s.started = true }
            return !s.started
        }
        if first { start() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<ConnectionRecord?, any Error>) in
                let freed = state.withLock { s -> Bool in
                    if s.cancelled { c.resume(returning: nil); return false }
                    if s.head < s.buffer.count {
                        let r = s.buffer[s.head]
                        s.head += 1
                        if s.head == s.buffer.count { s.buffer.removeAll(keepingCapacity: true); s.head = 0 }
                        c.resume(returning: r)
                        return true
                    }
                    if s.finished {
                        if let e = s.error { s.error = nil; c.resume(throwing: e) } else { c.resume(returning: nil) }
                        return false
                    }
                    s.waiting = c
                    return false
                }
                if freed { space.signal() }
            }
        } onCancel: {
            cancel()
        }
    }

    /// Stops the pipeline and ends the sequence; records still coming are dropped.
    func cancel() {
        let (waiter, running) = state.withLock { s -> (CheckedContinuation<ConnectionRecord?, any Error>?, Bool) in
            s.cancelled = true
            defer { s.waiting = nil }
            return (s.waiting, s.started && !s.finished)
        }
        if running { pipeline.value.stop() }
        waiter?.resume(returning: nil)
        space.signal()
    }
}
