import Synchronization
extension LiveCapture {
    /// A `Sendable` token that stops a capture's loop from another thread, a task, or a signal
    /// handler (it keeps the underlying handle alive).
    ///
    /// ```swift
    /// let stop = capture.stopHandle
    /// signalSource.setEventHandler { stop.stop() }
    /// ```
    public struct StopHandle: Sendable {
        @usableFromInline internal let box: LiveHandle

        /// Requests the loop to return `.stopped`: sets an atomic flag and calls
        /// `pcap_breakloop(3PCAP)`, which wakes a blocked read. Safe from any thread and from a
        /// signal handler; idempotent.
        @inlinable
        public func stop() { box.requestStop() }
    }

    /// A token that can stop this capture from elsewhere (see ``StopHandle``).
    public var stopHandle: StopHandle { StopHandle(box: box) }

    /// Stops the current (or next) ``loop(count:duration:_:)``; callable from inside the loop
    /// body. From other threads use ``stopHandle``.
    @inlinable
    public func breakLoop() { box.requestStop() }

    /// Whether a stop was requested and not yet honoured by a loop.
    public var isStopRequested: Bool { box.stopRequested.load(ordering: .relaxed) }
}
