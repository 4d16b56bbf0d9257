import PacketCodec

/// `sockeye packets --format json`: one JSON object per frame (DESIGN.md §2 "Packet JSON").
///
/// Writes straight into an `OutputBuffer` from the decoded value and the frame bytes; TCP and
/// IPv4 options are read lazily from the frame. Keys appear in a fixed order; a layer that did
/// not decode is absent and its defect is listed in `defects`.
public struct PacketJSONFormatter {
    public init() {}

    /// `reassembledLength`: this fragment completed a datagram of that payload length
    /// (`reassembled_len`, tshark's `ip.reassembled.length`); the caller reassembles.
    public func write(frame number: Int, timestampNanoseconds ts: Int64, packet p: DecodedPacket,
                      bytes b: UnsafeRawBufferPointer, reassembledLength: Int? = nil, to out: OutputBuffer) {
        out.append("{\"frame\":"); out.append(int: number)
        // Microseconds, truncated, as the text output and tcpdump print them.
        out.append(",\"ts\":"); out.append(nanoseconds: ts, fractionDigits: 6)
        out.append(",\"caplen\":"); out.append(int: p.captureLength)
        out.append(",\"len\":"); out.append(int: p.wireLength)
        out.append(",\"link\":\""); out.append(p.linkType.description); out.append("\"")
        if let eth = p.ethernet { writeEthernet(eth, out) }
        if let sll = p.linuxSLL { writeSLL(sll, out) }
        if let lo = p.loopback { out.append(",\"loopback\":{\"family\":"); out.append(int: lo.family); out.append("}") }
        if let ip = p.ipv4 { writeIPv4(ip, b, out) }
        if let ip = p.ipv6 { writeIPv6(ip, out) }
        if let tcp = p.tcp { writeTCP(tcp, p, b, out) }
        if let udp = p.udp { writeUDP(udp, out) }
        if let icmp = p.icmp { writeICMP(icmp, b, out) }
        if p.encapsulation.isTunnelled || p.encapsulation.vlan != nil { writeEncapsulation(p.encapsulation, out) }
        writeLayers(p.layers, b, out)
        if p.isFragment { out.append(",\"fragment\":true") }
        if let n = reassembledLength { out.append(",\"reassembled_len\":"); out.append(int: n) }
        out.append(",\"defects\":[")
        var first = true
        for d in p.defects {
            if !first { out.append(",") }
            first = false
            out.appendJSONString(d.name)
        }
        out.append("]}\n")
    }

    private func writeEthernet(_ eth: EthernetHeader, _ out: OutputBuffer) {
        out.append(",\"eth\":{\"src\":\""); out.append(mac: eth.source); out.append("\"")
        out.append(",\"dst\":\""); out.append(mac: eth.destination); out.append("\"")
        out.append(",\"type\":"); out.append(int: eth.etherType)
        out.append(",\"vlan\":[")
        for (i, tag) in eth.tags.enumerated() {
            if i > 0 { out.append(",") }
            out.append(int: tag.id)
        }
        out.append("]}")
    }

    private func writeSLL(_ sll: LinuxSLLHeader, _ out: OutputBuffer) {
        out.append(",\"sll\":{\"version\":"); out.append(int: sll.version)
        out.append(",\"pkttype\":"); out.append(int: sll.packetType)
        out.append(",\"hatype\":"); out.append(int: sll.hardwareType)
        out.append(",\"protocol\":"); out.append(int: sll.protocolType)
        if sll.version == 2 { out.append(",\"ifindex\":"); out.append(int: sll.interfaceIndex) }
        out.append("}")
    }

