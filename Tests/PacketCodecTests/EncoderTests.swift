import PacketCodec
import Testing

@Suite("Encoder: construct, emit, round trip")
struct EncoderTests {
    @Test("a SYN built from header values has correct lengths, data offset and checksums")
    func construct() throws {
        let f = tcpFrame([.syn], options: [.maxSegmentSize(1460), .sackPermitted, .timestamp(value: 1, echo: 0),
                                            .noOperation, .windowScale(7)])
        #expect(f.count == 14 + 20 + 40)
        #expect(f[14] == 0x45)
        #expect(f[16] == 0 && f[17] == 60)                 // total length
        #expect(f[14 + 20 + 12] >> 4 == 10)                // data offset 40 bytes
        let p = decode(f)
        #expect(p.ipv4?.checksumStatus == .good && p.tcp?.checksumStatus == .good)
        #expect(p.defects.isEmpty)
    }

    @Test("options are zero-padded to a 4-byte boundary")
    func padding() {
        let f = tcpFrame(options: [.windowScale(7)])  // 3 bytes → 4
        #expect(f.count == 14 + 20 + 24)
        #expect(f.last == 0)
        #expect(decode(f).tcp?.options.windowScale == 7)
    }

    @Test("decode(encode(x)) reproduces every field the caller set")
    func fieldsSurvive() throws {
        let options: [TCPOption] = [.maxSegmentSize(1200), .sack([.init(left: 5, right: 9)])]
        let payload = Array("payload".utf8)
        let f = tcpFrame([.psh, .ack], options: options, payload: payload, seq: 42, ack: 4242, vlan: [7])
        let r = try #require(PacketRepr(decoding: f, linkType: .ethernet))
        guard case .ethernet(let eth) = r.link, case .ipv4(let ip, let ipOptions) = r.network,
              case .tcp(let tcp, let tcpOptions) = r.transport else { Issue.record("layers"); return }
        #expect(eth.tags.map(\.id) == [7])
        #expect(ip.source == clientIP && ip.destination == serverIP && ip.identification == 4321 && ipOptions.isEmpty)
        #expect(tcp.sequenceNumber == 42 && tcp.acknowledgmentNumber == 4242 && tcp.flags == [.psh, .ack])
        #expect(tcpOptions == options)
        #expect(r.payload == payload)
    }

    @Test("decode → encode → decode is a fixed point")
    func fixedPoint() throws {
        let frames = [tcpFrame(), tcpFrame([.fin, .ack], payload: [1]), udpFrame(),
                      ipv6Frame(transport: .tcp(tcpHeader([.syn]), options: [.maxSegmentSize(1), .endOfList]),
                                nextHeader: 6)]
        for f in frames {
            let x = try #require(PacketRepr(decoding: f, linkType: .ethernet))
            let y = try #require(PacketRepr(decoding: x.encode(), linkType: .ethernet))
            #expect(x == y)
            #expect(y.encode() == f)
        }
    }

    @Test("verbatim encoding keeps wrong checksums and lengths as they were")
    func verbatim() throws {
        var f = tcpFrame(payload: [9, 9])
        poke16(&f, 14 + 20 + 16, 0xbeef)
        let r = try #require(PacketRepr(decoding: f, linkType: .ethernet))
        #expect(r.encode(options: .verbatim) == f)
        #expect(r.encode() != f)
        #expect(decode(r.encode()).tcp?.checksumStatus == .good)
    }

    @Test("a computed UDP checksum of zero is sent as 0xFFFF (RFC 768)")
    func udpZeroBecomesFFFF() {
        // Search a payload whose checksum comes out 0: vary two bytes until it does.
        for a in 0...255 {
            for b in 0...255 {
                let f = udpFrame(payload: [UInt8(a), UInt8(b)])
                let p = decode(f)
                if p.udp?.checksum == 0xffff {
                    #expect(p.udp?.checksumStatus == .good)
                    return
                }
            }
        }
        Issue.record("no payload produced a zero checksum")
    }

    @Test("SLL2, loopback and raw links round-trip")
    func otherLinks() throws {
        let ip = Array(tcpFrame().dropFirst(14))
        let cases: [([UInt8], LinkType)] = [
            (hex("0800 0000 00000001 0304 04 06 0000000000000000") + ip, .linuxSLL2),
            (hex("0004 0304 0006 000000000000 0000 0800") + ip, .linuxSLL),
            (hex("02000000") + ip, .null),
            (hex("00000002") + ip, .loop),
            (ip, .rawIP),
        ]
        for (frame, link) in cases {
            let r = try #require(PacketRepr(decoding: frame, linkType: link))
            #expect(r.encode(options: .verbatim) == frame)
            #expect(r.encode() == frame)
        }
    }
}
