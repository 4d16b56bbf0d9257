/// One captured packet as libpcap delivered it: its pcap record header and its bytes.
///
/// - Important: ``bytes`` is **borrowed** from libpcap's internal buffer. It is valid only inside
///   the closure passed to ``CaptureFile/forEachPacket(_:)`` / ``LiveCapture/loop(count:duration:_:)``,
///   or, for ``CaptureFile/next()``, until the next call on the same handle (see
///   pcap_next_ex(3PCAP)). Copy the bytes (`Array(record.bytes)`) if you need them longer.
///
/// The struct is trivially copyable (no references), so passing it around costs nothing.
@frozen
public struct PacketRecord {
    /// When the packet was captured, with nanosecond resolution.
    public var timestamp: Timestamp
    /// How many bytes were captured (`caplen`); equals `bytes.count`.
    public var captureLength: Int
    /// The packet's length on the wire (`len`); larger than `captureLength` when the snapshot
    /// length truncated the packet.
    public var wireLength: Int
    /// The raw `DLT_*` link-layer type (pcap_datalink(3PCAP)), e.g. 1 for Ethernet.
    public var linkType: Int32
    /// The captured bytes, borrowed from libpcap (see the type's discussion).
    public var bytes: UnsafeRawBufferPointer

    /// Creates a record; `captureLength` is taken from `bytes.count`.
    @inlinable
    public init(timestamp: Timestamp, wireLength: Int, linkType: Int32, bytes: UnsafeRawBufferPointer) {
        self.timestamp = timestamp
        self.captureLength = bytes.count
        self.wireLength = wireLength
        self.linkType = linkType
        self.bytes = bytes
    }

    /// Whether the snapshot length cut the packet short (`captureLength < wireLength`).
    @inlinable
    public var isTruncated: Bool { captureLength < wireLength }
}

@available(*, unavailable, message: "PacketRecord borrows libpcap's buffer; copy its bytes before crossing threads")
extension PacketRecord: Sendable {}
