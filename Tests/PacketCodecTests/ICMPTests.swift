import PacketCodec
import Testing

/// Fixed-byte reference frames (smoltcp `PACKET_BYTES` style), copied from corpus captures;
/// the expected fields were read with `tshark -V`.
enum ICMPReference {
    /// pcapplusplus_example2.pcap frame 1: Ethernet, two 802.1Q tags (118, 10), IPv4
    /// 10.118.10.1 → 10.118.10.2, ICMP echo request id 3 seq 0, checksum 0xceb7 (tshark: correct).
    static let echo = hex("""
        001bd41ba4d80013c3dfae18810000768100000a080045000064000f0000ff01929b0a760a010a760a02
        0800ceb70003000000000000001faf70abcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcd
        abcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcd
        """)
    /// suricata-verify flow-drop-iponly-02 frame 7: IPv4 192.168.10.31 → 192.168.10.10, ICMP
    /// destination unreachable / port unreachable (3/3), checksum 0x92bc, quoting an IPv4/UDP
    /// DNS response 192.168.10.10:53 → 192.168.10.31:58186.
    static let portUnreachable = hex("""
        0800271666590800277fb58b0800450000641832000080018cedc0a80a1fc0a80a0a030392bc00000000
        450000484d0c40008011181fc0a80a0ac0a80a1f0035e34a0034b5a3c5a58182000100000000000008
        646f776e6c6f61640d77696e646f777375706461746503636f6d0000010001
        """)
    /// tcpdump ipv6-routing-header.pcap frame 1: IPv6 with a type 0 Routing header (segments
    /// left 1), ICMPv6 echo request id 0 seq 0, checksum 0xd3ab over the pseudo-header with the
    /// final destination (tshark: correct).
    static let echo6 = hex("""
        0013c4c784f000123fae22f786dd6000000000202b04220000000000024402123ffffeae22f7
        220000000000024000020000000000043a02000100000000220000000000021000020000000000048000
        d3ab00000000
        """)
}

@Suite("ICMP / ICMPv6 layer (RFC 792, RFC 4443)")
struct ICMPTests {
    @Test("echo request behind two VLAN tags: type, code, id, seq, good checksum; flat fields unchanged")
    func echo() throws {
        let f = ICMPReference.echo
        #expect(f.count == 122)
        let p = decode(f)
        #expect(p.defects.isEmpty)
        #expect(p.ethernet?.tags.map(\.id) == [118, 10])
        #expect(p.networkOffset == 22)
        let ip = try #require(p.ipv4)
        #expect(ip.source == 0x0a76_0a01 && ip.destination == 0x0a76_0a02 && ip.protocol == IPProtocol.icmp)
        #expect(ip.checksum == 0x929b && ip.checksumStatus == .good)
        let icmp = try #require(p.icmp)
        #expect(icmp.offset == 42 && !icmp.isICMPv6)
        #expect(icmp.type == 8 && icmp.code == 0 && icmp.checksum == 0xceb7 && icmp.checksumStatus == .good)
        #expect(icmp.isEcho && !icmp.isError)
        #expect(icmp.identifier == 3 && icmp.sequenceNumber == 0)
        #expect(icmp.messageLength == 80 && icmp.quotedOffset == nil)
        // The IP payload fields keep their meaning (the analyzer reads ICMP type/code there).
        #expect(p.payloadOffset == 42 && p.payloadLength == 80)
        #expect(p.tcp == nil && p.udp == nil)
    }

    @Test("port unreachable records the quoted IPv4 header's offset, and the quote is an IPv4/UDP header")
    func portUnreachable() throws {
        let f = ICMPReference.portUnreachable
        let p = decode(f)
        #expect(p.defects.isEmpty)
        #expect(p.ipv4?.checksumStatus == .good)
        let icmp = try #require(p.icmp)
        #expect(icmp.type == 3 && icmp.code == 3 && icmp.checksum == 0x92bc && icmp.checksumStatus == .good)
        #expect(icmp.isError && !icmp.isEcho && icmp.identifier == nil && icmp.sequenceNumber == nil)
        let q = try #require(icmp.quotedOffset)
        #expect(q == 42)
        #expect(f[q] == 0x45 && f[q + 9] == IPProtocol.udp)
        #expect(f[q + 20] == 0x00 && f[q + 21] == 0x35)       // quoted UDP source port 53
        // The quote is not decoded into the flat slots.
        #expect(p.udp == nil && p.ipv4?.source == 0xc0a8_0a1f)
    }

