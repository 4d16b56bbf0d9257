/// Reads pcapng files (draft-ietf-opsawg-pcapng) straight from memory, beside
/// ``ClassicPcapCursor``: a read-only mapping of the file or bytes handed to
/// ``CaptureFile/init(bytes:name:filter:reader:)``.
///
/// Unlike libpcap 1.10, every interface keeps its own link type, snapshot length, `if_tsresol`
/// and `if_tsoffset`, so files whose interfaces differ (e.g. Ethernet + Linux cooked) read
/// whole; each ``PacketRecord`` carries its interface's DLT value.
///
/// Blocks (draft section 4 and following):
/// - Section Header Block (0x0A0D0D0A) in either byte order; a new section forgets the
///   interfaces of the previous one (section 4.1).
/// - Interface Description Block (1): link type, snaplen, `if_tsresol` (option 9: decimal
///   10^-n or, with the top bit, binary 2^-n), `if_tsoffset` (option 14, seconds).
/// - Enhanced Packet Block (6), Simple Packet Block (3, interface 0; captured length
///   `min(snaplen, room in the block, original length)`), obsolete Packet Block (2).
/// - Interface Statistics Block (5): kept in ``statistics``.
/// - Every other block (NRB 4, DSB 10, custom 0xBAD/0x40000BAD, unknown) is skipped by its
///   length.
///
/// Options are walked bounds-checked only on demand (``packetOptions()``), so the per-packet
/// path loads nothing beyond the block header and the packet header.
///
/// Damage (a block or packet cut short, a length below 12 or not a multiple of 4, a packet on
/// an interface without an IDB, an unknown version) ends reading with ``damage`` set to a
/// libpcap-style message; every record before it has been returned. Nothing here traps: every
/// load is checked against the block's length first, and the block's length against the data.
@usableFromInline
internal struct PcapNGCursor {
    /// The data (for a stream: the bytes buffered so far, see ``final``).
    @usableFromInline var base: UnsafeRawPointer
    @usableFromInline var size: Int
    /// Where the next block starts.
    @usableFromInline var offset: Int
    /// Whether the current section is in the other byte order.
    @usableFromInline var swapped: Bool
    /// The current section's interfaces, in IDB order.
    @usableFromInline var interfaces: [Interface] = []
    /// Set when a block is damaged.
    @usableFromInline var damage: String?
    /// For mappings: releases the pages behind the read position (``PageAdvisor``).
    @usableFromInline var pages: PageAdvisor?
    /// False while more data may follow ``size`` (a stream being read, ``StreamingInput``): a
    /// block cut short by the end of the data then sets ``needsMore`` instead of ``damage``.
    @usableFromInline var final = true
    /// Set (with `final` false) when the next block is not wholly in the data yet.
    @usableFromInline var needsMore = false
    /// The first section's first interface (``CaptureFile/linkType`` keeps meaning it).
    var firstLinkType: Int32 = 1
    var firstSnapshot: Int = PcapNGCursor.maximumCaptureLength
    var firstSwapped = false
    /// The first SHB's version (libpcap reports it as the file's, e.g. 1.0).
    var firstVersion = (major: 1, minor: 0)
    /// Every Interface Statistics Block read so far, in file order.
    var statistics: [InterfaceStatistics] = []
    /// The body offset and length of the last EPB/PB's options (0, 0 when it has none).
    @usableFromInline var lastOptions: (start: Int, end: Int) = (0, 0)
    /// Drop count of the last obsolete Packet Block (its header field), nil otherwise.
    @usableFromInline var lastPacketBlockDrops: UInt64? = nil

    // Block types (draft section 11.1).
    static let sectionHeader: UInt32 = 0x0A0D_0D0A
    static let interfaceDescription: UInt32 = 1
    static let obsoletePacket: UInt32 = 2
    static let simplePacket: UInt32 = 3
    static let interfaceStatisticsType: UInt32 = 5
    static let enhancedPacket: UInt32 = 6
    static let byteOrderMagic: UInt32 = 0x1A2B_3C4D
    /// The smallest block: type, length, trailing length.
    static let minimumBlock = 12
    /// libpcap's largest accepted block (`MAX_BLOCKSIZE`, 16 MiB).
    static let maximumBlock = 16 * 1024 * 1024
    /// libpcap's `MAXIMUM_SNAPLEN` for snaplen 0 / above `INT_MAX`.
    static let maximumCaptureLength = 262_144