    private func writeIPv4(_ ip: IPv4Header, _ b: UnsafeRawBufferPointer, _ out: OutputBuffer) {
        out.append(",\"ip\":{\"version\":4,\"src\":\""); out.append(address: ip.sourceAddress); out.append("\"")
        out.append(",\"dst\":\""); out.append(address: ip.destinationAddress); out.append("\"")
        out.append(",\"hdr_len\":"); out.append(int: ip.headerLength)
        out.append(",\"tos\":"); out.append(int: ip.tos)
        out.append(",\"total_len\":"); out.append(int: ip.totalLength)
        out.append(",\"id\":"); out.append(int: ip.identification)
        out.append(ip.dontFragment ? ",\"df\":true" : ",\"df\":false")
        out.append(ip.moreFragments ? ",\"mf\":true" : ",\"mf\":false")
        out.append(",\"frag_offset\":"); out.append(int: ip.fragmentOffset)
        out.append(",\"ttl\":"); out.append(int: ip.ttl)
        out.append(",\"proto\":"); out.append(int: ip.protocol)
        out.append(",\"checksum\":"); out.append(int: ip.checksum)
        out.append(",\"checksum_status\":\""); out.append(ip.checksumStatus.description); out.append("\"")
        out.append(",\"options\":[")
        if ip.headerLength > 20 && ip.offset + ip.headerLength <= b.count {
            var it = IPv4OptionIterator(bytes: b, header: ip)
            var first = true
            while let o = it.next() {
                if !first { out.append(",") }
                first = false
                out.append("{\"type\":"); out.append(int: o.type)
                out.append(",\"name\":\""); out.append(o.name)
                out.append("\",\"length\":"); out.append(int: o.length); out.append("}")
            }
        }
        out.append("]}")
    }

    private func writeIPv6(_ ip: IPv6Header, _ out: OutputBuffer) {
        out.append(",\"ip\":{\"version\":6,\"src\":"); out.appendJSONString(ip.source.description)
        out.append(",\"dst\":"); out.appendJSONString(ip.destination.description)
        out.append(",\"traffic_class\":"); out.append(int: ip.trafficClass)
        out.append(",\"flow_label\":"); out.append(int: ip.flowLabel)
        out.append(",\"payload_len\":"); out.append(int: ip.payloadLength)
        out.append(",\"hop_limit\":"); out.append(int: ip.hopLimit)
        out.append(",\"next_header\":"); out.append(int: ip.nextHeader)
        out.append(",\"proto\":"); out.append(int: ip.upperProtocol)
        out.append(",\"ext_headers\":[")
        for (i, t) in ip.extensionHeaders.enumerated() {
            if i > 0 { out.append(",") }
            out.append("\""); out.append(IPv6ExtensionList.name(t)); out.append("\"")
        }
        out.append("]")
        if ip.hasFragmentHeader {
            out.append(",\"frag_offset\":"); out.append(int: ip.fragmentOffset)
            out.append(ip.moreFragments ? ",\"mf\":true" : ",\"mf\":false")
            out.append(",\"frag_id\":"); out.append(int: ip.fragmentIdentification)
        }
        out.append("}")
    }

    private func writeTCP(_ tcp: TCPHeader, _ p: DecodedPacket, _ b: UnsafeRawBufferPointer, _ out: OutputBuffer) {
        out.append(",\"tcp\":{\"src_port\":"); out.append(int: tcp.sourcePort)
        out.append(",\"dst_port\":"); out.append(int: tcp.destinationPort)
        out.append(",\"seq\":"); out.append(int: tcp.sequenceNumber)
        out.append(",\"ack\":"); out.append(int: tcp.acknowledgmentNumber)
        out.append(",\"hdr_len\":"); out.append(int: tcp.headerLength)
        out.append(",\"flags\":[")
        var first = true
        for (flag, name) in TCPFlags.named where tcp.flags.contains(flag) {
            if !first { out.append(",") }
            first = false
            out.append("\""); out.append(name); out.append("\"")
        }
        out.append("],\"flags_raw\":"); out.append(int: tcp.flags.rawValue)
        out.append(",\"window\":"); out.append(int: tcp.window)
        out.append(",\"checksum\":"); out.append(int: tcp.checksum)
        out.append(",\"checksum_status\":\""); out.append(tcp.checksumStatus.description); out.append("\"")
        out.append(",\"urgent\":"); out.append(int: tcp.urgentPointer)
        out.append(",\"options\":[")
        if tcp.headerLength > 20 && tcp.offset + tcp.headerLength <= b.count {
            var it = TCPOptionIterator(bytes: b, header: tcp)
            var firstOption = true
            while let e = it.next() {
                if !firstOption { out.append(",") }
                firstOption = false
                writeTCPOption(e, b, out)
            }
        }
        out.append("],\"payload_len\":"); out.append(int: tcp.payloadLength)
        out.append("}")
    }

