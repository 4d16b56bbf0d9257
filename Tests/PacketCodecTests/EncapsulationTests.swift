import PacketCodec
import Testing

// Frames for the tunnel decoders: one real kernel frame (VXLAN, Linux 6.18, two namespaces;
// Fixtures/README.md) as the fixed-byte reference, and frames built with the encoder for every
// protocol the kernel here cannot make (issue 11).

let innerClient: UInt32 = 0x0a09_0001   // 10.9.0.1
let innerServer: UInt32 = 0x0a09_0002   // 10.9.0.2
let outerA: UInt32 = 0xc000_0201        // 192.0.2.1
let outerB: UInt32 = 0xc000_0202        // 192.0.2.2

/// An inner IPv4/TCP (or UDP) datagram without a link header, checksums filled.
func innerDatagram(udp: Bool = false, payload: [UInt8] = Array("inner".utf8)) -> [UInt8] {
    var u = UDPHeader()
    u.sourcePort = 40000
    u.destinationPort = 53
    let transport: PacketRepr.Transport = udp ? .udp(u) : .tcp(tcpHeader([.psh, .ack], sport: 40000, dport: 443), options: [])
    return PacketRepr(link: .raw, network: .ipv4(ipv4Header(udp ? IPProtocol.udp : IPProtocol.tcp, src: innerClient, dst: innerServer), options: []),
                      transport: transport, payload: payload).encode()
}

/// An inner IPv6/TCP datagram.
func innerDatagram6() -> [UInt8] {
    var ip = IPv6Header()
    ip.nextHeader = IPProtocol.tcp
    ip.source = v6Client
    ip.destination = v6Server
    return PacketRepr(link: .raw, network: .ipv6(ip, extensionHeaders: []),
                      transport: .tcp(tcpHeader([.syn], sport: 40001, dport: 8443), options: []), payload: []).encode()
}

/// Ethernet header of `type` + `payload`.
func ethernet(_ type: UInt16, _ payload: [UInt8], tags: [UInt16] = []) -> [UInt8] {
    var out: [UInt8] = []
    EthernetHeader(destination: serverMAC, source: clientMAC, etherType: type,
                   tags: VLANTags(tags.map { VLANTag(id: $0) })).emit(into: &out)
    return out + payload
}

/// Ethernet + outer IPv4 (protocol `proto`) carrying `payload`, lengths and checksum filled.
func outerIPv4(_ proto: UInt8, _ payload: [UInt8], tags: [UInt16] = []) -> [UInt8] {
    let eth = EthernetHeader(destination: serverMAC, source: clientMAC, etherType: EtherType.ipv4,
                             tags: VLANTags(tags.map { VLANTag(id: $0) }))
    return PacketRepr(link: .ethernet(eth), network: .ipv4(ipv4Header(proto, src: outerA, dst: outerB), options: []),
                      transport: .none, payload: payload).encode()
}

/// Ethernet + outer IPv4 + UDP to `port` carrying `payload`, checksums filled.
func outerUDP(_ port: UInt16, _ payload: [UInt8], sport: UInt16 = 51000) -> [UInt8] {
    var u = UDPHeader()
    u.sourcePort = sport
    u.destinationPort = port
    let eth = EthernetHeader(destination: serverMAC, source: clientMAC, etherType: EtherType.ipv4)
    return PacketRepr(link: .ethernet(eth), network: .ipv4(ipv4Header(IPProtocol.udp, src: outerA, dst: outerB), options: []),
                      transport: .udp(u), payload: payload).encode()
}

/// Re-emits every encapsulation header in `p.layers` from its parsed fields and compares it with
/// the frame's bytes (decode → encode, byte for byte). Returns how many headers were compared.
@discardableResult
func reemitEncapsulationHeaders(_ f: [UInt8], _ p: DecodedPacket) -> Int {
    var compared = 0
    f.withUnsafeBytes { b in
        for l in p.layers {
            var out: [UInt8] = []
            let end = l.offset + l.length
            switch l.kind {
            case .vxlan, .vxlanGPE: VXLANHeader.parse(b, at: l.offset)?.emit(into: &out)
            case .gre: GREHeader.parse(b, at: l.offset, end: f.count)?.emit(into: &out, computeChecksum: false)
            case .erspan: ERSPANHeader.parse(b, at: l.offset, end: f.count)?.emit(into: &out)
            case .mpls: MPLSLabel.emit(MPLSLabel.parseStack(b, at: l.offset, end: f.count) ?? [], into: &out, fixBottom: false)
            case .pppoe: PPPoEHeader.parse(b, at: l.offset, session: true)?.emit(into: &out, payloadLength: 0, fixLengths: false)
            case .geneve: GeneveHeader.parse(b, at: l.offset)?.emit(into: &out, options: Array(f[(l.offset + 8)..<end]))
            case .gtpu:
                guard let h = GTPUHeader.parse(b, at: l.offset) else { break }
                h.emit(into: &out, extensionHeaders: Array(f[(l.offset + (h.hasOptionalFields ? 12 : 8))..<end]),
                       payloadLength: 0, fixLengths: false)
            default: continue
            }
            #expect(out == Array(f[l.offset..<end]), "\(l.kind) at \(l.offset) re-emits as \(out)")
            compared += 1
        }
    }
    return compared
}

