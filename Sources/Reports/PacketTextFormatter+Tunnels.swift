import PacketCodec

/// `sockeye packets` text for tunnelled and encapsulated frames, laid out as tcpdump 4.99 lays
/// them out: the delivery datagram first, then the inner packet, each in its printer's words
/// (print-ip.c / print-ip6.c for IP-in-IP, print-gre.c, print-udp.c's port dispatch to
/// print-vxlan.c, print-vxlan-gpe.c, print-geneve.c and print-mpls.c, print-pppoe.c,
/// print-ppp.c):
///
/// ```
/// 10:31:03.250708 IP 10.0.0.1 > 10.0.0.2: GREv0, key=0x1d97c, seq 5, length 116: IP 10.1.2.1 > 10.1.2.2: ICMP echo request, id 4, seq 0, length 80
/// 06:57:50.479989 IP 192.0.2.2.33272 > 192.0.2.1.4789: VXLAN, flags [I] (0x08), vni 42
/// IP 10.42.0.1.43345 > 10.42.0.2.5353: UDP, length 6
/// 00:09:21.156859 MPLS (label 16106, tc 0, [S], ttl 44) IP 65.65.65.65.80 > 65.65.65.65.32828: Flags [.], …
/// 13:49:52.465481 PPPoE  [ses 0xdde5] IP 10.3.65.35.5068 > 185.8.212.46.80: Flags [S], …
/// ```
///
/// The formatter walks `DecodedPacket.layers` from the outermost network header inwards. Each
/// delivery header is read here from the frame (through `FrameBytes`, so nothing traps); the
/// innermost IP datagram, which the flat slots describe, is printed by the same code as a plain
/// packet. Like tcpdump, only the tunnels tcpdump's UDP printer recognises by port are shown
/// inside: VXLAN on 4789, Geneve to 6081, VXLAN-GPE on 4790, MPLS on 6635, and VXLAN on Linux's
/// 8472 as tcpdump's OTV (Cisco's overlay, same layout). A GTP-U, Teredo or GRE-in-UDP packet
/// prints as its delivery line,
/// `…: UDP, length N`, as in tcpdump. PPP's LCP, IPCP, IP6CP and CCP print their header and PAP
/// its fields, as tcpdump without -v (not the -v option lists); CHAP and other PPP protocols,
/// ERSPAN and an MPLS payload that is neither IPv4 nor IPv6 end the line after the header tcpdump
/// prints before them.
/// Nothing here allocates: headers are read from the frame and written straight to `out`.
extension PacketTextFormatter {
    /// True when the frame holds more than link → VLAN → IP → transport: a tunnel, MPLS or PPPoE.
    static func isEncapsulated(_ p: DecodedPacket) -> Bool {
        if p.encapsulation.depth > 0 { return true }
        var found = false
        p.layers.forEachRaw { kind, _ in
            switch LayerKind(rawValue: kind) {
            case .ethernet, .vlan, .linuxSLL, .linuxSLL2, .loopback, .ipv4, .ipv6, .ipv6Extension,
                 .tcp, .udp, .icmp, .icmpv6, nil:
                return true
            default:
                found = true
                return false
            }
        }
        return found
    }

    /// Offset of the outermost network header (the first layer after the link header and its
    /// VLAN tags): where -x/-X dumps start, as tcpdump's do. `networkOffset` may name an inner
    /// header once a tunnel was entered.
    static func outermostNetworkOffset(_ p: DecodedPacket) -> Int? {
        var result: Int? = nil
        var first = true
        p.layers.forEachRaw { kind, offset in
            defer { first = false }
            switch LayerKind(rawValue: kind) {
            case .ethernet?, .linuxSLL?, .linuxSLL2?, .loopback?: return first
            case .vlan?: return true
            default: result = offset; return false
            }
        }
        return result
    }

    /// The network part of an encapsulated frame, from the first layer after the outermost link
    /// header and its VLAN tags.
    func writeEncapsulated(_ p: DecodedPacket, _ f: FrameBytes, _ b: UnsafeRawBufferPointer,
                           _ out: OutputBuffer, prefixed: Bool) {
        var i = 0
        let n = p.layers.count
        if i < n {
            switch p.layers[i].kind {
            case .ethernet, .linuxSLL, .linuxSLL2, .loopback: i += 1
            default: break
            }
        }
        while i < n, p.layers[i].kind == .vlan { i += 1 }
        guard i < n else { return }
        let start = p.layers[i].offset
        writeLayer(i, length: max(0, p.wireLength - start), p, f, b, out, prefixed: prefixed)
    }

