import PacketCodec

/// `sockeye packets -v`: the header fields and checksum verdicts tcpdump 4.99 adds with `-v`
/// (print-ip.c `ip_print`, print-ip6.c `ip6_print`, print-tcp.c, print-udp.c, print-icmp6.c,
/// print-ip6opts.c), worded and laid out as tcpdump prints them:
///
/// ```
/// 20:54:43.227087 IP (tos 0x0, ttl 64, id 35003, offset 0, flags [DF], proto TCP (6), length 60)
///     10.77.0.1.52726 > 10.77.0.2.7777: Flags [S], cksum 0x17cc (correct), seq 848371998, …
/// 20:55:44.108222 IP6 (flowlabel 0xfccd6, hlim 64, next-header TCP (6) payload length: 40) fd77::1.33088 > …
/// ```
///
/// The checksums are computed here from the frame (RFC 1071 sums via `InternetChecksum`), as
/// tcpdump does, whatever verdict the decoder gave: tcpdump calls an offload partial sum
/// `incorrect` and so does this text; Sockeye's own `[partial … (offload)]` note still follows
/// at the end of the line. With `--no-checksums` nothing is computed (tcpdump's `-K`).
/// Every read goes through `FrameBytes`, so a short or lying packet never traps.
extension PacketTextFormatter {
    /// tcpdump's `ipproto_values` (ipproto.c, 4.99), the names `-v` prints for an IP protocol.
    static func ipProtocolName(_ p: UInt8) -> StaticString {
        switch p {
        case 0: "Options"
        case 1: "ICMP"
        case 2: "IGMP"
        case 4: "IPIP"
        case 6: "TCP"
        case 8: "EGP"
        case 9: "IGRP"
        case 17: "UDP"
        case 33: "DCCP"
        case 41: "IPv6"
        case 43: "Routing"
        case 44: "Fragment"
        case 46: "RSVP"
        case 47: "GRE"
        case 50: "ESP"
        case 51: "AH"
        case 55: "Mobile IP"
        case 58: "ICMPv6"
        case 88: "EIGRP"
        case 89: "OSPF"
        case 103: "PIM"
        case 108: "Compressed IP"
        case 112: "VRRP"
        case 113: "PGM"
        case 132: "SCTP"
        case 135: "Mobility"
        case 143: "Ethernet"
        default: "unknown"
        }
    }

    /// Unpadded lower-case hex (`%x`).
    func appendHex(_ v: UInt32, _ out: OutputBuffer) {
        var shift = 28
        while shift > 0 && (v >> UInt32(shift)) & 0xf == 0 { shift -= 4 }
        while shift >= 0 {
            let d = UInt8((v >> UInt32(shift)) & 0xf)
            out.append(byte: d < 10 ? 0x30 + d : 0x57 + d)
            shift -= 4
        }
    }

    /// Zero-padded lower-case hex of `digits` digits (`%0Nx`), for values that fit.
    func appendHex(_ v: UInt32, digits: Int, _ out: OutputBuffer) {
        var shift = 4 * (digits - 1)
        while shift >= 0 {
            let d = UInt8((v >> UInt32(shift)) & 0xf)
            out.append(byte: d < 10 ? 0x30 + d : 0x57 + d)
            shift -= 4
        }
    }

    /// Folded ones'-complement sum (RFC 1071) of captured bytes `o..<o+n`; nil when not all
    /// of them were captured.
    func sum(_ f: FrameBytes, _ o: Int, _ n: Int) -> UInt16? {
        guard f.has(o, n) else { return nil }
        return InternetChecksum.sum(UnsafeRawBufferPointer(rebasing: f.b[o..<(o + n)]))
    }

    /// tcpdump's `in_cksum_shouldbe(field, ~total)`: the value the field should hold, given
    /// the folded sum of everything it covers *including* the field.
    func shouldBe(field: UInt16, total: UInt16) -> UInt16 {
        var s = UInt32(field) + UInt32(~total)
        s = (s & 0xffff) + (s >> 16)
        s = (s & 0xffff) + (s >> 16)
        return UInt16(truncatingIfNeeded: s)
    }

    // MARK: IPv4 (RFC 791; print-ip.c)

