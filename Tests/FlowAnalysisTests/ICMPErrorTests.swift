import PacketCodec
import Testing
@testable import FlowAnalysis

extension Trace {
    static let router = IPAddress("10.0.0.254")!
    static let router6 = IPAddress("fd00::fe")!

    /// An ICMP (or, for IPv6 addresses, ICMPv6) error from `from` to `to` quoting the first
    /// `quoteLength` bytes (all when nil) of the raw-IP frame `quoting`; checksum filled, or
    /// spoiled with `badChecksum`.
    mutating func icmpError(from: IPAddress, to: IPAddress, type: UInt8, code: UInt8, quoting frame: [UInt8],
                            quoteLength: Int? = nil, badChecksum: Bool = false, at t: Double) {
        let quote = Array(frame.prefix(quoteLength ?? frame.count))
        let network = self.network(from: Host(address: from, port: 0), to: Host(address: to, port: 0),
                                   proto: from.isIPv4 ? 1 : 58)
        let header = ICMPHeader(icmpv6: !from.isIPv4, type: type, code: code)
        let body = from.isIPv4 ? header.encode(body: quote) : header.encode(body: quote, source: from, destination: to)
        var bytes = PacketRepr(link: .raw, network: network, transport: .none, payload: body).encode()
        if badChecksum { bytes[(from.isIPv4 ? 20 : 40) + 2] ^= 0x5a }
        raw(bytes, at: t)
    }

    /// The last frame added.
    var lastFrame: [UInt8] { frames.last!.bytes }
}

/// ICMP errors attached to the TCP/UDP flows they quote (`ConnectionRecord.icmpErrors`,
/// `HandshakeReport.rejectedByICMP`); the real capture is checked against tshark in
/// SockeyeCLITests' ICMPErrorCLITests.
@Suite("ICMP errors on the flows they quote")
struct ICMPErrorTests {
    static func tcpRecord(_ records: [ConnectionRecord]) throws -> ConnectionRecord {
        let tcp = records.filter { $0.proto == .tcp }
        try #require(tcp.count == 1)
        return tcp[0]
    }

    @Test("a host unreachable quoting the SYN refuses the handshake; conn_state stays S0; the ICMP flow is logged too")
    func unreachableRefusesSYN() throws {
        var t = Trace()
        t.tcp(true, [.syn], seq: 1000, at: 0)
        t.icmpError(from: Trace.router, to: Host.client.address, type: 3, code: 1, quoting: t.lastFrame, quoteLength: 28, at: 0.01)
        let (records, summary) = t.run()
        let r = try Self.tcpRecord(records)
        #expect(r.connState == .S0)
        #expect(r.handshake?.state == .synOnly)
        #expect(r.handshake?.rejectedByICMP == true)
        let e = try #require(r.icmpErrors)
        #expect(e.count == 1 && e.type == 3 && e.code == 1 && !e.isICMPv6)
        #expect(e.from == Trace.router && e.aboutOriginator && e.firstTime == Trace.ns(0.01))
        #expect(records.contains { $0.proto == .icmp && $0.originator.address == Trace.router })
        #expect(summary.icmpErrors == 1 && summary.icmpErrorsMatched == 1 && summary.handshakesRejectedByICMP == 1)
    }

    @Test("ICMPv6 administratively prohibited quoting the whole SYN refuses it; two errors are counted")
    func icmpv6Prohibited() throws {
        var t = Trace(client: .client6, server: .server6)
        t.tcp(true, [.syn], seq: 7, at: 0)
        let syn = t.lastFrame
        t.icmpError(from: Trace.router6, to: Host.client6.address, type: 1, code: 1, quoting: syn, at: 0.001)
        t.tcp(true, [.syn], seq: 7, at: 1)
        t.icmpError(from: Trace.router6, to: Host.client6.address, type: 1, code: 1, quoting: syn, at: 1.001)
        let r = try Self.tcpRecord(t.run().records)
        #expect(r.handshake?.rejectedByICMP == true)
        #expect(r.icmpErrors?.count == 2 && r.icmpErrors?.isICMPv6 == true && r.icmpErrors?.code == 1)
    }