    /// One interface of the current section.
    @usableFromInline
    struct Interface {
        @usableFromInline var linkType: Int32
        @usableFromInline var snapshot: Int
        /// Units per second of the 64-bit timestamps (10^n or 2^n, default 10^6).
        @usableFromInline var unitsPerSecond: UInt64
        /// `if_tsoffset`, seconds added to every timestamp.
        @usableFromInline var secondsOffset: Int64
    }

    /// A cursor when the data starts with a valid Section Header Block followed by its interface
    /// (or no block at all); nil otherwise, so libpcap reports the error.
    init?(base: UnsafeRawPointer, size: Int, releasesPages: Bool = false) {
        guard size >= 28, base.loadUnaligned(as: UInt32.self) == Self.sectionHeader else { return nil }
        self.base = base
        self.size = size
        self.offset = 0
        self.pages = releasesPages ? PageAdvisor(base: base, size: size) : nil
        self.swapped = false
        guard section(at: 0) == nil else { return nil }
        firstVersion = (Int(load16(12)), Int(load16(14)))
        // The first interface (libpcap reads blocks until an IDB or a packet before it opens).
        var first: Interface? = nil
        var at = offset
        var scan = self
        while first == nil, at + 8 <= size {
            let type = scan.load32(at), length = Int(scan.load32(at + 4))
            if length < Self.minimumBlock || length % 4 != 0 || length > size - at { break }
            if type == Self.interfaceDescription {
                first = scan.interface(at: at, length: length)
                if first == nil { return nil }
            } else if type == Self.sectionHeader {
                guard scan.section(at: at) == nil else { break }
                at = scan.offset
                continue
            } else if type == Self.enhancedPacket || type == Self.simplePacket || type == Self.obsoletePacket {
                break
            }
            at += length
        }
        firstLinkType = first?.linkType ?? 1
        firstSnapshot = first?.snapshot ?? Self.maximumCaptureLength
        firstSwapped = swapped
    }

    @inlinable @inline(__always)
    func load32(_ at: Int) -> UInt32 { ClassicPcapCursor.load(base, at, as: UInt32.self, swapped: swapped) }
    @inlinable @inline(__always)
    func load16(_ at: Int) -> UInt16 { ClassicPcapCursor.load(base, at, as: UInt16.self, swapped: swapped) }
    @inlinable @inline(__always)
    func load64(_ at: Int) -> UInt64 { ClassicPcapCursor.load(base, at, as: UInt64.self, swapped: swapped) }

    /// Whether the SHB at `at` is valid so far but not wholly in the data (a stream: read more).
    func sectionIncomplete(at: Int) -> Bool {
        let left = size - at
        if left < 28 { return true }
        let magic = base.loadUnaligned(fromByteOffset: at + 8, as: UInt32.self)
        let raw = base.loadUnaligned(fromByteOffset: at + 4, as: UInt32.self)
        let length: Int
        if magic == Self.byteOrderMagic { length = Int(raw) }
        else if magic == Self.byteOrderMagic.byteSwapped { length = Int(raw.byteSwapped) }
        else { return false }
        return length >= 28 && length % 4 == 0 && length <= Self.maximumBlock && length > left
    }

    /// Moves the cursor to data at `base` whose first byte is the one at the old ``offset``
    /// (a stream's buffer after it was compacted and refilled).
    mutating func rebase(_ newBase: UnsafeRawPointer, size newSize: Int, final isFinal: Bool) {
        base = newBase
        size = newSize
        offset = 0
        final = isFinal
        needsMore = false
        lastOptions = (0, 0)
    }

