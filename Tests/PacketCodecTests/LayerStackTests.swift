import PacketCodec
import Testing

private func requireBitwiseCopyable<T: BitwiseCopyable>(_: T.Type) {}

@Suite("Layer stack")
struct LayerStackTests {
    @Test("Ethernet + two VLAN tags + IPv4 + ICMP: one entry per header with its offset and length")
    func vlanICMP() {
        let p = decode(ICMPReference.echo)
        #expect(p.layers.kinds == [.ethernet, .vlan, .vlan, .ipv4, .icmp])
        #expect(p.layers.map(\.offset) == [0, 14, 18, 22, 42])
        #expect(p.layers.map(\.length) == [14, 4, 4, 20, 8])
        #expect(!p.layers.overflowed)
        #expect(p.layers.last(.vlan)?.offset == 18)
        #expect(p.layers.last(.tcp) == nil)
        // forEachRaw gives the subscript's kinds and offsets, and stops when asked.
        var all: [(UInt8, Int)] = []
        p.layers.forEachRaw { all.append(($0, $1)); return true }
        #expect(all.map(\.0) == p.layers.map(\.kind.rawValue) && all.map(\.1) == p.layers.map(\.offset))
        var seen: [(UInt8, Int)] = []
        p.layers.forEachRaw { kind, offset in seen.append((kind, offset)); return kind != LayerKind.ipv4.rawValue }
        #expect(seen.map(\.0) == [LayerKind.ethernet, .vlan, .vlan, .ipv4].map(\.rawValue) && seen.map(\.1) == [0, 14, 18, 22])
    }

    @Test("IPv6 + Routing header + ICMPv6; TCP with options; UDP")
    func ipv6AndTransport() {
        let v6 = decode(ICMPReference.echo6)
        #expect(v6.layers.kinds == [.ethernet, .ipv6, .ipv6Extension, .icmpv6])
        #expect(v6.layers[2].offset == 54 && v6.layers[2].length == 24)
        let tcp = decode(tcpFrame([.syn], options: [.maxSegmentSize(1460), .sackPermitted], vlan: [5]))
        #expect(tcp.layers.kinds == [.ethernet, .vlan, .ipv4, .tcp])
        #expect(tcp.layers[3].offset == 38 && tcp.layers[3].length == 28)
        let udp = decode(udpFrame())
        #expect(udp.layers.kinds == [.ethernet, .ipv4, .udp])
        #expect(udp.layers[2].offset == 34 && udp.layers[2].length == 8)
    }

    @Test("a layer that fails to decode is not in the stack")
    func truncated() {
        let f = tcpFrame()
        let p = decode(Array(f[0..<40]), wireLength: f.count)   // TCP header cut
        #expect(p.layers.kinds == [.ethernet, .ipv4])
        #expect(decode([0x01, 0x02]).layers.isEmpty)
    }

    @Test("more layers than capacity: the first 12 are kept, overflowed is set, flat slots still filled")
    func overflow() {
        // 11 Destination Options headers (8 bytes each, one PadN) before UDP.
        var ext: [UInt8] = []
        for i in 0..<11 { ext += [i == 10 ? IPProtocol.udp : IPProtocol.ipv6DestinationOptions, 0, 1, 4, 0, 0, 0, 0] }
        var udp = UDPHeader()
        udp.sourcePort = 1
        udp.destinationPort = 2
        let f = ipv6Frame(transport: .udp(udp), nextHeader: IPProtocol.ipv6DestinationOptions, extensionHeaders: ext)
        let p = decode(f)
        #expect(p.defects.isEmpty)
        #expect(p.layers.count == LayerStack.capacity)
        #expect(p.layers.overflowed)
        #expect(p.layers.kinds == [.ethernet, .ipv6] + Array(repeating: .ipv6Extension, count: 10))
        #expect(p.udp?.destinationPort == 2 && p.udp?.checksumStatus == .good)
        #expect(!decode(udpFrame()).layers.overflowed)
    }

    @Test("the packet stays trivially copyable and of bounded size")
    func layout() {
        requireBitwiseCopyable(DecodedPacket.self)
        requireBitwiseCopyable(LayerStack.self)
        #expect(MemoryLayout<LayerStack>.size <= 12 * 8 + 2)
        // 456 B before the ICMP slot and the stack; 586 before the encapsulation context (56 B);
        // the IPv6 final destination / home address are offsets that fill padding.
        #expect(MemoryLayout<DecodedPacket>.size <= 680)
    }
}
