import PacketCodec
import Testing
@testable import FlowAnalysis

/// Flow keys with a context (VLAN ids, tunnel type and id), tunnel delivery flows and
/// `tunnel_parents`, on frames built with the encoder (the real VXLAN capture is checked
/// against tshark in SockeyeCLITests' TunnelFlowCLITests).
@Suite("Flow context and tunnels")
struct TunnelFlowTests {
    static let mac1 = MACAddress("02:00:00:00:00:01")!
    static let mac2 = MACAddress("02:00:00:00:00:02")!
    static let vtepA = IPAddress("192.0.2.1")!, vtepB = IPAddress("192.0.2.2")!
    static let inner = (IPAddress("10.1.0.1")!, UInt16(40000), IPAddress("10.1.0.2")!, UInt16(80))

    /// An Ethernet frame (optionally VLAN-tagged; `mac1` → `mac2` unless given) carrying an IPv4 TCP segment.
    static func tcpFrame(from: (IPAddress, UInt16), to: (IPAddress, UInt16), flags: TCPFlags, seq: UInt32, ack: UInt32 = 0,
                         tags: [UInt16] = [], source: MACAddress = mac1, destination: MACAddress = mac2) -> [UInt8] {
        var ip = IPv4Header()
        ip.source = from.0.ipv4
        ip.destination = to.0.ipv4
        ip.protocol = 6
        var h = TCPHeader()
        h.sourcePort = from.1
        h.destinationPort = to.1
        h.flags = flags
        h.sequenceNumber = seq
        h.acknowledgmentNumber = ack
        h.window = 65535
        let eth = EthernetHeader(destination: destination, source: source, etherType: EtherType.ipv4,
                                 tags: VLANTags(tags.map { VLANTag(id: $0) }))
        return PacketRepr(link: .ethernet(eth), network: .ipv4(ip, options: []), transport: .tcp(h, options: []),
                          payload: []).encode()
    }

    /// `frame` inside VXLAN `vni` from `outerSource`:`sport` to `outerDestination`:4789.
    static func vxlan(_ frame: [UInt8], vni: UInt32, from outerSource: IPAddress, to outerDestination: IPAddress,
                      sport: UInt16) -> [UInt8] {
        var ip = IPv4Header()
        ip.source = outerSource.ipv4
        ip.destination = outerDestination.ipv4
        ip.protocol = 17
        var u = UDPHeader()
        u.sourcePort = sport
        u.destinationPort = 4789
        let eth = EthernetHeader(destination: mac2, source: mac1, etherType: EtherType.ipv4)
        return PacketRepr(link: .ethernet(eth), network: .ipv4(ip, options: []), transport: .udp(u),
                          payload: VXLANHeader(vni: vni).encapsulate(frame)).encode()
    }

    static let t0: Int64 = 1_700_000_000_000_000_000

    static func run(_ frames: [[UInt8]]) -> [ConnectionRecord] { runLogging(frames).records }

    /// Frame `i` at t0 + i ms, or at `times[i]` when given; records and tunnel.log events.
    static func runLogging(_ frames: [[UInt8]], times: [Int64]? = nil) -> (records: [ConnectionRecord], tunnels: [TunnelEvent]) {
        var records: [ConnectionRecord] = []
        var tunnels: [TunnelEvent] = []
        let analyzer = FlowAnalyzer { records.append($0) }
        analyzer.onTunnel = { tunnels.append($0) }
        let decoder = PacketDecoder()
        for (i, f) in frames.enumerated() {
            f.withUnsafeBytes { b in
                analyzer.process(decoder.decode(b, linkType: .ethernet), time: times?[i] ?? t0 + Int64(i) * 1_000_000, bytes: b)
            }
        }
        analyzer.finish()
        return (records, tunnels)
    }

    /// The three handshake segments of `inner`, each wrapped by `wrap` (direction: from the client?).
    static func handshake(_ wrap: (Bool, [UInt8]) -> [UInt8], tags: [UInt16] = []) -> [[UInt8]] {
        let c = (inner.0, inner.1), s = (inner.2, inner.3)
        return [wrap(true, tcpFrame(from: c, to: s, flags: [.syn], seq: 100, tags: tags)),
                wrap(false, tcpFrame(from: s, to: c, flags: [.syn, .ack], seq: 500, ack: 101, tags: tags)),
                wrap(true, tcpFrame(from: c, to: s, flags: [.ack], seq: 101, ack: 501, tags: tags))]
    }