    /// Writes layer `i` and what it carries; `length` is the bytes its enclosing header says
    /// follow (tcpdump's `length` argument to each printer).
    private func writeLayer(_ i: Int, length: Int, _ p: DecodedPacket, _ f: FrameBytes, _ b: UnsafeRawBufferPointer,
                            _ out: OutputBuffer, prefixed: Bool) {
        guard i < p.layers.count else {
            // The stack holds `LayerStack.capacity` layers; the flat slots still hold the
            // innermost datagram beyond them.
            if p.layers.overflowed { writeFlatIP(p, f, b, out, prefixed: prefixed) }
            return
        }
        let layer = p.layers[i]
        switch layer.kind {
        case .ipv4, .ipv6: writeIPLayer(i, p, f, b, out, prefixed: prefixed)
        case .mpls: writeMPLS(i, length: length, p, f, b, out, prefixed: prefixed)
        case .pppoe: writePPPoESession(i, p, f, b, out, prefixed: prefixed)
        case .pppoeDiscovery: writePPPoEDiscovery(layer.offset, length: length, f, out)
        case .ethernet: writeInnerEthernet(i, length: length, p, f, b, out, prefixed: prefixed)
        default: break
        }
    }

    // MARK: IP (delivery or innermost)

    /// Index of the next layer after `i` that is not an IPv6 extension header.
    private func nextLayer(after i: Int, _ p: DecodedPacket) -> Int {
        var j = i + 1
        while j < p.layers.count, p.layers[j].kind == .ipv6Extension { j += 1 }
        return j
    }

    private func writeIPLayer(_ i: Int, _ p: DecodedPacket, _ f: FrameBytes, _ b: UnsafeRawBufferPointer,
                              _ out: OutputBuffer, prefixed: Bool) {
        let layer = p.layers[i]
        let j = nextLayer(after: i, p)
        // The innermost datagram: nothing but its transport header follows, and the flat slots
        // hold it. Printed as a plain packet.
        let isFlat = layer.kind == .ipv4 ? p.ipv4?.offset == layer.offset : p.ipv6?.offset == layer.offset
        var inner = j >= p.layers.count
        if !inner {
            switch p.layers[j].kind {
            case .tcp, .udp, .icmp, .icmpv6: inner = j + 1 >= p.layers.count
            default: break
            }
        }
        if isFlat && inner {
            writeFlatIP(p, f, b, out, prefixed: prefixed)
            return
        }
        // A delivery datagram.
        let src: IPAddress, dst: IPAddress
        let payload: Int
        var v6: IPv6Header? = nil
        if layer.kind == .ipv4 {
            guard let ip = ipv4View(f, layer.offset) else { return }
            if prefixed { out.append("IP ") }
            if options.verbose > 0, !writeVerboseIPv4(ip, f, out) { return }
            src = ip.sourceAddress; dst = ip.destinationAddress
            payload = max(0, Int(ip.totalLength) - ip.headerLength)
        } else {
            let upper = j < p.layers.count ? p.layers[j].offset : layer.offset + IPv6Header.length
            guard let ip = ipv6View(f, layer.offset, upperOffset: upper) else { return }
            if prefixed { out.append("IP6 ") }
            if options.verbose > 0 { writeVerboseIPv6(ip, out) }
            src = ip.source; dst = ip.destination
            payload = max(0, Int(ip.payloadLength) - (upper - layer.offset - IPv6Header.length))
            v6 = ip
        }
        guard j < p.layers.count else {
            out.append(address: src); out.append(" > "); out.append(address: dst); out.append(": ")
            return
        }
        switch p.layers[j].kind {
        case .udp:
            writeUDPDelivery(j, src, dst, ipPayload: payload, v6, p, f, b, out, prefixed: prefixed)
        case .gre:
            out.append(address: src); out.append(" > "); out.append(address: dst); out.append(": ")
            writeGRE(j, length: payload, p, f, b, out, prefixed: prefixed)
        default:
            // IP-in-IP (and anything else): the addresses, then the next header's printer.
            out.append(address: src); out.append(" > "); out.append(address: dst); out.append(": ")
            writeLayer(j, length: payload, p, f, b, out, prefixed: prefixed)
        }
    }

    /// The flat (innermost) IPv4/IPv6 datagram, as a plain packet's line prints it.
    func writeFlatIP(_ p: DecodedPacket, _ f: FrameBytes, _ b: UnsafeRawBufferPointer, _ out: OutputBuffer, prefixed: Bool) {
        if let ip = p.ipv4 {
            if prefixed { out.append("IP ") }
            if options.verbose == 0 || writeVerboseIPv4(ip, f, out) {
                writeEndpoints(ip.sourceAddress, ip.destinationAddress, p, b, f, out)
            }
        } else if let ip = p.ipv6 {
            if prefixed { out.append("IP6 ") }
            if options.verbose > 0 { writeVerboseIPv6(ip, out) }
            writeEndpoints(ip.source, ip.destination, p, b, f, out)
        }
    }

