import Testing
import PacketCodec
@testable import FlowAnalysis

/// Splits a raw IPv4 datagram (20-byte header) into fragments whose payload pieces start at the
/// given offsets (multiples of 8), each with the header copied, MF/offset set and the header
/// checksum recomputed (RFC 791 §3.2).
func ipv4Fragments(_ datagram: [UInt8], cuts: [Int], id: UInt16 = 0x1234) -> [[UInt8]] {
    let header = Array(datagram[0..<20])
    let data = Array(datagram[20...])
    let bounds = cuts + [data.count]
    var out: [[UInt8]] = []
    for k in 0..<cuts.count {
        let piece = Array(data[bounds[k]..<bounds[k + 1]])
        var h = header
        let total = 20 + piece.count
        h[2] = UInt8(total >> 8); h[3] = UInt8(total & 0xff)
        h[4] = UInt8(id >> 8); h[5] = UInt8(id & 0xff)
        let more: UInt16 = k < cuts.count - 1 ? 0x2000 : 0
        let fo = more | UInt16(bounds[k] / 8)
        h[6] = UInt8(fo >> 8); h[7] = UInt8(fo & 0xff)
        out.append((h + piece).withIPv4HeaderChecksum())
    }
    return out
}

/// Splits a raw IPv6 datagram (40-byte header, no extension headers) into fragments with a
/// Fragment header (RFC 8200 §4.5) after the fixed header.
func ipv6Fragments(_ datagram: [UInt8], cuts: [Int], id: UInt32 = 0xdead_beef) -> [[UInt8]] {
    let header = Array(datagram[0..<40])
    let next = header[6]
    let data = Array(datagram[40...])
    let bounds = cuts + [data.count]
    var out: [[UInt8]] = []
    for k in 0..<cuts.count {
        let piece = Array(data[bounds[k]..<bounds[k + 1]])
        var h = header
        let plen = 8 + piece.count
        h[4] = UInt8(plen >> 8); h[5] = UInt8(plen & 0xff)
        h[6] = 44
        let fo = UInt16(bounds[k] / 8) << 3 | (k < cuts.count - 1 ? 1 : 0)
        let frag: [UInt8] = [next, 0, UInt8(fo >> 8), UInt8(fo & 0xff),
                             UInt8(id >> 24), UInt8((id >> 16) & 0xff), UInt8((id >> 8) & 0xff), UInt8(id & 0xff)]
        out.append(h + frag + piece)
    }
    return out
}

