import PacketCodec

/// IPv4 and IPv6 fragment reassembly for flow analysis, with Zeek's semantics
/// (src/Frag.cc `FragReassembler`, scripts/base/init-bare.zeek `frag_timeout`):
///
/// * fragments are grouped by (source, destination, identification, IP version, flow context
///   — VLAN ids and the tunnel the fragment travelled in): IPv4's 16-bit
///   Identification (RFC 791 §3.2) or the IPv6 Fragment header's 32-bit one (RFC 8200 §4.5);
/// * the first-received fragment's header (IPv4 header with options, or the IPv6 header and the
///   extension headers before the Fragment header) becomes the header of the datagram, with its
///   length fields set and, for IPv4, the fragment fields cleared and the checksum recomputed;
///   the upper-layer protocol is the offset-0 fragment's (IPv6 Next Header after the Fragment
///   header);
/// * on overlap the data received first wins (Zeek's `Reassembler` keeps old blocks); the
///   overlap is counted (`overlaps`, `inconsistentOverlaps` when the bytes differ:
///   Zeek's `fragment_overlap` / `fragment_inconsistency` weirds);
/// * the datagram is complete when the data from offset 0 is contiguous up to the size the last
///   fragment (More Fragments clear) gives; a fragment reaching further raises the size, as in
///   Zeek (`fragment_size_inconsistency`);
/// * an incomplete datagram is dropped `timeout` after its first fragment (default 5 min);
///   memory is bounded by `maxDatagrams` and `maxBytes` of buffered data, the oldest incomplete
///   datagram being dropped first (counted in `evicted`).
///
/// Only fragments whose whole IP payload was captured are buffered (a fragment cut by the
/// snapshot length cannot be reassembled; counted in `truncated`). A reassembled datagram
/// longer than 65,535 bytes (IPv4 total length, IPv6 payload length) is dropped (`oversized`).
/// Nothing here traps on any input. `FlowAnalyzer` owns one; `sockeye packets --format json`
/// runs one to mark the fragment that completes a datagram.
public struct FragmentReassembler {
    struct Key: Hashable {
        var source: IPAddress
        var destination: IPAddress
        var identification: UInt32
        var v6: Bool
        /// The packet's flow context id (VLAN ids, the tunnel around the fragment): fragments
        /// of one datagram travel in one context (Zeek keys fragments per tunnel too).
        var context: UInt32 = 0
    }

    /// One datagram being reassembled.
    struct Datagram {
        var header: [UInt8]
        /// Offset in `header` of the byte holding the upper-layer protocol (IPv4 Protocol, or the
        /// Next Header of the header that preceded the Fragment header).
        var protocolFieldOffset: Int
        var v6: Bool
        var upperProtocol: UInt8?
        var data: [UInt8] = []
        /// Sorted, disjoint, non-adjacent byte ranges of `data` received so far.
        var covered: [Range<Int>] = []
        /// Size from the last fragment (More Fragments clear), raised by fragments beyond it.
        var size: Int? = nil
        var firstTime: Int64
        var serial: UInt64
    }

    /// Incomplete datagrams are dropped this long after their first fragment (ns; Zeek's
    /// `frag_timeout`), and at most `maxDatagrams` of them and `maxBytes` of data are held.
    public var timeout: Int64 = 300 * 1_000_000_000
    public var maxDatagrams = 10_000
    public var maxBytes = 64 << 20
    /// Data length of the last datagram `add` completed (the reassembled payload after the
    /// IPv4 header, or after the IPv6 headers up to the Fragment header: tshark's
    /// `ip.reassembled.length` / `ipv6.reassembled.length`).
    public private(set) var lastReassembledLength = 0

    public init() {}

    private var pending: [Key: Datagram] = [:]
    /// Insertion order (serial, key) for expiry and eviction; stale entries are skipped.
    private var order: [(UInt64, Key)] = []
    private var orderHead = 0
    private var nextSerial: UInt64 = 0
    /// Header and data bytes held for incomplete datagrams (bounded by `maxBytes`).
    private(set) var bufferedBytes = 0

    public private(set) var counters = FragmentCounters()

    /// Datagrams currently incomplete.
    public var pendingCount: Int { pending.count }

    /// The end of the input: what is still incomplete is counted and dropped.
    public mutating func finish() {
        counters.incompleteAtEnd &+= UInt64(pending.count)
        pending.removeAll()
        order.removeAll()
        orderHead = 0
        bufferedBytes = 0
    }

