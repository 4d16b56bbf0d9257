import PacketCodec
import Testing

@Suite("TCP header and options (RFC 9293 §3.1, §3.2)")
struct TCPOptionTests {
    @Test("every option kind decodes, is summarised, and re-encodes byte for byte")
    func everyOption() throws {
        let options: [TCPOption] = [
            .maxSegmentSize(1460), .noOperation, .windowScale(7), .sackPermitted,
            .timestamp(value: 1, echo: 0),
            .sack([.init(left: 100, right: 200), .init(left: 300, right: 400)]),
            .endOfList,
        ]
        let frame = tcpFrame(options: options)
        let p = decode(frame)
        let tcp = try #require(p.tcp)
        #expect(p.defects.isEmpty)
        #expect(tcp.headerLength == 20 + 40)
        #expect(tcp.options.mss == 1460)
        #expect(tcp.options.windowScale == 7)
        #expect(tcp.options.sackPermitted)
        #expect(tcp.options.timestampValue == 1)
        #expect(tcp.options.sackBlockCount == 2)
        let repr = try #require(PacketRepr(decoding: frame, linkType: .ethernet))
        guard case .tcp(_, let decoded) = repr.transport else { Issue.record("no TCP"); return }
        // The final EOL only starts the zero padding, which the encoder adds anyway: it is implied.
        #expect(decoded == Array(options.dropLast()))
        #expect(repr.encode() == frame)
    }

    @Test("TFO cookie, TFO cookie request and user timeout")
    func fastOpenAndTimeout() throws {
        let options: [TCPOption] = [.fastOpen(cookie: [1, 2, 3, 4, 5, 6, 7, 8]), .userTimeout(minutes: true, timeout: 10),
                                    .fastOpen(cookie: [])]
        let frame = tcpFrame(options: options, payload: Array("early data".utf8))
        let p = decode(frame)
        #expect(p.defects.isEmpty)
        #expect(p.tcp?.options.fastOpen == true)
        #expect(p.tcp?.payloadLength == 10)
        let repr = try #require(PacketRepr(decoding: frame, linkType: .ethernet))
        guard case .tcp(_, let decoded) = repr.transport else { Issue.record("no TCP"); return }
        #expect(decoded == options)
    }

    @Test("MD5, TCP-AO, MPTCP, experimental and unknown kinds are kept")
    func rareKinds() throws {
        let options: [TCPOption] = [
            .md5Signature([UInt8](repeating: 0xab, count: 16)),
            .authentication(keyID: 1, nextKeyID: 2, mac: [9, 9, 9, 9]),
            .multipath([0x00, 0x81]),
            .experimental(kind: 254, data: [0xf9, 0x89]),
            .unknown(kind: 99, data: [1, 2]),
        ]
        let frame = tcpFrame(options: options)
        let p = decode(frame)
        #expect(p.defects.isEmpty)
        #expect(p.tcp?.options.md5Signature == true)
        #expect(p.tcp?.options.authentication == true)
        #expect(p.tcp?.options.multipath == true)
        let repr = try #require(PacketRepr(decoding: frame, linkType: .ethernet))
        guard case .tcp(_, let decoded) = repr.transport else { Issue.record("no TCP"); return }
        #expect(decoded == options)
    }

    /// Options area: 20-byte TCP header + `raw` (padded by the caller to 4 bytes).
    func frameWithRawOptions(_ raw: [UInt8]) -> [UInt8] {
        precondition(raw.count % 4 == 0)
        var f = tcpFrame(encode: .standard)
        let tcpStart = 14 + 20
        f.insert(contentsOf: raw, at: tcpStart + 20)
        f[tcpStart + 12] = UInt8((20 + raw.count) / 4) << 4
        poke16(&f, 14 + 2, UInt16(f.count - 14))  // IPv4 total length
        return f
    }