@Suite struct FragmentTests {
    static let payload = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7) }

    @Test("IPv4 fragments in any order reassemble into one datagram whose UDP checksum verifies",
          arguments: [[0, 1, 2], [2, 1, 0], [1, 2, 0]])
    func ipv4InAnyOrder(_ order: [Int]) throws {
        var t = Trace()
        let parts = ipv4Fragments(t.udpFrame(true, payload: Self.payload), cuts: [0, 1480, 2960])
        for (i, k) in order.enumerated() { t.raw(parts[k], at: 0.001 * Double(i)) }
        t.udp(false, payload: 10, at: 0.01)
        let (records, summary) = t.run()
        let r = try #require(records.count == 1 ? records[0] : nil)
        #expect(r.proto == .udp && r.connState == .SF && r.history == "Dd")
        #expect(r.originatorPackets == 1 && r.originatorBytes == 3000 && r.originatorIPBytes == 20 + 8 + 3000)
        #expect(summary.fragments.fragments == 3 && summary.fragments.reassembled == 1)
        #expect(summary.fragments.overlaps == 0)
    }

    @Test func ipv6FragmentsReassemble() throws {
        var t = Trace(client: .client6, server: .server6)
        for (i, f) in ipv6Fragments(t.udpFrame(true, payload: Self.payload), cuts: [0, 1232, 2464]).enumerated().reversed() {
            t.raw(f, at: 0.001 * Double(3 - i))
        }
        t.udp(false, payload: 10, at: 0.01)
        let (records, summary) = t.run()
        let r = try #require(records.first)
        #expect(records.count == 1 && r.history == "Dd" && r.originatorBytes == 3000)
        #expect(r.originatorPackets == 1 && r.originatorIPBytes == 40 + 8 + 3000)
        #expect(summary.fragments.reassembled == 1)
    }

    @Test("on overlap the data received first wins (a later, different copy is counted, not used)")
    func firstDataWins() throws {
        var t = Trace()
        let good = ipv4Fragments(t.udpFrame(true, payload: Self.payload), cuts: [0, 1480])
        var forged = good[1]
        for i in 40..<forged.count { forged[i] ^= 0xff }   // same header, different data
        t.raw(good[1], at: 0)
        t.raw(forged, at: 0.001)
        t.raw(good[0], at: 0.002)
        t.udp(false, payload: 10, at: 0.01)
        let (records, summary) = t.run()
        let r = try #require(records.first)
        // Had the forged copy won, the UDP checksum would fail (history `C`, no `D`).
        #expect(r.history == "Dd" && r.originatorBytes == 3000)
        #expect(summary.fragments.overlaps == 1 && summary.fragments.inconsistentOverlaps == 1)
    }

    @Test("an incomplete datagram is dropped after the fragment timeout, and counted")
    func incompleteExpires() {
        var t = Trace()
        let parts = ipv4Fragments(t.udpFrame(true, payload: Self.payload), cuts: [0, 1480, 2960])
        t.raw(parts[0], at: 0)
        t.raw(parts[1], at: 1)
        t.raw(parts[2], at: 301)   // after frag_timeout (300 s) from the first fragment
        let (records, summary) = t.run()
        #expect(records.isEmpty)
        #expect(summary.fragments.expired == 1 && summary.fragments.reassembled == 0)
        #expect(summary.fragments.incompleteAtEnd == 1)   // the late last fragment alone
    }

    @Test("a fragment cut by the snapshot length is not buffered")
    func truncatedFragment() {
        var reassembler = FragmentReassembler()
        let decoder = PacketDecoder()
        let parts = ipv4Fragments(Trace().udpFrame(true, payload: Self.payload), cuts: [0, 1480])
        let cut = Array(parts[0].prefix(200))          // caplen 200 of a 1500-byte fragment
        cut.withUnsafeBytes { raw in
            let p = decoder.decode(raw, linkType: .rawIP, wireLength: 1500)
            #expect(p.isFragment && p.defects.isEmpty)
            withUnsafePointer(to: p) { #expect(reassembler.add($0, bytes: raw, time: 0) == nil) }
        }
        parts[1].withUnsafeBytes { raw in
            let p = decoder.decode(raw, linkType: .rawIP)
            withUnsafePointer(to: p) { #expect(reassembler.add($0, bytes: raw, time: 1) == nil) }
        }
        #expect(reassembler.counters.truncated == 1 && reassembler.counters.reassembled == 0)
        #expect(reassembler.pendingCount == 1)
    }

    @Test("a datagram beyond 65,535 bytes is dropped, never trapped on")
    func oversized() {
        var t = Trace()
        var last = ipv4Fragments(t.udpFrame(true, payload: Self.payload), cuts: [0, 1480])[1]
        last[6] = 0x1f; last[7] = 0xff               // offset 8191 × 8 = 65528, MF clear
        t.raw(last.withIPv4HeaderChecksum(), at: 0)
        let (records, summary) = t.run()
        #expect(records.isEmpty && summary.fragments.oversized == 1)
    }

    @Test("memory is bounded: beyond maxDatagrams the oldest incomplete datagram is evicted")
    func evictionBound() {
        var reassembler = FragmentReassembler()
        reassembler.maxDatagrams = 2
        let decoder = PacketDecoder()
        let t = Trace()
        for id in UInt16(1)...5 {
            let first = ipv4Fragments(t.udpFrame(true, payload: Self.payload), cuts: [0, 1480], id: id)[0]
            first.withUnsafeBytes { raw in
                let p = decoder.decode(raw, linkType: .rawIP)
                withUnsafePointer(to: p) { #expect(reassembler.add($0, bytes: raw, time: Int64(id)) == nil) }
            }
        }
        #expect(reassembler.pendingCount == 2 && reassembler.counters.evicted == 3)
        // The two newest (ids 4 and 5) are still there: completing id 5 yields the datagram.
        let last = ipv4Fragments(t.udpFrame(true, payload: Self.payload), cuts: [0, 1480], id: 5)[1]
        let whole = last.withUnsafeBytes { raw -> [UInt8]? in
            let p = decoder.decode(raw, linkType: .rawIP)
            return withUnsafePointer(to: p) { reassembler.add($0, bytes: raw, time: 6) }
        }
        #expect(whole == t.udpFrame(true, payload: Self.payload).withIPv4Identification(5))
    }
}

extension [UInt8] {
    /// The same IPv4 datagram with another Identification and its header checksum fixed.
    func withIPv4Identification(_ id: UInt16) -> [UInt8] {
        var b = self
        b[4] = UInt8(id >> 8); b[5] = UInt8(id & 0xff)
        return b.withIPv4HeaderChecksum()
    }

    /// The same bytes with the checksum of the leading 20-byte IPv4 header recomputed (RFC 791 §3.1).
    func withIPv4HeaderChecksum() -> [UInt8] {
        var b = self
        b[10] = 0; b[11] = 0
        let sum = b.prefix(20).withUnsafeBytes { InternetChecksum.fieldValue(forSum: InternetChecksum.sum($0)) }
        b[10] = UInt8(sum >> 8); b[11] = UInt8(sum & 0xff)
        return b
    }
}

/// A flood of incomplete fragment trains (each a first fragment whose rest never comes, from
/// a distinct source and identification) stays within the reassembler's documented bounds
/// (README "IP fragments are reassembled": 10,000 datagrams, 64 MiB), evicting oldest first.
@Suite struct FragmentFloodTests {
    /// `count` first fragments with distinct (source, id), each carrying `payload` bytes;
    /// returns the reassembler after the flood.
    static func flood(_ count: Int, payload: Int, configure: (inout FragmentReassembler) -> Void) -> FragmentReassembler {
        var reassembler = FragmentReassembler()
        configure(&reassembler)
        let decoder = PacketDecoder()
        let t = Trace()
        var frame = ipv4Fragments(t.udpFrame(true, payload: [UInt8](repeating: 0x55, count: payload + 64)), cuts: [0, payload + 8])[0]
        for i in 0..<count {
            // Source 10.(i >> 16).x.y and id i & 0xffff: a new train each time.
            frame.withUnsafeMutableBytes { b in
                b[4] = UInt8(truncatingIfNeeded: i >> 8); b[5] = UInt8(truncatingIfNeeded: i)
                b[13] = UInt8(truncatingIfNeeded: i >> 16)
                b[10] = 0; b[11] = 0
                let sum = InternetChecksum.fieldValue(forSum: InternetChecksum.sum(UnsafeRawBufferPointer(rebasing: b[0..<20])))
                b[10] = UInt8(sum >> 8); b[11] = UInt8(sum & 0xff)
            }
            frame.withUnsafeBytes { raw in
                let p = decoder.decode(raw, linkType: .rawIP)
                withUnsafePointer(to: p) { _ = reassembler.add($0, bytes: raw, time: Int64(i)) }
            }
        }
        return reassembler
    }

    @Test("1M incomplete trains: at most 10,000 held, the rest evicted, nothing reassembled")
    func millionTrains() {
        let r = Self.flood(1_000_000, payload: 8) { _ in }
        #expect(r.pendingCount == 10_000)
        #expect(r.counters.fragments == 1_000_000 && r.counters.evicted == 990_000 && r.counters.reassembled == 0)
        #expect(r.bufferedBytes <= 10_000 * (20 + 16))
    }

    @Test("large fragments: the byte bound holds when the datagram bound is not reached")
    func byteBound() {
        // The default 64 MiB bound scaled down 16× to keep the test quick; the same code path.
        let cap = 4 << 20
        let r = Self.flood(20_000, payload: 1472) { $0.maxDatagrams = 1_000_000; $0.maxBytes = cap }
        #expect(r.bufferedBytes <= cap)
        #expect(r.pendingCount < 20_000 && r.pendingCount >= cap / (20 + 1480) - 1, "\(r.pendingCount)")
        #expect(r.counters.evicted == UInt64(20_000 - r.pendingCount))
    }
}