    /// Reads the SHB at `at`: sets the byte order, forgets the interfaces and moves past it.
    /// Returns a damage message, or nil.
    mutating func section(at: Int) -> String? {
        guard size - at >= 12 + 16 else {
            return "truncated pcapng dump file; tried to read 28 bytes, only got \(size - at)"
        }
        let magic = base.loadUnaligned(fromByteOffset: at + 8, as: UInt32.self)
        if magic == Self.byteOrderMagic { swapped = false }
        else if magic == Self.byteOrderMagic.byteSwapped { swapped = true }
        else { return "unknown byte order magic in pcapng section header block" }
        let length = Int(load32(at + 4))
        if length < 28 { return "section header block in pcapng dump file is too short (\(length) < 28)" }
        if length % 4 != 0 { return "block in pcapng dump file has a length of \(length) that is not a multiple of 4" }
        if length > Self.maximumBlock { return "pcapng block size \(length) > maximum \(Self.maximumBlock)" }
        if length > size - at {
            return "truncated pcapng dump file; tried to read \(length - 8) bytes, only got \(size - at - 8)"
        }
        let major = load16(at + 12), minor = load16(at + 14)
        guard major == 1 else { return "unsupported pcapng savefile version \(major).\(minor)" }
        interfaces.removeAll(keepingCapacity: true)
        offset = at + length
        return nil
    }

    /// The interface an IDB of `length` bytes at `at` describes; nil when its options are bad.
    func interface(at: Int, length: Int) -> Interface? {
        guard length >= 20 else { return nil }
        let value = UInt32(load16(at + 8))
        let snaplen = load32(at + 12)
        var unitsPerSecond: UInt64 = 1_000_000
        var secondsOffset: Int64 = 0
        var valid = true
        walkOptions(from: at + 16, to: at + length - 4) { code, start, count in
            switch code {
            case 9 where count >= 1:   // if_tsresol
                let r = base.load(fromByteOffset: start, as: UInt8.self)
                if r & 0x80 != 0 {
                    let shift = Int(r & 0x7f)
                    if shift > 63 { valid = false } else { unitsPerSecond = 1 << UInt64(shift) }
                } else {
                    if r > 19 { valid = false } else {
                        unitsPerSecond = 1
                        for _ in 0..<r { unitsPerSecond &*= 10 }
                    }
                }
            case 14 where count >= 8:  // if_tsoffset
                secondsOffset = Int64(bitPattern: load64(start))
            default: break
            }
        }
        guard valid else { return nil }
        return Interface(
            linkType: Self.dataLink(forLinkType: value),
            snapshot: snaplen == 0 || snaplen > UInt32(Int32.max) ? Self.maximumCaptureLength : Int(snaplen),
            unitsPerSecond: unitsPerSecond, secondsOffset: secondsOffset)
    }

    /// libpcap's `linktype_to_dlt` for the values that differ from their DLT on Linux.
    static func dataLink(forLinkType value: UInt32) -> Int32 {
        switch value {
        case 100: 11    // ATM_RFC1483
        case 101: 12    // RAW
        case 102: 15    // SLIP_BSDOS
        case 103: 16    // PPP_BSDOS
        default: Int32(truncatingIfNeeded: value)
        }
    }

    /// Calls `body(code, valueStart, valueLength)` for every option between `from` and `to`
    /// until `opt_endofopt` or the end; an option running past `to` ends the walk.
    func walkOptions(from: Int, to: Int, _ body: (UInt16, Int, Int) -> Void) {
        var at = from
        while at + 4 <= to {
            let code = load16(at), count = Int(load16(at + 2))
            if code == 0 { return }
            let start = at + 4
            guard count <= to - start else { return }
            body(code, start, count)
            at = start + (count + 3) & ~3
        }
    }

    /// The time stamp of `high:low` units on `interface`, as libpcap 1.10 scales it to
    /// nanoseconds (`frac * 10^9 / unitsPerSecond`, here without its 64-bit overflow).
    @inlinable @inline(__always)
    static func timestamp(high: UInt32, low: UInt32, on interface: Interface) -> Timestamp {
        let units = UInt64(high) << 32 | UInt64(low)
        let perSecond = interface.unitsPerSecond
        let seconds = Int64(bitPattern: units / perSecond) &+ interface.secondsOffset
        let fraction = units % perSecond
        let nanos: UInt64
        if perSecond == 1_000_000 { nanos = fraction &* 1000 }
        else if perSecond == 1_000_000_000 { nanos = fraction }
        else {
            let wide = fraction.multipliedFullWidth(by: 1_000_000_000)
            nanos = perSecond.dividingFullWidth(wide).quotient
        }
        return Timestamp(seconds: seconds, nanoseconds: UInt32(truncatingIfNeeded: nanos))
    }

