import CPcap
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A live packet capture on a network interface.
///
/// Opening follows pcap(3PCAP)'s create/activate sequence: `pcap_create`, `pcap_set_snaplen`,
/// `pcap_set_promisc`, `pcap_set_immediate_mode`, `pcap_set_buffer_size`, `pcap_set_timeout`,
/// `pcap_set_tstamp_precision(NANO)`, `pcap_activate`, then the optional filter.
///
/// ```swift
/// let capture = try LiveCapture(interface: "eth0", configuration: .init(filter: "tcp"))
/// let stop = capture.stopHandle            // Sendable: hand it to a signal handler / thread
/// try capture.loop(count: 100, duration: .seconds(10)) { record in … }
/// print(try capture.statistics())
/// ```
///
/// A `LiveCapture` is used from one thread at a time; only ``stopHandle`` (and ``breakLoop()``
/// through it) may be used concurrently. `deinit` closes the handle (pcap_close(3PCAP)) once the
/// last ``StopHandle`` is gone too.
public final class LiveCapture {
    /// Options applied before activation.
    public struct Configuration: Sendable, Hashable {
        /// Bytes captured per packet (pcap_set_snaplen(3PCAP)); 262144 by default.
        public var snapshotLength: Int
        /// Put the interface in promiscuous mode (pcap_set_promisc(3PCAP)); on by default, as in tcpdump.
        public var promiscuous: Bool
        /// Deliver packets as soon as they arrive (pcap_set_immediate_mode(3PCAP)); off by default,
        /// as in tcpdump -w: on Linux immediate mode makes libpcap use a ring of fixed, MTU-sized
        /// frames (~64 KiB on lo) that short bursts overflow, while block mode (TPACKET_V3) packs
        /// packets and hands a block over when it fills or after ``readTimeout``.
        public var immediateMode: Bool
        /// Kernel ring buffer size in bytes (pcap_set_buffer_size(3PCAP)); 4 MiB by default
        /// (libpcap's own default is 2 MiB).
        public var bufferSize: Int
        /// The packet buffer timeout (pcap_set_timeout(3PCAP)) and the longest the loop sleeps
        /// in `poll(2)` between checks; 100 ms by default. Stops and deadlines do not wait for
        /// it (they wake the loop at once), so it mostly matters in non-immediate mode.
        public var readTimeout: Duration
        /// An optional BPF filter (pcap-filter(7)), installed after activation.
        public var filter: String?

        public init(
            snapshotLength: Int = PacketFilter.defaultSnapshotLength,
            promiscuous: Bool = true,
            immediateMode: Bool = false,
            bufferSize: Int = 4 << 20,
            readTimeout: Duration = .milliseconds(100),
            filter: String? = nil
        ) {
            self.snapshotLength = snapshotLength
            self.promiscuous = promiscuous
            self.immediateMode = immediateMode
            self.bufferSize = bufferSize
            self.readTimeout = readTimeout
            self.filter = filter
        }
    }

    /// The interface name passed to `pcap_create`.
    public let interface: String
    /// The configuration the capture was opened with.
    public let configuration: Configuration
    /// The raw `DLT_*` link type of the interface (pcap_datalink(3PCAP)), e.g. 1 for Ethernet
    /// (also `lo` on Linux), 113/276 for the `any` device.
    public let linkType: Int32
    /// The snapshot length in effect (pcap_snapshot(3PCAP)).
    public let snapshotLength: Int
    /// The warning `pcap_activate` returned, if any (e.g. promiscuous mode not supported).
    public let activationWarning: String?
    /// The filter currently installed, if any.
    public private(set) var filter: String?

    /// The shared owner of the `pcap_t` and the stop flag.
    @usableFromInline internal let box: LiveHandle
    /// 1 for nanosecond time stamps, 1000 if the platform refused nanosecond precision.
    @usableFromInline internal let nanosecondsPerUnit: Int
    /// The longest single wait in the loop.
    internal let readTimeoutMilliseconds: Int32