    private func writeTCPOption(_ e: TCPOptionElement, _ b: UnsafeRawBufferPointer, _ out: OutputBuffer) {
        out.append("{\"kind\":"); out.append(int: e.kind)
        out.append(",\"name\":\""); out.append(TCPOptionKind.name(e.kind)); out.append("\"")
        if e.hasInvalidLength {
            out.append(",\"length\":"); out.append(int: e.length); out.append(",\"invalid\":true}")
            return
        }
        let d = e.dataOffset
        switch e.kind {
        case TCPOptionKind.maxSegmentSize: out.append(",\"value\":"); out.append(int: b.u16(d))
        case TCPOptionKind.windowScale: out.append(",\"shift\":"); out.append(int: b.u8(d))
        case TCPOptionKind.timestamp:
            out.append(",\"tsval\":"); out.append(int: b.u32(d))
            out.append(",\"tsecr\":"); out.append(int: b.u32(d + 4))
        case TCPOptionKind.sack:
            out.append(",\"blocks\":[")
            for i in 0..<(e.dataLength / 8) {
                if i > 0 { out.append(",") }
                out.append("["); out.append(int: b.u32(d + 8 * i))
                out.append(","); out.append(int: b.u32(d + 8 * i + 4)); out.append("]")
            }
            out.append("]")
        case TCPOptionKind.userTimeout:
            let v = b.u16(d)
            out.append(v & 0x8000 != 0 ? ",\"granularity\":\"minutes\"" : ",\"granularity\":\"seconds\"")
            out.append(",\"timeout\":"); out.append(int: v & 0x7fff)
        case TCPOptionKind.fastOpen:
            out.append(",\"cookie\":\""); appendHex(b, d, e.dataLength, out); out.append("\"")
        case TCPOptionKind.multipath:
            out.append(",\"subtype\":"); out.append(int: b.u8(d) >> 4)
            out.append(",\"length\":"); out.append(int: e.length)
        case TCPOptionKind.authentication:
            out.append(",\"key_id\":"); out.append(int: b.u8(d))
            out.append(",\"rnext_key_id\":"); out.append(int: b.u8(d + 1))
            out.append(",\"length\":"); out.append(int: e.length)
        case TCPOptionKind.endOfList, TCPOptionKind.noOperation, TCPOptionKind.sackPermitted:
            break
        case TCPOptionKind.experimental1, TCPOptionKind.experimental2:
            out.append(",\"exid\":"); out.append(int: b.u16(d))
            out.append(",\"length\":"); out.append(int: e.length)
        default:
            out.append(",\"length\":"); out.append(int: e.length)
            out.append(",\"data\":\""); appendHex(b, d, e.dataLength, out); out.append("\"")
        }
        out.append("}")
    }

    private func appendHex(_ b: UnsafeRawBufferPointer, _ offset: Int, _ count: Int, _ out: OutputBuffer) {
        for i in offset..<(offset + count) { out.appendHexByte(b.u8(i)) }
    }