    /// The next packet record, or nil at the end of the data or at damage (then ``damage``).
    @usableFromInline
    mutating func next() -> PacketRecord? {
        pages?.reached(offset)
        while true {
            let at = offset
            let left = size - at
            if left == 0 { if !final { needsMore = true }; return nil }
            if left < 8, !final { needsMore = true; return nil }
            if left < 8 { return fail("truncated pcapng dump file; tried to read 8 bytes, only got \(left)") }
            let type = load32(at)
            if type == Self.sectionHeader {
                if !final, sectionIncomplete(at: at) { needsMore = true; return nil }
                if let message = section(at: at) { return fail(message) }
                continue
            }
            let length = Int(load32(at + 4))
            if length < Self.minimumBlock {
                return fail("block in pcapng dump file has a length of \(length) < \(Self.minimumBlock)")
            }
            if length % 4 != 0 {
                return fail("block in pcapng dump file has a length of \(length) that is not a multiple of 4")
            }
            if length > Self.maximumBlock { return fail("pcapng block size \(length) > maximum \(Self.maximumBlock)") }
            if length > left {
                if !final { needsMore = true; return nil }
                return fail("truncated pcapng dump file; tried to read \(length - 8) bytes, only got \(left - 8)")
            }
            let body = at + 8, end = at + length - 4
            switch type {
            case Self.enhancedPacket:
                guard end - body >= 20 else { return fail("block in pcapng dump file is too short for an enhanced packet block") }
                return packet(interfaceID: Int(load32(body)), high: load32(body + 4), low: load32(body + 8),
                              captured: load32(body + 12), wire: load32(body + 16), data: body + 20, end: end,
                              next: at + length, drops: nil)
            case Self.obsoletePacket:
                guard end - body >= 20 else { return fail("block in pcapng dump file is too short for a packet block") }
                return packet(interfaceID: Int(load16(body)), high: load32(body + 4), low: load32(body + 8),
                              captured: load32(body + 12), wire: load32(body + 16), data: body + 20, end: end,
                              next: at + length, drops: UInt64(load16(body + 2)))
            case Self.simplePacket:
                guard end - body >= 4 else { return fail("block in pcapng dump file is too short for a simple packet block") }
                guard let interface = interfaces.first else {
                    return fail("a simple packet arrived, but there's no Interface Description Block")
                }
                let wire = Int(load32(body))
                let count = min(interface.snapshot, end - body - 4, wire)
                offset = at + length
                lastOptions = (0, 0)
                lastPacketBlockDrops = nil
                return PacketRecord(timestamp: Timestamp(seconds: 0), wireLength: wire, linkType: interface.linkType,
                                    bytes: UnsafeRawBufferPointer(start: base + body + 4, count: count))
            case Self.interfaceDescription:
                guard let interface = interface(at: at, length: length) else {
                    return fail("invalid interface description block in pcapng dump file")
                }
                interfaces.append(interface)
            case Self.interfaceStatisticsType:
                if end - body >= 12 { statistics.append(interfaceStatistics(at: at, end: end)) }
            default:
                break   // NRB, DSB, custom, unknown: skipped by length
            }
            offset = at + length
        }
    }