    /// Opens and activates a capture on `interface`.
    ///
    /// - Throws:
    ///   - ``CaptureError/deviceUnavailable(device:message:)`` (69) for `PCAP_ERROR_NO_SUCH_DEVICE`,
    ///     `PCAP_ERROR_IFACE_NOT_UP` and other device errors;
    ///   - ``CaptureError/permissionDenied(device:message:)`` (77) for `PCAP_ERROR_PERM_DENIED` /
    ///     `PCAP_ERROR_PROMISC_PERM_DENIED`;
    ///   - ``CaptureError/badFilter(expression:message:)`` (64) if the filter does not compile;
    ///   - ``CaptureError/captureFailed(message:)`` (70) for anything else.
    public init(interface: String, configuration: Configuration = Configuration()) throws(CaptureError) {
        let (created, message) = PcapSupport.withErrorBuffer { errbuf in pcap_create(interface, errbuf) }
        guard let handle = created else {
            throw .captureFailed(message: "\(interface): \(message)")
        }
        var handed = false
        defer { if !handed { pcap_close(handle) } }

        pcap_set_snaplen(handle, Int32(clamping: max(configuration.snapshotLength, 1)))
        pcap_set_promisc(handle, configuration.promiscuous ? 1 : 0)
        pcap_set_immediate_mode(handle, configuration.immediateMode ? 1 : 0)
        pcap_set_buffer_size(handle, Int32(clamping: max(configuration.bufferSize, 0)))
        pcap_set_timeout(handle, Self.milliseconds(configuration.readTimeout))
        // Not all platforms support nanoseconds; fall back to microseconds and scale.
        _ = pcap_set_tstamp_precision(handle, Int32(PCAP_TSTAMP_PRECISION_NANO))

        let status = pcap_activate(handle)
        if status < 0 {
            throw Self.activationError(status: status, device: interface, handle: handle)
        }
        self.activationWarning = status > 0 ? Self.warningText(status: status, handle: handle) : nil

        if let filter = configuration.filter {
            try PacketFilter.install(filter, on: handle)
        }

        // On Linux the read timeout does not make a blocking read return when no packets
        // arrive, so reads are non-blocking and the loop waits in poll(2) itself (see LiveHandle).
        let pollable = PcapSupport.withErrorBuffer { errbuf in pcap_setnonblock(handle, 1, errbuf) }.result == 0
            ? pcap_get_selectable_fd(handle) : -1
        if pollable < 0 {
            _ = PcapSupport.withErrorBuffer { errbuf in pcap_setnonblock(handle, 0, errbuf) }
        }

        handed = true
        self.box = LiveHandle(handle, pollDescriptor: pollable)
        self.interface = interface
        self.configuration = configuration
        self.filter = configuration.filter
        self.linkType = pcap_datalink(handle)
        self.snapshotLength = Int(pcap_snapshot(handle))
        self.nanosecondsPerUnit = PcapSupport.nanosecondsPerUnit(handle)
        self.readTimeoutMilliseconds = Self.milliseconds(configuration.readTimeout)
    }

    /// Replaces the capture's BPF filter (pcap_setfilter(3PCAP)).
    ///
    /// - Throws: ``CaptureError/badFilter(expression:message:)``; the old filter stays installed.
    public func setFilter(_ expression: String) throws(CaptureError) {
        try PacketFilter.install(expression, on: box.handle)
        filter = expression
    }

    // MARK: - Error mapping

    static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        let total = seconds.multipliedReportingOverflow(by: 1000)
        if total.overflow || seconds < 0 { return seconds < 0 ? 1 : .max }
        let ms = total.partialValue + attoseconds / 1_000_000_000_000_000
        return Int32(clamping: max(ms, 1))
    }

    /// Maps a negative `pcap_activate` status to an error (pcap_activate(3PCAP) RETURN VALUE).
    private static func activationError(status: Int32, device: String, handle: OpaquePointer) -> CaptureError {
        let detail = PcapSupport.lastError(handle)
        let generic = String(cString: pcap_statustostr(status))
        let message = detail.isEmpty ? generic : detail
        switch status {
        case PCAP_ERROR_NO_SUCH_DEVICE:
            let both = detail.isEmpty || detail == generic ? generic : "\(generic) (\(detail))"
            return .deviceUnavailable(device: device, message: both)
        case PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED:
            return .permissionDenied(
                device: device, message: "\(message) (run as root or grant CAP_NET_RAW)")
        case PCAP_ERROR_IFACE_NOT_UP, PCAP_ERROR_RFMON_NOTSUP, PCAP_ERROR_NOT_RFMON,
             PCAP_ERROR_CANTSET_TSTAMP_TYPE, PCAP_ERROR_TSTAMP_PRECISION_NOTSUP:
            return .deviceUnavailable(device: device, message: message)
        default:   // PCAP_ERROR and anything unexpected
            return .captureFailed(message: "\(device): \(message)")
        }
    }

    private static func warningText(status: Int32, handle: OpaquePointer) -> String {
        let detail = PcapSupport.lastError(handle)
        return detail.isEmpty ? String(cString: pcap_statustostr(status)) : detail
    }
}

