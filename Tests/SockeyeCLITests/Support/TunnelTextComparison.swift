import Foundation

/// What tcpdump prints for tunnelled and encapsulated captures that Sockeye does not, named, so
/// the text suites can assert that every difference is one of these known kinds and nothing else.
/// Each kind is recognised from both lines (Sockeye's must show the boundary where tcpdump goes on),
/// never from tcpdump's alone.
enum TcpdumpOnly: String, CaseIterable, Sendable {
    /// tcpdump decodes an application protocol carried over UDP (DNS and mDNS `domain`, DHCP,
    /// DHCPv6, syslog `(invalid)`, SSDP, …) where Sockeye prints `UDP, length N`; with -v also the
    /// HTTP request/response lines it prints tab-indented after `HTTP, length: N`.
    case application
    /// tcpdump decodes CHAP, or with -v the options of LCP/IPCP/IP6CP/CCP on tab-indented lines;
    /// Sockeye prints the PPP control header and PAP's fields only (nothing for CHAP).
    case pppControl
    /// An MPLS payload that is neither IPv4 nor IPv6 (a pseudowire control word): tcpdump dumps it
    /// in hex on tab-indented lines; Sockeye prints the label stack only.
    case mplsPayloadHex
    /// An IP fragment: tcpdump `frag (off|len)` / `ip-proto-N` and its reassembly-free guesses;
    /// Sockeye `fragment, proto N, length M` (the README's known difference; Fixtures/reassembly
    /// is kept out of the packet suites for the same reason).
    case fragment
    /// A link type Sockeye's decoder does not decode (LINKTYPE_PPP 9, LINKTYPE_NFLOG 239): Sockeye
    /// prints `linktype_N, length M [defects: link.type_unsupported]`, tcpdump the packet.
    case unsupportedLink
    /// A packet both tools call malformed, each with its own diagnosis (`TextNormalization.compare`'s
    /// excuse: Sockeye `[defects: …]`, tcpdump `[|tcp]`, `truncated-ip`, …).
    case malformed
    /// tcpdump -v prints, on tab-indented lines, the datagram quoted in an ICMP error and ICMPv6
    /// neighbour-discovery options / router-advertisement fields (the README's known -v difference).
    case controlDetail
}