    /// An EPB or PB's record; moves to `next`.
    @inline(__always)
    mutating func packet(interfaceID: Int, high: UInt32, low: UInt32, captured: UInt32, wire: UInt32,
                         data: Int, end: Int, next: Int, drops: UInt64?) -> PacketRecord? {
        guard interfaceID < interfaces.count else {
            return fail("a packet arrived on interface \(interfaceID), but there's no Interface Description Block for that interface")
        }
        let interface = interfaces[interfaceID]
        guard Int(captured) <= end - data else {
            return fail("block in pcapng dump file has a captured length \(captured) beyond its end")
        }
        if captured > UInt32(Self.maximumCaptureLength) {
            return fail("invalid packet capture length \(captured), bigger than maximum of \(Self.maximumCaptureLength)")
        }
        // As tshark: an EPB's captured length is delivered even above the IDB's snaplen.
        let count = Int(captured)
        offset = next
        lastOptions = (data + (Int(captured) + 3) & ~3, end)
        lastPacketBlockDrops = drops
        return PacketRecord(timestamp: Self.timestamp(high: high, low: low, on: interface),
                            wireLength: Int(wire), linkType: interface.linkType,
                            bytes: UnsafeRawBufferPointer(start: base + data, count: count))
    }

    @usableFromInline
    mutating func fail(_ message: String) -> PacketRecord? {
        damage = message
        return nil
    }

    /// The statistics of the ISB whose body ends at `end`.
    func interfaceStatistics(at: Int, end: Int) -> InterfaceStatistics {
        let body = at + 8
        let id = Int(load32(body))
        var s = InterfaceStatistics(interfaceID: id, linkType: id < interfaces.count ? interfaces[id].linkType : nil)
        if id < interfaces.count {
            s.timestamp = Self.timestamp(high: load32(body + 4), low: load32(body + 8), on: interfaces[id])
        }
        walkOptions(from: body + 12, to: end) { code, start, count in
            guard count >= 8 else {
                if code == 1 { s.comment = string(start, count) }
                return
            }
            let value = load64(start)
            switch code {
            case 1: s.comment = string(start, count)
            case 4: s.received = value
            case 5: s.droppedByInterface = value
            case 6: s.acceptedByFilter = value
            case 7: s.droppedByOS = value
            case 8: s.deliveredToUser = value
            default: break
            }
        }
        return s
    }

    func string(_ start: Int, _ count: Int) -> String {
        String(decoding: UnsafeRawBufferPointer(start: base + start, count: count), as: UTF8.self)
    }

    /// The options of the last packet record (EPB or PB): comment, direction, drop count.
    func packetOptions() -> PacketOptions {
        var o = PacketOptions()
        o.dropCount = lastPacketBlockDrops
        walkOptions(from: lastOptions.start, to: lastOptions.end) { code, start, count in
            switch code {
            case 1: o.comment = string(start, count)
            case 2 where count >= 4:   // epb_flags: bits 0-1 inbound/outbound
                let flags = load32(start)
                o.flags = flags
                switch flags & 3 {
                case 1: o.direction = .inbound
                case 2: o.direction = .outbound
                default: o.direction = nil
                }
            case 4 where count >= 8: o.dropCount = load64(start)
            default: break
            }
        }
        return o
    }
}

/// One pcapng Interface Statistics Block (draft-ietf-opsawg-pcapng section 4.6); counters the
/// block does not carry are nil.
public struct InterfaceStatistics: Equatable, Sendable {
    /// The interface the statistics are for (its index in its section).
    public var interfaceID: Int
    /// That interface's DLT value, nil if the block names an interface without an IDB.
    public var linkType: Int32?
    /// When the statistics were taken.
    public var timestamp: Timestamp? = nil
    /// `isb_ifrecv`, `isb_ifdrop`, `isb_filteraccept`, `isb_osdrop`, `isb_usrdeliv`.
    public var received: UInt64? = nil
    public var droppedByInterface: UInt64? = nil
    public var acceptedByFilter: UInt64? = nil
    public var droppedByOS: UInt64? = nil
    public var deliveredToUser: UInt64? = nil
    /// `opt_comment`.
    public var comment: String? = nil
}

/// The options of a pcapng packet block (EPB section 4.3, obsolete PB appendix).
public struct PacketOptions: Equatable, Sendable {
    public enum Direction: Equatable, Sendable { case inbound, outbound }
    /// `opt_comment`.
    public var comment: String? = nil
    /// `epb_flags` as stored, and its direction bits.
    public var flags: UInt32? = nil
    public var direction: Direction? = nil
    /// `epb_dropcount` (or the obsolete PB's `drops_count`).
    public var dropCount: UInt64? = nil
}
