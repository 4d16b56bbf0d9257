import PacketCodec
import Testing

@Suite("IPv4 (RFC 791 §3.1)")
struct IPv4Tests {
    @Test("every header field, field by field")
    func fields() throws {
        // 45 b8 0028 1234 4000 40 06 cksum 0a010007 c6120009, then a 20-byte TCP header.
        var ip = ipv4Header(6, id: 0x1234)
        ip.tos = 0xb8
        ip.reservedFlag = true
        let frame = PacketRepr(link: .raw, network: .ipv4(ip, options: []),
                               transport: .tcp(tcpHeader([.ack]), options: [])).encode()
        let p = decode(frame, .rawIP)
        let v4 = try #require(p.ipv4)
        #expect(v4.headerLength == 20)
        #expect(v4.tos == 0xb8 && v4.dscp == 46 && v4.ecn == 0)
        #expect(v4.totalLength == 40)
        #expect(v4.identification == 0x1234)
        #expect(v4.reservedFlag && v4.dontFragment && !v4.moreFragments)
        #expect(v4.fragmentOffset == 0)
        #expect(v4.ttl == 64 && v4.protocol == 6)
        #expect(v4.sourceAddress.description == "10.1.0.7")
        #expect(v4.destinationAddress.description == "198.18.0.9")
        #expect(v4.checksumStatus == .good)
        #expect(frame[6] == 0xc0)  // RB + DF bits on the wire
    }

    @Test("options: record route, router alert, NOP, EOL are walked; a bad length is a defect")
    func options() throws {
        let rr: [UInt8] = [7, 7, 4, 0, 0, 0, 0]
        let ra: [UInt8] = [148, 4, 0, 0]
        let frame = PacketRepr(link: .raw, network: .ipv4(ipv4Header(6), options: rr + [1] + ra + [0]),
                               transport: .tcp(tcpHeader([.syn]), options: [])).encode()
        let p = decode(frame, .rawIP)
        let ip = try #require(p.ipv4)
        #expect(ip.headerLength == 20 + 16)
        #expect(ip.checksumStatus == .good)
        #expect(p.defects.isEmpty)
        let types = frame.withUnsafeBytes { b in Array(IPv4OptionIterator(bytes: b, header: ip)).map(\.type) }
        #expect(types == [7, 1, 148, 0])
        #expect(p.tcp?.checksumStatus == .good)
        var bad = frame
        bad[21] = 40  // record route length past the header
        #expect(decode(bad, .rawIP).defects.contains(.ipv4OptionLengthInvalid))
    }

    @Test("IHL below 5 stops decoding with a named defect")
    func ihl() {
        var f = tcpFrame()
        f[14] = 0x44
        let p = decode(f)
        #expect(p.defects.contains(.ipv4HeaderLengthInvalid))
        #expect(p.ipv4 != nil && p.tcp == nil)
    }

    @Test("total length larger than the frame, smaller than the header, and zero (TSO)")
    func totalLength() {
        var f = tcpFrame(payload: [1, 2, 3, 4])
        poke16(&f, 16, 2000)
        let p = decode(f)
        #expect(p.defects.contains(.ipv4TotalLengthExceedsFrame))
        #expect(p.tcp?.checksumStatus == .unverified)
        poke16(&f, 16, 10)
        #expect(decode(f).defects.contains(.ipv4TotalLengthInvalid))
        var tso = tcpFrame(payload: [1, 2, 3, 4])
        poke16(&tso, 16, 0)
        let t = decode(tso)
        #expect(t.defects.contains(.ipv4TotalLengthZero))
        #expect(t.tcp?.payloadLength == 4)
    }

    @Test("Ethernet padding after the datagram is excluded from the payload")
    func padding() {
        let f = tcpFrame([.ack]) + [UInt8](repeating: 0, count: 6)
        let p = decode(f)
        #expect(p.tcp?.payloadLength == 0)
        #expect(p.tcp?.checksumStatus == .good)
    }

    @Test("fragments: first fragment decodes TCP unverified; later fragments have no transport")
    func fragments() {
        var ip = ipv4Header(17)
        ip.dontFragment = false
        ip.moreFragments = true
        var udp = UDPHeader()
        udp.sourcePort = 53
        udp.destinationPort = 53
        let first = PacketRepr(link: .raw, network: .ipv4(ip, options: []), transport: .udp(udp),
                               payload: [UInt8](repeating: 7, count: 64)).encode()
        let p = decode(first, .rawIP)
        #expect(p.isFragment)
        #expect(p.udp?.checksumStatus == .unverified)
        ip.moreFragments = false
        ip.fragmentOffsetUnits = 9
        let later = PacketRepr(link: .raw, network: .ipv4(ip, options: []), transport: .none,
                               payload: [UInt8](repeating: 7, count: 32)).encode()
        let q = decode(later, .rawIP)
        #expect(q.ipv4?.fragmentOffset == 72)
        #expect(q.udp == nil && q.defects.isEmpty)
    }

    @Test("every truncation of a valid packet decodes without trapping and names a defect")
    func everyTruncation() {
        let f = tcpFrame(options: [.maxSegmentSize(1460), .sackPermitted], payload: [1, 2, 3])
        for n in 0..<f.count {
            let p = decode(Array(f.prefix(n)))  // wire length = captured: a damaged frame
            #expect(!p.defects.isEmpty, "prefix \(n)")
        }
    }
}

