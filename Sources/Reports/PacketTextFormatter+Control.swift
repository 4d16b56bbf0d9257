import PacketCodec

/// The control protocols in `sockeye packets` text: ICMP (RFC 792), ICMPv6 (RFC 4443, RFC 4861,
/// RFC 3810), IGMP (RFC 1112, RFC 2236, RFC 3376) and ARP (RFC 826), worded as tcpdump 4.99
/// prints them (print-icmp.c, print-icmp6.c, print-igmp.c, print-arp.c).
///
/// PacketCodec has no layer for these, so the few fields needed are read here from the frame.
/// Every read goes through `FrameBytes`, which checks the captured length first: a short or
/// lying packet gives tcpdump's ` [|icmp]`-style truncation mark, never a trap.
struct FrameBytes {
    let b: UnsafeRawBufferPointer
    /// One past the last captured byte (`min(buffer, caplen)`).
    let end: Int

    init(_ b: UnsafeRawBufferPointer, captureLength: Int) {
        self.b = b
        end = max(0, min(b.count, captureLength))
    }

    @inline(__always) func has(_ offset: Int, _ count: Int) -> Bool { offset >= 0 && count >= 0 && offset <= end - count }
    @inline(__always) func u8(_ o: Int) -> UInt8? { has(o, 1) ? b.u8(o) : nil }
    @inline(__always) func u16(_ o: Int) -> UInt16? { has(o, 2) ? b.u16(o) : nil }
    @inline(__always) func u32(_ o: Int) -> UInt32? { has(o, 4) ? b.u32(o) : nil }
    func ipv6(_ o: Int) -> IPAddress? {
        guard has(o, 16) else { return nil }
        let hi = UInt64(b.u32(o)) << 32 | UInt64(b.u32(o + 4))
        let lo = UInt64(b.u32(o + 8)) << 32 | UInt64(b.u32(o + 12))
        return IPAddress(ipv6High: hi, low: lo)
    }
    func mac(_ o: Int) -> MACAddress? {
        guard has(o, 6) else { return nil }
        return MACAddress(UInt64(b.u16(o)) << 32 | UInt64(b.u32(o + 2)))
    }
    func isZero(_ o: Int, _ n: Int) -> Bool {
        guard has(o, n) else { return true }
        for i in o..<(o + n) where b.u8(i) != 0 { return false }
        return true
    }
}

extension PacketTextFormatter {
    // MARK: ICMP (RFC 792; tcpdump print-icmp.c)