@available(*, unavailable, message: "LiveCapture is single-threaded; pass its Sendable stopHandle instead")
extension LiveCapture: Sendable {}

/// Owns a live `pcap_t`, the stop flag and a wake-up pipe; shared between a ``LiveCapture``
/// and its ``LiveCapture/StopHandle``s so everything outlives every party that may stop it.
///
/// When libpcap offers a selectable descriptor (Linux, BSD, macOS) the handle is non-blocking
/// and the loop waits in `poll(2)` on that descriptor plus the pipe, so a stop or a deadline
/// is noticed at once even when no packets arrive (on Linux the pcap read timeout alone does
/// not end a blocking read). Otherwise the handle blocks and `pcap_breakloop(3PCAP)` wakes it.
///
/// `@unchecked Sendable`: from other threads only `requestStop()` is called, and it touches
/// only the atomic flag, `write(2)` on the pipe and (in blocking mode) `pcap_breakloop`, all
/// async-signal-safe. Everything else stays on the owning `LiveCapture`'s thread.
@usableFromInline
internal final class LiveHandle: @unchecked Sendable {
    @usableFromInline let handle: OpaquePointer
    @usableFromInline let stopRequested = Atomic<Bool>(false)
    /// `pcap_get_selectable_fd`, or -1 when the handle is in blocking mode.
    let pollDescriptor: Int32
    /// Non-blocking pipe written by `requestStop()` to wake `poll`; -1/-1 if unavailable.
    let wakeRead: Int32
    let wakeWrite: Int32

    init(_ handle: OpaquePointer, pollDescriptor: Int32) {
        self.handle = handle
        var ends: [Int32] = [-1, -1]
        if pollDescriptor >= 0, pipe(&ends) == 0 {
            for end in ends {
                _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
                _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            }
            self.pollDescriptor = pollDescriptor
        } else {
            self.pollDescriptor = -1
            if pollDescriptor >= 0 {
                _ = PcapSupport.withErrorBuffer { errbuf in pcap_setnonblock(handle, 0, errbuf) }
            }
        }
        self.wakeRead = ends[0]
        self.wakeWrite = ends[1]
    }

    deinit {
        pcap_close(handle)
        if wakeRead >= 0 { close(wakeRead) }
        if wakeWrite >= 0 { close(wakeWrite) }
    }

    /// Async-signal-safe: an atomic store, then a one-byte `write` to the wake pipe (poll mode)
    /// or `pcap_breakloop` (blocking mode).
    @usableFromInline
    func requestStop() {
        stopRequested.store(true, ordering: .sequentiallyConsistent)
        if wakeWrite >= 0 {
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
        } else {
            pcap_breakloop(handle)
        }
    }

    /// Clears the flag and empties the wake pipe after the loop honoured a stop.
    func acknowledgeStop() {
        stopRequested.store(false, ordering: .sequentiallyConsistent)
        guard wakeRead >= 0 else { return }
        var sink = [UInt8](repeating: 0, count: 64)
        while read(wakeRead, &sink, sink.count) > 0 {}
    }

    /// Waits until a packet may be readable, a stop is requested, or `milliseconds` pass.
    func wait(milliseconds: Int32) {
        var descriptors = [
            pollfd(fd: pollDescriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
        ]
        _ = poll(&descriptors, 2, milliseconds)   // EINTR or timeout: the loop re-checks
    }
}