    /// The IPv4 header at `o` read from the frame (the fields tcpdump prints), or nil when its
    /// 20 bytes were not captured.
    func ipv4View(_ f: FrameBytes, _ o: Int) -> IPv4Header? {
        guard f.has(o, IPv4Header.minimumLength) else { return nil }
        var h = IPv4Header()
        h.offset = o
        h.headerLength = Int(f.b.u8(o) & 0x0f) * 4
        h.tos = f.b.u8(o + 1)
        h.totalLength = f.b.u16(o + 2)
        h.identification = f.b.u16(o + 4)
        let fo = f.b.u16(o + 6)
        h.reservedFlag = fo & 0x8000 != 0
        h.dontFragment = fo & 0x4000 != 0
        h.moreFragments = fo & 0x2000 != 0
        h.fragmentOffsetUnits = fo & 0x1fff
        h.ttl = f.b.u8(o + 8)
        h.protocol = f.b.u8(o + 9)
        h.checksum = f.b.u16(o + 10)
        h.source = f.b.u32(o + 12)
        h.destination = f.b.u32(o + 16)
        h.effectiveLength = Int(h.totalLength)
        return h
    }

    /// The IPv6 fixed header at `o` read from the frame; `upperOffset` is where the header
    /// after its extension headers starts.
    func ipv6View(_ f: FrameBytes, _ o: Int, upperOffset: Int) -> IPv6Header? {
        guard f.has(o, IPv6Header.length), let src = f.ipv6(o + 8), let dst = f.ipv6(o + 24) else { return nil }
        var h = IPv6Header()
        h.offset = o
        let w = f.b.u32(o)
        h.trafficClass = UInt8(truncatingIfNeeded: w >> 20)
        h.flowLabel = w & 0xfffff
        h.payloadLength = f.b.u16(o + 4)
        h.nextHeader = f.b.u8(o + 6)
        h.hopLimit = f.b.u8(o + 7)
        h.source = src
        h.destination = dst
        h.upperOffset = upperOffset
        h.effectivePayloadLength = Int(h.payloadLength)
        return h
    }

    // MARK: UDP tunnels (print-udp.c's port dispatch)

    private func writeUDPDelivery(_ j: Int, _ src: IPAddress, _ dst: IPAddress, ipPayload: Int, _ v6: IPv6Header?,
                                  _ p: DecodedPacket, _ f: FrameBytes, _ b: UnsafeRawBufferPointer,
                                  _ out: OutputBuffer, prefixed: Bool) {
        let o = p.layers[j].offset
        guard let sport = f.u16(o), let dport = f.u16(o + 2), let ulen = f.u16(o + 4) else { return }
        out.append(address: src); out.append("."); out.append(int: sport)
        out.append(" > ")
        out.append(address: dst); out.append("."); out.append(int: dport)
        out.append(": ")
        if options.verbose > 0, let v6, var udp = UDPHeader.parse(f.b, at: o) {
            // The checksum verdict tcpdump -v gives UDP over IPv6 (over IPv4 only from -vv).
            var delivery = DecodedPacket(linkType: p.linkType, captureLength: p.captureLength, wireLength: p.wireLength)
            delivery.ipv6 = v6
            udp.payloadLength = max(0, Int(ulen) - UDPHeader.length)
            writeVerboseUDPChecksum(udp, delivery, f, out)
        }
        let length = Int(ulen) >= UDPHeader.length ? Int(ulen) - UDPHeader.length : max(0, ipPayload - UDPHeader.length)
        let k = j + 1
        let next = k < p.layers.count ? p.layers[k].kind : nil
        func either(_ port: UInt16) -> Bool { sport == port || dport == port }
        switch next {
        case .vxlan? where either(8472): writeOTV(k, length: length, p, f, b, out, prefixed: prefixed); return
        case .vxlan? where either(4789): writeVXLAN(k, length: length, p, f, b, out, prefixed: prefixed); return
        case .geneve? where dport == 6081: writeGeneve(k, length: length, p, f, b, out, prefixed: prefixed); return
        case .vxlanGPE? where either(4790): writeVXLANGPE(k, length: length, p, f, b, out, prefixed: prefixed); return
        case .mpls? where either(6635): writeMPLS(k, length: length, p, f, b, out, prefixed: prefixed); return
        default: break
        }
        // GTP-U, Teredo, GRE-in-UDP: tcpdump prints the datagram as plain UDP.
        out.append("UDP, length "); out.append(int: length)
    }

    /// print-vxlan.c: `VXLAN, flags [I] (0x08), vni 42`, a newline, then the inner frame.
    private func writeVXLAN(_ k: Int, length: Int, _ p: DecodedPacket, _ f: FrameBytes, _ b: UnsafeRawBufferPointer,
                            _ out: OutputBuffer, prefixed: Bool) {
        let o = p.layers[k].offset
        guard let flags = f.u8(o), let word = f.u32(o + 4) else { out.append("VXLAN [|vxlan]"); return }
        out.append("VXLAN, flags ["); out.append(flags & 0x08 != 0 ? "I" : ".")
        out.append("] (0x"); out.appendHexByte(flags); out.append("), vni "); out.append(int: word >> 8)
        out.append("\n")
        if k + 1 >= p.layers.count, p.layers.overflowed {
            writeInnerEthernet(at: o + VXLANHeader.length, next: k + 1, length: length - VXLANHeader.length, p, f, b, out, prefixed: prefixed)
        } else {
            writeLayer(k + 1, length: length - VXLANHeader.length, p, f, b, out, prefixed: prefixed)
        }
    }