    /// `ICMP echo request, id 1, seq 1, length 64`. `o` is the ICMP header offset, `length`
    /// the ICMP message length by the IP header.
    func writeICMP(_ f: FrameBytes, _ o: Int, length: Int, _ out: OutputBuffer) {
        guard let type = f.u8(o), let code = f.u8(o + 1) else { out.append("ICMP [|icmp]"); return }
        out.append("ICMP ")
        let quoted = o + 8                                   // the offending datagram's IP header
        let quotedDst = f.u32(quoted + 16).map { IPAddress(ipv4: $0) }
        func trunc() { out.append(" [|icmp]") }
        switch type {
        case 0, 8:
            guard let id = f.u16(o + 4), let seq = f.u16(o + 6) else { out.append(type == 8 ? "echo request" : "echo reply"); trunc(); return }
            out.append(type == 8 ? "echo request, id " : "echo reply, id "); out.append(int: id)
            out.append(", seq "); out.append(int: seq)
        case 3:
            guard let dst = quotedDst else { out.append("unreachable"); trunc(); return }
            switch code {
            case 2:
                out.append(address: dst); out.append(" protocol "); out.append(int: f.u8(quoted + 9) ?? 0); out.append(" unreachable")
            case 3:
                let hl = Int((f.u8(quoted) ?? 0x45) & 0x0f) * 4
                guard let proto = f.u8(quoted + 9), let port = f.u16(quoted + hl + 2) else {
                    out.append(address: dst); out.append(" port unreachable"); trunc(); return
                }
                out.append(address: dst)
                switch proto {
                case IPProtocol.tcp: out.append(" tcp port "); out.append(int: port)
                case IPProtocol.udp: out.append(" udp port "); out.append(int: port)
                default: out.append(" protocol "); out.append(int: proto); out.append(" port "); out.append(int: port)
                }
                out.append(" unreachable")
            case 4:
                out.append(address: dst); out.append(" unreachable - need to frag")
                if let mtu = f.u16(o + 6), mtu != 0 { out.append(" (mtu "); out.append(int: mtu); out.append(")") }
            default:
                let (pre, post): (StaticString, StaticString)
                switch code {
                case 0: (pre, post) = ("net ", " unreachable")
                case 1: (pre, post) = ("host ", " unreachable")
                case 5: (pre, post) = ("", " unreachable - source route failed")
                case 6: (pre, post) = ("net ", " unreachable - unknown")
                case 7: (pre, post) = ("host ", " unreachable - unknown")
                case 8: (pre, post) = ("", " unreachable - source host isolated")
                case 9: (pre, post) = ("net ", " unreachable - admin prohibited")
                case 10: (pre, post) = ("host ", " unreachable - admin prohibited")
                case 11: (pre, post) = ("net ", " unreachable - tos prohibited")
                case 12: (pre, post) = ("host ", " unreachable - tos prohibited")
                case 13: (pre, post) = ("host ", " unreachable - admin prohibited filter")
                case 14: (pre, post) = ("host ", " unreachable - host precedence violation")
                case 15: (pre, post) = ("host ", " unreachable - precedence cutoff")
                default:
                    out.append("#"); out.append(int: code); out.append(" "); out.append(address: dst); out.append(" unreachable")
                    out.append(", length "); out.append(int: length)
                    return
                }
                out.append(pre); out.append(address: dst); out.append(post)
            }
        case 5:
            guard let dst = quotedDst, let gw = f.u32(o + 4) else { out.append("redirect"); trunc(); return }
            switch code {
            case 0: out.append("redirect ")
            case 1: out.append("redirect ")
            case 2, 3: out.append("redirect-tos ")
            default: out.append("redirect-#"); out.append(int: code); out.append(" ")
            }
            out.append(address: dst)
            out.append(code == 1 || code == 3 ? " to host " : " to net ")
            out.append(address: IPAddress(ipv4: gw))
        case 11:
            switch code {
            case 0: out.append("time exceeded in-transit")
            case 1: out.append("ip reassembly time exceeded")
            default: out.append("time exceeded-#"); out.append(int: code)
            }
        case 12:
            if code != 0 { out.append("parameter problem - code "); out.append(int: code) } else {
                guard let pointer = f.u8(o + 4) else { out.append("parameter problem"); trunc(); return }
                out.append("parameter problem - octet "); out.append(int: pointer)
            }
        case 13:
            guard let id = f.u16(o + 4), let seq = f.u16(o + 6) else { out.append("time stamp query"); trunc(); return }
            out.append("time stamp query id "); out.append(int: id); out.append(" seq "); out.append(int: seq)
        case 14:
            guard let id = f.u16(o + 4), let seq = f.u16(o + 6), let org = f.u32(o + 8), let recv = f.u32(o + 12),
                  let xmit = f.u32(o + 16) else { out.append("time stamp reply"); trunc(); return }
            out.append("time stamp reply id "); out.append(int: id); out.append(" seq "); out.append(int: seq)
            out.append(": org "); writeMillisecondsOfDay(org, out)
            out.append(", recv "); writeMillisecondsOfDay(recv, out)
            out.append(", xmit "); writeMillisecondsOfDay(xmit, out)
        case 18:
            guard let mask = f.u32(o + 8) else { out.append("address mask reply"); trunc(); return }
            out.append("address mask is 0x"); appendHex16(UInt16(mask >> 16), out); appendHex16(UInt16(mask & 0xffff), out)
        case 4: out.append("source quench")
        case 10: out.append("router solicitation")
        case 15: out.append("information request")
        case 16: out.append("information reply")
        case 17: out.append("address mask request")
        case 9: out.append("router advertisement")
        default: out.append("type-#"); out.append(int: type)
        }
        out.append(", length "); out.append(int: length)
    }

