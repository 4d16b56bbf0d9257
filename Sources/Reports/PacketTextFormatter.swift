import PacketCodec

/// `sockeye packets` text output: one line per frame, close to `tcpdump -nn -S`
/// (tcpdump.1 "TCP Packets"; print-tcp.c), with UTC time of day, absolute sequence numbers,
/// and Sockeye's additions at the end: checksum problems in brackets and decode defects.
/// A tunnelled frame prints its delivery datagram first and then the inner packet, as tcpdump
/// does (a VXLAN or OTV header ends its line and the inner frame follows on the next one):
/// PacketTextFormatter+Tunnels.swift.
///
/// ```
/// 22:13:20.000116 IP 10.1.0.7.51514 > 198.18.0.9.80: Flags [S], seq 1694179788, win 65535, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0
/// ```
public final class PacketTextFormatter {
    /// What to print, as tcpdump's options.
    public struct Options: Sendable {
        /// `-t` none, default time of day, `-tt` epoch, `-ttt` delta from previous,
        /// `-tttt` date and time, `-ttttt` delta from the first packet.
        public enum Timestamps: Sendable { case none, timeOfDay, epoch, sincePrevious, dateAndTime, sinceFirst }
        public var timestamps: Timestamps = .timeOfDay
        /// Local time (TZ) as tcpdump; false keeps UTC (the library default, reproducible).
        public var localTime = false
        /// `-e`: link-level header (MACs, EtherType, VLAN tags, SLL fields).
        public var linkHeaders = false
        /// `-v`: IP header fields, transport checksum verdicts, tcpdump's -v layout
        /// (PacketTextFormatter+Verbose.swift). Only 0 and 1 are distinguished.
        public var verbose = 0
        /// false as tcpdump's `-K` (Sockeye's `--no-checksums`): -v computes no checksum.
        public var verifyChecksums = true
        /// `-x`, `-xx`, `-X`, `-XX` (PacketTextFormatter+HexDump.swift).
        public enum HexDump: Sendable { case none, hex, hexWithLink, hexASCII, hexASCIIWithLink }
        public var hexDump: HexDump = .none
        public init() {}
    }

    public let options: Options
    private var previous: Int64? = nil
    private var first: Int64? = nil
    private var clock = LocalClock()

    public init(options: Options = Options()) { self.options = options }