    /// `(tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 60)` and the
    /// newline + 4 spaces tcpdump puts before the transport part. Returns false when an option
    /// was cut by the snapshot length: tcpdump then ends the packet with `src > dst:  [|ip]`,
    /// which this writes too.
    func writeVerboseIPv4(_ ip: IPv4Header, _ f: FrameBytes, _ out: OutputBuffer) -> Bool {
        out.append("(tos 0x"); appendHex(UInt32(ip.tos), out)
        switch ip.tos & 3 {
        case 1: out.append(",ECT(1)")
        case 2: out.append(",ECT(0)")
        case 3: out.append(",CE")
        default: break
        }
        if ip.ttl >= 1 { out.append(", ttl "); out.append(int: ip.ttl) }
        out.append(", id "); out.append(int: ip.identification)
        out.append(", offset "); out.append(int: ip.fragmentOffset)
        out.append(", flags [")
        var any = false
        for (set, name) in [(ip.moreFragments, "+"), (ip.dontFragment, "DF"), (ip.reservedFlag, "rsvd")] where set {
            if any { out.append(", ") }
            out.append(name); any = true
        }
        if !any { out.append("none") }
        out.append("], proto "); out.append(Self.ipProtocolName(ip.protocol))
        out.append(" ("); out.append(int: ip.protocol); out.append(")")
        out.append(", length "); out.append(int: ip.totalLength)
        var truncated = false
        if ip.headerLength > IPv4Header.minimumLength {
            out.append(", options (")
            if !writeIPv4Options(f, ip.offset + IPv4Header.minimumLength, ip.optionsLength, out) {
                out.append(" [truncated-option]"); truncated = true
            }
            out.append(")")
        }
        if options.verifyChecksums, let s = sum(f, ip.offset, ip.headerLength), s != 0xffff {
            out.append(", bad cksum "); appendHex(UInt32(ip.checksum), out)
            out.append(" (->"); appendHex(UInt32(shouldBe(field: ip.checksum, total: s)), out); out.append(")!")
        }
        out.append(")\n    ")
        if truncated {
            out.append(address: ip.sourceAddress); out.append(" > "); out.append(address: ip.destinationAddress)
            out.append(":  [|ip]")
        }
        return !truncated
    }

    /// tcpdump's `ip_optprint`: `NOP,RR 10.0.0.1, 0.0.0.0,EOL`; false when cut short.
    private func writeIPv4Options(_ f: FrameBytes, _ start: Int, _ total: Int, _ out: OutputBuffer) -> Bool {
        var o = start, length = total
        var first = true
        while length > 0 {
            if !first { out.append(",") }
            first = false
            guard let code = f.u8(o) else { return false }
            switch code {
            case 0: out.append("EOL")
            case 1: out.append("NOP")
            case 68: out.append("timestamp")
            case 130: out.append("security")
            case 7: out.append("RR")
            case 137: out.append("SSRR")
            case 131: out.append("LSRR")
            case 148: out.append("RA")
            case 82: out.append("traceroute")
            default: out.append("unknown "); out.append(int: code)
            }
            var optionLength = 1
            if code > 1 {
                guard let l = f.u8(o + 1) else { return false }
                optionLength = Int(l)
                if optionLength < 2 { out.append(" [bad length "); out.append(int: optionLength); out.append("]"); return true }
            }
            if optionLength > length { out.append(" [bad length "); out.append(int: optionLength); out.append("]"); return true }
            guard f.has(o, optionLength) else { return false }
            switch code {
            case 0: return true
            case 68: guard writeIPv4Timestamp(f, o, optionLength, out) else { return false }
            case 7, 131, 137: guard writeIPv4Route(f, o, optionLength, out) else { return false }
            case 148:
                if optionLength < 4 { out.append(" [bad length "); out.append(int: optionLength); out.append("]") }
                else if let v = f.u16(o + 2), v != 0 { out.append(" value "); out.append(int: v) }
            default: break
            }
            o += optionLength; length -= optionLength
        }
        return true
    }

    /// tcpdump's `ip_printroute` (RR, LSRR, SSRR: RFC 791 §3.1).
    private func writeIPv4Route(_ f: FrameBytes, _ o: Int, _ length: Int, _ out: OutputBuffer) -> Bool {
        if length < 3 { out.append(" [bad length "); out.append(int: length); out.append("]"); return true }
        if (length + 1) & 3 != 0 { out.append(" [bad length "); out.append(int: length); out.append("]") }
        let pointer = f.u8(o + 2) ?? 0
        let ptr = UInt32(pointer) &- 1
        if ptr < 3 || (ptr &+ 1) & 3 != 0 || ptr > UInt32(length + 1) {
            out.append(" [bad ptr "); out.append(int: pointer); out.append("]")
        }
        var at = 3
        while at < length {
            guard let a = f.u32(o + at) else { return false }
            out.append(" "); out.append(address: IPAddress(ipv4: a))
            if ptr > UInt32(at) { out.append(",") }
            at += 4
        }
        return true
    }