    /// RFC 792 timestamps: milliseconds since midnight UT, as tcpdump prints them (`00:00:01.000`).
    private func writeMillisecondsOfDay(_ ms: UInt32, _ out: OutputBuffer) {
        let s = ms / 1000
        out.append(twoDigits: Int(s / 3600 % 24)); out.append(":")
        out.append(twoDigits: Int(s / 60 % 60)); out.append(":")
        out.append(twoDigits: Int(s % 60)); out.append(".")
        let frac = Int(ms % 1000)
        out.append(twoDigits: frac / 10); out.append(int: frac % 10)
    }

    // MARK: ICMPv6 (RFC 4443, RFC 4861; tcpdump print-icmp6.c)

    /// `ICMP6, echo request, id 7, seq 1, length 64` (the length only without -v, as tcpdump).
    func writeICMPv6(_ p: DecodedPacket, _ f: FrameBytes, _ o: Int, length: Int, _ out: OutputBuffer) {
        guard let type = f.u8(o), let code = f.u8(o + 1) else { out.append("ICMP6 [|icmp6]"); return }
        writeVerboseICMPv6Checksum(p, f, o, length, out)
        if length == 0 { out.append("ICMP6, length 0"); return }
        out.append("ICMP6, ")
        let quoted = o + 8                                     // offending packet's IPv6 header
        let verbose = options.verbose > 0
        func trunc() { out.append(" [|icmp6]") }
        func v6(_ at: Int) -> Bool {
            guard let a = f.ipv6(at) else { trunc(); return false }
            out.append(address: a); return true
        }
        switch type {
        case 1:
            switch code {
            case 0: out.append("destination unreachable, unreachable route ")
            case 1: out.append("destination unreachable,  unreachable prohibited ")
            case 2: out.append("destination unreachable, beyond scope ")
            case 3: out.append("destination unreachable, unreachable address ")
            case 4: out.append("destination unreachable, unreachable port")
            default:
                out.append("destination unreachable, unknown unreach code ("); out.append(int: code); out.append(")")
                if !verbose { return }   // tcpdump prints a hex dump instead of the length
            }
            switch code {
            case 0, 1, 3: guard v6(quoted + 24) else { return }
            case 2:
                guard v6(quoted + 24) else { return }
                out.append(", source address "); guard v6(quoted + 8) else { return }
            case 4:
                guard let (proto, portOffset) = quotedUpperLayer(f, quoted), let port = f.u16(portOffset + 2),
                      let dst = f.ipv6(quoted + 24) else { trunc(); return }
                out.append(", "); out.append(address: dst)
                switch proto {
                case IPProtocol.tcp: out.append(" tcp port "); out.append(int: port)
                case IPProtocol.udp: out.append(" udp port "); out.append(int: port)
                default: out.append(" protocol "); out.append(int: proto); out.append(" port "); out.append(int: port); out.append(" unreachable")
                }
            default: break
            }
        case 2:
            guard let mtu = f.u32(o + 4) else { out.append("packet too big"); trunc(); return }
            out.append("packet too big, mtu "); out.append(int: mtu)
        case 3:
            out.append("time exceeded")
            switch code {
            case 0: out.append(" in-transit for "); guard v6(quoted + 24) else { return }
            case 1: out.append(" (reassembly)")
            default: out.append(", unknown code ("); out.append(int: code); out.append(")")
            }
        case 4:
            out.append("parameter problem")
            guard f.has(quoted + 24, 16), let pointer = f.u32(o + 4) else { trunc(); return }
            switch code {
            case 0: out.append(", erroneous - octet ")
            case 1: out.append(", next header - octet ")
            case 2: out.append(", option - octet ")
            case 3: out.append(", incomplete header chain - octet ")
            default: out.append(", code-#"); out.append(int: code)
            }
            if code <= 3 { out.append(int: pointer) }
        case 128, 129:
            out.append(type == 128 ? "echo request" : "echo reply")
            guard let id = f.u16(o + 4), let seq = f.u16(o + 6) else { trunc(); return }
            out.append(", id "); out.append(int: id); out.append(", seq "); out.append(int: seq)
        case 130, 131, 132:
            out.append(type == 130 ? "multicast listener query" : type == 131 ? "multicast listener report" : "multicast listener done")
            if type == 130 && length >= 28 { out.append(" v2") } else if type != 130 || length == 24 {
                if let delay = f.u16(o + 4), let group = f.ipv6(o + 8) {
                    out.append("max resp delay: "); out.append(int: delay); out.append(" addr: "); out.append(address: group)
                }
            } else { out.append(" unknown-version (len "); out.append(int: length); out.append(") ") }
        case 133:
            out.append("router solicitation")
            if verbose { writeLength(length, out) }
        case 134:
            out.append("router advertisement")
            if verbose { writeLength(length, out) }
        case 135:
            out.append("neighbor solicitation")
            if verbose { writeLength(length, out) }
            out.append(", who has "); guard v6(o + 8) else { return }
        case 136:
            out.append("neighbor advertisement")
            if verbose { writeLength(length, out) }
            out.append(", tgt is "); guard v6(o + 8) else { return }
            if verbose, let flags = f.u8(o + 4) {
                // RFC 4861 §4.4 R, S, O bits, in tcpdump's icmp6_nd_na_flag_values order.
                out.append(", Flags [")
                var any = false
                for (bit, name) in [(UInt8(0x80), "router"), (0x40, "solicited"), (0x20, "override")] where flags & bit != 0 {
                    if any { out.append(", ") }
                    out.append(name); any = true
                }
                if !any { out.append("none") }
                out.append("]")
            }
        case 137:
            out.append("redirect")
            if verbose { writeLength(length, out) }
            out.append(", "); guard v6(o + 24) else { return }
            out.append(" to "); guard v6(o + 8) else { return }
        case 143:
            out.append("multicast listener report v2")
            if length < 8 { out.append(" [invalid len "); out.append(int: length); out.append("]") } else {
                guard let groups = f.u16(o + 6) else { trunc(); return }
                out.append(", "); out.append(int: groups); out.append(" group record(s)")
                if verbose { writeGroupRecords(f, o, length: length, count: Int(groups), addressLength: 16, out) }
            }
        default:
            if let name = Self.icmpv6Name(type) { out.append(name) } else {
                out.append("unknown icmp6 type ("); out.append(int: type); out.append(")")
            }
            writeLength(length, out)   // tcpdump prints the length (and a hex dump) even with -v
            return
        }
        if !verbose { writeLength(length, out) }
    }

