#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads classic pcap records (pcap-savefile(5)) straight from memory: a read-only mapping of
/// the file, or bytes handed to ``CaptureFile/init(bytes:name:filter:reader:)``.
///
/// This is the fast path of ``CaptureFile``: no `read(2)` copy into a stdio buffer and no second
/// copy into libpcap's packet buffer; a record's bytes point into the mapping. It handles only
/// the common format: magic `a1b2c3d4` (microseconds) or `a1b23c4d` (nanoseconds) in either
/// byte order, version 2.4, and a link type whose on-disk LINKTYPE value libpcap delivers
/// unchanged or maps trivially (see ``dataLink(forLinkType:swapped:)``). Every other file goes
/// through libpcap.
///
/// Records, damage and messages are exactly libpcap 1.10's `pcap_next_packet` (sf-pcap.c):
/// a record header cut short, captured bytes cut short, a captured length above the maximum
/// (262144) or, when above the file's snapshot length, delivery of the first snapshot-length
/// bytes with the rest skipped. Timestamps are the 32-bit signed fields libpcap reads, scaled to
/// nanoseconds. The differential test (`ClassicPcapCursorTests`) and the capture-file fuzz target
/// compare this reader with libpcap record by record and message by message.
@usableFromInline
internal struct ClassicPcapCursor {
    /// The whole file (for a stream: the bytes buffered so far, see ``final``).
    @usableFromInline var base: UnsafeRawPointer
    @usableFromInline var size: Int
    /// Where the next record header starts.
    @usableFromInline var offset: Int
    @usableFromInline let swapped: Bool
    /// 1000 for microsecond files, 1 for nanosecond files.
    @usableFromInline let fractionScale: Int
    /// The file's snapshot length as libpcap adjusts it (0 or above `INT_MAX`: the maximum).
    @usableFromInline let snapshot: Int
    /// Captured lengths up to this are delivered whole: `min(snapshot, maximumCaptureLength)`.
    @usableFromInline let fastLimit: Int
    /// The DLT value records are delivered with.
    @usableFromInline let linkType: Int32
    /// Set when a record is damaged (libpcap's errbuf text).
    @usableFromInline var damage: String?
    /// For mappings: releases the pages behind the read position (``PageAdvisor``).
    @usableFromInline var pages: PageAdvisor?
    /// False while more data may follow ``size`` (a stream being read, ``StreamingInput``): a
    /// record cut short by the end of the data then sets ``needsMore`` instead of ``damage``.
    @usableFromInline var final = true
    /// Set (with `final` false) when the next record is not wholly in the data yet.
    @usableFromInline var needsMore = false

    /// libpcap's `max_snaplen_for_dlt` for the link types read here (`MAXIMUM_SNAPLEN`).
    static let maximumCaptureLength = 262_144
    static let headerLength = 24
    @usableFromInline static let recordHeaderLength = 16

    /// A cursor over `size` bytes at `base` when they are a classic pcap file this reader
    /// handles; nil otherwise (including files shorter than a header), so libpcap reads them and
    /// reports their errors.
    init?(base: UnsafeRawPointer, size: Int, releasesPages: Bool) {
        guard size >= Self.headerLength else { return nil }
        let magic = base.loadUnaligned(as: UInt32.self).littleEndian
        let swapped: Bool
        let scale: Int
        switch magic {
        case 0xa1b2_c3d4: swapped = false; scale = 1000
        case 0xa1b2_3c4d: swapped = false; scale = 1
        case 0xd4c3_b2a1: swapped = true; scale = 1000
        case 0x4d3c_b2a1: swapped = true; scale = 1
        default: return nil
        }
        guard Self.load(base, 4, as: UInt16.self, swapped: swapped) == 2,
              Self.load(base, 6, as: UInt16.self, swapped: swapped) == 4,
              let dlt = Self.dataLink(forLinkType: Self.load(base, 20, as: UInt32.self, swapped: swapped),
                                      swapped: swapped) else { return nil }
        let snaplen = Self.load(base, 16, as: UInt32.self, swapped: swapped)
        self.base = base
        self.size = size
        self.offset = Self.headerLength
        self.swapped = swapped
        self.fractionScale = scale
        // libpcap 1.10's pcap_adjust_snapshot: only 0 and values above INT_MAX become the maximum.
        self.snapshot = snaplen == 0 || snaplen > UInt32(Int32.max) ? Self.maximumCaptureLength : Int(snaplen)
        self.fastLimit = min(snapshot, Self.maximumCaptureLength)
        self.linkType = dlt
        self.pages = releasesPages ? PageAdvisor(base: base, size: size) : nil
    }

    /// Moves the cursor to data at `base` whose first byte is the one at the old ``offset``
    /// (a stream's buffer after it was compacted and refilled).
    mutating func rebase(_ newBase: UnsafeRawPointer, size newSize: Int, final isFinal: Bool) {
        base = newBase
        size = newSize
        offset = 0
        final = isFinal
        needsMore = false
    }