    /// print-otv.c (UDP 8472, where Linux puts VXLAN): `OTV, flags [I] (0x08), overlay 5,
    /// instance 0`, a newline, then the inner frame (the VNI's bytes read as OTV's fields).
    private func writeOTV(_ k: Int, length: Int, _ p: DecodedPacket, _ f: FrameBytes, _ b: UnsafeRawBufferPointer,
                          _ out: OutputBuffer, prefixed: Bool) {
        let o = p.layers[k].offset
        guard let flags = f.u8(o), let w1 = f.u32(o), let w2 = f.u32(o + 4) else { out.append("OTV [|otv]"); return }
        out.append("OTV, flags ["); out.append(flags & 0x08 != 0 ? "I" : ".")
        out.append("] (0x"); out.appendHexByte(flags); out.append("), overlay "); out.append(int: w1 & 0xffffff)
        out.append(", instance "); out.append(int: w2 >> 8)
        out.append("\n")
        writeLayer(k + 1, length: length - VXLANHeader.length, p, f, b, out, prefixed: prefixed)
    }

    /// print-vxlan-gpe.c: `VXLAN-GPE, flags [IP], vni 7: ` then the next protocol's packet.
    private func writeVXLANGPE(_ k: Int, length: Int, _ p: DecodedPacket, _ f: FrameBytes, _ b: UnsafeRawBufferPointer,
                               _ out: OutputBuffer, prefixed: Bool) {
        let o = p.layers[k].offset
        guard let flags = f.u8(o), let next = f.u8(o + 3), let word = f.u32(o + 4) else { out.append("VXLAN-GPE [|vxlan_gpe]"); return }
        out.append("VXLAN-GPE, flags [")
        var any = false
        if flags & 0x08 != 0 { out.append("I"); any = true }
        if flags & 0x04 != 0 { out.append("P"); any = true }
        if flags & 0x01 != 0 { out.append("O"); any = true }
        if !any { out.append("none") }
        out.append("], vni "); out.append(int: word >> 8)
        out.append(options.verbose > 0 ? "\n    " : ": ")
        switch next {
        case 1, 2, 3: writeLayer(k + 1, length: length - 8, p, f, b, out, prefixed: prefixed)
        default: out.append("ERROR: unknown-next-protocol")
        }
    }

    /// print-geneve.c: `Geneve, Flags [none], vni 0x123456, options [8 bytes]: ` then the inner
    /// packet (with -v the options one by one and a new tab-indented line).
    private func writeGeneve(_ k: Int, length: Int, _ p: DecodedPacket, _ f: FrameBytes, _ b: UnsafeRawBufferPointer,
                             _ out: OutputBuffer, prefixed: Bool) {
        let o = p.layers[k].offset
        guard let verOpt = f.u8(o), let flags = f.u8(o + 1), let proto = f.u16(o + 2), let word = f.u32(o + 4) else {
            out.append("Geneve [|geneve]"); return
        }
        out.append("Geneve")
        if verOpt >> 6 != 0 { out.append(" ERROR: unknown-version "); out.append(int: verOpt >> 6); return }
        out.append(", Flags [")
        if flags & 0x80 != 0 { out.append("O") }
        if flags & 0x40 != 0 { out.append("C") }
        if flags & 0xc0 == 0 { out.append("none") }
        out.append("], vni 0x"); appendHex(word >> 8, out)
        if options.linkHeaders { writeProtocolName(proto, out) }
        let optionsLength = Int(verOpt & 0x3f) * 4
        if optionsLength > 0 {
            out.append(", options")
            if options.verbose > 0 {
                out.append(" [")
                writeGeneveOptions(f, o + GeneveHeader.minimumLength, optionsLength, out)
                out.append("]")
            } else {
                out.append(" ["); out.append(int: optionsLength); out.append(" bytes]")
            }
        }
        out.append(options.verbose > 0 ? "\n\t" : ": ")
        switch proto {
        case EtherType.ipv4, EtherType.ipv6, EtherType.transparentEthernet:
            writeLayer(k + 1, length: length - GeneveHeader.minimumLength - optionsLength, p, f, b, out, prefixed: prefixed)
        default:
            out.append("geneve-proto-0x"); appendHex(UInt32(proto), out)
        }
    }

    /// `class Linux (0x100) type 0x1 len 20, …` (print-geneve.c `geneve_opts_print`).
    private func writeGeneveOptions(_ f: FrameBytes, _ start: Int, _ total: Int, _ out: OutputBuffer) {
        var at = start, left = total
        var first = true
        while left > 0 {
            if !first { out.append(", ") }
            first = false
            guard let cls = f.u16(at), let type = f.u8(at + 2), let l = f.u8(at + 3) else { return }
            let length = 4 + Int(l & 0x1f) * 4
            out.append("class ")
            switch cls {
            case 0x0000...0x00ff: out.append("Standard")
            case 0x0100: out.append("Linux")
            case 0x0101: out.append("Open vSwitch")
            case 0x0102: out.append("Open Virtual Networking (OVN)")
            case 0x0103: out.append("In-band Network Telemetry (INT)")
            case 0x0104: out.append("VMware")
            case 0xfff0...0xffff: out.append("Experimental")
            default: out.append("Unknown")
            }
            out.append(" (0x"); appendHex(UInt32(cls), out); out.append(") type 0x"); appendHex(UInt32(type), out)
            if type & 0x80 != 0 { out.append("(C)") }
            out.append(" len "); out.append(int: length)
            if length > left { out.append(" [bad length]"); return }
            at += length; left -= length
        }
    }