    private func writeLength(_ length: Int, _ out: OutputBuffer) {
        out.append(", length "); out.append(int: length)
    }

    private static func icmpv6Name(_ type: UInt8) -> StaticString? {
        switch type {
        case 138: "router renumbering"
        case 139: "node information query"
        case 140: "node information reply"
        case 141: "inverse neighbor solicitation"
        case 142: "inverse neighbor advertisement"
        case 144: "ha discovery request"
        case 145: "ha discovery reply"
        case 146: "mobile router solicitation"
        case 147: "mobile router advertisement"
        case 155: "RPL"
        case 200: "mtrace response"
        case 201: "mtrace message"
        default: nil
        }
    }

    /// The quoted packet's upper-layer protocol and header offset, walking hop-by-hop,
    /// routing, destination-options, fragment (offset 0 only) and AH headers as tcpdump's
    /// `get_upperlayer` does; nil when cut short. At most 8 extension headers are walked.
    private func quotedUpperLayer(_ f: FrameBytes, _ ip6: Int) -> (UInt8, Int)? {
        guard var next = f.u8(ip6 + 6) else { return nil }
        var at = ip6 + IPv6Header.length
        for _ in 0..<IPv6Header.maxExtensionHeaders {
            switch next {
            case IPProtocol.tcp, IPProtocol.udp:
                return f.has(at, 4) ? (next, at) : nil
            case IPProtocol.hopByHop, IPProtocol.ipv6Routing, IPProtocol.ipv6DestinationOptions:
                guard let n = f.u8(at), let l = f.u8(at + 1) else { return nil }
                next = n; at += (Int(l) + 1) * 8
            case IPProtocol.ipv6Fragment:
                guard let n = f.u8(at), let off = f.u16(at + 2), off & 0xfff8 == 0 else { return nil }
                next = n; at += 8
            case IPProtocol.authentication:
                guard let n = f.u8(at), let l = f.u8(at + 1) else { return nil }
                next = n; at += (Int(l) + 2) * 4
            default:
                return nil
            }
        }
        return nil
    }