    @Test("the key stays five words; a context id round-trips through meta without touching proto, ports or family")
    func keyLayout() {
        #expect(MemoryLayout<FlowKey>.size == 40)
        for id in [UInt32(0), 1, 0xffff, 0x1_0000, FlowKey.maxContextID] {
            let (k, _) = FlowKey.make(proto: 17, source: Self.inner.0, sourcePort: 1234, destination: Self.inner.2,
                                      destinationPort: 4789, contextID: id)
            #expect(k.contextID == id && k.proto == 17 && k.isIPv4 && k.portA == 1234 && k.portB == 4789)
        }
        let (plain, _) = FlowKey.make(proto: 6, source: Self.inner.0, sourcePort: 1, destination: Self.inner.2, destinationPort: 2)
        let (tagged, _) = FlowKey.make(proto: 6, source: Self.inner.0, sourcePort: 1, destination: Self.inner.2, destinationPort: 2,
                                       contextID: 3)
        #expect(plain != tagged && plain.meta & FlowKey.contextIDMask == 0)
    }

    @Test("FlowContext packs VLAN ids and the tunnel type and id; the delivery context keeps only the VLANs")
    func contextWord() {
        var e = Encapsulation()
        #expect(FlowContext(e).raw == 0)
        e.vlan = 100
        e.innerVLAN = 4095
        let v = FlowContext(e)
        #expect(v.vlan == 100 && v.innerVLAN == 4095 && v.tunnelType == .none && v.tunnelID == nil)
        e.tunnel = .vxlan
        e.depth = 1
        e.tunnelID = 0xff_ffff
        let t = FlowContext(e)
        #expect(t.tunnelType == .vxlan && t.tunnelID == 0xff_ffff && t.vlan == 100)
        #expect(t.linkOnly == v && t != v)
        var table = FlowContextTable()
        #expect(table.id(FlowContext(raw: 0)) == 0 && table.id(v) == 1 && table.id(t) == 2 && table.id(v) == 1)
        #expect(table.context(2) == t && table.context(0).raw == 0 && table.context(99).raw == 0)
    }

    @Test("one inner 5-tuple in two VNIs is two connections; each names its delivery flow in tunnel_parents")
    func twoVNIs() throws {
        var frames: [[UInt8]] = []
        for vni: UInt32 in [7, 9] {
            frames += Self.handshake { fromClient, f in
                fromClient ? Self.vxlan(f, vni: vni, from: Self.vtepA, to: Self.vtepB, sport: 50000 + UInt16(vni))
                           : Self.vxlan(f, vni: vni, from: Self.vtepB, to: Self.vtepA, sport: 50000 + UInt16(vni))
            }
        }
        let records = Self.run(frames)
        let tcp = records.filter { $0.proto == .tcp }
        let udp = records.filter { $0.proto == .udp }
        #expect(tcp.count == 2 && udp.count == 4, "\(records.map { ($0.proto, $0.originator, $0.responder) })")
        #expect(Set(tcp.map(\.uid)).count == 2)
        for r in tcp {
            let t = try #require(r.tunnel)
            #expect(t.type == .vxlan && t.depth == 1 && (t.id == 7 || t.id == 9))
            #expect(t.outerSource == Self.vtepA && t.outerDestination == Self.vtepB && t.outerDestinationPort == 4789)
            #expect(r.connState == .S1 && r.history == "ShA" && r.originatorPackets == 2 && r.responderPackets == 1)
            #expect(r.vlan == nil && r.innerVLAN == nil)
            // Both directions' delivery flows (different outer source), in the order seen.
            let parents = udp.filter { $0.originator.port == 50000 + UInt16(t.id!) }
            #expect(r.tunnelParents.count == 2 && Set(r.tunnelParents) == Set(parents.map(\.uid)), "\(r.tunnelParents)")
            #expect(r.tunnelParents.first == parents.first { $0.originator.address == Self.vtepA }?.uid)
        }
        for r in udp {
            #expect(r.tunnel == nil && r.tunnelParents.isEmpty && r.responder.port == 4789 && r.connState == .S0)
        }
        // The delivery flows count the frames' outer IP lengths.
        let all = frames.map { $0.count - 14 }
        #expect(udp.map(\.originatorIPBytes).reduce(0, +) == UInt64(all.reduce(0, +)))
    }