    /// The DLT libpcap reports for an on-disk LINKTYPE value (`linktype_to_dlt`), for the link
    /// types this reader handles: those whose records libpcap passes through untouched. SLL and
    /// SLL2 in the other byte order are left to libpcap, which rewrites CAN pseudo-headers in
    /// them (`swap_pseudo_headers`); values with the upper "extension" bits set are left too.
    static func dataLink(forLinkType value: UInt32, swapped: Bool) -> Int32? {
        switch value {
        case 0, 1, 108, 228, 229: Int32(value)   // NULL, Ethernet, LOOP, IPv4, IPv6
        case 101: 12                             // LINKTYPE_RAW is DLT_RAW (12 on Linux)
        case 113, 276: swapped ? nil : Int32(value)
        default: nil
        }
    }

    /// The file-order integer at `base + at` (little-endian on disk unless `swapped`).
    @inlinable @inline(__always)
    static func load<T: FixedWidthInteger>(_ base: UnsafeRawPointer, _ at: Int, as type: T.Type, swapped: Bool) -> T {
        let v = T(littleEndian: base.loadUnaligned(fromByteOffset: at, as: T.self))
        return swapped ? v.byteSwapped : v
    }

    @inlinable @inline(__always)
    func load(_ at: Int) -> UInt32 { Self.load(base, at, as: UInt32.self, swapped: swapped) }

    /// The current record's time stamp as libpcap 1.10 delivers it: the 32-bit fields are
    /// signed in a file of the host's byte order but come out of `SWAPLONG` unsigned in a
    /// swapped one (so `ffffffff` seconds is 1969 in one and 2106 in the other); the fraction is
    /// scaled to nanoseconds before it is normalised.
    @inlinable @inline(__always)
    func timestamp() -> Timestamp {
        let seconds = load(offset), fraction = load(offset &+ 4)
        return swapped
            ? Timestamp(seconds: Int64(seconds), fraction: Int(fraction) &* fractionScale, nanosecondsPerUnit: 1)
            : Timestamp(seconds: Int64(Int32(bitPattern: seconds)),
                        fraction: Int(Int32(bitPattern: fraction)) &* fractionScale, nanosecondsPerUnit: 1)
    }

    /// The next record, or nil at the end of the data or at damage (then ``damage`` is set).
    /// The record's bytes point into the file's memory and stay valid while it is open.
    @inlinable
    mutating func next() -> PacketRecord? {
        let start = offset &+ Self.recordHeaderLength
        guard _fastPath(start <= size) else { return end() }
        let captured = Int(load(offset &+ 8))
        let available = size &- start
        guard _fastPath(captured <= fastLimit && captured <= available) else { return unusual() }
        return take(count: captured, stored: captured)
    }

    /// The record at ``offset`` with its first `count` bytes; moves past its `stored` bytes.
    @inlinable @inline(__always)
    mutating func take(count: Int, stored: Int) -> PacketRecord {
        pages?.reached(offset)
        let start = offset &+ Self.recordHeaderLength
        let record = PacketRecord(
            timestamp: timestamp(),
            wireLength: Int(load(offset &+ 12)),
            linkType: linkType,
            bytes: UnsafeRawBufferPointer(start: base + start, count: count))
        offset = start &+ stored
        return record
    }

    /// The end of the data, or a record header cut short.
    @usableFromInline
    mutating func end() -> PacketRecord? {
        if !final { needsMore = true; return nil }
        let left = size - offset
        if left > 0 {
            damage = "truncated dump file; tried to read \(Self.recordHeaderLength) header bytes, only got \(left)"
        }
        return nil
    }

    /// A captured length above the snapshot length or beyond the end of the data.
    @usableFromInline
    mutating func unusual() -> PacketRecord? {
        let start = offset + Self.recordHeaderLength
        let captured = load(offset + 8)
        let available = size - start
        if captured > UInt32(Self.maximumCaptureLength) {
            damage = captured > UInt32(snapshot)
                ? "invalid packet capture length \(captured), bigger than snaplen of \(snapshot)"
                : "invalid packet capture length \(captured), bigger than maximum of \(Self.maximumCaptureLength)"
            return nil
        }
        if !final, available < Int(captured) { needsMore = true; return nil }
        if Int(captured) > snapshot {
            // libpcap reads the first `snapshot` bytes, discards the rest and reports `snapshot`.
            if available < snapshot {
                damage = "truncated dump file; tried to read \(snapshot) captured bytes, only got \(available)"
                return nil
            }
            if available < Int(captured) {
                damage = "truncated dump file; tried to read \(captured) captured bytes, only got \(available)"
                return nil
            }
            return take(count: snapshot, stored: Int(captured))
        }
        damage = "truncated dump file; tried to read \(captured) captured bytes, only got \(available)"
        return nil
    }
}