    /// tcpdump's `ip_printts` (Internet Timestamp, RFC 791 §3.1).
    private func writeIPv4Timestamp(_ f: FrameBytes, _ o: Int, _ length: Int, _ out: OutputBuffer) -> Bool {
        if length < 4 { out.append("[bad length "); out.append(int: length); out.append("]"); return true }
        out.append(" TS{")
        let flag = (f.u8(o + 3) ?? 0) & 0xf
        let hop: UInt32 = flag != 0 ? 8 : 4
        if UInt32(length - 4) & (hop - 1) != 0 { out.append("[bad length "); out.append(int: length); out.append("]") }
        let pointer = f.u8(o + 2) ?? 0
        let ptr = UInt32(pointer) &- 1
        var at: UInt32 = 0
        if ptr < 4 || (ptr &- 4) & (hop - 1) != 0 || ptr > UInt32(length + 1) {
            out.append("[bad ptr "); out.append(int: pointer); out.append("]")
        }
        var known = true
        switch flag {
        case 0: out.append("TSONLY")
        case 1: out.append("TS+ADDR")
        case 3: out.append("PRESPEC")
        default: out.append("[bad ts type "); out.append(int: flag); out.append("]"); known = false
        }
        if known {
            var sep: StaticString = " "
            at = 4
            while at < UInt32(length) {
                if ptr == at { sep = " ^ " }
                let base = o + Int(at)
                guard f.has(base, Int(hop)), let stamp = f.u32(base + Int(hop) - 4) else { return false }
                out.append(sep); out.append(int: stamp); out.append("@")
                if hop == 8, let a = f.u32(base) { out.append(address: IPAddress(ipv4: a)) }
                sep = " "
                at += hop
            }
        }
        if ptr == at { out.append(" ^ ") }
        let overflow = (f.u8(o + 3) ?? 0) >> 4
        if overflow != 0 { out.append(" ["); out.append(int: overflow); out.append(" hops not recorded]} ") } else { out.append("}") }
        return true
    }

    /// The destination the IPv4 pseudo-header uses: the last address of a source route
    /// (LSRR/SSRR) when present, as tcpdump's `ip_finddst`; else the header's destination.
    private func pseudoDestination(_ ip: IPv4Header, _ f: FrameBytes) -> UInt32 {
        var o = ip.offset + IPv4Header.minimumLength
        var length = ip.optionsLength
        while length > 0 {
            guard let t = f.u8(o) else { break }
            if t == 0 { break }
            var l = 1
            if t != 1 {
                guard let n = f.u8(o + 1), n >= 2 else { break }
                l = Int(n)
            }
            if length < l || !f.has(o, l) { break }
            if (t == 131 || t == 137) && l >= 7, let a = f.u32(o + l - 4) { return a }
            o += l; length -= l
        }
        return ip.destination
    }

    // MARK: IPv6 (RFC 8200; print-ip6.c)

    /// `(class 0x10, flowlabel 0xfccd6, hlim 64, next-header TCP (6) payload length: 40) `.
    func writeVerboseIPv6(_ ip: IPv6Header, _ out: OutputBuffer) {
        out.append("(")
        if ip.trafficClass != 0 { out.append("class 0x"); appendHex(UInt32(ip.trafficClass), digits: 2, out); out.append(", ") }
        if ip.flowLabel & 0xfffff != 0 { out.append("flowlabel 0x"); appendHex(ip.flowLabel & 0xfffff, digits: 5, out); out.append(", ") }
        out.append("hlim "); out.append(int: ip.hopLimit)
        out.append(", next-header "); out.append(Self.ipProtocolName(ip.nextHeader))
        out.append(" ("); out.append(int: ip.nextHeader); out.append(") payload length: "); out.append(int: ip.payloadLength)
        out.append(") ")
    }