    @Test("one 5-tuple on VLAN 10 and VLAN 20 is two connections with their vlan; untagged flows keep their uids")
    func vlans() {
        let plain = Self.run(Self.handshake({ $1 }))
        #expect(plain.count == 1 && plain[0].vlan == nil)
        let tagged = Self.run(Self.handshake({ $1 }, tags: [10]) + Self.handshake({ $1 }, tags: [20, 30]))
        #expect(tagged.count == 2)
        #expect(Set(tagged.map(\.vlan)) == [10, 20] && Set(tagged.map(\.innerVLAN)) == [nil, 30])
        #expect(Set(tagged.map(\.uid)).count == 2 && !tagged.map(\.uid).contains(plain[0].uid))
        // The plain run's uid is the uid the 5-tuple, start and reuse index give without a context.
        let (key, _) = FlowKey.make(proto: 6, source: Self.inner.0, sourcePort: Self.inner.1, destination: Self.inner.2,
                                    destinationPort: Self.inner.3)
        #expect(plain[0].uid == FlowUID.make(key: key, startTime: plain[0].startTime, reuseIndex: 0))
        #expect(tagged.allSatisfy { $0.connState == .S1 && $0.tunnel == nil })
    }

    @Test("IP-in-IP and GRE have no delivery flow: the parent is the IP tunnel, discovered once (ports 0), never closed")
    func ipTunnels() throws {
        func wrap(_ proto: UInt8, _ f: [UInt8]) -> [UInt8] {
            var ip = IPv4Header()
            ip.source = Self.vtepA.ipv4
            ip.destination = Self.vtepB.ipv4
            ip.protocol = proto
            let payload = proto == 47 ? GREHeader(protocolType: EtherType.ipv4, key: 5).encapsulate(Array(f[14...]))
                                      : Array(f[14...])
            return PacketRepr(link: .ethernet(EthernetHeader(destination: Self.mac2, source: Self.mac1, etherType: EtherType.ipv4)),
                              network: .ipv4(ip, options: []), transport: .none, payload: payload).encode()
        }
        for proto: UInt8 in [4, 47] {
            let (records, events) = Self.runLogging(Self.handshake { _, f in wrap(proto, f) })
            #expect(records.count == 1, "\(proto): \(records.map { ($0.proto, $0.ipProtocol) })")
            let r = try #require(records.first)
            let type: TunnelType = proto == 4 ? .ipInIP : .gre
            #expect(r.proto == .tcp && r.connState == .S1 && r.tunnelParents.count == 1)
            #expect(r.tunnel?.type == type && r.tunnel?.id == (proto == 47 ? 5 : nil))
            #expect(r.tunnel?.outerSourcePort == nil && r.tunnel?.outerSource == Self.vtepA)
            // Zeek: one DISCOVER at the connection's first packet, the tunnel's uid in tunnel_parents,
            // the first packet's outer source as originator, ports 0; no CLOSE (no connection).
            #expect(events == [TunnelEvent(action: .discover, time: Self.t0, uid: r.tunnelParents[0],
                                           originator: Endpoint(address: Self.vtepA, port: 0),
                                           responder: Endpoint(address: Self.vtepB, port: 0), type: type)])
            #expect(r.tunnelParents[0] != r.uid && r.tunnelParents[0].hasPrefix("C"))
        }
        // The same pair in both directions, a second connection later: one tunnel, one uid;
        // after an hour without a new connection in it, EXPIRE, and a new connection after that
        // discovers it again (same uid: the IP tunnel itself is remembered 24 h).
        let c = (Self.inner.0, Self.inner.1), s = (Self.inner.2, Self.inner.3), c2 = (Self.inner.0, UInt16(40001))
        let frames = [wrap(47, Self.tcpFrame(from: c, to: s, flags: [.syn], seq: 1)),
                      wrap(47, Self.tcpFrame(from: s, to: c, flags: [.syn, .ack], seq: 9, ack: 2)),
                      wrap(47, Self.tcpFrame(from: c2, to: s, flags: [.syn], seq: 1)),
                      wrap(47, Self.tcpFrame(from: c2, to: s, flags: [.syn], seq: 1)),
                      wrap(47, Self.tcpFrame(from: (Self.inner.0, 40002), to: s, flags: [.syn], seq: 1))]
        let hour: Int64 = 3_600_000_000_000
        let times = [Self.t0, Self.t0 + 1_000, Self.t0 + 2_000, Self.t0 + hour + 2_000, Self.t0 + hour + 70_000_000_000]
        let (records, events) = Self.runLogging(frames, times: times)
        let tcp = records.filter { $0.proto == .tcp }
        #expect(Set(tcp.flatMap(\.tunnelParents)).count == 1 && tcp.allSatisfy { $0.tunnelParents.count == 1 })
        #expect(events.map(\.action) == [.discover, .expire, .discover], "\(events)")
        #expect(Set(events.map(\.uid)) == Set(tcp[0].tunnelParents))
        // The expiry is checked before the packet that comes an hour later is analyzed.
        #expect(events[1].time == times[3] && events[2].time == times[3])
    }

    @Test("VXLAN tunnel.log: DISCOVER when a connection first names a delivery flow, CLOSE when that flow's record is written")
    func vxlanTunnelLog() throws {
        let frames = Self.handshake { fromClient, f in
            fromClient ? Self.vxlan(f, vni: 3, from: Self.vtepA, to: Self.vtepB, sport: 50003)
                       : Self.vxlan(f, vni: 3, from: Self.vtepB, to: Self.vtepA, sport: 50003)
        }
        let (records, events) = Self.runLogging(frames)
        let tcp = try #require(records.first { $0.proto == .tcp })
        let delivery = records.filter { $0.proto == .udp }
        #expect(delivery.count == 2 && tcp.tunnelParents.count == 2)
        let discovered = events.filter { $0.action == .discover }, closed = events.filter { $0.action == .close }
        #expect(discovered.map(\.uid) == tcp.tunnelParents && Set(closed.map(\.uid)) == Set(delivery.map(\.uid)))
        for d in delivery {
            let e = try #require(discovered.first { $0.uid == d.uid })
            #expect(e.originator == d.originator && e.responder == d.responder && e.type == .vxlan && e.time == d.startTime)
        }
        #expect(events.count == 4 && closed.allSatisfy { $0.time == Self.t0 + 2_000_000 })
    }

    static func bytes(_ a: IPAddress) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: a.high >> (56 - 8 * $0)) } + (0..<8).map { UInt8(truncatingIfNeeded: a.low >> (56 - 8 * $0)) }
    }

    @Test("IPv6 flows key on the Routing header's final destination and the Home Address option (RFC 8200 §8.1)")
    func ipv6EffectiveAddresses() throws {
        let home = IPAddress("2001:db8::aa")!, final = IPAddress("2001:db8::99")!
        let src = IPAddress("2001:db8::1")!, hop = IPAddress("2001:db8::2")!
        // Routing type 2, segments left 1, the home address; destination options with 0xC9.
        let rh: [UInt8] = [IPProtocol.ipv6DestinationOptions, 2, 2, 1, 0, 0, 0, 0] + Self.bytes(final)
        let dst: [UInt8] = [IPProtocol.tcp, 2, 0xc9, 16] + Self.bytes(home) + [1, 2, 0, 0]
        var ip = IPv6Header()
        ip.source = src
        ip.destination = hop
        ip.nextHeader = IPProtocol.ipv6Routing
        var h = TCPHeader()
        h.sourcePort = 40000
        h.destinationPort = 443
        h.flags = [.syn]
        h.window = 1000
        let frame = PacketRepr(link: .ethernet(EthernetHeader(destination: Self.mac2, source: Self.mac1, etherType: EtherType.ipv6)),
                               network: .ipv6(ip, extensionHeaders: rh + dst), transport: .tcp(h, options: []),
                               payload: []).encode()
        #expect(frame.withUnsafeBytes { PacketDecoder().decode($0, linkType: .ethernet) }.tcp?.checksumStatus == .good)
        let records = Self.run([frame])
        let r = try #require(records.first)
        #expect(records.count == 1 && r.originator.address == home && r.responder.address == final, "\(r.originator) \(r.responder)")
    }
}