    /// Adds the fragment `packet` (decoded from `bytes`, in flow context `context`). Returns the
    /// reassembled datagram (an IPv4 or IPv6 packet starting at its IP header) when this
    /// fragment completed one.
    public mutating func add(_ packet: UnsafePointer<DecodedPacket>, bytes: UnsafeRawBufferPointer,
                             time: Int64, context: UInt32 = 0) -> [UInt8]? {
        counters.fragments &+= 1
        expire(now: time)
        guard var piece = Piece(packet, bytes) else { counters.truncated &+= 1; return nil }
        piece.key.context = context

        var d: Datagram
        if let existing = pending.removeValue(forKey: piece.key) {
            d = existing
        } else {
            let header = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[piece.headerRange]))
            d = Datagram(header: header, protocolFieldOffset: piece.protocolFieldOffset, v6: piece.key.v6,
                         firstTime: time, serial: nextSerial)
            nextSerial &+= 1
            order.append((d.serial, piece.key))
            bufferedBytes += header.count
        }
        if piece.offset == 0 { d.upperProtocol = piece.upperProtocol }
        let upper = piece.offset + piece.payload.count
        if !piece.moreFragments { d.size = max(d.size ?? 0, upper) }
        if let s = d.size, upper > s { d.size = upper }
        // The reassembled length field must hold header + data (IPv4 total length; IPv6
        // payload length, which excludes the 40-byte fixed header).
        let room = 65_535 - (d.v6 ? d.header.count - IPv6Header.length : d.header.count)
        if upper > room {
            counters.oversized &+= 1
            bufferedBytes -= d.header.count + d.data.count
            return nil
        }
        let grown = max(0, upper - d.data.count)
        if grown > 0 { d.data.append(contentsOf: repeatElement(0, count: grown)) }
        bufferedBytes += grown
        insert(piece.payload, at: piece.offset, into: &d, bytes: bytes)

        if let size = d.size, d.covered.count == 1, d.covered[0].lowerBound == 0, d.covered[0].upperBound >= size,
           let proto = d.upperProtocol {
            bufferedBytes -= d.header.count + d.data.count
            counters.reassembled &+= 1
            lastReassembledLength = size
            return Self.build(d, size: size, upperProtocol: proto)
        }
        pending[piece.key] = d
        makeRoom()
        return nil
    }

    /// Drops incomplete datagrams whose first fragment is older than `timeout`.
    public mutating func expire(now: Int64) {
        while orderHead < order.count {
            let (serial, key) = order[orderHead]
            guard let d = pending[key], d.serial == serial else { orderHead += 1; continue }
            guard now - d.firstTime >= timeout else { break }
            drop(key, d)
            counters.expired &+= 1
            orderHead += 1
        }
        compactOrder()
    }

    private mutating func makeRoom() {
        while (pending.count > maxDatagrams || bufferedBytes > maxBytes) && orderHead < order.count {
            let (serial, key) = order[orderHead]
            orderHead += 1
            guard let d = pending[key], d.serial == serial else { continue }
            drop(key, d)
            counters.evicted &+= 1
        }
        compactOrder()
    }

    private mutating func drop(_ key: Key, _ d: Datagram) {
        pending.removeValue(forKey: key)
        bufferedBytes -= d.header.count + d.data.count
    }

    private mutating func compactOrder() {
        if orderHead > 1024 && orderHead * 2 > order.count {
            order.removeFirst(orderHead)
            orderHead = 0
        }
    }

    /// Copies the parts of `range` not covered yet (first data wins) and counts overlaps.
    private mutating func insert(_ range: Range<Int>, at offset: Int, into d: inout Datagram,
                                 bytes: UnsafeRawBufferPointer) {
        let start = offset, end = offset + range.count
        guard end > start else { return }
        var cursor = start
        var overlapped = false, differs = false
        var merged: [Range<Int>] = []
        merged.reserveCapacity(d.covered.count + 1)
        func copy(_ from: Int, _ to: Int) {
            guard to > from else { return }
            for i in from..<to { d.data[i] = bytes[range.lowerBound + (i - start)] }
        }
        for c in d.covered {
            if c.upperBound <= start || c.lowerBound >= end { continue }
            overlapped = true
            let lo = max(c.lowerBound, start), hi = min(c.upperBound, end)
            for i in lo..<hi where d.data[i] != bytes[range.lowerBound + (i - start)] { differs = true; break }
            copy(cursor, lo)
            cursor = max(cursor, hi)
        }
        copy(cursor, end)
        if overlapped { counters.overlaps &+= 1; if differs { counters.inconsistentOverlaps &+= 1 } }
        // Merge [start, end) into the covered list.
        var new = start..<end
        for c in d.covered {
            if c.upperBound < new.lowerBound || c.lowerBound > new.upperBound {
                merged.append(c)
            } else {
                new = min(c.lowerBound, new.lowerBound)..<max(c.upperBound, new.upperBound)
            }
        }
        merged.append(new)
        merged.sort { $0.lowerBound < $1.lowerBound }
        d.covered = merged
    }

    /// The datagram: header (length fields set, IPv4 fragment fields cleared and checksum
    /// recomputed, protocol field set to the offset-0 fragment's) followed by `size` data bytes.
    private static func build(_ d: Datagram, size: Int, upperProtocol: UInt8) -> [UInt8] {
        var out = d.header
        out.append(contentsOf: d.data[0..<size])
        out[d.protocolFieldOffset] = upperProtocol
        if d.v6 {
            let payload = out.count - IPv6Header.length
            out[4] = UInt8(truncatingIfNeeded: payload >> 8)
            out[5] = UInt8(truncatingIfNeeded: payload)
        } else {
            let total = out.count
            out[2] = UInt8(truncatingIfNeeded: total >> 8)
            out[3] = UInt8(truncatingIfNeeded: total)
            out[6] &= 0x40   // keep DF; clear reserved, MF and the offset
            out[7] = 0
            out[10] = 0
            out[11] = 0
            let headerLength = d.header.count
            let sum = out.withUnsafeBytes { InternetChecksum.sum(UnsafeRawBufferPointer(rebasing: $0[0..<headerLength])) }
            let field = InternetChecksum.fieldValue(forSum: sum)
            out[10] = UInt8(truncatingIfNeeded: field >> 8)
            out[11] = UInt8(truncatingIfNeeded: field)
        }
        return out
    }

    /// Where one fragment's parts lie in its frame.
    private struct Piece {
        var key: Key
        var headerRange: Range<Int>
        var protocolFieldOffset: Int
        var upperProtocol: UInt8
        /// Fragment payload bytes in the frame and their offset in the datagram.
        var payload: Range<Int>
        var offset: Int
        var moreFragments: Bool

        init?(_ p: UnsafePointer<DecodedPacket>, _ b: UnsafeRawBufferPointer) {
            let layers = p.pointee.layers
            var ipIndex = -1
            for i in layers.indices.reversed() where layers[i].kind == .ipv4 || layers[i].kind == .ipv6 {
                ipIndex = i
                break
            }
            guard ipIndex >= 0 else { return nil }
            let ipLayer = layers[ipIndex]
            let start = ipLayer.offset
            if ipLayer.kind == .ipv4, let ip = p.pointee.ipv4 {
                let headerEnd = start + ip.headerLength
                let end = start + ip.effectiveLength
                guard end <= b.count, headerEnd <= end else { return nil }
                key = Key(source: IPAddress(ipv4: ip.source), destination: IPAddress(ipv4: ip.destination),
                          identification: UInt32(ip.identification), v6: false)
                headerRange = start..<headerEnd
                protocolFieldOffset = 9
                upperProtocol = ip.protocol
                payload = headerEnd..<end
                offset = ip.fragmentOffset
                moreFragments = ip.moreFragments
                return
            }
            guard ipLayer.kind == .ipv6, let ip = p.pointee.ipv6, ip.hasFragmentHeader else { return nil }
            // Walk the extension headers after this IPv6 header to the Fragment header.
            var next = ip.nextHeader
            var fieldOffset = start + 6        // Next Header of the fixed header
            var fragment = -1
            var i = ipIndex + 1
            while i < layers.count && layers[i].kind == .ipv6Extension {
                let l = layers[i]
                if next == IPProtocol.ipv6Fragment { fragment = l.offset; break }
                guard l.offset < b.count else { return nil }
                fieldOffset = l.offset
                next = b.load(fromByteOffset: l.offset, as: UInt8.self)
                i += 1
            }
            guard fragment >= 0, fragment + 8 <= b.count else { return nil }
            let end = start + IPv6Header.length + ip.effectivePayloadLength
            guard end <= b.count, fragment + 8 <= end else { return nil }
            key = Key(source: ip.source, destination: ip.destination, identification: ip.fragmentIdentification, v6: true)
            headerRange = start..<fragment
            protocolFieldOffset = fieldOffset - start
            upperProtocol = b.load(fromByteOffset: fragment, as: UInt8.self)
            payload = (fragment + 8)..<end
            offset = ip.fragmentOffset
            moreFragments = ip.moreFragments
        }
    }
}

/// What fragment reassembly did over a whole analysis (`AnalysisSummary.fragments`).
public struct FragmentCounters: Sendable, Equatable {
    /// IP fragments seen (packets with More Fragments set or a non-zero offset).
    public var fragments: UInt64 = 0
    /// Datagrams reassembled and analyzed (each counts as one packet of its flow).
    public var reassembled: UInt64 = 0
    /// Fragments that overlapped data already received (the earlier data was kept), and of
    /// those, how many carried different bytes in the overlap (Zeek `fragment_inconsistency`).
    public var overlaps: UInt64 = 0
    public var inconsistentOverlaps: UInt64 = 0
    /// Incomplete datagrams dropped after `FlowConfiguration.fragmentTimeout`, or to stay within
    /// the reassembly memory bound.
    public var expired: UInt64 = 0
    public var evicted: UInt64 = 0
    /// Incomplete datagrams still waiting for fragments when the input ended.
    public var incompleteAtEnd: UInt64 = 0
    /// Fragments not buffered: IP payload cut by the snapshot length.
    public var truncated: UInt64 = 0
    /// Datagrams dropped because they would exceed 65,535 bytes.
    public var oversized: UInt64 = 0
    public init() {}
}