@Suite("IPv6 (RFC 8200)")
struct IPv6Tests {
    @Test("fixed header fields")
    func fields() throws {
        var ip = IPv6Header()
        ip.trafficClass = 0x2e
        ip.flowLabel = 0xabcde
        ip.nextHeader = 6
        ip.hopLimit = 33
        ip.source = v6Client
        ip.destination = v6Server
        let f = PacketRepr(link: .raw, network: .ipv6(ip, extensionHeaders: []),
                           transport: .tcp(tcpHeader([.syn]), options: [.maxSegmentSize(1440)])).encode()
        let p = decode(f, .rawIP)
        let v6 = try #require(p.ipv6)
        #expect(v6.trafficClass == 0x2e && v6.flowLabel == 0xabcde && v6.hopLimit == 33)
        #expect(v6.payloadLength == 24)
        #expect(v6.source.description == "fd77::1")
        #expect(p.tcp?.checksumStatus == .good)
        #expect(p.tcp?.options.mss == 1440)
    }

    @Test("hop-by-hop, destination options, routing and fragment headers are walked to TCP")
    func extensionChain() throws {
        let hbh: [UInt8] = [60, 0, 1, 4, 0, 0, 0, 0]             // next: dest opts
        let dst: [UInt8] = [43, 0, 1, 4, 0, 0, 0, 0]             // next: routing
        let rt: [UInt8] = [44, 0, 4, 0, 0, 0, 0, 0]              // type 4, segments left 0; next: fragment
        let frag: [UInt8] = [6, 0, 0, 0, 0, 0, 0, 42]            // offset 0, M=0: atomic fragment; next TCP
        let f = ipv6Frame(transport: .tcp(tcpHeader([.syn]), options: []), nextHeader: 0,
                          extensionHeaders: hbh + dst + rt + frag)
        let p = decode(f)
        let v6 = try #require(p.ipv6)
        #expect(Array(v6.extensionHeaders) == [0, 60, 43, 44])
        #expect(v6.upperProtocol == 6)
        #expect(v6.hasFragmentHeader && !v6.isFragment && v6.fragmentIdentification == 42)
        #expect(p.tcp?.checksumStatus == .good)
    }

    @Test("AH length is in 32-bit words (RFC 4302); unknown next header is terminal")
    func ahAndTerminal() {
        let ah: [UInt8] = [17, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]  // payload len 1 → (1+2)*4 = 12 bytes
        var udp = UDPHeader()
        udp.sourcePort = 7
        udp.destinationPort = 9
        let p = decode(ipv6Frame(transport: .udp(udp), nextHeader: 51, extensionHeaders: ah, payload: [1]))
        #expect(p.udp?.destinationPort == 9)
        let q = decode(ipv6Frame(transport: .none, nextHeader: 59, payload: [1, 2, 3]))
        #expect(q.ipv6?.upperProtocol == 59 && q.tcp == nil && q.udp == nil && q.defects.isEmpty)
    }

    @Test("an extension header running past the payload is a defect")
    func truncatedExtension() {
        let hbh: [UInt8] = [6, 5, 1, 4, 0, 0, 0, 0]  // claims 48 bytes
        let p = decode(ipv6Frame(transport: .none, nextHeader: 0, extensionHeaders: hbh))
        #expect(p.defects.contains(.ipv6ExtensionHeaderTruncated))
    }

    @Test("address text follows RFC 5952 and parses back")
    func addressText() {
        for s in ["::", "::1", "fd77::1", "2001:db8::ff00:42:8329", "2001:db8:0:1:1:1:1:1", "fe80::1:0:0:1"] {
            #expect(IPAddress(s)?.description == s)
        }
        #expect(IPAddress("2001:0db8:0000:0000:0000:0000:0000:0001")?.description == "2001:db8::1")
        #expect(IPAddress("1.2.3") == nil && IPAddress("1::2::3") == nil)
    }
}

@Suite("UDP (RFC 768)")
struct UDPTests {
    @Test("fields and payload bounded by the UDP length")
    func fields() throws {
        let p = decode(udpFrame(payload: Array("hello".utf8)) + [0, 0, 0])
        let udp = try #require(p.udp)
        #expect(udp.sourcePort == 53 && udp.destinationPort == 5353)
        #expect(udp.length == 13 && udp.payloadLength == 5)
        #expect(udp.checksumStatus == .good)
        // UDPHeader.parse reads the same header from the frame, and nothing past its end.
        let frame = udpFrame(payload: Array("hello".utf8))
        frame.withUnsafeBytes { b in
            let h = UDPHeader.parse(b, at: udp.offset)
            #expect(h?.sourcePort == 53 && h?.destinationPort == 5353 && h?.length == 13 && h?.checksum == udp.checksum)
            #expect(UDPHeader.parse(b, at: b.count - 7) == nil && UDPHeader.parse(b, at: -1) == nil)
            #expect(UDPHeader.parse(b, at: b.count - 8) != nil)
        }
    }

    @Test("length below 8 and beyond the IP payload are defects")
    func lengths() {
        var f = udpFrame()
        poke16(&f, 14 + 20 + 4, 4)
        #expect(decode(f).defects.contains(.udpLengthInvalid))
        poke16(&f, 14 + 20 + 4, 500)
        let p = decode(f)
        #expect(p.defects.contains(.udpLengthExceedsPayload))
        #expect(p.udp?.payloadLength == 5)
    }

    @Test("the first fragment of a datagram: the UDP length covers the whole datagram, no defect")
    func firstFragment() {
        var f = udpFrame()
        poke16(&f, 14 + 20 + 4, 500)        // UDP length of the whole datagram
        poke16(&f, 14 + 6, 0x2000)          // MF, offset 0
        let p = decode(f)
        #expect(p.isFragment)
        #expect(!p.defects.contains(.udpLengthExceedsPayload))
        #expect(p.udp?.payloadLength == 5)
        #expect(p.udp?.checksumStatus == .unverified)
    }
}