    /// Hop-by-hop / destination options with -v (print-ip6opts.c `ip6_opt_process`):
    /// `(rtalert: 0x0000) (padn) `. `o` is the extension header's offset.
    func writeIPv6Options(_ f: FrameBytes, _ o: Int, _ out: OutputBuffer) {
        guard let hl = f.u8(o + 1) else { return }
        let length = (Int(hl) + 1) * 8 - 2
        let cp = o + 2
        var i = 0
        while i < length {
            guard let type = f.u8(cp + i) else { return }
            var optionLength = 1
            if type != 0 {
                guard i + 1 < length, let l = f.u8(cp + i + 1) else { return }
                optionLength = Int(l) + 2
            }
            if i + optionLength > length { return }
            switch type {
            case 0: out.append("(pad1)")
            case 1:
                if length - i < 2 { out.append("(padn: trunc)"); return }
                out.append("(padn)")
            case 5:
                if length - i < 4 { out.append("(rtalert: trunc)"); return }
                guard let l = f.u8(cp + i + 1), let v = f.u16(cp + i + 2) else { return }
                if l != 2 { out.append("(rtalert: invalid len "); out.append(int: l); out.append(")"); return }
                out.append("(rtalert: 0x"); appendHex(UInt32(v), digits: 4, out); out.append(") ")
            case 0xc2:
                if length - i < 6 { out.append("(jumbo: trunc)"); return }
                guard let l = f.u8(cp + i + 1), let v = f.u32(cp + i + 2) else { return }
                if l != 4 { out.append("(jumbo: invalid len "); out.append(int: l); out.append(")"); return }
                out.append("(jumbo: "); out.append(int: v); out.append(") ")
            default:
                if length - i < 2 { out.append("(type "); out.append(int: type); out.append(": trunc)"); return }
                out.append("(opt_type 0x"); appendHex(UInt32(type), digits: 2, out)
                out.append(": len="); out.append(int: f.u8(cp + i + 1) ?? 0); out.append(")")
            }
            i += optionLength
        }
        out.append(" ")
    }

    // MARK: transport checksums (print-tcp.c, print-udp.c, print-icmp6.c, print-icmp.c)

    /// Folded sum over the pseudo-header (RFC 9293 §3.1, RFC 8200 §8.1) and `length` captured
    /// bytes at `o`, field included; nil when the bytes were not all captured, the packet is
    /// a fragment, or verification is off.
    func transportSum(_ p: DecodedPacket, _ f: FrameBytes, protocol proto: UInt8, _ o: Int, _ length: Int) -> UInt16? {
        guard options.verifyChecksums, length >= 0, !p.isFragment, p.ipv6?.hasFragmentHeader != true,
              let declared = declaredUpperLength(p), length <= declared, f.has(o, declared),
              let data = sum(f, o, length) else { return nil }
        if let v4 = p.ipv4 {
            if v4.moreFragments { return nil }
            let pseudo = InternetChecksum.pseudoHeaderSum(source: v4.source, destination: pseudoDestination(v4, f),
                                                          protocol: proto, length: UInt32(length))
            return InternetChecksum.combine(pseudo, data)
        }
        if let v6 = p.ipv6 {
            let pseudo = InternetChecksum.pseudoHeaderSum(source: v6.source, destination: v6.destination,
                                                          protocol: proto, length: UInt32(length))
            return InternetChecksum.combine(pseudo, data)
        }
        return nil
    }

    /// The IP payload length after extension headers as the IP header states it (tcpdump
    /// checks a checksum only when all of that was captured).
    func declaredUpperLength(_ p: DecodedPacket) -> Int? {
        if let v4 = p.ipv4 { return Int(v4.totalLength) - v4.headerLength }
        if let v6 = p.ipv6 { return Int(v6.payloadLength) - (v6.upperOffset - v6.offset - IPv6Header.length) }
        return nil
    }

    /// `, cksum 0x17cc (correct)` / `, cksum 0x17cc (incorrect -> 0x1234)` after the TCP flags.
    func writeVerboseTCPChecksum(_ tcp: TCPHeader, _ p: DecodedPacket, _ f: FrameBytes, _ out: OutputBuffer) {
        guard let (o, length) = upperLayer(p), o == tcp.offset,
              let total = transportSum(p, f, protocol: IPProtocol.tcp, o, length) else { return }
        out.append(", cksum 0x"); appendHex(UInt32(tcp.checksum), digits: 4, out)
        if total == 0xffff { out.append(" (correct)") } else {
            out.append(" (incorrect -> 0x"); appendHex(UInt32(shouldBe(field: tcp.checksum, total: total)), digits: 4, out)
            out.append(")")
        }
    }

