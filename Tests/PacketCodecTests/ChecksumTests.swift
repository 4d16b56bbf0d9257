import PacketCodec
import Testing

/// Straightforward RFC 1071 reference: 16-bit big-endian words, end-around carry.
func referenceSum(_ bytes: [UInt8]) -> UInt16 {
    var acc: UInt32 = 0
    var i = 0
    while i + 1 < bytes.count {
        acc += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
        i += 2
    }
    if i < bytes.count { acc += UInt32(bytes[i]) << 8 }
    while acc >> 16 != 0 { acc = (acc & 0xffff) + (acc >> 16) }
    return UInt16(acc)
}

@Suite("Internet checksum (RFC 1071)")
struct ChecksumTests {
    @Test("RFC 1071 §3 worked example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2")
    func rfcExample() {
        let bytes: [UInt8] = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]
        #expect(bytes.withUnsafeBytes { InternetChecksum.sum($0) } == 0xddf2)
    }

    @Test("word-at-a-time sum equals the 16-bit reference for every length 0…1600",
          arguments: [0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 63, 64, 65, 255, 1499, 1500, 1501, 1600])
    func matchesReference(length: Int) {
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15 &* UInt64(length + 1)
        let bytes = (0..<length).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        #expect(bytes.withUnsafeBytes { InternetChecksum.sum($0) } == referenceSum(bytes))
    }

    @Test("SIMD sum equals the reference at every length 0…260 and start offset 0…7, random and all-ones bytes")
    func matchesReferenceEveryLengthAndAlignment() {
        var state: UInt64 = 0x2545_f491_4f6c_dd1d
        let random = (0..<268).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        let ones = [UInt8](repeating: 0xff, count: 268)
        var mismatches: [String] = []
        for (name, pool) in [("random", random), ("ones", ones)] {
            pool.withUnsafeBytes { b in
                for start in 0...7 {
                    for length in 0...260 {
                        let slice = UnsafeRawBufferPointer(rebasing: b[start..<(start + length)])
                        let want = referenceSum(Array(slice))
                        if InternetChecksum.sum(slice) != want { mismatches.append("\(name) start \(start) length \(length)") }
                    }
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
    }

    @Test("all-ones bytes fold without overflow")
    func allOnes() {
        let bytes = [UInt8](repeating: 0xff, count: 4096)
        #expect(bytes.withUnsafeBytes { InternetChecksum.sum($0) } == 0xffff)
    }

    @Test("a textbook IPv4 header (checksum b861) verifies as good")
    func ipv4HeaderExample() {
        // 45 00 00 73 00 00 40 00 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7 (checksum b861, a textbook header)
        let frame = hex("0200000000020200000000010800") + hex("45000073 00004000 4011b861 c0a80001 c0a800c7")
            + [UInt8](repeating: 0, count: 0x73 - 20)
        let p = decode(frame)
        #expect(p.ipv4?.checksum == 0xb861)
        #expect(p.ipv4?.checksumStatus == .good)
    }

    @Test("pseudo-header sums for IPv4 and IPv6 match a manual computation")
    func pseudoHeader() {
        let v4 = InternetChecksum.pseudoHeaderSum(source: 0x0a01_0007, destination: 0xc612_0009, protocol: 6, length: 40)
        #expect(v4 == referenceSum(hex("0a010007 c6120009 0006 0028")))
        let v6 = InternetChecksum.pseudoHeaderSum(source: v6Client, destination: v6Server, protocol: 17, length: 13)
        #expect(v6 == referenceSum(hex("fd770000000000000000000000000001 fd770000000000000000000000000002 0000000d 00000011")))
    }
}

@Suite("Checksum verdicts")
struct ChecksumStatusTests {
    @Test("encoded TCP/UDP/IPv4 checksums verify as good")
    func good() {
        let t = decode(tcpFrame(options: [.maxSegmentSize(1460)], payload: Array("GET / HTTP/1.1\r\n".utf8)))
        #expect(t.ipv4?.checksumStatus == .good)
        #expect(t.tcp?.checksumStatus == .good)
        let u = decode(udpFrame())
        #expect(u.udp?.checksumStatus == .good)
    }

    @Test("one flipped payload byte makes the TCP checksum bad")
    func bad() {
        var f = tcpFrame(payload: Array("abcdef".utf8))
        f[f.count - 1] ^= 0x01
        #expect(decode(f).tcp?.checksumStatus == .bad)
        var g = udpFrame()
        g[g.count - 2] ^= 0x40
        #expect(decode(g).udp?.checksumStatus == .bad)
    }

    @Test("a field holding only the pseudo-header sum is 'partial' (transmit offload)")
    func partial() {
        var f = tcpFrame([.ack, .psh], payload: Array("data".utf8))
        let segmentLength = f.count - 14 - 20
        let pseudo = InternetChecksum.pseudoHeaderSum(source: clientIP, destination: serverIP, protocol: 6, length: UInt32(segmentLength))
        poke16(&f, 14 + 20 + 16, pseudo)
        #expect(decode(f).tcp?.checksumStatus == .partial)
        var u = udpFrame()
        let upseudo = InternetChecksum.pseudoHeaderSum(source: clientIP, destination: serverIP, protocol: 17, length: UInt32(u.count - 34))
        poke16(&u, 14 + 20 + 6, upseudo)
        #expect(decode(u).udp?.checksumStatus == .partial)
    }

    @Test("an IPv4 header checksum of 0x0000 is 'partial' (transmit offload), other wrong values stay bad")
    func ipv4HeaderChecksumZero() {
        // Encoder-built SYN with the header checksum left at 0 (as a capturing host with
        // transmit offload records it); the TCP checksum is still computed.
        var f = tcpFrame()
        #expect(decode(f).ipv4?.checksumStatus == .good)
        poke16(&f, 14 + 10, 0)
        let p = decode(f)
        #expect(p.ipv4?.checksum == 0)
        #expect(p.ipv4?.checksumStatus == .partial)
        #expect(p.defects.isEmpty)
        #expect(p.tcp?.checksumStatus == .good)
        poke16(&f, 14 + 10, 1)
        #expect(decode(f).ipv4?.checksumStatus == .bad)
        poke16(&f, 14 + 10, 0)
        #expect(decode(f, verify: false).ipv4?.checksumStatus == .unverified)
    }

    @Test("UDP over IPv4 with checksum 0 is 'absent'; over IPv6 it is bad with a defect")
    func udpZero() {
        let f = udpFrame(checksum: false)
        let p = decode(f)
        #expect(p.udp?.checksum == 0)
        #expect(p.udp?.checksumStatus == .absent)
        var udp = UDPHeader()
        udp.sourcePort = 1000
        udp.destinationPort = 2000
        var v6 = ipv6Frame(transport: .udp(udp), nextHeader: IPProtocol.udp, payload: [1, 2, 3])
        poke16(&v6, 14 + 40 + 6, 0)
        let q = decode(v6)
        #expect(q.udp?.checksumStatus == .bad)
        #expect(q.defects.contains(.udpZeroChecksumIPv6))
    }

    @Test("snaplen-truncated segment is 'unverified', not bad")
    func truncated() {
        let f = tcpFrame(payload: [UInt8](repeating: 0x41, count: 200))
        let cut = Array(f.prefix(80))
        let p = decode(cut, wireLength: f.count)
        #expect(p.tcp?.checksumStatus == .unverified)
        #expect(p.tcp?.payloadLength == 200)
        #expect(p.capturedPayloadLength == 80 - 54)
        #expect(p.defects.isEmpty)
    }

    @Test("checksum verification can be turned off")
    func off() {
        let p = decode(tcpFrame(), verify: false)
        #expect(p.tcp?.checksumStatus == .unverified)
        #expect(p.ipv4?.checksumStatus == .unverified)
    }
}