    public func write(frame number: Int, timestampNanoseconds ts: Int64, packet p: DecodedPacket,
                      bytes b: UnsafeRawBufferPointer, to out: OutputBuffer) {
        writeTime(ts, out)
        let f = FrameBytes(b, captureLength: p.captureLength)
        var prefixed = true
        if options.linkHeaders {
            prefixed = !writeLinkHeader(p, f, out)
        } else if let sll = p.linuxSLL, sll.version == 2 {
            // tcpdump prints the SLL2 interface and direction even without -e.
            writeInterface(sll, out)
        }
        if Self.isEncapsulated(p) {
            // Tunnels, MPLS, PPPoE: delivery headers first, then the inner packet, as tcpdump
            // (PacketTextFormatter+Tunnels.swift).
            writeEncapsulated(p, f, b, out, prefixed: prefixed)
        } else if p.hasIP {
            writeFlatIP(p, f, b, out, prefixed: prefixed)
        } else if let o = p.networkOffset, p.etherType == EtherType.arp {
            if prefixed { out.append("ARP, ") }
            writeARP(f, o, length: p.wireLength - o, out)
        } else if !prefixed {
            // -e already named the link type and EtherType.
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
        writeHexDump(p, f, out)
        out.append("\n")
    }

    // MARK: time stamps (tcpdump print.c ts_print)

    private func writeTime(_ ts: Int64, _ out: OutputBuffer) {
        // tcpdump prints microseconds, truncated.
        switch options.timestamps {
        case .none: return
        case .timeOfDay:
            if options.localTime { clock.appendLocal(ts, date: false, to: out) } else { out.append(timeOfDay: ts) }
        case .dateAndTime:
            if options.localTime { clock.appendLocal(ts, date: true, to: out) } else { clock.appendUTC(ts, date: true, to: out) }
        case .epoch:
            out.append(nanoseconds: ts - ts % 1000 - (ts % 1000 < 0 ? 1000 : 0), fractionDigits: 6)
        case .sincePrevious, .sinceFirst:
            let base = (options.timestamps == .sinceFirst ? first : previous) ?? ts
            if first == nil { first = ts }
            previous = ts
            let micros = ts / 1000 - base / 1000
            out.append(micros < 0 ? "-" : " ")
            out.append(timeOfDay: micros.magnitude > UInt64(Int64.max / 1000) ? 0 : Int64(micros.magnitude) * 1000)
        }
        out.append(" ")
    }

    // MARK: link layer (-e; print-ether.c, print-sll.c, print-null.c)

    /// Writes the -e link header; returns false when nothing was written (the network line then
    /// keeps its "IP " prefix).
    private func writeLinkHeader(_ p: DecodedPacket, _ f: FrameBytes, _ out: OutputBuffer) -> Bool {
        if let eth = p.ethernet {
            out.append(mac: eth.source); out.append(" > "); out.append(mac: eth.destination); out.append(", ")
            let outerType = eth.tags.isEmpty ? eth.etherType : eth.tags[0].tpid
            writeEtherType(outerType, out)
            out.append(", length "); out.append(int: p.wireLength); out.append(": ")
            for (i, tag) in eth.tags.enumerated() {
                out.append("vlan "); out.append(int: tag.id); out.append(", p "); out.append(int: tag.priority)
                if tag.dropEligible { out.append(", DEI") }
                out.append(", ")
                writeEtherType(i + 1 < eth.tags.count ? eth.tags[i + 1].tpid : eth.etherType, out)
                out.append(", ")
            }
            return true
        }
        if let sll = p.linuxSLL {
            if sll.version == 2 { writeInterface(sll, out); out.append("ifindex "); out.append(int: sll.interfaceIndex); out.append(" ") }
            else {
                let name = Self.packetTypeName(sll.packetType)
                for _ in name.utf8CodeUnitCount..<3 { out.append(" ") }
                out.append(name); out.append(" ")
            }
            let n = min(Int(sll.addressLength), 8)
            for i in 0..<n {
                if i > 0 { out.append(":") }
                out.appendHexByte(UInt8(truncatingIfNeeded: sll.address >> UInt64(8 * (7 - i))))
            }
            out.append(" ")
            writeEtherType(sll.protocolType, out)
            out.append(", length "); out.append(int: p.wireLength); out.append(": ")
            return true
        }
        if let lo = p.loopback {
            out.append("AF ")
            switch lo.family {
            case 2: out.append("IPv4")
            case 24, 28, 30: out.append("IPv6")
            default: out.append("Unknown")
            }
            out.append(" ("); out.append(int: lo.family); out.append("), length "); out.append(int: p.wireLength); out.append(": ")
            return true
        }
        if p.linkType == .rawIP || p.linkType == .ipv4 || p.linkType == .ipv6 {
            out.append("ip: ")
            return true
        }
        return false
    }

    func writeEtherType(_ t: UInt16, _ out: OutputBuffer) {
        out.append("ethertype ")
        if let name = Self.tcpdumpEtherTypeName(t) { out.append(name) } else { out.append("Unknown") }
        out.append(" (0x"); appendHex16(t, out); out.append(")")
    }

    private static func packetTypeName(_ t: UInt16) -> StaticString {
        switch t { case 0: "In"; case 1: "B"; case 2: "M"; case 3: "P"; case 4: "Out"; default: "?" }
    }

    /// `lo    In  ` (print-sll.c: `%-5s %-3s `; the name from this host's if_indextoname).
    private func writeInterface(_ sll: LinuxSLLHeader, _ out: OutputBuffer) {
        let name = clock.interfaceName(sll.interfaceIndex)
        out.append(name)
        for _ in name.utf8.count..<5 { out.append(" ") }
        out.append(" ")
        let dir = Self.packetTypeName(sll.packetType)
        out.append(dir)
        for _ in dir.utf8CodeUnitCount..<3 { out.append(" ") }
        out.append(" ")
    }

    func writeEndpoints(_ src: IPAddress, _ dst: IPAddress, _ p: DecodedPacket, _ b: UnsafeRawBufferPointer,
                                _ f: FrameBytes, _ out: OutputBuffer) {
        if let tcp = p.tcp {
            out.append(address: src); out.append("."); out.append(int: tcp.sourcePort)
            out.append(" > ")
            out.append(address: dst); out.append("."); out.append(int: tcp.destinationPort)
            out.append(": Flags ["); out.append(tcp.flags.tcpdumpString); out.append("]")
            if options.verbose > 0 { writeVerboseTCPChecksum(tcp, p, f, out) }
            let frame = f
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
            if options.verbose > 0, f.contains(.rst), tcp.payloadLength > 0 { writeRSTData(tcp, p, frame, out) }
            writeChecksum("tcp", tcp.checksumStatus, tcp.checksum, out)
        } else if let udp = p.udp {
            out.append(address: src); out.append("."); out.append(int: udp.sourcePort)
            out.append(" > ")
            out.append(address: dst); out.append("."); out.append(int: udp.destinationPort)
            out.append(": ")
            if options.verbose > 0 { writeVerboseUDPChecksum(udp, p, f, out) }
            // A first fragment: tcpdump gives the datagram's length from the UDP header.
            let length = p.isFragment && udp.length >= 8 ? Int(udp.length) - UDPHeader.length : udp.payloadLength
            out.append("UDP, length "); out.append(int: length)
            writeChecksum("udp", udp.checksumStatus, udp.checksum, out)
        } else if !p.isFragment || (p.ipv4?.fragmentOffsetUnits == 0 && p.ipv6 == nil), Self.noDefectsAboveControl(p),
                  let (o, length) = upperLayer(p), let proto = p.ipProtocol,
                  proto == IPProtocol.icmp || proto == IPProtocol.icmpv6 || (proto == 2 && p.ipv4 != nil) {
            out.append(address: src); out.append(" > "); out.append(address: dst); out.append(": ")
            switch proto {
            case IPProtocol.icmp: writeICMP(f, o, length: length, out); writeVerboseICMPChecksum(p, f, o, length, out)
            case 2: writeIGMP(f, o, length: length, out); writeVerboseIGMPChecksum(f, o, length, out)
            default:
                if let v6 = p.ipv6 {
                    var at = v6.offset + IPv6Header.length
                    for h in v6.extensionHeaders {
                        if h == IPProtocol.hopByHop { out.append("HBH ") } else if h == IPProtocol.ipv6DestinationOptions { out.append("DSTOPT ") }
                        if options.verbose > 0, h == IPProtocol.hopByHop || h == IPProtocol.ipv6DestinationOptions { writeIPv6Options(f, at, out) }
                        guard let l = f.u8(at + 1) else { break }
                        at += h == IPProtocol.ipv6Fragment ? 8 : h == IPProtocol.authentication ? (Int(l) + 2) * 4 : (Int(l) + 1) * 8
                    }
                }
                writeICMPv6(p, f, o, length: length, out)
            }
        } else {
            out.append(address: src); out.append(" > "); out.append(address: dst); out.append(": ")
            if p.isFragment { out.append("fragment, ") }
            out.append("proto "); out.append(int: p.ipProtocol ?? 0)
            out.append(", length "); out.append(int: p.payloadLength)
        }
    }

    /// No defect stops the ICMP/ICMPv6/IGMP line: none at all, or only a zero UDP checksum over
    /// IPv6, which (the flat packet having no UDP header) belongs to a tunnel's delivery datagram.
    static func noDefectsAboveControl(_ p: DecodedPacket) -> Bool {
        if p.defects.isEmpty { return true }
        for d in p.defects where d != .udpZeroChecksumIPv6 || p.encapsulation.depth == 0 { return false }
        return true
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

    /// Offset and length (by the IP header) of the IP payload after IPv6 extension headers.
    func upperLayer(_ p: DecodedPacket) -> (Int, Int)? {
        if let v4 = p.ipv4 { return (v4.offset + v4.headerLength, max(0, v4.effectiveLength - v4.headerLength)) }
        if let v6 = p.ipv6 {
            let ext = v6.upperOffset - v6.offset - IPv6Header.length
            return (v6.upperOffset, max(0, v6.effectivePayloadLength - ext))
        }
        return nil
    }

    func appendHex16(_ v: UInt16, _ out: OutputBuffer) {
        out.appendHexByte(UInt8(v >> 8))
        out.appendHexByte(UInt8(v & 0xff))
    }

}
