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
            s = String(head)
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