    /// tcpdump's `ethertype_values` name with -e: `, proto TEB (0x6558)`.
    private func writeProtocolName(_ t: UInt16, _ out: OutputBuffer) {
        out.append(", proto ")
        if let name = Self.tcpdumpEtherTypeName(t) { out.append(name) } else { out.append("unknown") }
        out.append(" (0x"); appendHex16(t, out); out.append(")")
    }

    /// The names tcpdump's `ethertype_values` gives the EtherTypes Sockeye meets.
    static func tcpdumpEtherTypeName(_ t: UInt16) -> String? {
        switch t {
        case EtherType.mplsUnicast: "MPLS unicast"
        case EtherType.mplsMulticast: "MPLS multicast"
        case EtherType.pppoeDiscovery: "PPPoE D"
        case EtherType.pppoeSession: "PPPoE S"
        case EtherType.transparentEthernet: "TEB"
        case EtherType.ppp: "PPP"
        default: EtherType.name(t)
        }
    }

    // MARK: GRE (print-gre.c)

    private func writeGRE(_ j: Int, length: Int, _ p: DecodedPacket, _ f: FrameBytes, _ b: UnsafeRawBufferPointer,
                          _ out: OutputBuffer, prefixed: Bool) {
        let o = p.layers[j].offset
        guard let flags = f.u16(o) else { out.append("[|gre]"); return }
        let version = flags & 7
        out.append("GREv"); out.append(int: version)
        guard version <= 1 else { out.append(" ERROR: unknown-version"); return }
        guard let proto = f.u16(o + 2) else { out.append(" [|gre]"); return }
        if options.verbose > 0 {
            out.append(", Flags [")
            var any = false
            func flag(_ bit: UInt16, _ name: StaticString) {
                guard flags & bit != 0 else { return }
                if any { out.append(", ") }
                out.append(name); any = true
            }
            flag(0x8000, "checksum present"); flag(0x4000, "routing present"); flag(0x2000, "key present")
            flag(0x1000, "sequence# present"); flag(0x0800, "source routing present"); flag(0x0080, "ack present")
            if !any { out.append("none") }
            out.append("]")
        }
        var at = o + 4
        if version == 0 {
            if flags & 0xc000 != 0 {
                guard let sum = f.u16(at), let off = f.u16(at + 2) else { out.append(" [|gre]"); return }
                if options.verbose > 0 { out.append(", sum 0x"); appendHex(UInt32(sum), out) }
                out.append(", off 0x"); appendHex(UInt32(off), out)
                at += 4
            }
            if flags & 0x2000 != 0 {
                guard let key = f.u32(at) else { out.append(" [|gre]"); return }
                out.append(", key=0x"); appendHex(key, out); at += 4
            }
            if flags & 0x1000 != 0 {
                guard let seq = f.u32(at) else { out.append(" [|gre]"); return }
                out.append(", seq "); out.append(int: seq); at += 4
            }
            if flags & 0x4000 != 0 { return }   // source routes: Sockeye's decoder does not follow them
        } else {
            if flags & 0x2000 != 0 {
                guard let key = f.u32(at) else { out.append(" [|gre]"); return }
                out.append(", call "); out.append(int: key & 0xffff); at += 4
            }
            if flags & 0x1000 != 0 {
                guard let seq = f.u32(at) else { out.append(" [|gre]"); return }
                out.append(", seq "); out.append(int: seq); at += 4
            }
            if flags & 0x0080 != 0 {
                guard let ack = f.u32(at) else { out.append(" [|gre]"); return }
                out.append(", ack "); out.append(int: ack); at += 4
            }
            if flags & 0x1000 == 0 { out.append(", no-payload") }
        }
        if options.linkHeaders { writeProtocolName(proto, out) }
        out.append(", length "); out.append(int: length)
        if version == 1 && flags & 0x1000 == 0 { return }
        out.append(options.verbose > 0 ? "\n\t" : ": ")
        let rest = max(0, length - (at - o))
        let next = j + 1
        switch proto {
        case EtherType.ipv4, EtherType.ipv6, EtherType.mplsUnicast, EtherType.mplsMulticast, EtherType.transparentEthernet:
            if version == 0 { writeLayer(next, length: rest, p, f, b, out, prefixed: prefixed); return }
        case EtherType.ppp:
            if version == 1 { writePPP(at: at, length: rest, next: next + 1, p, f, b, out, prefixed: prefixed); return }
        default: break
        }
        // ERSPAN (0x88be, 0x22eb) and the rest: tcpdump 4.99 names the protocol number only.
        out.append("gre-proto-0x"); appendHex(UInt32(proto), out)
    }

