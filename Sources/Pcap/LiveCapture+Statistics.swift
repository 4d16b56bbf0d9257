import CPcap

/// Packet counters of a live capture (pcap_stats(3PCAP)).
///
/// On Linux `received` counts packets that passed the filter (including those dropped), and
/// `droppedByKernel` those lost because the ring buffer was full. The counters are 32-bit in
/// libpcap and can wrap on long captures.
public struct CaptureStatistics: Sendable, Hashable, CustomStringConvertible {
    /// `ps_recv`: packets received by the capture.
    public var received: Int
    /// `ps_drop`: packets dropped because the buffer was full.
    public var droppedByKernel: Int
    /// `ps_ifdrop`: packets dropped by the interface or its driver (not supported everywhere).
    public var droppedByInterface: Int

    public init(received: Int, droppedByKernel: Int, droppedByInterface: Int) {
        self.received = received
        self.droppedByKernel = droppedByKernel
        self.droppedByInterface = droppedByInterface
    }

    /// tcpdump-style: `12 packets received by filter, 0 packets dropped by kernel, 0 packets dropped by interface`.
    public var description: String {
        "\(received) packets received by filter, \(droppedByKernel) packets dropped by kernel, "
            + "\(droppedByInterface) packets dropped by interface"
    }
}

extension LiveCapture {
    /// The capture's counters so far (pcap_stats(3PCAP)).
    ///
    /// - Throws: ``CaptureError/captureFailed(message:)`` with `pcap_geterr` text.
    public func statistics() throws(CaptureError) -> CaptureStatistics {
        var stats = pcap_stat()
        guard pcap_stats(box.handle, &stats) == 0 else {
            throw .captureFailed(message: "\(interface): \(PcapSupport.lastError(box.handle))")
        }
        return CaptureStatistics(
            received: Int(stats.ps_recv),
            droppedByKernel: Int(stats.ps_drop),
            droppedByInterface: Int(stats.ps_ifdrop))
    }
}
