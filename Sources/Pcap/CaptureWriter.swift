import CPcap

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes packets to a classic pcap file with `pcap_dump(3PCAP)`.
///
/// The file is written in host byte order with microsecond (`a1b2c3d4`) or nanosecond
/// (`a1b23c4d`) time stamps. Used by `sockeye live -w` and by tests to make fixtures.
///
/// ```swift
/// let writer = try CaptureWriter(path: "out.pcap", linkType: 1)
/// writer.write(record)                 // or write(bytes:timestamp:)
/// try writer.close()                   // reports any write error
/// ```
///
/// `pcap_dump` cannot report errors, so they surface from ``flush()`` and ``close()``; `deinit`
/// closes a writer that was not closed (silently). Not thread-safe.
public final class CaptureWriter {
    /// Time stamp resolution of the written file.
    public enum Precision: Sendable, Hashable {
        /// Magic `a1b2c3d4`; nanoseconds are truncated to microseconds.
        case microseconds
        /// Magic `a1b23c4d`.
        case nanoseconds
    }

    /// The output path (`-` is standard output).
    public let path: String
    /// The raw `DLT_*` link type in the file header.
    public let linkType: Int32
    /// The snapshot length in the file header; longer packets are truncated to it on write.
    public let snapshotLength: Int
    /// The time stamp resolution of the file.
    public let precision: Precision
    /// Packets written so far.
    public private(set) var packetsWritten: Int = 0

    /// The `pcap_dumper_t *`, `nil` once closed.
    private var dumper: OpaquePointer?

    /// Creates (or truncates) `path` and writes the pcap file header.
    ///
    /// - Parameters:
    ///   - linkType: the raw `DLT_*` value of the packets, e.g. 1 (Ethernet).
    ///   - snapshotLength: recorded in the header; also the maximum bytes written per packet.
    ///   - precision: time stamp resolution; nanoseconds by default.
    /// - Throws: ``CaptureError/writeFailed(path:reason:)`` if the file cannot be created
    ///   (pcap_dump_open(3PCAP)).
    public init(
        path: String,
        linkType: Int32,
        snapshotLength: Int = PacketFilter.defaultSnapshotLength,
        precision: Precision = .nanoseconds
    ) throws(CaptureError) {
        let snaplen = min(max(snapshotLength, 1), Int(Int32.max))
        let precisionCode = precision == .nanoseconds ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO
        guard let dead = pcap_open_dead_with_tstamp_precision(linkType, Int32(snaplen), UInt32(precisionCode)) else {
            throw .writeFailed(path: path, reason: "pcap_open_dead failed (out of memory)")
        }
        defer { pcap_close(dead) }   // the dumper does not need the handle after opening
        guard let dumper = pcap_dump_open(dead, path) else {
            let message = PcapSupport.lastError(dead)
            throw .writeFailed(path: path, reason: PcapSupport.stripping(prefix: path, from: message))
        }
        self.path = path
        self.linkType = linkType
        self.snapshotLength = snaplen
        self.precision = precision
        self.dumper = dumper
    }

    /// Creates a nanosecond pcap file matching a live capture's link type and snapshot length.
    ///
    /// - Throws: ``CaptureError/writeFailed(path:reason:)``.
    public convenience init(path: String, for capture: LiveCapture) throws(CaptureError) {
        try self.init(path: path, linkType: capture.linkType, snapshotLength: capture.snapshotLength)
    }

    deinit {
        if let dumper { pcap_dump_close(dumper) }
    }

    /// Appends a packet with the record's timestamp, wire length and bytes.
    ///
    /// - Precondition: the writer is not closed.
    public func write(_ record: borrowing PacketRecord) {
        write(bytes: record.bytes, timestamp: record.timestamp, wireLength: record.wireLength)
    }

    /// Appends a packet.
    ///
    /// - Parameters:
    ///   - bytes: the captured bytes; only the first ``snapshotLength`` are written.
    ///   - timestamp: the capture time (truncated to microseconds in a microsecond file).
    ///   - wireLength: the original length; defaults to (and is never less than) `bytes.count`.
    /// - Precondition: the writer is not closed (traps otherwise).
    public func write(bytes: UnsafeRawBufferPointer, timestamp: Timestamp, wireLength: Int? = nil) {
        guard let dumper else { preconditionFailure("CaptureWriter.write called after close()") }
        let captured = min(bytes.count, snapshotLength)
        var header = pcap_pkthdr()
        header.ts.tv_sec = .init(truncatingIfNeeded: timestamp.seconds)
        header.ts.tv_usec = .init(precision == .nanoseconds ? timestamp.nanoseconds : timestamp.nanoseconds / 1000)
        header.caplen = UInt32(captured)
        header.len = UInt32(clamping: max(wireLength ?? bytes.count, bytes.count))
        let user = UnsafeMutablePointer<UInt8>(dumper)
        if let base = bytes.baseAddress {
            pcap_dump(user, &header, base.assumingMemoryBound(to: UInt8.self))
        } else {
            var empty: UInt8 = 0
            pcap_dump(user, &header, &empty)
        }
        packetsWritten += 1
    }

    /// Appends a packet from an array of bytes.
    public func write(_ bytes: [UInt8], timestamp: Timestamp, wireLength: Int? = nil) {
        bytes.withUnsafeBytes { write(bytes: $0, timestamp: timestamp, wireLength: wireLength) }
    }

    /// Flushes buffered packets to the file (pcap_dump_flush(3PCAP)).
    ///
    /// - Throws: ``CaptureError/writeFailed(path:reason:)`` if a write failed (disk full, …).
    public func flush() throws(CaptureError) {
        guard let dumper else { return }
        try Self.flush(dumper, path: path)
    }

    /// Flushes and closes the file (pcap_dump_close(3PCAP)). Calling it again does nothing.
    ///
    /// - Throws: ``CaptureError/writeFailed(path:reason:)`` if any write or the flush failed;
    ///   the file is closed either way.
    public func close() throws(CaptureError) {
        guard let dumper else { return }
        self.dumper = nil
        defer { pcap_dump_close(dumper) }
        try Self.flush(dumper, path: path)
    }

    private static func flush(_ dumper: OpaquePointer, path: String) throws(CaptureError) {
        errno = 0
        let failed = pcap_dump_flush(dumper) != 0
        let saved = errno
        if failed || ferror(pcap_dump_file(dumper)) != 0 {
            throw .writeFailed(path: path, reason: saved != 0 ? PcapSupport.describe(errno: saved) : "write error")
        }
    }
}

@available(*, unavailable, message: "CaptureWriter wraps a pcap_dumper_t, which is not thread-safe")
extension CaptureWriter: Sendable {}