    // MARK: PPP (print-ppp.c), PPPoE (print-pppoe.c)

    /// `ppp_print`: address/control and protocol, with -e `IP (0x0021), length 54: `, then IPv4,
    /// IPv6 or MPLS. Control protocols (LCP, IPCP, …) end the line: Sockeye does not decode them.
    /// `next` is the index of the layer the PPP protocol leads to.
    private func writePPP(at start: Int, length olen: Int, next: Int, _ p: DecodedPacket, _ f: FrameBytes,
                          _ b: UnsafeRawBufferPointer, _ out: OutputBuffer, prefixed: Bool) {
        var at = start, length = olen
        if f.u16(at) == 0xff03 { at += 2; length -= 2 }
        guard let first = f.u8(at) else { out.append("[|ppp]"); return }
        let proto: UInt16
        if first & 1 != 0 { proto = UInt16(first); at += 1; length -= 1 } else {
            guard let v = f.u16(at) else { out.append("[|ppp]"); return }
            proto = v; at += 2; length -= 2
        }
        if options.linkHeaders {
            var known = true
            switch proto {
            case 0x0021: out.append("IP")
            case 0x0057: out.append("IP6")
            case 0x0281: out.append("MPLS")
            case 0xc021: out.append("LCP")
            case 0x8021: out.append("IPCP")
            case 0x8057: out.append("IP6CP")
            case 0x80fd: out.append("CCP")
            case 0xc023: out.append("PAP")
            case 0xc223: out.append("CHAP")
            default: out.append("unknown"); known = false
            }
            out.append(" (0x"); appendHex16(proto, out); out.append("), length "); out.append(int: olen)
            if !known { return }
            out.append(": ")
        }
        switch proto {
        case 0x0021, 0x0057, 0x0281:
            if next < p.layers.count, p.layers[next].offset == at {
                writeLayer(next, length: length, p, f, b, out, prefixed: prefixed)
            } else if next >= p.layers.count, p.layers.overflowed {
                writeFlatIP(p, f, b, out, prefixed: prefixed)
            }
        case 0xc021, 0x8021, 0x8057, 0x80fd:
            writePPPControl(proto, at: at, length: length, f, out)
        case 0xc023:
            writePAP(at: at, length: length, f, out)
        default: break
        }
    }

    /// print-ppp.c `handle_pap` (RFC 1334 §2.2): `PAP, Auth-Req (0x01), id 0, Peer ixia, Name ixia`
    /// (tcpdump labels the password field `Name`), `PAP, Auth-ACK (0x02), id 0, Msg text`.
    private func writePAP(at o: Int, length available: Int, _ f: FrameBytes, _ out: OutputBuffer) {
        guard let code = f.u8(o) else { out.append("PAP [|pap]"); return }
        out.append("PAP, ")
        switch code {
        case 1: out.append("Auth-Req")
        case 2: out.append("Auth-ACK")
        case 3: out.append("Auth-NACK")
        default: out.append("unknown")
        }
        out.append(" (0x"); out.appendHexByte(code); out.append(")")
        guard let id = f.u8(o + 1), let declared = f.u16(o + 2) else { out.append(" [|pap]"); return }
        out.append(", id "); out.append(int: id)
        let length = Int(declared)
        if length > available { out.append(", length "); out.append(int: length); out.append(" > packet size"); return }
        if length < 4 { out.append(", length "); out.append(int: length); out.append(" < PAP header length"); return }
        var at = o + 4
        /// One length-prefixed field (`nd_printjnp`: control characters as `^X`, high bytes `M-x`).
        func field(_ label: StaticString) -> Bool {
            guard length - (at - o) >= 1, let n = f.u8(at) else { return false }
            at += 1
            guard length - (at - o) >= Int(n), f.has(at, Int(n)) else { return false }
            out.append(label)
            for i in at..<(at + Int(n)) {
                var c = f.b.u8(i)
                if c >= 0x80 { c &= 0x7f; out.append("M-") }
                if c < 0x20 || c == 0x7f { c ^= 0x40; out.append("^") }
                out.append(byte: c)
            }
            at += Int(n)
            return true
        }
        switch code {
        case 1:
            if length < 6 { out.append(" [|pap]"); return }
            if field(", Peer ") { _ = field(", Name ") }
        case 2, 3:
            if length < 5 { out.append(" [|pap]"); return }
            _ = field(", Msg ")
        default: break
        }
    }