enum TunnelTextComparison {
    static var timestamp: Regex<AnyRegexOutput> { try! Regex(#"^\d\d:\d\d:\d\d\.\d{6} "#) }
    static var textProtocol: Regex<AnyRegexOutput> { try! Regex(#": [A-Z][A-Za-z0-9-]*, length: \d+$"#) }
    static var udpLength: Regex<AnyRegexOutput> { try! Regex(#"^(.*: )(?:\[udp sum ok\] |\[bad udp cksum [^\]]*\] )?UDP, length \d+$"#) }

    /// The kind of a line that differs, when Sockeye's line shows where tcpdump's own decoding
    /// begins: the same text up to that point, then tcpdump's protocol words.
    static func lineKind(sockeye rawS: String, tcpdump rawT: String) -> TcpdumpOnly? {
        if rawS.contains("[defects: link.type_unsupported]"), rawS.contains("linktype_9,") || rawS.contains("linktype_239,") {
            return .unsupportedLink
        }
        // Drop the headers both print alike (`…, length N: ` of a link header, GRE, PPP), as
        // `TextNormalization.compare` does, so its application cut applies to the inner packet.
        var rs = rawS.replacing(TextNormalization.sockeyeSuffix, with: ""), rt = rawT
        while let m = rs.firstMatch(of: TextNormalization.linkHeader), rt.hasPrefix(rs[m.range]) {
            let n = rs[m.range].count
            rs = String(rs.dropFirst(n)); rt = String(rt.dropFirst(n))
        }
        let s = TextNormalization.sockeye(rs), t = TextNormalization.tcpdump(rt)
        // IPv6 fragment headers (`frag (off|len)`), later IPv4 fragments (`ip-proto-N`), a first
        // fragment cut inside its header (`[|ip]`, `[|tcp]`).
        if s.contains("fragment, proto ") || t.contains("frag ("),
           t.contains("frag (") || t.contains("ip-proto-") || t.contains("[|ip]") || t.contains("[|tcp]") {
            return .fragment
        }
        if let m = s.wholeMatch(of: udpLength), let head = m.output[1].substring {
            // Same delivery and addresses (and -v checksum verdict) up to the ports; tcpdump names
            // the payload where Sockeye says `UDP, length N`.
            let h = String(head)
            if t.hasPrefix(h), !t.dropFirst(h.count).hasPrefix("UDP, length") { return .application }
            for verdict in ["[udp sum ok] ", "[bad udp cksum "] where t.hasPrefix(h + verdict) { return .application }
        }
        // CHAP (Sockeye ends the line after the GRE/PPP header).
        let bareS = s.trimmingCharacters(in: .whitespaces), bareT = t.trimmingCharacters(in: .whitespaces)
        if bareS.isEmpty || bareS.hasSuffix(":"), bareT.hasPrefix(bareS) {
            let rest = bareT.dropFirst(bareS.count).drop { $0 == " " }
            if rest.hasPrefix("CHAP, ") { return .pppControl }
        }
        return nil
    }

    /// tcpdump's extra tab-indented lines after line `line` of a record, when they are a known kind.
    static func detailKind(after line: String) -> TcpdumpOnly? {
        // tcpdump's text protocols (HTTP, FTP, …: `NAME, length: N` then the lines) and DHCP -v.
        if line.firstMatch(of: textProtocol) != nil || line.contains("BOOTP/DHCP, ") { return .application }
        for p in ["LCP, ", "IPCP, ", "IP6CP, ", "CCP, ", "PAP, "] where line.contains(p) { return .pppControl }
        if line.hasSuffix(")"), line.contains("MPLS (label ") { return .mplsPayloadHex }
        if line.contains("ICMP6, ") || line.contains(": ICMP ") { return .controlDetail }
        return nil
    }

    /// Compares one packet's lines of both tools (a record: the line with the time stamp and the
    /// lines up to the next one). Lines are compared with `TextNormalization.compare`; a line
    /// that differs must be a known kind (`lineKind`), and tcpdump's extra tab-indented lines must
    /// follow a line that names a known kind (`detailKind`). Sockeye's lines must all be there.
    /// Returns nil when equal, else the kinds (an unknown difference is `.failure`).
    enum Verdict: Equatable { case equal, known(Set<TcpdumpOnly>), failure(String) }

    static func compare(sockeye s: [String], tcpdump t: [String]) -> Verdict {
        var kinds = Set<TcpdumpOnly>()
        var i = 0, j = 0
        var inDetail = false
        while i < s.count || j < t.count {
            if i < s.count, j < t.count {
                switch TextNormalization.compare(sockeye: s[i], tcpdump: t[j]) {
                case .equal:
                    i += 1; j += 1; inDetail = false; continue
                case .excused:
                    kinds.insert(.malformed); i += 1; j += 1; continue
                case .different:
                    if let k = lineKind(sockeye: s[i], tcpdump: t[j]) {
                        kinds.insert(k); i += 1; j += 1
                        // Sockeye prints one line for a frame it cannot decode; tcpdump's -v
                        // continuation lines of that packet have nothing to compare with.
                        if k == .unsupportedLink, i == s.count { j = t.count }
                        continue
                    }
                }
            }
            // tcpdump's own tab-indented lines after a line naming a known kind.
            // (-v continues a quoted IPv4 datagram on a four-space line after its tab line.)
            if j < t.count, j > 0, t[j].hasPrefix("\t") || (t[j].hasPrefix("    ") && inDetail), !(i < s.count && s[i] == t[j]) {
                // The nearest line above that names a kind tcpdump decodes further.
                if let kind = t[..<j].reversed().lazy.compactMap(detailKind(after:)).first {
                    kinds.insert(kind); j += 1; inDetail = true; continue
                }
            }
            return .failure("sockeye «\(i < s.count ? s[i] : "(end)")»\n  tcpdump «\(j < t.count ? t[j] : "(end)")»")
        }
        return kinds.isEmpty ? .equal : .known(kinds)
    }

    /// Output cut into records at time stamps (default time format only).
    static func records(_ lines: [String]) -> [[String]] {
        var result: [[String]] = []
        for line in lines {
            if line.firstMatch(of: timestamp) != nil || result.isEmpty { result.append([line]) } else { result[result.count - 1].append(line) }
        }
        return result
    }
}
