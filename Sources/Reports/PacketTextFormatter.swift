import PacketCodec

/// `sockeye packets` text output: one line per frame, close to `tcpdump -nn -S`
/// (tcpdump.1 "TCP Packets"; print-tcp.c), with UTC time of day, absolute sequence numbers,
/// and Sockeye's additions at the end: checksum problems in brackets and decode defects.
///
/// ```
/// 22:13:20.000116 IP 10.1.0.7.51514 > 198.18.0.9.80: Flags [S], seq 1694179788, win 65535, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0
/// ```
public struct PacketTextFormatter {
    public init() {}

    public func write(frame number: Int, timestampNanoseconds ts: Int64, packet p: DecodedPacket,
                      bytes b: UnsafeRawBufferPointer, to out: OutputBuffer) {
        out.append(timeOfDay: ts)
        out.append(" ")
        if let eth = p.ethernet, !eth.tags.isEmpty {
            for tag in eth.tags { out.append("vlan "); out.append(int: tag.id); out.append(", ") }
        }
        if let ip = p.ipv4 {
            out.append("IP ")
            writeEndpoints(ip.sourceAddress, ip.destinationAddress, p, b, out)
        } else if let ip = p.ipv6 {
            out.append("IP6 ")
            writeEndpoints(ip.source, ip.destination, p, b, out)
        } else if p.networkOffset != nil {
            if let name = EtherType.name(p.etherType) { out.append(name) } else {
                // tcpdump (print-ether.c, no -e): "<src> > <dst>, ethertype Unknown (0x88b5), length N"
                if let eth = p.ethernet {
                    out.append(eth.source.description); out.append(" > "); out.append(eth.destination.description); out.append(", ")
                }
                out.append("ethertype Unknown (0x"); out.appendHexByte(UInt8(p.etherType >> 8)); out.appendHexByte(UInt8(p.etherType & 0xff))
                out.append(")")
            }
            out.append(", length "); out.append(int: p.wireLength)
        } else {
            out.append(p.linkType.description); out.append(", length "); out.append(int: p.wireLength)
        }
        if let ip = p.ipv4, ip.checksumStatus == .bad { out.append(" [bad ip cksum 0x"); appendHex16(ip.checksum, out); out.append("]") }
        if !p.defects.isEmpty {
            out.append(" [defects:")
            for d in p.defects { out.append(" "); out.append(d.name) }
            out.append("]")
        }
        out.append("\n")
    }

    private func writeEndpoints(_ src: IPAddress, _ dst: IPAddress, _ p: DecodedPacket, _ b: UnsafeRawBufferPointer, _ out: OutputBuffer) {
        if let tcp = p.tcp {
            out.append(address: src); out.append("."); out.append(int: tcp.sourcePort)
            out.append(" > ")
            out.append(address: dst); out.append("."); out.append(int: tcp.destinationPort)
            out.append(": Flags ["); out.append(tcp.flags.tcpdumpString); out.append("]")
            let f = tcp.flags
            if tcp.payloadLength > 0 || f.contains(.syn) || f.contains(.fin) || f.contains(.rst) {
                out.append(", seq "); out.append(int: tcp.sequenceNumber)
                if tcp.payloadLength > 0 {
                    out.append(":"); out.append(int: tcp.sequenceNumber &+ UInt32(truncatingIfNeeded: tcp.payloadLength))
                }
            }
            if f.contains(.ack) { out.append(", ack "); out.append(int: tcp.acknowledgmentNumber) }
            out.append(", win "); out.append(int: tcp.window)
            if f.contains(.urg) { out.append(", urg "); out.append(int: tcp.urgentPointer) }
            if tcp.headerLength > 20, tcp.offset + tcp.headerLength <= p.captureLength {
                out.append(", options [")
                writeOptions(tcp, b, out)
                out.append("]")
            }
            out.append(", length "); out.append(int: tcp.payloadLength)
            writeChecksum("tcp", tcp.checksumStatus, tcp.checksum, out)
        } else if let udp = p.udp {
            out.append(address: src); out.append("."); out.append(int: udp.sourcePort)
            out.append(" > ")
            out.append(address: dst); out.append("."); out.append(int: udp.destinationPort)
            out.append(": UDP, length "); out.append(int: udp.payloadLength)
            writeChecksum("udp", udp.checksumStatus, udp.checksum, out)
        } else {
            out.append(address: src); out.append(" > "); out.append(address: dst); out.append(": ")
            if p.isFragment { out.append("fragment, ") }
            out.append("proto "); out.append(int: p.ipProtocol ?? 0)
            out.append(", length "); out.append(int: p.payloadLength)
        }
    }