    /// print-ppp.c `handle_ctrl_proto` without -v: `LCP, Conf-Request (0x01), id 1, length 16`
    /// (RFC 1661 §5 packet format; the length is tcpdump's: the bytes after the protocol + 2).
    private func writePPPControl(_ proto: UInt16, at o: Int, length: Int, _ f: FrameBytes, _ out: OutputBuffer) {
        switch proto {
        case 0xc021: out.append("LCP")
        case 0x8021: out.append("IPCP")
        case 0x8057: out.append("IP6CP")
        default: out.append("CCP")
        }
        guard let code = f.u8(o) else { out.append(" [|ppp]"); return }
        out.append(", ")
        switch code {
        case 1: out.append("Conf-Request")
        case 2: out.append("Conf-Ack")
        case 3: out.append("Conf-Nack")
        case 4: out.append("Conf-Reject")
        case 5: out.append("Term-Request")
        case 6: out.append("Term-Ack")
        case 7: out.append("Code-Reject")
        case 8: out.append("Prot-Reject")
        case 9: out.append("Echo-Request")
        case 10: out.append("Echo-Reply")
        case 11: out.append("Disc-Req")
        case 12: out.append("Ident")
        case 13: out.append("Time-Rem")
        case 14: out.append("Reset-Req")
        case 15: out.append("Reset-Ack")
        default: out.append("Unknown Opcode")
        }
        out.append(" (0x"); out.appendHexByte(code); out.append(")")
        guard let id = f.u8(o + 1) else { out.append(" [|ppp]"); return }
        out.append(", id "); out.append(int: id)
        out.append(", length "); out.append(int: length + 2)
    }

    /// `PPPoE  [ses 0xdde5] ` and the PPP payload.
    private func writePPPoESession(_ i: Int, _ p: DecodedPacket, _ f: FrameBytes, _ b: UnsafeRawBufferPointer,
                                   _ out: OutputBuffer, prefixed: Bool) {
        let o = p.layers[i].offset
        guard let session = f.u16(o + 2), let declared = f.u16(o + 4) else { return }
        out.append("PPPoE ")
        let length = min(Int(declared), max(0, p.wireLength - o - PPPoEHeader.length))
        if Int(declared) > length {
            out.append(" [len "); out.append(int: declared); out.append(" > "); out.append(int: length); out.append("!]")
        }
        if session != 0 { out.append(" [ses 0x"); appendHex(UInt32(session), out); out.append("]") }
        out.append(" ")
        writePPP(at: o + PPPoEHeader.length, length: length, next: i + 1, p, f, b, out, prefixed: prefixed)
    }

    /// `PPPoE PADI [Service-Name] [Host-Uniq 0x00001761]`: the discovery code, session and tags.
    private func writePPPoEDiscovery(_ o: Int, length: Int, _ f: FrameBytes, _ out: OutputBuffer) {
        guard let code = f.u8(o + 1), let session = f.u16(o + 2), var declared = f.u16(o + 4).map(Int.init) else { return }
        out.append("PPPoE ")
        switch code {
        case 0x09: out.append("PADI")
        case 0x07: out.append("PADO")
        case 0x19: out.append("PADR")
        case 0x65: out.append("PADS")
        case 0xa7: out.append("PADT")
        case 0x00: break
        default: out.append("PAD-"); appendHex(UInt32(code), out)
        }
        let available = max(0, length - PPPoEHeader.length)
        if code == 0x09 && declared > available { out.append(" [len "); out.append(int: declared); out.append("!]") }
        if declared > available {
            out.append(" [len "); out.append(int: declared); out.append(" > "); out.append(int: available); out.append("!]")
            declared = available
        }
        if session != 0 { out.append(" [ses 0x"); appendHex(UInt32(session), out); out.append("]") }
        guard code != 0 else { return }
        let payload = o + PPPoEHeader.length
        var at = payload
        var type: UInt16 = 0xffff
        while type != 0, at < payload + declared - 4 {
            guard let t = f.u16(at), let l = f.u16(at + 2) else { return }
            type = t
            at += 4
            out.append(" [")
            switch t {
            case 0x0000: out.append("EOL")
            case 0x0101: out.append("Service-Name")
            case 0x0102: out.append("AC-Name")
            case 0x0103: out.append("Host-Uniq")
            case 0x0104: out.append("AC-Cookie")
            case 0x0105: out.append("Vendor-Specific")
            case 0x0110: out.append("Relay-Session-ID")
            case 0x0120: out.append("PPP-Max-Payload")
            case 0x0201: out.append("Service-Name-Error")
            case 0x0202: out.append("AC-System-Error")
            case 0x0203: out.append("Generic-Error")
            default: out.append("TAG-0x"); appendHex(UInt32(t), out)
            }
            let n = Int(l)
            if n > 0 {
                guard f.has(at, n) else { return }
                var printable = 0
                for v in at..<(at + n) where (0x20...0x7e).contains(f.b.u8(v)) { printable += 1 }
                if printable > n - printable {
                    out.append(" \"")
                    for v in at..<min(at + n, at + 79) {
                        let c = f.b.u8(v)
                        out.append(byte: (0x20...0x7e).contains(c) ? c : UInt8(ascii: "."))
                    }
                    out.append("\"")
                } else {
                    out.append(" 0x")
                    for v in at..<(at + n) { Self.appendUpperHexByte(f.b.u8(v), out) }
                }
            }
            out.append("]")
            at += n
        }
    }

    static func appendUpperHexByte(_ v: UInt8, _ out: OutputBuffer) {
        let hi = v >> 4, lo = v & 0xf
        out.append(byte: hi < 10 ? 0x30 + hi : 0x37 + hi)
        out.append(byte: lo < 10 ? 0x30 + lo : 0x37 + lo)
    }