    // MARK: IGMP (RFC 2236, RFC 3376; tcpdump print-igmp.c)

    /// `igmp v2 report 239.1.1.1`, `igmp query v3`, … (tcpdump prints no length).
    func writeIGMP(_ f: FrameBytes, _ o: Int, length: Int, _ out: OutputBuffer) {
        guard let type = f.u8(o) else { out.append("igmp [|igmp]"); return }
        let group = f.u32(o + 4).map { IPAddress(ipv4: $0) }
        func gaddr() -> Bool { if let g = group { out.append(address: g); return true }; out.append(" [|igmp]"); return false }
        switch type {
        case 0x11:
            out.append("igmp query")
            if length >= 12 {
                out.append(" v3")
                guard let mrc = f.u8(o + 1), let g = f.u32(o + 4), let sources = f.u16(o + 10) else { out.append(" [|igmp]"); return }
                let mrt = mrc < 128 ? Int(mrc) : (Int(mrc & 0x0f) | 0x10) << (Int((mrc & 0x70) >> 4) + 3)
                if mrc != 100 {
                    out.append(" [max resp time ")
                    if mrt < 600 { out.append(int: mrt / 10); out.append("."); out.append(int: mrt % 10); out.append("s") }
                    else { writeRelativeTime(mrt / 10, out) }
                    out.append("]")
                }
                if g == 0 { return }
                out.append(" [gaddr "); out.append(address: IPAddress(ipv4: g))
                if sources > 0 {
                    if length < 12 + Int(sources) * 4 { out.append(" [invalid number of sources]") }
                    else { out.append(", "); out.append(int: sources); out.append(" source(s)") }
                }
                out.append("]")
            } else {
                guard let mrc = f.u8(o + 1) else { out.append(" [|igmp]"); return }
                if mrc != 0 {
                    out.append(" v2")
                    if mrc != 100 { out.append(" [max resp time "); out.append(int: mrc); out.append("]") }
                } else { out.append(" v1") }
                if let g = f.u32(o + 4), g != 0 { out.append(" [gaddr "); out.append(address: IPAddress(ipv4: g)); out.append("]") }
                if length != 8 { out.append(" [len "); out.append(int: length); out.append("]") }
            }
        case 0x12: out.append("igmp v1 report "); _ = gaddr()
        case 0x16: out.append("igmp v2 report "); _ = gaddr()
        case 0x17: out.append("igmp leave "); _ = gaddr()
        case 0x22:
            out.append("igmp v3 report")
            guard let records = f.u16(o + 6) else { out.append(" [|igmp]"); return }
            out.append(", "); out.append(int: records); out.append(" group record(s)")
            if options.verbose > 0 { writeGroupRecords(f, o, length: length, count: Int(records), addressLength: 4, out) }
        case 0x13: out.append("igmp dvmrp")
        case 0x14: out.append("igmp pimv1")
        case 0x1e: out.append("igmp mtrace-resp")
        case 0x1f: out.append("igmp mtrace")
        default: out.append("igmp-"); out.append(int: type)
        }
    }

    /// With -v, the group records of an IGMPv3 report (RFC 3376 §4.2.4) or an MLDv2 report
    /// (RFC 3810 §5.2.4), as tcpdump's `print_igmpv3_report` / `mldv2_report_print`:
    /// ` [gaddr 239.1.1.1 to_ex, 0 source(s)]` per record.
    func writeGroupRecords(_ f: FrameBytes, _ o: Int, length: Int, count: Int, addressLength: Int, _ out: OutputBuffer) {
        var group = 8
        for _ in 0..<count {
            if length < group + 4 + addressLength { out.append(" [invalid number of groups]"); return }
            guard let type = f.u8(o + group), let sources = f.u16(o + group + 2) else { out.append(addressLength == 4 ? " [|igmp]" : " [|icmp6]"); return }
            out.append(" [gaddr ")
            if addressLength == 4 {
                guard let g = f.u32(o + group + 4) else { out.append(" [|igmp]"); return }
                out.append(address: IPAddress(ipv4: g))
            } else {
                guard let g = f.ipv6(o + group + 4) else { out.append(" [|icmp6]"); return }
                out.append(address: g)
            }
            out.append(" ")
            switch type {
            case 1: out.append("is_in")
            case 2: out.append("is_ex")
            case 3: out.append("to_in")
            case 4: out.append("to_ex")
            case 5: out.append("allow")
            case 6: out.append("block")
            default: out.append(addressLength == 4 ? " [v3-report-#" : " [v2-report-#"); out.append(int: type); out.append("]")
            }
            let end = group + 4 + addressLength + Int(sources) * addressLength
            if length < end { out.append(" [invalid number of sources "); out.append(int: sources); out.append("]"); return }
            out.append(", "); out.append(int: sources); out.append(" source(s)]")
            group = end
        }
    }