    @Test("ICMPv6 echo after a Routing header verifies against the final destination")
    func echo6() throws {
        let f = ICMPReference.echo6
        #expect(f.count == 86)
        let p = decode(f)
        #expect(p.defects.isEmpty)
        let ip = try #require(p.ipv6)
        #expect(ip.extensionHeaders.count == 1 && ip.upperProtocol == IPProtocol.icmpv6 && ip.upperOffset == 78)
        let icmp = try #require(p.icmp)
        #expect(icmp.isICMPv6 && icmp.offset == 78)
        #expect(icmp.type == 128 && icmp.code == 0 && icmp.checksum == 0xd3ab && icmp.checksumStatus == .good)
        #expect(icmp.identifier == 0 && icmp.sequenceNumber == 0 && icmp.messageLength == 8)
        #expect(!icmp.isError)
    }

    @Test("one flipped byte makes the checksum bad; no verification leaves it unverified")
    func badChecksum() throws {
        var f = ICMPReference.echo
        f[60] ^= 0x01
        #expect(decode(f).icmp?.checksumStatus == .bad)
        #expect(decode(f, verify: false).icmp?.checksumStatus == .unverified)
        var g = ICMPReference.echo6
        g[85] ^= 0x01
        #expect(decode(g).icmp?.checksumStatus == .bad)
    }

    @Test("truncated and impossible lengths: no ICMP layer, no new defect, unverified when cut by snaplen")
    func truncated() throws {
        let f = ICMPReference.echo
        // Snaplen cut inside the header: 7 of 8 bytes captured.
        let cut7 = decode(Array(f[0..<49]), wireLength: f.count)
        #expect(cut7.icmp == nil)
        #expect(cut7.defects.isEmpty)
        // Snaplen cut in the body: header decoded, checksum unverified.
        let cut = decode(Array(f[0..<60]), wireLength: f.count)
        #expect(cut.icmp?.type == 8 && cut.icmp?.checksumStatus == .unverified)
        // IPv4 total length 27: only 7 ICMP bytes inside the datagram.
        var short = f
        poke16(&short, 22 + 2, 27)
        let s = decode(short, verify: false)
        #expect(s.icmp == nil && s.payloadLength == 7)
        // A non-first fragment carries no ICMP header.
        var frag = f
        poke16(&frag, 22 + 6, 0x0001)
        #expect(decode(frag, verify: false).icmp == nil)
    }

    @Test("encode(body:) reproduces the captured ICMP messages byte for byte, checksums included")
    func emitSameBytes() throws {
        let f = ICMPReference.echo
        let echo = ICMPHeader(icmpv6: false, type: 8, code: 0, restOfHeader: 0x0003_0000)
        #expect(echo.encode(body: Array(f[50...])) == Array(f[42...]))

        let u = ICMPReference.portUnreachable
        let unreachable = ICMPHeader(icmpv6: false, type: 3, code: 3)
        #expect(unreachable.encode(body: Array(u[42...])) == Array(u[34...]))

        let g = ICMPReference.echo6
        let source = g.withUnsafeBytes { IPAddress(ipv6High: $0.loadUnaligned(fromByteOffset: 22, as: UInt64.self).bigEndian,
                                                   low: $0.loadUnaligned(fromByteOffset: 30, as: UInt64.self).bigEndian) }
        let final = g.withUnsafeBytes { IPAddress(ipv6High: $0.loadUnaligned(fromByteOffset: 62, as: UInt64.self).bigEndian,
                                                  low: $0.loadUnaligned(fromByteOffset: 70, as: UInt64.self).bigEndian) }
        let echo6 = ICMPHeader(icmpv6: true, type: 128, code: 0)
        #expect(echo6.encode(body: [], source: source, destination: final) == Array(g[78...]))
    }

    @Test("an encoder-built ICMP frame decodes to the fields it was built from")
    func roundTrip() throws {
        let message = ICMPHeader(icmpv6: false, type: 0, code: 0, restOfHeader: 0x1234_0007).encode(body: [1, 2, 3, 4])
        let eth = EthernetHeader(destination: serverMAC, source: clientMAC, etherType: EtherType.ipv4)
        let frame = PacketRepr(link: .ethernet(eth), network: .ipv4(ipv4Header(IPProtocol.icmp), options: []),
                               transport: .none, payload: message).encode()
        let p = decode(frame)
        let icmp = try #require(p.icmp)
        #expect(icmp.type == 0 && icmp.identifier == 0x1234 && icmp.sequenceNumber == 7)
        #expect(icmp.checksumStatus == .good && p.ipv4?.checksumStatus == .good)
    }
}