    /// `icmp`: the header (RFC 792, RFC 4443 §2.1), echo id/seq, and an error's quoted datagram.
    private func writeICMP(_ icmp: ICMPHeader, _ b: UnsafeRawBufferPointer, _ out: OutputBuffer) {
        out.append(",\"icmp\":{\"version\":"); out.append(int: icmp.isICMPv6 ? 6 : 4)
        out.append(",\"type\":"); out.append(int: icmp.type)
        out.append(",\"code\":"); out.append(int: icmp.code)
        out.append(",\"checksum\":"); out.append(int: icmp.checksum)
        out.append(",\"checksum_status\":\""); out.append(icmp.checksumStatus.description); out.append("\"")
        out.append(",\"length\":"); out.append(int: icmp.messageLength)
        if let id = icmp.identifier, let seq = icmp.sequenceNumber {
            out.append(",\"id\":"); out.append(int: id)
            out.append(",\"seq\":"); out.append(int: seq)
        }
        out.append(icmp.isError ? ",\"error\":true" : ",\"error\":false")
        if let q = icmp.quotedDatagram(in: b) {
            out.append(",\"quoted\":{\"version\":"); out.append(int: q.isIPv6 ? 6 : 4)
            out.append(",\"src\":"); out.appendJSONString(q.source.description)
            out.append(",\"dst\":"); out.appendJSONString(q.destination.description)
            out.append(",\"proto\":"); out.append(int: q.ipProtocol)
            if let sp = q.sourcePort, let dp = q.destinationPort {
                out.append(",\"src_port\":"); out.append(int: sp)
                out.append(",\"dst_port\":"); out.append(int: dp)
            }
            if let seq = q.tcpSequenceNumber { out.append(",\"tcp_seq\":"); out.append(int: seq) }
            out.append("}")
        }
        out.append("}")
    }

    /// `encapsulation`: the VLAN ids and the innermost tunnel around the flat IP datagram (the
    /// top-level `ip`/`tcp`/`udp`/`icmp` objects describe that innermost datagram).
    private func writeEncapsulation(_ e: Encapsulation, _ out: OutputBuffer) {
        out.append(",\"encapsulation\":{\"depth\":"); out.append(int: e.depth)
        if e.isTunnelled { out.append(",\"tunnel\":\""); out.append(e.tunnel.description); out.append("\"") }
        if let v = e.vlan { out.append(",\"vlan\":"); out.append(int: v) }
        if let v = e.innerVLAN { out.append(",\"inner_vlan\":"); out.append(int: v) }
        if let id = e.tunnelID { out.append(",\"tunnel_id\":"); out.append(int: id) }
        if let l = e.mplsLabel { out.append(",\"mpls_label\":"); out.append(int: l) }
        if let a = e.outerSource { out.append(",\"outer_src\":"); out.appendJSONString(a.description) }
        if let a = e.outerDestination { out.append(",\"outer_dst\":"); out.appendJSONString(a.description) }
        if let sp = e.outerSourcePort { out.append(",\"outer_src_port\":"); out.append(int: sp) }
        if let dp = e.outerDestinationPort { out.append(",\"outer_dst_port\":"); out.append(int: dp) }
        out.append("}")
    }

    /// `layers`: every header decoded, outermost first (`LayerStack`), each with its offset and
    /// length in the frame and the fields that identify it (addresses, ports, VLAN id, MPLS
    /// labels, VNI, GRE protocol and key, TEID, PPPoE session, ICMP type/code). Fields are read
    /// from the frame only where the layer's bytes are inside it.
    private func writeLayers(_ layers: LayerStack, _ b: UnsafeRawBufferPointer, _ out: OutputBuffer) {
        out.append(",\"layers\":[")
        for (i, l) in layers.enumerated() {
            if i > 0 { out.append(",") }
            out.append("{\"layer\":\""); out.append(l.kind.description)
            out.append("\",\"offset\":"); out.append(int: l.offset)
            out.append(",\"len\":"); out.append(int: l.length)
            writeLayerFields(l, b, out)
            out.append("}")
        }
        out.append("]")
        if layers.overflowed { out.append(",\"layers_overflowed\":true") }
    }