    /// tcpdump's `unsigned_relts_print`: `1m40s`, `2h`, …
    private func writeRelativeTime(_ seconds: Int, _ out: OutputBuffer) {
        if seconds == 0 { out.append("0s"); return }
        var rest = seconds
        let units: [(Int, StaticString)] = [(31_536_000, "y"), (604_800, "w"), (86_400, "d"), (3600, "h"), (60, "m"), (1, "s")]
        for (size, name) in units where rest >= size {
            out.append(int: rest / size); out.append(name); rest %= size
        }
    }

    // MARK: ARP (RFC 826; tcpdump print-arp.c)

    /// `Request who-has 10.0.0.2 tell 10.0.0.1, length 46` (tcpdump prefixes `ARP, ` without -e).
    /// `length` is the frame length after the link header (it includes Ethernet padding).
    func writeARP(_ f: FrameBytes, _ o: Int, length: Int, _ out: OutputBuffer) {
        guard let hrd = f.u16(o), let pro = f.u16(o + 2), let hln = f.u8(o + 4), let pln = f.u8(o + 5),
              let op = f.u16(o + 6) else { out.append("[|ARP]"); return }
        if options.verbose > 0, hrd == 1 || hrd == 6, pro == EtherType.ipv4 {
            // print-arp.c with -v: hardware and protocol names with their address lengths.
            out.append(hrd == 1 ? "Ethernet (len " : "TokenRing (len "); out.append(int: hln)
            out.append("), IPv4 (len "); out.append(int: pln); out.append("), ")
        }
        guard hrd == 1 || hrd == 6, pro == EtherType.ipv4, hln == 6, pln == 4 else {
            // Not Ethernet/IPv4: tcpdump names the hardware and protocol; Sockeye gives the numbers.
            out.append("hardware "); out.append(int: hrd); out.append(", protocol 0x")
            appendHex16(pro, out); out.append(", length "); out.append(int: length)
            return
        }
        let sha = o + 8, spa = o + 14, tha = o + 18, tpa = o + 24
        guard f.has(o, 28), let sender = f.u32(spa), let target = f.u32(tpa), let sMAC = f.mac(sha), let tMAC = f.mac(tha) else {
            out.append("[|ARP]"); return
        }
        switch op {
        case 1:
            out.append("Request who-has "); out.append(address: IPAddress(ipv4: target))
            if !f.isZero(tha, 6) { out.append(" ("); out.append(mac: tMAC); out.append(")") }
            out.append(" tell "); out.append(address: IPAddress(ipv4: sender))
        case 2:
            out.append("Reply "); out.append(address: IPAddress(ipv4: sender)); out.append(" is-at "); out.append(mac: sMAC)
        case 3:
            out.append("Reverse Request who-is "); out.append(mac: tMAC); out.append(" tell "); out.append(mac: sMAC)
        case 4:
            out.append("Reverse Reply "); out.append(mac: tMAC); out.append(" at "); out.append(address: IPAddress(ipv4: target))
        case 8:
            out.append("Inverse Request who-is "); out.append(mac: tMAC); out.append(" tell "); out.append(mac: sMAC)
        case 9:
            out.append("Inverse Reply "); out.append(mac: sMAC); out.append(" at "); out.append(address: IPAddress(ipv4: sender))
        default:
            out.append("Unknown ("); out.append(int: op); out.append(")")
        }
        out.append(", length "); out.append(int: length)
    }
}