    private func writeChecksum(_ layer: StaticString, _ status: ChecksumStatus, _ value: UInt16, _ out: OutputBuffer) {
        switch status {
        case .bad:
            out.append(" [bad "); out.append(layer); out.append(" cksum 0x"); appendHex16(value, out); out.append("]")
        case .partial:
            out.append(" [partial "); out.append(layer); out.append(" cksum (offload)]")
        default:
            break
        }
    }

    /// tcpdump's option names (print-tcp.c): mss, wscale, sackOK, sack N {l:r}, TS val/ecr,
    /// nop, eol, md5, uto, tcp-ao, mptcp, tfo, exp, unknown-K; bad lengths shown as `[len N]`.
    private func writeOptions(_ tcp: TCPHeader, _ b: UnsafeRawBufferPointer, _ out: OutputBuffer) {
        var it = TCPOptionIterator(bytes: b, header: tcp)
        var first = true
        while let e = it.next() {
            if !first { out.append(",") }
            first = false
            let d = e.dataOffset
            if e.hasInvalidLength {
                out.append(TCPOptionKind.name(e.kind)); out.append(" [len "); out.append(int: e.length); out.append("]")
                continue
            }
            switch e.kind {
            case TCPOptionKind.endOfList: out.append("eol")
            case TCPOptionKind.noOperation: out.append("nop")
            case TCPOptionKind.maxSegmentSize: out.append("mss "); out.append(int: b.u16(d))
            case TCPOptionKind.windowScale: out.append("wscale "); out.append(int: b.u8(d))
            case TCPOptionKind.sackPermitted: out.append("sackOK")
            case TCPOptionKind.sack:
                out.append("sack "); out.append(int: e.dataLength / 8); out.append(" ")
                for i in 0..<(e.dataLength / 8) {   // tcpdump: "sack 2 {l:r}{l:r}"
                    out.append("{"); out.append(int: b.u32(d + 8 * i)); out.append(":")
                    out.append(int: b.u32(d + 8 * i + 4)); out.append("}")
                }
            case TCPOptionKind.timestamp:
                out.append("TS val "); out.append(int: b.u32(d)); out.append(" ecr "); out.append(int: b.u32(d + 4))
            case TCPOptionKind.md5Signature: out.append("md5")
            case TCPOptionKind.userTimeout: out.append("uto "); out.append(int: b.u16(d) & 0x7fff)
            case TCPOptionKind.authentication: out.append("tcp-ao")
            case TCPOptionKind.multipath: out.append("mptcp")
            case TCPOptionKind.fastOpen:
                out.append("tfo")
                if e.dataLength == 0 { out.append(" cookiereq") } else {
                    out.append(" cookie "); for i in d..<(d + e.dataLength) { out.appendHexByte(b.u8(i)) }
                }
            case TCPOptionKind.experimental1, TCPOptionKind.experimental2:
                out.append("exp")
            default:
                out.append("unknown-"); out.append(int: e.kind)
                if e.dataLength > 0 { out.append(" 0x"); for i in d..<(d + e.dataLength) { out.appendHexByte(b.u8(i)) } }
            }
        }
    }

    private func appendHex16(_ v: UInt16, _ out: OutputBuffer) {
        out.appendHexByte(UInt8(v >> 8))
        out.appendHexByte(UInt8(v & 0xff))
    }

}