    /// `[udp sum ok] ` / `[bad udp cksum 0x1234 -> 0x5678!] ` before `UDP, length` (IPv6 only:
    /// tcpdump checks UDP over IPv4 from -vv on).
    func writeVerboseUDPChecksum(_ udp: UDPHeader, _ p: DecodedPacket, _ f: FrameBytes, _ out: OutputBuffer) {
        guard p.ipv6 != nil, let (o, ipLength) = upperLayer(p), o == udp.offset else { return }
        var length = ipLength
        if Int(udp.length) >= UDPHeader.length && Int(udp.length) < length { length = Int(udp.length) }
        guard Int(udp.length) >= UDPHeader.length,
              let total = transportSum(p, f, protocol: IPProtocol.udp, o, length) else { return }
        if total == 0xffff { out.append("[udp sum ok] ") } else {
            out.append("[bad udp cksum 0x"); appendHex(UInt32(udp.checksum), digits: 4, out)
            out.append(" -> 0x"); appendHex(UInt32(shouldBe(field: udp.checksum, total: total)), digits: 4, out)
            out.append("!] ")
        }
    }

    /// `[icmp6 sum ok] ` / `[bad icmp6 cksum 0x1234 -> 0x5678!] ` before `ICMP6, …`.
    func writeVerboseICMPv6Checksum(_ p: DecodedPacket, _ f: FrameBytes, _ o: Int, _ length: Int, _ out: OutputBuffer) {
        guard options.verbose > 0, let field = f.u16(o + 2),
              let total = transportSum(p, f, protocol: IPProtocol.icmpv6, o, length) else { return }
        if total == 0xffff { out.append("[icmp6 sum ok] ") } else {
            out.append("[bad icmp6 cksum 0x"); appendHex(UInt32(field), digits: 4, out)
            out.append(" -> 0x"); appendHex(UInt32(shouldBe(field: field, total: total)), digits: 4, out)
            out.append("!] ")
        }
    }

    /// ` (wrong icmp cksum 1234 (->5678)!)` after an ICMP line (no pseudo-header, RFC 792).
    func writeVerboseICMPChecksum(_ p: DecodedPacket, _ f: FrameBytes, _ o: Int, _ length: Int, _ out: OutputBuffer) {
        guard options.verbose > 0, options.verifyChecksums, p.ipv4?.moreFragments != true,
              let field = f.u16(o + 2), let total = sum(f, o, length), total != 0xffff else { return }
        out.append(" (wrong icmp cksum "); appendHex(UInt32(field), out)
        out.append(" (->"); appendHex(UInt32(shouldBe(field: field, total: total)), out); out.append(")!)")
    }

    /// ` bad igmp cksum 1234!` after an IGMP line.
    func writeVerboseIGMPChecksum(_ f: FrameBytes, _ o: Int, _ length: Int, _ out: OutputBuffer) {
        guard options.verbose > 0, options.verifyChecksums, length >= 4,
              let field = f.u16(o + 2), let total = sum(f, o, length), total != 0xffff else { return }
        out.append(" bad igmp cksum "); appendHex(UInt32(field), out); out.append("!")
    }

    /// With -v, the payload of a RST (RFC 9293 §3.6.1 "RST segments may carry data"), as
    /// tcpdump's `print_tcp_rst_data`: ` [RST text]`, at most 30 bytes (`+` when cut), `[!RST`
    /// when not all of it was captured; control characters as `^X`, high bytes as `M-x`.
    func writeRSTData(_ tcp: TCPHeader, _ p: DecodedPacket, _ f: FrameBytes, _ out: OutputBuffer) {
        let start = tcp.offset + tcp.headerLength
        var length = tcp.payloadLength
        out.append(f.has(start, length) ? " [RST" : " [!RST")
        if length > 30 { length = 30; out.append("+") }
        out.append(" ")
        var i = 0
        while i < length, var c = f.u8(start + i) {
            if c >= 0x80 { c &= 0x7f; out.append("M-") }
            if c < 0x20 || c == 0x7f { c ^= 0x40; out.append("^") }
            out.append(byte: c)
            i += 1
        }
        out.append("]")
    }
}