    @Test("a SYN-ACK after the error: the handshake was not refused (the error is still counted)")
    func synAckAfterError() throws {
        var t = Trace()
        t.tcp(true, [.syn], seq: 1000, at: 0)
        t.icmpError(from: Trace.router, to: Host.client.address, type: 3, code: 1, quoting: t.lastFrame, at: 0.01)
        t.tcp(false, [.syn, .ack], seq: 5000, ack: 1001, at: 0.02)
        t.tcp(true, [.ack], seq: 1001, ack: 5001, at: 0.03)
        let (records, summary) = t.run()
        let r = try Self.tcpRecord(records)
        #expect(r.handshake?.state == .complete && r.handshake?.rejectedByICMP == false)
        #expect(r.icmpErrors?.count == 1)
        #expect(summary.handshakesRejectedByICMP == 0)
    }

    @Test("time exceeded is counted but is no refusal; nor is an unreachable whose quoted seq is not the SYN's")
    func notRefusals() throws {
        var t = Trace()
        t.tcp(true, [.syn], seq: 1000, at: 0)
        t.icmpError(from: Trace.router, to: Host.client.address, type: 11, code: 0, quoting: t.lastFrame, quoteLength: 28, at: 0.01)
        var r = try Self.tcpRecord(t.run().records)
        #expect(r.icmpErrors?.count == 1 && r.icmpErrors?.type == 11 && r.handshake?.rejectedByICMP == false)

        var u = Trace()
        u.tcp(true, [.syn], seq: 1000, at: 0)
        var forged = u.lastFrame
        forged[24] ^= 0xff   // quoted sequence number ≠ the SYN's ISN (RFC 5927 §4.1)
        u.icmpError(from: Trace.router, to: Host.client.address, type: 3, code: 1, quoting: forged, quoteLength: 28, at: 0.01)
        r = try Self.tcpRecord(u.run().records)
        #expect(r.icmpErrors?.count == 1 && r.handshake?.rejectedByICMP == false)
    }

    @Test("a bad ICMP checksum, a quote without ports, or a quote of an unknown flow attaches nothing")
    func nothingAttached() throws {
        var t = Trace()
        t.tcp(true, [.syn], seq: 1000, at: 0)
        let syn = t.lastFrame
        t.icmpError(from: Trace.router, to: Host.client.address, type: 3, code: 1, quoting: syn, badChecksum: true, at: 0.01)
        t.icmpError(from: Trace.router, to: Host.client.address, type: 3, code: 1, quoting: syn, quoteLength: 20, at: 0.02)
        var other = syn
        other[20] ^= 0x01   // another source port
        t.icmpError(from: Trace.router, to: Host.client.address, type: 3, code: 1, quoting: other, quoteLength: 28, at: 0.03)
        let (records, summary) = t.run()
        let r = try Self.tcpRecord(records)
        #expect(r.icmpErrors == nil && r.handshake?.rejectedByICMP == false)
        #expect(summary.icmpErrors == 2 && summary.icmpErrorsMatched == 0)
    }

    @Test("UDP: port unreachable for the client's datagram, and for the server's reply (about the responder)")
    func udpPortUnreachable() throws {
        var t = Trace(client: .client, server: Host(address: Host.server.address, port: 53))
        t.udp(true, payload: 20, at: 0)
        t.icmpError(from: Host.server.address, to: Host.client.address, type: 3, code: 3, quoting: t.lastFrame, at: 0.001)
        var r = try #require(t.run().records.first { $0.proto == .udp })
        #expect(r.icmpErrors?.count == 1 && r.icmpErrors?.aboutOriginator == true && r.icmpErrors?.from == Host.server.address)
        #expect(r.handshake == nil)

        var u = Trace(client: .client, server: Host(address: Host.server.address, port: 53))
        u.udp(true, payload: 20, at: 0)
        u.udp(false, payload: 40, at: 0.001)
        u.icmpError(from: Host.client.address, to: Host.server.address, type: 3, code: 3, quoting: u.lastFrame, at: 0.002)
        r = try #require(u.run().records.first { $0.proto == .udp })
        #expect(r.icmpErrors?.count == 1 && r.icmpErrors?.aboutOriginator == false)
    }