/// Every prefix of `f` decodes without trapping, within bounds, and a cut tunnel header names a defect.
func checkPrefixes(_ f: [UInt8]) {
    for n in 0..<f.count {
        let p = decode(Array(f[0..<n]))
        #expect(p.payloadOffset + p.capturedPayloadLength <= n || p.capturedPayloadLength == 0)
        for l in p.layers { #expect(l.offset + l.length <= n, "layer \(l.kind) beyond \(n) bytes") }
        #expect(Int(p.encapsulation.depth) <= PacketDecoder.maxTunnelDepth)
    }
}

@Suite("Encapsulation (issue 11): VXLAN, IP-in-IP, GRE, ERSPAN, MPLS, PPPoE, Geneve, GTP-U, Teredo")
struct EncapsulationTests {
    /// Frame 13 of Fixtures/encap/vxlan-tcp-udp.pcap: Linux VXLAN (VNI 42, UDP 51114 → 4789,
    /// 192.0.2.1 → 192.0.2.2) carrying the SYN 10.42.0.1:32848 → 10.42.0.2:8080 (MSS 1410, SACK,
    /// TS, NOP, WS 10). Values below are tshark 4.0's.
    static let vxlanSYN = hex("""
        a6f3092c5f7ff2efb112472f08004500006e5fd90000401196a2c0000201c0000202c7aa12b5005affd30800000000002a00
        8ec595becca0ead588d916b308004500003c820840004006a45d0a2a00010a2a000280501f909d11447200000000a002fd5c
        51f80000020405820402080a95eccd32000000000103030a
        """)

    @Test("VXLAN reference frame: layers, inner 5-tuple, VNI and outer endpoints as tshark shows them")
    func vxlanDeconstruct() {
        let p = decode(Self.vxlanSYN)
        #expect(p.defects.isEmpty)
        #expect(p.layers.kinds == [.ethernet, .ipv4, .udp, .vxlan, .ethernet, .ipv4, .tcp])
        #expect(p.ipv4?.source == 0x0a2a_0001 && p.ipv4?.destination == 0x0a2a_0002 && p.ipv4?.identification == 0x8208)
        #expect(p.ipv4?.checksumStatus == .good)
        #expect(p.tcp?.sourcePort == 32848 && p.tcp?.destinationPort == 8080 && p.tcp?.sequenceNumber == 2_635_154_546)
        #expect(p.tcp?.checksumStatus == .good && p.tcp?.window == 64860)
        #expect(p.udp == nil)
        #expect(p.networkOffset == 64 && p.etherType == EtherType.ipv4)
        let e = p.encapsulation
        #expect(e.tunnel == .vxlan && e.depth == 1 && e.tunnelID == 42)
        #expect(e.outerSource == IPAddress("192.0.2.1") && e.outerDestination == IPAddress("192.0.2.2"))
        #expect(e.outerProtocol == 17 && e.outerSourcePort == 51114 && e.outerDestinationPort == 4789)
        #expect(e.outerIPLength == 110 && e.vlan == nil && e.mplsLabel == nil)
        #expect(p.ethernet?.source == MACAddress("f2:ef:b1:12:47:2f"))   // the outermost Ethernet
        #expect(reemitEncapsulationHeaders(Self.vxlanSYN, p) == 1)
    }

    @Test("VXLAN reference frame built by the encoder (lengths and checksums of both stacks filled), byte for byte")
    func vxlanConstruct() {
        var ip = ipv4Header(IPProtocol.tcp, id: 0x8208, src: 0x0a2a_0001, dst: 0x0a2a_0002)
        ip.ttl = 64
        let innerEth = EthernetHeader(destination: MACAddress("8e:c5:95:be:cc:a0")!, source: MACAddress("ea:d5:88:d9:16:b3")!,
                                      type: .ipv4)
        var tcp = tcpHeader([.syn], seq: 2_635_154_546, sport: 32848, dport: 8080, window: 64860)
        tcp.urgentPointer = 0
        let inner = PacketRepr(link: .ethernet(innerEth), network: .ipv4(ip, options: []),
                               transport: .tcp(tcp, options: [.maxSegmentSize(1410), .sackPermitted,
                                                              .timestamp(value: 0x95ec_cd32, echo: 0), .noOperation,
                                                              .windowScale(10)])).encode()
        var outerIP = ipv4Header(IPProtocol.udp, id: 0x5fd9, src: outerA, dst: outerB)
        outerIP.dontFragment = false
        var udp = UDPHeader()
        udp.sourcePort = 51114
        udp.destinationPort = 4789
        let outerEth = EthernetHeader(destination: MACAddress("a6:f3:09:2c:5f:7f")!, source: MACAddress("f2:ef:b1:12:47:2f")!,
                                      type: .ipv4)
        let frame = PacketRepr(link: .ethernet(outerEth), network: .ipv4(outerIP, options: []), transport: .udp(udp),
                               payload: VXLANHeader(vni: 42).encapsulate(inner)).encode()
        #expect(frame == Self.vxlanSYN)
    }

    @Test("VXLAN on 8472 and VLAN-tagged delivery: VLAN ids from the outermost Ethernet, inner UDP")
    func vxlanVLAN() {
        var u = UDPHeader()
        u.sourcePort = 51000
        u.destinationPort = 8472
        let eth = EthernetHeader(destination: serverMAC, source: clientMAC, etherType: EtherType.ipv4,
                                 tags: VLANTags([VLANTag(tpid: EtherType.qinq, id: 300), VLANTag(id: 7)]))
        let f = PacketRepr(link: .ethernet(eth), network: .ipv4(ipv4Header(IPProtocol.udp, src: outerA, dst: outerB), options: []),
                           transport: .udp(u),
                           payload: VXLANHeader(vni: 0x123456).encapsulate(ethernet(EtherType.ipv4, innerDatagram(udp: true)))).encode()
        let p = decode(f)
        #expect(p.defects.isEmpty)
        #expect(p.layers.kinds == [.ethernet, .vlan, .vlan, .ipv4, .udp, .vxlan, .ethernet, .ipv4, .udp])
        #expect(p.udp?.sourcePort == 40000 && p.udp?.destinationPort == 53 && p.udp?.checksumStatus == .good)
        #expect(p.encapsulation.vlan == 300 && p.encapsulation.innerVLAN == 7 && p.encapsulation.tunnelID == 0x123456)
        #expect(p.encapsulation.outerDestinationPort == 8472)
        #expect(p.payloadOffset == f.count - 5 && p.payloadLength == 5)
        reemitEncapsulationHeaders(f, p)
    }

    @Test("VXLAN truncated or malformed: decodes as far as valid, names the defect")
    func vxlanTruncated() {
        let f = Self.vxlanSYN
        let cut = decode(Array(f[0..<46]), wireLength: f.count)   // snaplen: 4 bytes of the VXLAN header
        #expect(cut.defects.contains(.vxlanTruncated) && cut.udp?.destinationPort == 4789 && cut.encapsulation.depth == 0)
        let innerCut = decode(Array(f[0..<70]), wireLength: f.count)   // inner IPv4 header cut
        #expect(innerCut.defects.contains(.ipv4Truncated) && innerCut.udp != nil && innerCut.layers.last?.kind == .ethernet)
        #expect(innerCut.encapsulation.tunnel == .none)
        var noI = f
        noI[42] = 0   // I flag clear: still decoded, no VNI
        #expect(decode(noI).encapsulation.tunnelID == nil && decode(noI).tcp != nil)
        checkPrefixes(f)
    }

    @Test("IP-in-IP: 4in4, 6in4, 4in6, 6in6 (RFC 2003, RFC 4213, RFC 2473)")
    func ipInIP() {
        let v4 = innerDatagram(), v6 = innerDatagram6()
        for (proto, inner) in [(IPProtocol.ipv4, v4), (IPProtocol.ipv6, v6)] {
            let f = outerIPv4(proto, inner)
            let p = decode(f)
            #expect(p.defects.isEmpty)
            #expect(p.layers.kinds == [.ethernet, .ipv4, proto == 4 ? .ipv4 : .ipv6, .tcp])
            #expect(p.encapsulation.tunnel == .ipInIP && p.encapsulation.outerProtocol == proto && p.encapsulation.depth == 1)
            #expect(p.encapsulation.outerSource == IPAddress(ipv4: outerA) && p.encapsulation.outerSourcePort == nil)
            #expect(p.tcp?.checksumStatus == .good && (proto == 4 ? p.ipv6 == nil : p.ipv4 == nil))
            checkPrefixes(f)
        }
        for (next, inner) in [(IPProtocol.ipv4, v4), (IPProtocol.ipv6, v6)] {
            var ip = IPv6Header()
            ip.nextHeader = next
            ip.source = IPAddress("2001:db8::a")!
            ip.destination = IPAddress("2001:db8::b")!
            let f = PacketRepr(link: .ethernet(EthernetHeader(destination: serverMAC, source: clientMAC, etherType: EtherType.ipv6)),
                               network: .ipv6(ip, extensionHeaders: []), transport: .none, payload: inner).encode()
            let p = decode(f)
            #expect(p.defects.isEmpty && p.tcp?.checksumStatus == .good)
            #expect(p.layers.kinds == [.ethernet, .ipv6, next == 4 ? .ipv4 : .ipv6, .tcp])
            #expect(p.encapsulation.outerDestination == IPAddress("2001:db8::b") && p.encapsulation.outerIPLength == 40 + inner.count)
        }
    }

    @Test("an inner IP header that runs past the delivery datagram's end is truncated, not decoded (fuzz finding)")
    func innerHeaderBeyondOuterPayload() {
        for (proto, inner) in [(IPProtocol.ipv4, innerDatagram()), (IPProtocol.ipv6, innerDatagram6())] {
            // Outer total length ends 10 bytes into the inner header; the frame still holds all of it.
            var f = outerIPv4(proto, inner)
            let outer = 14
            f[outer + 2] = 0; f[outer + 3] = 20 + 10
            f[outer + 10] = 0; f[outer + 11] = 0
            let sum = f.withUnsafeBytes { InternetChecksum.sum(UnsafeRawBufferPointer(rebasing: $0[outer..<(outer + 20)])) }
            let field = InternetChecksum.fieldValue(forSum: sum)
            f[outer + 10] = UInt8(field >> 8); f[outer + 11] = UInt8(field & 0xff)
            let p = decode(f)
            #expect(p.defects.contains(proto == 4 ? .ipv4Truncated : .ipv6Truncated), "\(p.defects)")
            #expect(p.layers.kinds == [.ethernet, .ipv4] && p.ipv4?.offset == outer && p.ipv4?.checksumStatus == .good)
            #expect(p.ipv6 == nil && p.tcp == nil && p.encapsulation.depth == 0 && p.payloadLength == 10)
        }
    }

    @Test("nesting is bounded: 8 tunnels decode, the 9th is encap.too_deep")
    func nestingBomb() {
        var d = innerDatagram()
        for _ in 0..<9 { d = PacketRepr(link: .raw, network: .ipv4(ipv4Header(IPProtocol.ipv4), options: []), transport: .none, payload: d).encode() }
        let p = decode(d, .rawIP)
        #expect(p.defects.contains(.encapsulationTooDeep))
        #expect(p.encapsulation.depth == 8 && p.tcp == nil && p.ipv4?.protocol == IPProtocol.ipv4)
        #expect(p.layers.count == 9 && p.layers.kinds.allSatisfy { $0 == .ipv4 })
        var ok = innerDatagram()
        for _ in 0..<8 { ok = PacketRepr(link: .raw, network: .ipv4(ipv4Header(IPProtocol.ipv4), options: []), transport: .none, payload: ok).encode() }
        let q = decode(ok, .rawIP)
        #expect(q.defects.isEmpty && q.encapsulation.depth == 8 && q.tcp?.destinationPort == 443)
    }

    @Test("a fragment's payload is not followed into a tunnel")
    func fragmentNotFollowed() {
        var ip = ipv4Header(IPProtocol.ipv4, src: outerA, dst: outerB)
        ip.dontFragment = false
        ip.moreFragments = true
        let f = PacketRepr(link: .ethernet(EthernetHeader(destination: serverMAC, source: clientMAC, etherType: EtherType.ipv4)),
                           network: .ipv4(ip, options: []), transport: .none, payload: innerDatagram()).encode()
        let p = decode(f)
        #expect(p.layers.kinds == [.ethernet, .ipv4] && p.encapsulation.depth == 0 && p.ipv4?.source == outerA)
    }

    @Test("GRE v0 with checksum, key and sequence; IPv4, IPv6 and Ethernet (0x6558) payloads (RFC 2784, 2890)")
    func gre() {
        let payloads: [(UInt16, [UInt8], LayerKind)] = [
            (EtherType.ipv4, innerDatagram(), .ipv4), (EtherType.ipv6, innerDatagram6(), .ipv6),
            (EtherType.transparentEthernet, ethernet(EtherType.ipv4, innerDatagram()), .ethernet),
        ]
        for (type, payload, first) in payloads {
            for (key, seq, csum) in [(UInt32?.none, UInt32?.none, false), (0xdead_beef, 7, true), (5, nil, false)] as [(UInt32?, UInt32?, Bool)] {
                let g = GREHeader(protocolType: type, key: key, sequenceNumber: seq, checksum: csum)
                let f = outerIPv4(IPProtocol.gre, g.encapsulate(payload))
                let p = decode(f)
                #expect(p.defects.isEmpty, "\(p.defects)")
                #expect(p.layers.kinds.prefix(4) == [.ethernet, .ipv4, .gre, first])
                #expect(p.layers[2].length == 4 + (csum ? 4 : 0) + (key != nil ? 4 : 0) + (seq != nil ? 4 : 0))
                #expect(p.tcp?.checksumStatus == .good && p.encapsulation.tunnel == .gre && p.encapsulation.tunnelID == key)
                #expect(p.encapsulation.outerProtocol == 47 && p.encapsulation.outerDestination == IPAddress(ipv4: outerB))
                #expect(reemitEncapsulationHeaders(f, p) == 1)
                if csum {
                    var bad = f
                    bad[bad.count - 1] ^= 0xff
                    let badPacket = decode(bad)
                    #expect(badPacket.encapsulation.greChecksumBad && badPacket.defects.isEmpty)
                    #expect(!decode(bad, verify: false).encapsulation.greChecksumBad)
                    #expect(!p.encapsulation.greChecksumBad)
                }
            }
        }
        // Fixed bytes: GRE C+K+S, protocol 0x0800 (RFC 2784 §2.5 checksum over header + payload).
        let g = GREHeader(protocolType: EtherType.ipv4, key: 0x0102_0304, sequenceNumber: 9, checksum: true)
        var out: [UInt8] = []
        g.emit(into: &out, payload: [0x45, 0x00])
        #expect(out == hex("b000 0800 feef 0000 01020304 00000009"))
        let cut = decode(Array(outerIPv4(IPProtocol.gre, g.encapsulate(innerDatagram())).prefix(40)))
        #expect(cut.defects.contains(.greTruncated) && cut.ipv4?.protocol == 47)
        var v2 = outerIPv4(IPProtocol.gre, GREHeader(protocolType: EtherType.ipv4).encapsulate(innerDatagram()))
        v2[35] = 2
        #expect(decode(v2).defects.contains(.greUnsupported))
        checkPrefixes(outerIPv4(IPProtocol.gre, g.encapsulate(ethernet(EtherType.ipv4, innerDatagram()))))
    }

    @Test("ERSPAN type I, II and III over GRE: inner Ethernet, session id as tunnel id")
    func erspan() {
        let inner = ethernet(EtherType.ipv4, innerDatagram())
        let type1 = GREHeader(protocolType: EtherType.erspanII).encapsulate(inner)
        var two: [UInt8] = []
        ERSPANHeader(version: 1, vlan: 10, sessionID: 77, word1: 5).emit(into: &two)
        let type2 = GREHeader(protocolType: EtherType.erspanII, sequenceNumber: 1).encapsulate(two + inner)
        var three: [UInt8] = []
        ERSPANHeader(version: 2, vlan: 10, sessionID: 99, word1: 0x1234, word2: 0).emit(into: &three)
        let type3 = GREHeader(protocolType: EtherType.erspanIII, sequenceNumber: 2).encapsulate(three + inner)
        for (g, kinds, id) in [(type1, [LayerKind.ethernet, .ipv4, .gre, .ethernet, .ipv4, .tcp], UInt32?.none),
                               (type2, [.ethernet, .ipv4, .gre, .erspan, .ethernet, .ipv4, .tcp], 77),
                               (type3, [.ethernet, .ipv4, .gre, .erspan, .ethernet, .ipv4, .tcp], 99)] {
            let f = outerIPv4(IPProtocol.gre, g)
            let p = decode(f)
            #expect(p.defects.isEmpty)
            #expect(p.layers.kinds == kinds)
            #expect(p.encapsulation.tunnel == .erspan && p.encapsulation.tunnelID == id && p.tcp?.destinationPort == 443)
            reemitEncapsulationHeaders(f, p)
        }
        let cut = decode(Array(outerIPv4(IPProtocol.gre, type3).prefix(14 + 20 + 8 + 6)))
        #expect(cut.defects.contains(.erspanTruncated))
    }

    @Test("MPLS label stacks over Ethernet, UDP 6635 and GRE; control word + Ethernet; too many labels (RFC 3032, 4385, 7510)")
    func mpls() {
        func stack(_ labels: [UInt32]) -> [UInt8] {
            var out: [UInt8] = []
            MPLSLabel.emit(labels.map { MPLSLabel(label: $0, trafficClass: 1, ttl: 63) }, into: &out)
            return out
        }
        let f = ethernet(EtherType.mplsUnicast, stack([16106, 99]) + innerDatagram(), tags: [12])
        let p = decode(f)
        #expect(p.defects.isEmpty)
        #expect(p.layers.kinds == [.ethernet, .vlan, .mpls, .ipv4, .tcp] && p.layers[2].length == 8)
        #expect(p.encapsulation.mplsLabel == 16106 && p.encapsulation.vlan == 12 && p.encapsulation.depth == 0)
        #expect(p.networkOffset == 26 && p.tcp?.checksumStatus == .good)
        #expect(reemitEncapsulationHeaders(f, p) == 1)
        #expect(Array(f[18..<26]) == hex("03eea23f 0006333f"))  // 16106 TC 1 TTL 63; 99 TC 1 S TTL 63
        let pw = decode(ethernet(EtherType.mplsUnicast, stack([100]) + [0, 0, 0, 0] + ethernet(EtherType.ipv4, innerDatagram())))
        #expect(pw.layers.kinds == [.ethernet, .mpls, .mplsControlWord, .ethernet, .ipv4, .tcp] && pw.defects.isEmpty)
        let udp = decode(outerUDP(6635, stack([5]) + innerDatagram6()))
        #expect(udp.encapsulation.tunnel == .mplsOverUDP && udp.tcp?.destinationPort == 8443 && udp.ipv6 != nil)
        let gre = decode(outerIPv4(IPProtocol.gre, GREHeader(protocolType: EtherType.mplsUnicast).encapsulate(stack([7]) + innerDatagram())))
        #expect(gre.layers.kinds == [.ethernet, .ipv4, .gre, .mpls, .ipv4, .tcp] && gre.encapsulation.tunnel == .gre)
        let deep = decode(ethernet(EtherType.mplsUnicast, stack(Array(1...9)) + innerDatagram()))
        #expect(deep.defects.contains(.mplsTooManyLabels) && deep.ipv4 == nil)
        let eight = decode(ethernet(EtherType.mplsUnicast, stack(Array(1...8)) + innerDatagram()))
        #expect(eight.defects.isEmpty && eight.tcp != nil)
        let cut = decode(Array(f.prefix(22)))
        #expect(cut.defects.contains(.mplsTruncated))
        checkPrefixes(f)
    }

    @Test("PPPoE session with PPP IPv4/IPv6; discovery counted as a layer (RFC 2516)")
    func pppoe() {
        for (proto, inner) in [(UInt16(0x0021), innerDatagram()), (0x0057, innerDatagram6())] {
            var s: [UInt8] = []
            PPPoEHeader(sessionID: 0x1234, pppProtocol: proto).emit(into: &s, payloadLength: inner.count)
            let f = ethernet(EtherType.pppoeSession, s + inner + [0, 0, 0])   // Ethernet padding after
            let p = decode(f)
            #expect(p.defects.isEmpty)
            #expect(p.layers.kinds == [.ethernet, .pppoe, proto == 0x21 ? .ipv4 : .ipv6, .tcp])
            #expect(p.tcp?.checksumStatus == .good && p.networkOffset == 22 && p.encapsulation.depth == 0)
            #expect(p.layers[1].length == 8)
            #expect(Array(f[14..<22]) == [0x11, 0x00, 0x12, 0x34, UInt8((inner.count + 2) >> 8), UInt8((inner.count + 2) & 0xff),
                                          0x00, UInt8(proto)])
            #expect(reemitEncapsulationHeaders(f, p) == 1)
            checkPrefixes(f)
        }
        // Protocol-field compression (RFC 1661 §6.5): 0x21 in one byte.
        var c = PPPoEHeader(sessionID: 0x3d, pppProtocol: 0x21)
        c.protocolCompressed = true
        var cs: [UInt8] = []
        c.emit(into: &cs, payloadLength: innerDatagram().count)
        let cf = ethernet(EtherType.pppoeSession, cs + innerDatagram())
        let cp = decode(cf)
        #expect(cs.count == 7 && cp.defects.isEmpty && cp.layers.kinds == [.ethernet, .pppoe, .ipv4, .tcp] && cp.layers[1].length == 7)
        #expect(reemitEncapsulationHeaders(cf, cp) == 1)
        var padi: [UInt8] = []
        PPPoEHeader(sessionID: 0, code: 0x09, pppProtocol: nil).emit(into: &padi, payloadLength: 4)
        let d = decode(ethernet(EtherType.pppoeDiscovery, padi + [0x01, 0x01, 0x00, 0x00]))
        #expect(d.layers.kinds == [.ethernet, .pppoeDiscovery] && d.layers[1].length == 10 && d.defects.isEmpty)
        var long: [UInt8] = []
        PPPoEHeader(sessionID: 1).emit(into: &long, payloadLength: 500)
        let bad = decode(ethernet(EtherType.pppoeSession, long + innerDatagram()))
        #expect(bad.defects.contains(.pppoeLengthExceedsFrame) && bad.tcp != nil)
    }

    @Test("Geneve with options skipped by length, Ethernet and IPv4 payloads (RFC 8926)")
    func geneve() {
        var g: [UInt8] = []
        GeneveHeader(vni: 0xabcdef).emit(into: &g, options: [0x01, 0x02, 0x80, 0x01, 0xaa, 0xbb, 0xcc, 0xdd])
        let f = outerUDP(6081, g + ethernet(EtherType.ipv4, innerDatagram()))
        let p = decode(f)
        #expect(p.defects.isEmpty)
        #expect(p.layers.kinds == [.ethernet, .ipv4, .udp, .geneve, .ethernet, .ipv4, .tcp] && p.layers[3].length == 16)
        #expect(p.encapsulation.tunnel == .geneve && p.encapsulation.tunnelID == 0xabcdef && p.tcp?.checksumStatus == .good)
        #expect(Array(g[0..<8]) == hex("02 00 6558 abcdef 00".replacingOccurrences(of: " ", with: "")))
        #expect(reemitEncapsulationHeaders(f, p) == 1)
        var ipg: [UInt8] = []
        GeneveHeader(vni: 1, protocolType: EtherType.ipv4).emit(into: &ipg)
        #expect(decode(outerUDP(6081, ipg + innerDatagram())).tcp?.destinationPort == 443)
        var opts = f
        opts[42] = 0x3f   // options length 252 bytes: beyond the packet
        #expect(decode(opts).defects.contains(.geneveTruncated))
        checkPrefixes(f)
    }

    @Test("GTP-U G-PDU with and without optional fields and an extension header (3GPP TS 29.281)")
    func gtpu() {
        let inner = innerDatagram()
        var plain: [UInt8] = []
        GTPUHeader(teid: 0x0102_0304).emit(into: &plain, payloadLength: inner.count)
        #expect(plain == hex("30ff") + [UInt8(inner.count >> 8), UInt8(inner.count & 0xff)] + hex("01020304"))
        var h = GTPUHeader(teid: 77)
        h.flags = 0x34   // E
        h.nextExtensionType = 0x85   // PDU session container
        var ext: [UInt8] = []
        h.emit(into: &ext, extensionHeaders: [0x01, 0x00, 0x01, 0x00], payloadLength: inner.count)
        for (g, teid, len) in [(plain, UInt32(0x0102_0304), 8), (ext, 77, 16)] {
            let f = outerUDP(2152, g + inner, sport: 2152)
            let p = decode(f)
            #expect(p.defects.isEmpty)
            #expect(p.layers.kinds == [.ethernet, .ipv4, .udp, .gtpu, .ipv4, .tcp] && p.layers[3].length == len)
            #expect(p.encapsulation.tunnel == .gtpu && p.encapsulation.tunnelID == teid && p.tcp?.checksumStatus == .good)
            #expect(reemitEncapsulationHeaders(f, p) == 1)
            checkPrefixes(f)
        }
        var echo: [UInt8] = []
        GTPUHeader(teid: 0, messageType: 1).emit(into: &echo, payloadLength: 0)
        let e = decode(outerUDP(2152, echo))
        #expect(e.layers.kinds.last == .gtpu && e.udp != nil && e.encapsulation.depth == 0)
        var badExt = ext
        badExt[12] = 0   // extension length 0
        #expect(decode(outerUDP(2152, badExt + inner)).defects.contains(.gtpuExtensionInvalid))
    }

    @Test("Teredo with origin indication and bare; non-IPv6 payload on 3544 is not Teredo (RFC 4380)")
    func teredo() {
        let inner = innerDatagram6()
        var origin: [UInt8] = []
        TeredoIndicators.emitOrigin(port: 40000, address: 0xc633_6401, into: &origin)
        #expect(origin == hex("0000 63bf 39cc9bfe".replacingOccurrences(of: " ", with: "")))
        for (pre, len) in [([UInt8](), 0), (origin, 8)] {
            let f = outerUDP(3544, pre + inner, sport: 3544)
            let p = decode(f)
            #expect(p.defects.isEmpty)
            #expect(p.layers.kinds == [.ethernet, .ipv4, .udp, .teredo, .ipv6, .tcp] && p.layers[3].length == len)
            #expect(p.encapsulation.tunnel == .teredo && p.ipv6?.destination == v6Server && p.tcp?.checksumStatus == .good)
            checkPrefixes(f)
        }
        let dns = decode(outerUDP(3544, Array(repeating: 0x41, count: 60)))
        #expect(dns.layers.kinds == [.ethernet, .ipv4, .udp] && dns.defects.isEmpty && dns.udp != nil)
    }

    @Test("followsEncapsulations = false keeps the classic chain: the tunnel stays UDP/IP payload")
    func classic() {
        var d = PacketDecoder()
        d.followsEncapsulations = false
        let p = Self.vxlanSYN.withUnsafeBytes { d.decode($0, linkType: .ethernet) }
        #expect(p.layers.kinds == [.ethernet, .ipv4, .udp] && p.udp?.destinationPort == 4789 && p.encapsulation.depth == 0)
        // PacketRepr keeps the outer stack and the tunnel as payload: verbatim round trip.
        let r = PacketRepr(decoding: Self.vxlanSYN, linkType: .ethernet)
        #expect(r?.encode(options: .verbatim) == Self.vxlanSYN)
        #expect(r?.encode() == Self.vxlanSYN)
    }

    @Test("IPv6 Routing header final destination and Home Address option are exposed")
    func ipv6Keys() {
        // Type 2 routing header (RFC 6275 §6.4), segments left 1, home address 2001:db8::99.
        let rh: [UInt8] = [IPProtocol.ipv6DestinationOptions, 2, 2, 1, 0, 0, 0, 0] + hex("20010db8000000000000000000000099")
        // Destination options with a Home Address option (0xC9, 16 bytes) + PadN.
        let dst: [UInt8] = [IPProtocol.tcp, 2, 0xc9, 16] + hex("20010db80000000000000000000000aa") + [1, 2, 0, 0]
        let f = ipv6Frame(transport: .tcp(tcpHeader([.syn]), options: []), nextHeader: IPProtocol.ipv6Routing,
                          extensionHeaders: rh + dst)
        let p = decode(f)
        #expect(p.defects.isEmpty && p.tcp?.checksumStatus == .good)
        f.withUnsafeBytes { b in
            #expect(p.ipv6?.finalDestination(in: b) == IPAddress("2001:db8::99") && p.ipv6?.homeAddress(in: b) == IPAddress("2001:db8::aa"))
            #expect(p.ipv6?.effectiveDestination(in: b) == IPAddress("2001:db8::99") && p.ipv6?.destination == v6Server)
            #expect(p.ipv6?.effectiveSource(in: b) == IPAddress("2001:db8::aa"))
            // A frame that does not hold the address (not the one decoded): nil, the fixed header's address kept.
            let cut = UnsafeRawBufferPointer(rebasing: b[0..<60])
            #expect(p.ipv6?.finalDestination(in: cut) == nil && p.ipv6?.effectiveDestination(in: cut) == p.ipv6?.destination)
        }
        let plain = ipv6Frame(transport: .udp(UDPHeader()), nextHeader: IPProtocol.udp)
        let q = decode(plain)
        plain.withUnsafeBytes { b in
            #expect(q.ipv6?.finalDestination(in: b) == nil && q.ipv6?.homeAddress(in: b) == nil)
            #expect(q.ipv6?.effectiveSource(in: b) == q.ipv6?.source && q.ipv6?.effectiveDestination(in: b) == q.ipv6?.destination)
        }
    }

    @Test("typed EtherType / IPProtocol: typed constants by context, raw constants as before")
    func typedConstants() {
        let t: EtherType = .ipv6
        #expect(t.rawValue == 0x86DD && t == EtherType(rawValue: EtherType.ipv6))
        let p = decode(udpFrame())
        #expect(p.networkType == .ipv4 && p.transportProtocol == .udp && p.ipv4?.ipProtocol == .udp)
        switch p.transportProtocol {
        case .some(.udp): break
        default: Issue.record("typed switch")
        }
        let raw = EtherType.ipv4   // still the UInt16
        #expect(raw == 0x0800 && IPProtocol.tcp == 6)
    }
}