    // MARK: MPLS (print-mpls.c)

    private func writeMPLS(_ i: Int, length: Int, _ p: DecodedPacket, _ f: FrameBytes, _ b: UnsafeRawBufferPointer,
                           _ out: OutputBuffer, prefixed: Bool) {
        var at = p.layers[i].offset
        out.append("MPLS")
        var depth = 0
        var entry: UInt32 = 0
        repeat {
            guard let e = f.u32(at) else { out.append(" [|mpls]"); return }
            entry = e
            let label = e >> 12
            out.append(depth > 0 && options.verbose > 0 ? "\n\t" : " ")
            out.append("(label "); out.append(int: label)
            if options.verbose > 0 && label < 16 {
                out.append(" (")
                switch label {
                case 0: out.append("IPv4 explicit NULL")
                case 1: out.append("router alert")
                case 2: out.append("IPv6 explicit NULL")
                case 3: out.append("implicit NULL")
                default: out.append("rsvd")
                }
                out.append(")")
            }
            out.append(", tc "); out.append(int: (e >> 9) & 7)
            if e & 0x100 != 0 { out.append(", [S]") }
            out.append(", ttl "); out.append(int: e & 0xff); out.append(")")
            at += 4
            depth += 1
        } while entry & 0x100 == 0
        let rest = length - 4 * depth
        // tcpdump guesses the payload: explicit-null labels, else the first byte (0x45-0x4f IPv4,
        // 0x60-0x6f IPv6). Anything else (a pseudowire control word, OSI) is not printed here.
        var isIP: Bool
        switch entry >> 12 {
        case 0, 2, 3: isIP = true
        default:
            guard let first = f.u8(at) else { return }
            isIP = (0x45...0x4f).contains(first) || (0x60...0x6f).contains(first)
        }
        let next = i + 1
        guard isIP, next < p.layers.count, p.layers[next].kind == .ipv4 || p.layers[next].kind == .ipv6,
              p.layers[next].offset == at else { return }
        out.append(options.verbose > 0 ? "\n\t" : " ")
        writeLayer(next, length: rest, p, f, b, out, prefixed: prefixed)
    }

    // MARK: inner Ethernet (VXLAN, Geneve and GRE TEB payloads; print-ether.c)

    private func writeInnerEthernet(_ i: Int, length: Int, _ p: DecodedPacket, _ f: FrameBytes, _ b: UnsafeRawBufferPointer,
                                    _ out: OutputBuffer, prefixed: Bool) {
        writeInnerEthernet(at: p.layers[i].offset, next: i + 1, length: length, p, f, b, out, prefixed: prefixed)
    }

    /// The Ethernet header at `o` (with -e: `src > dst, ethertype IPv4 (0x0800), length 74: `
    /// and its VLAN tags), then its payload: layer `next` when the stack holds it, else the flat
    /// datagram (the stack overflowed), ARP, or tcpdump's line for an unknown EtherType.
    func writeInnerEthernet(at o: Int, next: Int, length: Int, _ p: DecodedPacket, _ f: FrameBytes,
                            _ b: UnsafeRawBufferPointer, _ out: OutputBuffer, prefixed: Bool) {
        guard let dst = f.mac(o), let src = f.mac(o + 6), var type = f.u16(o + 12) else { return }
        var j = next
        var at = o + EthernetHeader.headerLength
        if options.linkHeaders {
            out.append(mac: src); out.append(" > "); out.append(mac: dst); out.append(", ")
            writeEtherType(type, out)
            out.append(", length "); out.append(int: length); out.append(": ")
        }
        var tags = 0
        while type == EtherType.vlan || type == EtherType.qinq || type == EtherType.qinqLegacy, tags < 8,
              let tci = f.u16(at), let inner = f.u16(at + 2) {
            if options.linkHeaders {
                out.append("vlan "); out.append(int: tci & 0xfff); out.append(", p "); out.append(int: tci >> 13)
                if tci & 0x1000 != 0 { out.append(", DEI") }
                out.append(", "); writeEtherType(inner, out); out.append(", ")
            }
            if j < p.layers.count, p.layers[j].kind == .vlan { j += 1 }
            type = inner
            at += 4
            tags += 1
        }
        let rest = max(0, length - (at - o))
        if j < p.layers.count, p.layers[j].offset == at {
            writeLayer(j, length: rest, p, f, b, out, prefixed: prefixed)
        } else if j >= p.layers.count, p.layers.overflowed, type == EtherType.ipv4 || type == EtherType.ipv6 {
            writeFlatIP(p, f, b, out, prefixed: prefixed)
        } else if type == EtherType.arp {
            if prefixed { out.append("ARP, ") }
            writeARP(f, at, length: rest, out)
        } else if prefixed {
            out.append(mac: src); out.append(" > "); out.append(mac: dst); out.append(", ")
            out.append("ethertype Unknown (0x"); appendHex16(type, out); out.append("), length "); out.append(int: length)
        }
    }
}