    @Test("live: one rejected_by_icmp event at the first refusing error, none for time exceeded or after a SYN-ACK")
    func liveEvents() throws {
        func events(_ t: Trace) -> [FlowEvent] {
            var events: [FlowEvent] = []
            let analyzer = FlowAnalyzer { _ in }
            analyzer.onEvent = { events.append($0) }
            let decoder = PacketDecoder()
            for f in t.frames {
                f.bytes.withUnsafeBytes { raw in analyzer.process(decoder.decode(raw, linkType: .rawIP), time: f.time, bytes: raw) }
            }
            analyzer.finish()
            return events
        }
        var t = Trace()
        t.tcp(true, [.syn], seq: 1000, at: 0)
        let syn = t.lastFrame
        t.icmpError(from: Trace.router, to: Host.client.address, type: 11, code: 0, quoting: syn, at: 0.01)
        t.icmpError(from: Trace.router, to: Host.client.address, type: 3, code: 13, quoting: syn, at: 0.02)
        t.tcp(true, [.syn], seq: 1000, at: 1)
        t.icmpError(from: Trace.router, to: Host.client.address, type: 3, code: 13, quoting: syn, at: 1.01)
        let e = events(t)
        try #require(e.count == 1)
        #expect(e[0].kind == .rejectedByICMP && e[0].time == Trace.ns(0.02) && e[0].icmpType == 3 && e[0].icmpCode == 13)
        #expect(e[0].icmpFrom == Trace.router && e[0].originator.address == Host.client.address && e[0].responder.port == 80)

        var u = Trace()
        u.tcp(true, [.syn], seq: 1000, at: 0)
        let syn2 = u.lastFrame
        u.tcp(false, [.syn, .ack], seq: 5000, ack: 1001, at: 0.01)
        u.icmpError(from: Trace.router, to: Host.client.address, type: 3, code: 1, quoting: syn2, at: 0.02)
        #expect(!events(u).contains { $0.kind == .rejectedByICMP })
    }

    @Test("an error only names a flow in its own VLAN/tunnel context")
    func context() throws {
        let c = (TunnelFlowTests.inner.0, TunnelFlowTests.inner.1), s = (TunnelFlowTests.inner.2, TunnelFlowTests.inner.3)
        let syn = TunnelFlowTests.tcpFrame(from: c, to: s, flags: [.syn], seq: 100, tags: [10])
        let rawSYN = Array(syn.dropFirst(18))   // Ethernet + one 802.1Q tag
        func error(tag: UInt16) -> [UInt8] {
            var ip = IPv4Header()
            ip.source = Trace.router.ipv4
            ip.destination = c.0.ipv4
            ip.protocol = 1
            let eth = EthernetHeader(destination: TunnelFlowTests.mac2, source: TunnelFlowTests.mac1, etherType: EtherType.ipv4,
                                     tags: VLANTags([VLANTag(id: tag)]))
            return PacketRepr(link: .ethernet(eth), network: .ipv4(ip, options: []), transport: .none,
                              payload: ICMPHeader(icmpv6: false, type: 3, code: 13).encode(body: Array(rawSYN.prefix(28)))).encode()
        }
        let records = TunnelFlowTests.run([syn, error(tag: 20), error(tag: 10)])
        let r = try Self.tcpRecord(records)
        #expect(r.vlan == 10)
        #expect(r.icmpErrors?.count == 1 && r.icmpErrors?.code == 13 && r.handshake?.rejectedByICMP == true)
    }
}

