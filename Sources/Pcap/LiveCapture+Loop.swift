import CPcap
import Synchronization

extension LiveCapture {
    /// Why ``LiveCapture/loop(count:duration:_:)`` returned.
    public enum LoopEnd: Sendable, Hashable {
        /// `count` packets were delivered.
        case countReached
        /// `duration` elapsed.
        case durationElapsed
        /// ``LiveCapture/breakLoop()`` / ``StopHandle/stop()`` was called.
        case stopped
    }

    /// Delivers captured packets to `body` until `count` packets, `duration`, or a stop request.
    ///
    /// Packets are read with `pcap_next_ex(3PCAP)` on a non-blocking handle; between bursts the
    /// loop sleeps in `poll(2)` for at most the configured read timeout, so a stop request or
    /// the deadline is noticed promptly even when no packets arrive. `record.bytes` is valid
    /// only during the call to `body`. To stop from inside `body`, call ``breakLoop()``.
    ///
    /// A stop requested before the loop starts ends it at once; the request is consumed when
    /// the loop returns `.stopped`.
    ///
    /// - Parameters:
    ///   - count: stop after this many packets (`nil`: no limit).
    ///   - duration: stop after this much time (`nil`: no limit).
    ///   - onIdle: called each time the kernel has no packet waiting, before the loop sleeps (e.g.
    ///     to hand a partly filled batch to another thread: a burst fills batches, a lull flushes them).
    ///   - body: called with each packet; `record.bytes` is valid only during the call.
    /// - Returns: why the loop ended.
    /// - Throws: ``CaptureError/captureFailed(message:)`` with `pcap_geterr` text if reading fails
    ///   (e.g. the interface went down or away).
    @discardableResult
    public func loop(
        count: Int? = nil,
        duration: Duration? = nil,
        onIdle: (() -> Void)? = nil,
        _ body: (borrowing PacketRecord) -> Void
    ) throws(CaptureError) -> LoopEnd {
        let limit = count ?? .max
        if limit <= 0 { return .countReached }
        let clock = ContinuousClock()
        let deadline = duration.map { clock.now.advanced(by: $0) }
        let handle = box.handle
        var delivered = 0
        while true {
            if _slowPath(box.stopRequested.load(ordering: .relaxed)) { return acknowledgeStop() }
            var header: UnsafeMutablePointer<pcap_pkthdr>? = nil
            var data: UnsafePointer<UInt8>? = nil
            let status = pcap_next_ex(handle, &header, &data)
            if _fastPath(status == 1), let header, let data {
                body(PacketRecord(
                    header: header, data: data, linkType: linkType, nanosecondsPerUnit: nanosecondsPerUnit))
                delivered &+= 1
                if delivered >= limit { return .countReached }
                if let deadline, clock.now >= deadline { return .durationElapsed }
            } else if status == 0 {
                // Nothing to read right now (non-blocking) or a read timeout (blocking mode).
                onIdle?()
                var wait = readTimeoutMilliseconds
                if let deadline {
                    let remaining = deadline - clock.now
                    if remaining <= .zero { return .durationElapsed }
                    wait = min(wait, Self.milliseconds(remaining))
                }
                if box.pollDescriptor >= 0 { box.wait(milliseconds: wait) }
            } else if status == PCAP_ERROR_BREAK {
                // pcap_breakloop (blocking mode). libpcap's own flag can outlive a stop we
                // already honoured, so a break without our flag is stale: keep reading.
                if box.stopRequested.load(ordering: .sequentiallyConsistent) { return acknowledgeStop() }
            } else {
                throw .captureFailed(message: "\(interface): \(PcapSupport.lastError(handle))")
            }
        }
    }

    /// Like ``loop(count:duration:_:)``, but `body` may throw; its error stops the loop and is
    /// rethrown unchanged.
    @inlinable
    @discardableResult
    public func loop<Failure: Error>(
        count: Int? = nil,
        duration: Duration? = nil,
        _ body: (borrowing PacketRecord) throws(Failure) -> Void
    ) throws -> LoopEnd {
        var failure: Failure? = nil
        let end = try loop(count: count, duration: duration) { (record: borrowing PacketRecord) in
            guard failure == nil else { return }
            do throws(Failure) { try body(record) } catch {
                failure = error
                breakLoop()
            }
        }
        if let failure { throw failure }
        return end
    }

    private func acknowledgeStop() -> LoopEnd {
        box.acknowledgeStop()
        return .stopped
    }
}