    private func writeLayerFields(_ l: Layer, _ b: UnsafeRawBufferPointer, _ out: OutputBuffer) {
        let o = l.offset
        func has(_ n: Int) -> Bool { o >= 0 && o + n <= b.count }
        switch l.kind {
        case .vlan where has(2):
            out.append(",\"id\":"); out.append(int: b.u16(o) & 0x0fff)
        case .mpls:
            out.append(",\"labels\":[")
            var q = o
            while q + 4 <= o + l.length && q + 4 <= b.count {
                let w = b.u32(q)
                if q > o { out.append(",") }
                out.append("{\"label\":"); out.append(int: w >> 12)
                out.append(",\"tc\":"); out.append(int: w >> 9 & 7)
                out.append(w & 0x100 != 0 ? ",\"s\":true" : ",\"s\":false")
                out.append(",\"ttl\":"); out.append(int: w & 0xff); out.append("}")
                q += 4
            }
            out.append("]")
        case .ipv4 where has(20):
            out.append(",\"src\":\""); out.append(address: IPAddress(ipv4: b.u32(o + 12))); out.append("\"")
            out.append(",\"dst\":\""); out.append(address: IPAddress(ipv4: b.u32(o + 16))); out.append("\"")
            out.append(",\"proto\":"); out.append(int: b.u8(o + 9))
        case .ipv6 where has(40):
            out.append(",\"src\":"); out.appendJSONString(IPAddress(ipv6High: b.u64(o + 8), low: b.u64(o + 16)).description)
            out.append(",\"dst\":"); out.appendJSONString(IPAddress(ipv6High: b.u64(o + 24), low: b.u64(o + 32)).description)
            out.append(",\"next_header\":"); out.append(int: b.u8(o + 6))
        case .ipv6Extension where has(1):
            out.append(",\"next_header\":"); out.append(int: b.u8(o))
        case .udp where has(4), .tcp where has(4):
            out.append(",\"src_port\":"); out.append(int: b.u16(o))
            out.append(",\"dst_port\":"); out.append(int: b.u16(o + 2))
        case .icmp where has(2), .icmpv6 where has(2):
            out.append(",\"type\":"); out.append(int: b.u8(o))
            out.append(",\"code\":"); out.append(int: b.u8(o + 1))
        case .vxlan where has(8), .vxlanGPE where has(8), .geneve where has(8):
            out.append(",\"vni\":"); out.append(int: b.u32(o + 4) >> 8)
        case .gtpu where has(8):
            out.append(",\"teid\":"); out.append(int: b.u32(o + 4))
        case .pppoe where has(4), .pppoeDiscovery where has(4):
            out.append(",\"session_id\":"); out.append(int: b.u16(o + 2))
        case .gre:
            if let h = GREHeader.parse(b, at: o, end: b.count) {
                out.append(",\"version\":"); out.append(int: h.version)
                out.append(",\"protocol\":"); out.append(int: h.protocolType)
                if let k = h.key { out.append(",\"key\":"); out.append(int: k) }
            }
        case .erspan:
            if let h = ERSPANHeader.parse(b, at: o, end: b.count) {
                out.append(",\"version\":"); out.append(int: h.version)
                out.append(",\"session_id\":"); out.append(int: h.sessionID)
            }
        default:
            break
        }
    }

    private func writeUDP(_ udp: UDPHeader, _ out: OutputBuffer) {
        out.append(",\"udp\":{\"src_port\":"); out.append(int: udp.sourcePort)
        out.append(",\"dst_port\":"); out.append(int: udp.destinationPort)
        out.append(",\"length\":"); out.append(int: udp.length)
        out.append(",\"checksum\":"); out.append(int: udp.checksum)
        out.append(",\"checksum_status\":\""); out.append(udp.checksumStatus.description); out.append("\"")
        out.append(",\"payload_len\":"); out.append(int: udp.payloadLength)
        out.append("}")
    }
}

extension UnsafeRawBufferPointer {
    @inline(__always) func u8(_ o: Int) -> UInt8 { load(fromByteOffset: o, as: UInt8.self) }
    @inline(__always) func u16(_ o: Int) -> UInt16 { UInt16(bigEndian: loadUnaligned(fromByteOffset: o, as: UInt16.self)) }
    @inline(__always) func u32(_ o: Int) -> UInt32 { UInt32(bigEndian: loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
    @inline(__always) func u64(_ o: Int) -> UInt64 { UInt64(bigEndian: loadUnaligned(fromByteOffset: o, as: UInt64.self)) }
}