/// IP fragments and tunnels: fragments inside a tunnel are reassembled per tunnel context,
/// and a fragmented delivery datagram is reassembled before its tunnel is followed.
@Suite("Fragments and tunnels")
struct TunnelFragmentTests {
    typealias T = TunnelFlowTests
    static let payload = (0..<2000).map { UInt8(truncatingIfNeeded: $0 &* 13) }

    /// An Ethernet frame carrying raw IPv4 `ip`.
    static func ethernet(_ ip: [UInt8]) -> [UInt8] {
        var frame: [UInt8] = []
        EthernetHeader(destination: T.mac2, source: T.mac1, etherType: EtherType.ipv4).emit(into: &frame)
        return frame + ip
    }

    /// The inner client's UDP datagram (raw IPv4) with `payload`.
    static func innerDatagram() -> [UInt8] {
        let t = Trace(client: Host(address: T.inner.0, port: 5000), server: Host(address: T.inner.2, port: 6000))
        return t.udpFrame(true, payload: payload)
    }

    @Test("the same fragment train (src, dst, id) in two VNIs is two datagrams, each in its own tunnel's flow")
    func fragmentsPerTunnel() throws {
        let parts = ipv4Fragments(Self.innerDatagram(), cuts: [0, 1000])
        var frames: [[UInt8]] = []
        // Interleaved: first fragments of both tunnels, then the last ones.
        for part in parts {
            for vni: UInt32 in [7, 8] {
                frames.append(T.vxlan(Self.ethernet(part), vni: vni, from: T.vtepA, to: T.vtepB, sport: 40000 + UInt16(vni)))
            }
        }
        let records = T.run(frames)
        let inner = records.filter { $0.tunnel != nil && $0.proto == .udp }
        try #require(inner.count == 2, "\(records.map { ($0.proto, $0.tunnel?.id) })")
        #expect(Set(inner.compactMap { $0.tunnel?.id }) == [7, 8])
        for r in inner {
            #expect(r.originatorPackets == 1 && r.originatorIPBytes == UInt64(20 + 8 + Self.payload.count), "\(r)")
            #expect(r.originator.port == 5000 && r.responder.port == 6000)
            #expect(r.tunnelParents.count == 1)
        }
    }

