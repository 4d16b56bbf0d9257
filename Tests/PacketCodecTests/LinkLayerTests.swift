import PacketCodec
import Testing

@Suite("Link layers")
struct LinkLayerTests {
    /// The IPv4/TCP part of an encoded Ethernet frame.
    var ipPacket: [UInt8] { Array(tcpFrame().dropFirst(14)) }

    @Test("DLT values map to link types (raw IP is 12 on Linux, 14 on OpenBSD, 101 in files)")
    func dltMapping() {
        #expect(LinkType(dlt: 1) == .ethernet)
        #expect(LinkType(dlt: 0) == .null)
        #expect(LinkType(dlt: 108) == .loop)
        #expect(LinkType(dlt: 12) == .rawIP)
        #expect(LinkType(dlt: 14) == .rawIP)
        #expect(LinkType(dlt: 101) == .rawIP)
        #expect(LinkType(dlt: 113) == .linuxSLL)
        #expect(LinkType(dlt: 276) == .linuxSLL2)
        #expect(LinkType(dlt: 228) == .ipv4)
        #expect(LinkType(dlt: 229) == .ipv6)
        #expect(LinkType(dlt: 147) == .unknown(147))
    }

    @Test("Ethernet fields, field by field")
    func ethernet() throws {
        let p = decode(tcpFrame())
        let eth = try #require(p.ethernet)
        #expect(eth.destination.description == "02:00:00:00:00:02")
        #expect(eth.source.description == "02:00:00:00:00:01")
        #expect(eth.etherType == 0x0800)
        #expect(p.networkOffset == 14)
    }

    @Test("802.1Q and 802.1ad QinQ tags are walked to the inner EtherType")
    func vlan() throws {
        let p = decode(tcpFrame(vlan: [100]))
        #expect(p.ethernet?.tags.map(\.id) == [100])
        #expect(p.tcp?.destinationPort == 80)
        var qinq = tcpFrame(vlan: [10, 20])
        poke16(&qinq, 12, EtherType.qinq)
        let q = decode(qinq)
        let tags = try #require(q.ethernet?.tags)
        #expect(tags.map(\.id) == [10, 20])
        #expect(tags[0].tpid == 0x88a8)
        #expect(q.tcp?.checksumStatus == .good)
    }

    @Test("Linux SLL (v1) and SLL2 headers")
    func sll() throws {
        let v1 = hex("0004 0304 0006 000000000000 0000 0800") + ipPacket
        let p = decode(v1, .linuxSLL)
        #expect(p.linuxSLL?.packetType == 4)
        #expect(p.linuxSLL?.hardwareType == 772)
        #expect(p.tcp?.sourcePort == 51514)
        let v2 = hex("0800 0000 00000001 0304 04 06 0000000000000000") + ipPacket
        let q = decode(v2, .linuxSLL2)
        #expect(q.linuxSLL?.interfaceIndex == 1)
        #expect(q.linuxSLL?.packetType == 4)
        #expect(q.tcp?.checksumStatus == .good)
    }

    @Test("DLT_NULL family in either byte order, DLT_LOOP in network order, all IPv6 family values")
    func loopback() {
        #expect(decode(hex("02000000") + ipPacket, .null).tcp != nil)
        #expect(decode(hex("00000002") + ipPacket, .null).tcp != nil)
        #expect(decode(hex("00000002") + ipPacket, .loop).tcp != nil)
        #expect(decode(hex("02000000") + ipPacket, .loop).defects.contains(.loopbackFamilyUnknown))
        var udp = UDPHeader()
        udp.sourcePort = 1
        udp.destinationPort = 2
        let v6 = Array(ipv6Frame(transport: .udp(udp), nextHeader: 17).dropFirst(14))
        for family in ["0a000000", "18000000", "1c000000", "1e000000"] {
            #expect(decode(hex(family) + v6, .null).udp?.destinationPort == 2)
        }
    }

    @Test("raw IP picks the version from the first nibble; LINKTYPE_IPV4/IPV6 are fixed")
    func rawIP() {
        #expect(decode(ipPacket, .rawIP).ipv4 != nil)
        #expect(decode(ipPacket, .ipv4).tcp != nil)
        var udp = UDPHeader()
        udp.sourcePort = 1
        udp.destinationPort = 2
        let v6 = Array(ipv6Frame(transport: .udp(udp), nextHeader: 17).dropFirst(14))
        #expect(decode(v6, .rawIP).ipv6 != nil)
        #expect(decode(v6, .ipv6).udp != nil)
        #expect(decode([0x00], .rawIP).defects.contains(.ipv4VersionInvalid))
    }

    @Test("frames shorter than their link header are defects, never traps",
          arguments: [LinkType.ethernet, .linuxSLL, .linuxSLL2, .null, .loop, .rawIP, .ipv4, .ipv6])
    func truncatedLink(link: LinkType) {
        for n in 0..<24 {
            let p = decode([UInt8](repeating: 0x81, count: n), link)
            #expect(!p.defects.isEmpty || p.networkOffset != nil)
        }
    }

    @Test("unknown link type and non-IP EtherType are kept, not decoded")
    func unknown() {
        #expect(decode([1, 2, 3], .unknown(147)).defects.contains(.linkTypeUnsupported))
        var arp = tcpFrame()
        poke16(&arp, 12, EtherType.arp)
        let p = decode(arp)
        #expect(p.etherType == EtherType.arp)
        #expect(p.ipv4 == nil && p.defects.isEmpty)
    }
}
