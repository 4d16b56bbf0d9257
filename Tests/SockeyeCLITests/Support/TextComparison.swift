import Foundation

/// Brings `sockeye packets` text and `tcpdump -nn -S` output to the part both print.
enum TextNormalization {
    /// Sockeye's additions after tcpdump's text: ` [bad ip cksum 0x…]`, ` [bad tcp cksum 0x…]`,
    /// ` [partial udp cksum (offload)]`, ` [defects: …]`.
    static var sockeyeSuffix: Regex<AnyRegexOutput> { try! Regex(#"( \[(?:bad|partial|defects)[^\]]*\])+$"#) }
    /// tcpdump decodes application protocols after the TCP/UDP length (`length 136: HTTP: GET …`,
    /// DNS on port 53, …); Sockeye stops at the transport header.
    static var tcpdumpApplication: Regex<AnyRegexOutput> { try! Regex(#"^(.*?length \d+)(?::? .*)$"#) }

    /// tcpdump's MD5 option text depends on its build (OpenSSL) and on -M; Sockeye prints `md5`.
    static var tcpdumpMD5: Regex<AnyRegexOutput> { try! Regex(#"md5 (?:shared secret not supplied with -M, can't check - )?[0-9a-f]*"#) }
    /// User Timeout: tcpdump 4.99 decodes the draft layout (`uto 0x812c 16534`, granularity in
    /// bit 0); Sockeye follows RFC 5482 (`uto 300`, granularity in bit 15). Only the name is compared.
    static var tcpdumpUTO: Regex<AnyRegexOutput> { try! Regex(#"uto 0x[0-9a-f]+ \d+"#) }
    static var sockeyeUTO: Regex<AnyRegexOutput> { try! Regex(#"uto \d+"#) }
    /// Markers tcpdump prints for packets it finds malformed.
    static var tcpdumpMalformed: Regex<AnyRegexOutput> {
        try! Regex(#"bad-hlen|bad-len|truncated-|bad hdr length|\[\||\[bad opt\]|\[len \d+\]|bad length"#)
    }
    /// Options Sockeye prints by name only (PacketTextFormatter: "tcp-ao, mptcp, exp"), where
    /// tcpdump decodes their contents; RFC 6994 experimental kinds 253/254 are `exp` in Sockeye,
    /// `unknown-253 0x…` / `exp-tfo …` in tcpdump.
    static var tcpdumpAbbreviations: [(Regex<AnyRegexOutput>, String)] {
        [(try! Regex(#"tcp-ao keyid \d+ rnextkeyid \d+ mac 0x[0-9a-f]+"#), "tcp-ao"),
         (try! Regex(#"mptcp(?: [^,\]{]*)?(?:\{[^}]*\})?"#), "mptcp"),
         (try! Regex(#"exp-tfo(?: [^,\]]*)?"#), "exp"),
         (try! Regex(#"unknown-25[34] 0x[0-9a-f]+"#), "exp")]
    }

    static func sockeye(_ line: String) -> String {
        // Runs of spaces are collapsed on both sides (tcpdump pads `tfo  cookiereq`; both pad SLL2 names).
        var s = line.replacing(sockeyeSuffix, with: "")
        while s.contains("  ") { s = s.replacingOccurrences(of: "  ", with: " ") }
        return s.replacing(sockeyeUTO, with: "uto")
    }

    static func tcpdump(_ line: String) -> String {
        var s = line
        if let m = s.wholeMatch(of: tcpdumpApplication), let head = m.output[1].substring {
            // -v remarks after the length are not application decoding: RST data and ICMP's
            // checksum verdict, which Sockeye -v prints too.
            let rest = s[head.endIndex...]
            if !(rest.hasPrefix(" [RST") || rest.hasPrefix(" [!RST") || rest.hasPrefix(" (wrong icmp cksum")) { s = String(head) }
        }
        // tcpdump pads some option names with two spaces (`tfo  cookiereq`).
        while s.contains("  ") { s = s.replacingOccurrences(of: "  ", with: " ") }
        s = s.replacing(tcpdumpMD5, with: "md5")
        for (r, name) in tcpdumpAbbreviations { s = s.replacing(r, with: name) }
        return s.replacing(tcpdumpUTO, with: "uto")
    }

    /// One line per packet: tcpdump's indented hex-dump continuation lines removed.
    static func tcpdumpPacketLines(_ out: ProcessOutput) -> [String] {
        // (-ttt/-ttttt lines begin with one space: " 00:00:00.000012 IP …".)
        out.stdoutLines.filter { !$0.hasPrefix("\t") && !$0.hasPrefix("  ") }
    }

    enum LineVerdict: Equatable { case equal, excused(String), different(sockeye: String, tcpdump: String) }

    /// Compares one sockeye line with one tcpdump line (raw, as printed).
    /// * tcpdump marks a snaplen cut inside the TCP header with `[|tcp]` after the options it
    ///   could print; Sockeye prints no options then. Both are compared up to the options
    ///   (time, addresses, flags, seq range — which needs the payload length —, ack, win).
    /// * A packet both tools call malformed (Sockeye `[defects: …]`, tcpdump `bad-hlen`,
    ///   `truncated-ip`, `[bad hdr length …]`, …) is excused: each prints its own diagnosis.
    /// `-e` link header (`…, ethertype IPv4 (0x0800), length 74: `), compared verbatim.
    static var linkHeader: Regex<AnyRegexOutput> { try! Regex(#"^.*?, length \d+: "#) }

    static func compare(sockeye rawS: String, tcpdump rawT: String) -> LineVerdict {
        if let m = rawS.firstMatch(of: linkHeader), rawT.hasPrefix(rawS[m.range]) {
            let head = String(rawS[m.range])
            switch compare(sockeye: String(rawS[m.range.upperBound...]), tcpdump: String(rawT.dropFirst(head.count))) {
            case .equal: return .equal
            case let .excused(why): return .excused(why)
            case let .different(s, t): return .different(sockeye: head + s, tcpdump: head + t)
            }
        }
        // A link type tcpdump has no printer for: it prints `UNSUPPORTED` and the frame in hex
        // (Fixtures/linktypes/unsupported-user0-147.pcap); Sockeye names the link type and the defect.
        if rawT.hasSuffix(" UNSUPPORTED") || rawT == "UNSUPPORTED", rawS.contains("[defects: link.type_unsupported]") {
            return .excused("unsupported link type: sockeye «\(rawS)» tcpdump «\(rawT)»")
        }
        var s = sockeye(rawS), t = tcpdump(rawT)
        if rawT.contains("[|tcp]") {
            func cut(_ x: String, at markers: [String]) -> String {
                for m in markers { if let r = x.range(of: m) { return String(x[..<r.lowerBound]) } }
                return x
            }
            t = cut(t, at: [", options ["])
            s = cut(s, at: [", options [", ", length "])
        }
        if s == t { return .equal }
        if rawS.contains("[defects:"), rawT.contains(tcpdumpMalformed) {
            return .excused("malformed packet, each tool prints its own diagnosis: sockeye «\(rawS)» tcpdump «\(rawT)»")
        }
        return .different(sockeye: s, tcpdump: t)
    }

    // MARK: records (-v and -x print more than one line per packet)

    /// The output cut into packets: a record is a line that does not begin with a tab or four
    /// spaces, plus the lines that do (tcpdump -v puts the transport part of an IPv4 packet on
    /// a line of its own after "\n    "; -x/-X dump lines and tcpdump's deeper decoding begin
    /// with a tab). -ttt lines begin with one space and start a record.
    static func records(_ lines: [String]) -> [[String]] {
        var result: [[String]] = []
        for line in lines {
            if line.hasPrefix("\t") || line.hasPrefix("    "), !result.isEmpty { result[result.count - 1].append(line) }
            else { result.append([line]) }
        }
        return result
    }

    /// One record split into what both tools print (the packet's line and, with -v, the
    /// four-space transport line), tcpdump's further decoding on tab-indented lines, and the
    /// -x/-X dump (the last run of `\t0x….:` lines starting at `\t0x0000:`) when `hex`.
    struct RecordParts { var text: [String]; var detail: [String]; var dump: [String] }

    static func parts(_ record: [String], hex: Bool) -> RecordParts {
        var body = record
        var dump: [String] = []
        if hex, let start = body.lastIndex(where: { $0.hasPrefix("\t0x0000:") }),
           body[start...].allSatisfy({ $0.hasPrefix("\t0x") }) {
            dump = Array(body[start...]); body.removeSubrange(start...)
        }
        let firstTab = body.firstIndex { $0.hasPrefix("\t") } ?? body.endIndex
        return RecordParts(text: Array(body[..<firstTab]), detail: Array(body[firstTab...]), dump: dump)
    }

    /// Lines tcpdump prints after a packet with a tab (its deeper decoding) that Sockeye does not
    /// print, allowed only where the README says so: the datagram quoted in an ICMP error, ICMPv6
    /// neighbour-discovery options and router-advertisement fields, and tcpdump's hex dump of a
    /// payload it cannot name (unknown EtherType, unknown ICMPv6 type, a link type it has no
    /// printer for: Sockeye dumps that frame only with -x/-X).
    static func detailExcused(_ text: [String]) -> Bool {
        guard let head = text.first else { return false }
        let joined = text.joined(separator: " ")
        return joined.contains(": ICMP ") || joined.contains("ICMP6, ") || head.contains("ethertype Unknown")
            || head.hasSuffix(" UNSUPPORTED") || head == "UNSUPPORTED"
    }

    /// Compares one packet's record of both tools. Each line of the common part is compared
    /// with `compare` (same normalisations as the one-line output); a packet both tools call
    /// malformed is excused as a whole (their line layouts differ then: tcpdump stops at
    /// `bad-hlen 16` on the first line). The dumps must be byte-identical.
    static func compareRecord(sockeye s: [String], tcpdump t: [String], hex: Bool) -> LineVerdict {
        let ps = parts(s, hex: hex), pt = parts(t, hex: hex)
        if !ps.detail.isEmpty { return .different(sockeye: s.joined(separator: "\n"), tcpdump: "(sockeye printed tab-indented lines that are not a dump)") }
        if ps.dump != pt.dump { return .different(sockeye: ps.dump.joined(separator: "\n"), tcpdump: pt.dump.joined(separator: "\n")) }
        if !pt.detail.isEmpty, !detailExcused(pt.text) {
            return .different(sockeye: s.joined(separator: "\n"), tcpdump: t.joined(separator: "\n"))
        }
        var firstDifference: LineVerdict? = nil, excuse: LineVerdict? = nil
        if ps.text.count == pt.text.count {
            for (a, b) in zip(ps.text, pt.text) {
                switch compare(sockeye: a, tcpdump: b) {
                case .equal: break
                case let v: if case .excused = v { excuse = v } else if firstDifference == nil { firstDifference = v }
                }
            }
            if firstDifference == nil { return excuse ?? .equal }
        }
        let js = ps.text.joined(separator: "\n"), jt = pt.text.joined(separator: "\n")
        if js.contains("[defects:"), jt.contains(tcpdumpMalformed) {
            return .excused("malformed packet, each tool prints its own diagnosis: sockeye «\(js)» tcpdump «\(jt)»")
        }
        return firstDifference ?? .different(sockeye: js, tcpdump: jt)
    }

    /// Runs `TZ=UTC tcpdump -nn -S [options] -r file [filter]` (both tools print local time;
    /// the tests fix the zone for both).
    static func tcpdumpLines(_ file: URL, filter: String? = nil, count: Int? = nil, options: [String] = [],
                             timeZone: String = "UTC") async throws -> ProcessOutput {
        guard let tcpdump = TestEnvironment.tcpdump else {
            throw TSharkFields.Failure(description: "tcpdump not found at /usr/bin/tcpdump or on PATH (apt-get install tcpdump)")
        }
        // tcpdump adds hex-dump continuation lines (starting with a tab) for protocols it
        // does not know (e.g. EtherType 0x88b5); callers drop them with `tcpdumpPacketLines`.
        var args = ["-nn", "-S"] + options + ["-r", file.path]
        if let count { args += ["-c", String(count)] }
        if let filter { args.append(filter) }
        return try await ProcessRunner.run(tcpdump, args, environment: ["TZ": timeZone])
    }
}

/// Just enough of the classic pcap format to cut a file at a chosen record (the damaged-file
/// tests construct their input themselves, so the expected packet count is known).
struct ClassicPcap {
    var header: Data
    var records: [Range<Int>]   // byte ranges of record header + data
    var data: Data

    init?(_ data: Data) {
        guard data.count >= 24 else { return nil }
        let magic = data.prefix(4)
        let le: Bool
        switch [UInt8](magic) {
        case [0xd4, 0xc3, 0xb2, 0xa1], [0x4d, 0x3c, 0xb2, 0xa1]: le = true
        case [0xa1, 0xb2, 0xc3, 0xd4], [0xa1, 0xb2, 0x3c, 0x4d]: le = false
        default: return nil
        }
        func u32(_ o: Int) -> Int {
            let b = [UInt8](data[data.startIndex + o ..< data.startIndex + o + 4])
            return le ? Int(b[0]) | Int(b[1]) << 8 | Int(b[2]) << 16 | Int(b[3]) << 24
                      : Int(b[3]) | Int(b[2]) << 8 | Int(b[1]) << 16 | Int(b[0]) << 24
        }
        var off = 24
        var recs: [Range<Int>] = []
        while off + 16 <= data.count {
            let incl = u32(off + 8)
            guard off + 16 + incl <= data.count else { break }
            recs.append(off ..< off + 16 + incl)
            off += 16 + incl
        }
        self.header = data.prefix(24)
        self.records = recs
        self.data = data
    }

    /// The file cut `into` bytes past the start of record `index` (0-based): `index` complete
    /// records precede the damage.
    func truncated(atRecord index: Int, into: Int) -> Data {
        data.prefix(records[index].lowerBound + into)
    }
}