    @Test("a fragmented VXLAN delivery datagram is reassembled, then its inner flow and delivery flow are analyzed")
    func fragmentedDelivery() throws {
        let whole = T.vxlan(Self.ethernet(Self.innerDatagram()), vni: 9, from: T.vtepA, to: T.vtepB, sport: 41000)
        let outerIP = Array(whole.dropFirst(14))
        let parts = ipv4Fragments(outerIP, cuts: [0, 1480], id: 0x4242).map { Self.ethernet($0) }
        var records: [ConnectionRecord] = []
        let analyzer = FlowAnalyzer { records.append($0) }
        let decoder = PacketDecoder()
        for (i, f) in parts.enumerated() {
            f.withUnsafeBytes { b in analyzer.process(decoder.decode(b, linkType: .ethernet), time: T.t0 + Int64(i), bytes: b) }
        }
        analyzer.finish()
        let summary = analyzer.summary
        #expect(summary.fragments.fragments == 2 && summary.fragments.reassembled == 1)
        #expect(summary.ipPackets == 2, "the reassembled datagram is not another captured packet")
        let delivery = try #require(records.first { $0.tunnel == nil })
        #expect(delivery.proto == .udp && delivery.responder.port == 4789 && delivery.originatorPackets == 1)
        let inner = try #require(records.first { $0.tunnel != nil })
        #expect(inner.proto == .udp && inner.originator.port == 5000 && inner.tunnel?.id == 9 && inner.tunnel?.type == .vxlan)
        #expect(inner.originatorPackets == 1 && inner.originatorIPBytes == UInt64(20 + 8 + Self.payload.count))
        #expect(inner.tunnelParents == [delivery.uid])
    }
}