@Suite("ICMP quoted datagram (codec)")
struct ICMPQuoteTests {
    static func decode(_ frame: [UInt8]) -> (DecodedPacket, ICMPQuotedDatagram?) {
        frame.withUnsafeBytes { b in
            let p = PacketDecoder().decode(b, linkType: .rawIP)
            return (p, p.icmp?.quotedDatagram(in: b))
        }
    }

    @Test("IPv4 and IPv6 quotes: addresses, protocol, ports, TCP sequence; every cut of the quote decodes as far as it reaches")
    func quotes() throws {
        for v6 in [false, true] {
            var t = v6 ? Trace(client: .client6, server: .server6) : Trace()
            t.tcp(true, [.syn], seq: 0xdead_beef, at: 0)
            let syn = t.lastFrame
            let header = v6 ? 40 : 20
            for cut in 0...syn.count {
                var u = Trace()
                let (from, to) = v6 ? (Trace.router6, Host.client6.address) : (Trace.router, Host.client.address)
                u.icmpError(from: from, to: to, type: v6 ? 1 : 3, code: 1, quoting: syn, quoteLength: cut, at: 0)
                let (p, q) = Self.decode(u.lastFrame)
                #expect(p.icmp?.isError == true && p.icmp?.checksumStatus == .good)
                guard cut >= header else { #expect(q == nil, "cut \(cut)"); continue }
                let quote = try #require(q, "cut \(cut)")
                #expect(quote.isIPv6 == v6 && quote.ipProtocol == 6 && quote.offset == (v6 ? 48 : 28))
                #expect(quote.source == (v6 ? Host.client6 : Host.client).address)
                #expect(quote.destination == (v6 ? Host.server6 : Host.server).address)
                #expect(quote.sourcePort == (cut >= header + 4 ? 40000 : nil), "cut \(cut)")
                #expect(quote.destinationPort == (cut >= header + 4 ? (v6 ? 443 : 80) : nil))
                #expect(quote.tcpSequenceNumber == (cut >= header + 8 ? 0xdead_beef : nil), "cut \(cut)")
            }
        }
    }

    @Test("not an error, another IP version, or a quoted non-first fragment: no quote or no ports")
    func noQuote() throws {
        var t = Trace()
        t.icmp(true, type: 8, payload: 40, at: 0)
        #expect(Self.decode(t.lastFrame).1 == nil)

        t.tcp(true, [.syn], seq: 1, at: 0)
        var bad = t.lastFrame
        bad[0] = 0x55   // version 5
        t.icmpError(from: Trace.router, to: Host.client.address, type: 3, code: 1, quoting: bad, at: 0)
        #expect(Self.decode(t.lastFrame).1 == nil)

        var fragment = t.frames[t.frames.count - 2].bytes
        fragment[7] = 0x10   // fragment offset 16 units
        t.icmpError(from: Trace.router, to: Host.client.address, type: 11, code: 1, quoting: fragment, at: 0)
        let q = try #require(Self.decode(t.lastFrame).1)
        #expect(q.ipProtocol == 6 && q.sourcePort == nil && q.tcpSequenceNumber == nil)
    }

    @Test("IPv6 quote: extension headers are walked to the transport header")
    func ipv6Extensions() throws {
        var ip6 = IPv6Header()
        ip6.source = Host.client6.address
        ip6.destination = Host.server6.address
        ip6.nextHeader = 0                                     // Hop-by-Hop, then UDP
        var u = UDPHeader()
        u.sourcePort = 5353
        u.destinationPort = 53
        let hopByHop: [UInt8] = [17, 0, 1, 4, 0, 0, 0, 0]       // next header UDP, PadN
        let datagram = PacketRepr(link: .raw, network: .ipv6(ip6, extensionHeaders: hopByHop),
                                  transport: .udp(u), payload: [1, 2, 3]).encode()
        var t = Trace()
        t.icmpError(from: Trace.router6, to: Host.client6.address, type: 1, code: 4, quoting: datagram, at: 0)
        let q = try #require(ICMPQuoteTests.decode(t.lastFrame).1)
        #expect(q.ipProtocol == 17 && q.sourcePort == 5353 && q.destinationPort == 53)
    }
}