    @Test("option defects are named and decoding stops safely",
          arguments: [
            ([0x02, 0x00, 0x01, 0x01], Defect.tcpOptionLengthZero),
            ([0x02, 0x01, 0x01, 0x01], Defect.tcpOptionLengthOne),
            ([0x01, 0x01, 0x08, 0x0a], Defect.tcpOptionBeyondHeader),
            ([0x01, 0x01, 0x01, 0x02], Defect.tcpOptionBeyondHeader),
            ([0x02, 0x03, 0x05, 0x00], Defect.tcpOptionLengthInvalid),
            ([0x03, 0x04, 0x07, 0x00], Defect.tcpOptionLengthInvalid),
            ([0x08, 0x04, 0x00, 0x00], Defect.tcpOptionLengthInvalid),
            ([0x00, 0x00, 0x01, 0x00], Defect.tcpNonZeroAfterEOL),
          ] as [([UInt8], Defect)])
    func optionDefects(raw: [UInt8], defect: Defect) throws {
        let p = decode(frameWithRawOptions(raw))
        #expect(p.defects.contains(defect))
        // The header itself still decodes, and nothing past the options is misread.
        let tcp = try #require(p.tcp)
        #expect(tcp.sourcePort == 51514)
        #expect(tcp.payloadLength == 0)
    }

    @Test("invalid-length known option is kept raw so the frame still round-trips")
    func invalidLengthKeptRaw() throws {
        let f = frameWithRawOptions([0x02, 0x03, 0x05, 0x00])
        let repr = try #require(PacketRepr(decoding: f, linkType: .ethernet))
        guard case .tcp(_, let opts) = repr.transport else { Issue.record("no TCP"); return }
        #expect(opts.first == .unknown(kind: 2, data: [5]))
        #expect(repr.encode(options: .verbatim) == f)
    }

    @Test("data offset below 5 words is a defect; fields before it still decode")
    func dataOffsetTooSmall() throws {
        var f = tcpFrame([.ack], seq: 77)
        f[14 + 20 + 12] = 0x40  // 4 words
        let p = decode(f)
        #expect(p.defects.contains(.tcpDataOffsetInvalid))
        #expect(p.tcp?.sequenceNumber == 77)
        #expect(p.tcp?.headerLength == 16)
    }

    @Test("data offset beyond the captured bytes and beyond the segment")
    func dataOffsetBeyond() {
        let f = tcpFrame(options: [.maxSegmentSize(1460), .sackPermitted, .timestamp(value: 5, echo: 6), .noOperation, .windowScale(2)],
                         payload: [UInt8](repeating: 1, count: 100))
        let capturedHeaderOnly = Array(f.prefix(14 + 20 + 30))
        #expect(decode(capturedHeaderOnly, wireLength: f.count).defects.contains(.tcpDataOffsetBeyondCapture))
        var g = tcpFrame()
        g[14 + 20 + 12] = 0xf0  // 60-byte header in a 20-byte segment
        #expect(decode(g).defects.contains(.tcpDataOffsetBeyondSegment))
    }

    @Test("all twelve flag bits decode, including AE, in tcpdump order")
    func flags() {
        let all: TCPFlags = [.fin, .syn, .rst, .psh, .ack, .urg, .ece, .cwr, .ae]
        let p = decode(tcpFrame(all))
        #expect(p.tcp?.flags == all)
        #expect(all.tcpdumpString == "FSRP.UEWe")
        #expect(TCPFlags([.syn, .ack]).tcpdumpString == "S.")
        #expect(TCPFlags().tcpdumpString == "none")
    }

    @Test("sequence length counts SYN and FIN")
    func sequenceLength() {
        #expect(decode(tcpFrame([.syn])).tcp?.sequenceLength == 1)
        #expect(decode(tcpFrame([.fin, .ack], payload: [1, 2, 3])).tcp?.sequenceLength == 4)
    }

    @Test("lazy option iterator yields kinds and offsets inside the header")
    func iterator() throws {
        let f = tcpFrame(options: [.maxSegmentSize(1400), .noOperation, .windowScale(3)])
        let p = decode(f)
        let tcp = try #require(p.tcp)
        let elements = f.withUnsafeBytes { b in Array(TCPOptionIterator(bytes: b, header: tcp)) }
        #expect(elements.map(\.kind) == [2, 1, 3])
        #expect(elements.allSatisfy { $0.offset >= tcp.offset + 20 && $0.offset + $0.length <= tcp.offset + tcp.headerLength })
    }
}
