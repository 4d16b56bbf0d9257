import Foundation

/// One packet's header fields in tshark's vocabulary (`ip.ttl`, `tcp.seq_raw`, …), each value a
/// normalized string; multi-valued fields (VLAN ids, SACK edges) are comma-joined in order.
typealias FieldMap = [String: String]

/// The fields compared between Sockeye and tshark (`-T fields -e …`), in output order.
enum TSharkFields {
    static let names: [String] = [
        "frame.number", "frame.protocols", "frame.time_epoch", "frame.cap_len", "frame.len", "vlan.id", "ieee8021ad.id",
        "ip.version", "ip.src", "ip.dst", "ip.hdr_len", "ip.len", "ip.id", "ip.ttl", "ip.proto",
        "ip.flags.df", "ip.flags.mf", "ip.frag_offset", "ip.checksum", "ip.checksum.status",
        "ipv6.src", "ipv6.dst", "ipv6.plen", "ipv6.nxt", "ipv6.hlim",
        "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw", "tcp.hdr_len", "tcp.flags",
        "tcp.window_size_value", "tcp.urgent_pointer", "tcp.len", "tcp.checksum", "tcp.checksum.status",
        "tcp.options.mss_val", "tcp.options.wscale.shift", "tcp.options.sack_perm",
        "tcp.options.sack_le", "tcp.options.sack_re",
        "tcp.options.timestamp.tsval", "tcp.options.timestamp.tsecr",
        "udp.srcport", "udp.dstport", "udp.length", "udp.checksum", "udp.checksum.status",
    ]

    /// Checksum validation on, absolute sequence numbers (so SACK edges are absolute too), and
    /// no reassembly: every frame is dissected on its own, as Sockeye does.
    static let preferences: [String] = [
        "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
        "-o", "tcp.relative_sequence_numbers:FALSE", "-o", "tcp.analyze_sequence_numbers:FALSE",
        "-o", "tcp.desegment_tcp_streams:FALSE", "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
    ]

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Runs tshark once over `file` and returns one field map per frame, in frame order.
    static func read(_ file: URL, count: Int? = nil) async throws -> [FieldMap] {
        guard let tshark = TestEnvironment.tshark else {
            throw Failure(description: "tshark not found (looked for /usr/bin/tshark and on PATH); install the tshark package")
        }
        var args = ["-n", "-r", file.path] + preferences
        if let count { args += ["-c", String(count)] }
        args += ["-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,", "-E", "quote=n"]
        for n in names { args += ["-e", n] }
        let out = try await ProcessRunner.run(tshark, args)
        // tshark exits 2 on a damaged file after printing what it could read; keep those rows.
        var maps: [FieldMap] = []
        for line in out.stdoutLines {
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard cols.count == names.count else {
                throw Failure(description: "tshark row has \(cols.count) columns, expected \(names.count): \(line)")
            }
            var raw: [String: [String]] = [:]
            for (n, v) in zip(names, cols) where !v.isEmpty {
                raw[n] = v.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            }
            maps.append(normalize(raw))
        }
        return maps
    }

    /// Keeps only the outermost network header and the transport header that directly follows
    /// it (after IPv6 extension headers), as Sockeye decodes them; inner headers (ICMP error
    /// quotes, tunnels) are tshark's extra depth and are not compared.
    static func normalize(_ raw: [String: [String]]) -> FieldMap {
        var m: FieldMap = [:]
        func first(_ k: String) -> String? { raw[k]?.first }
        func all(_ k: String) -> String? { raw[k]?.joined(separator: ",") }
        m["frame.cap_len"] = first("frame.cap_len")
        m["frame.len"] = first("frame.len")
        // Sockeye's JSON `ts` is truncated to microseconds, as tcpdump prints time stamps.
        m["frame.time_epoch"] = first("frame.time_epoch").flatMap(epochNanoseconds).map { String($0.dropLast(3)) + "000" }
        let stack = (first("frame.protocols") ?? "").split(separator: ":").map(String.init)
        m["_protocols"] = first("frame.protocols")
        // VLAN tags in frame order: tshark calls an 802.1ad (0x88a8) S-tag `ieee8021ad.id` and
        // an 802.1Q tag `vlan.id`; Sockeye lists both in `eth.vlan`.
        var q = raw["vlan.id"] ?? [], ad = raw["ieee8021ad.id"] ?? [], tags: [String] = []
        for p in stack {
            if p == "vlan", !q.isEmpty { tags.append(q.removeFirst()) }
            if p == "ieee8021ad", !ad.isEmpty { tags.append(ad.removeFirst()) }
        }
        if !tags.isEmpty { m["vlan.id"] = tags.joined(separator: ",") }
        guard let netIndex = stack.firstIndex(where: { $0 == "ip" || $0 == "ipv6" }) else { return m }
        let net = stack[netIndex]
        let transport = stack[(netIndex + 1)...].first { !$0.hasPrefix("ipv6.") }
        m["ip.version"] = first("ip.version")
        if net == "ip" {
            for k in ["ip.src", "ip.dst", "ip.hdr_len", "ip.len", "ip.ttl", "ip.proto", "ip.flags.df",
                      "ip.flags.mf", "ip.checksum.status"] { m[k] = first(k) }
            m["ip.id"] = first("ip.id").flatMap(decimal)
            m["ip.checksum"] = first("ip.checksum").flatMap(decimal)
            // tshark shows the fragment offset field in 8-octet units; Sockeye's JSON in bytes.
            m["ip.frag_offset"] = first("ip.frag_offset").flatMap { Int($0) }.map { String($0 * 8) }
        } else {
            for k in ["ipv6.src", "ipv6.dst", "ipv6.plen", "ipv6.nxt", "ipv6.hlim"] { m[k] = first(k) }
        }
        if transport == "tcp" {
            for k in ["tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw", "tcp.hdr_len",
                      "tcp.window_size_value", "tcp.urgent_pointer", "tcp.len", "tcp.checksum.status",
                      "tcp.options.mss_val", "tcp.options.wscale.shift",
                      "tcp.options.timestamp.tsval", "tcp.options.timestamp.tsecr"] { m[k] = first(k) }
            m["tcp.flags"] = first("tcp.flags").flatMap(decimal)
            m["tcp.checksum"] = first("tcp.checksum").flatMap(decimal)
            if raw["tcp.options.sack_perm"] != nil { m["tcp.options.sack_perm"] = "present" }
            m["tcp.options.sack_le"] = all("tcp.options.sack_le")
            m["tcp.options.sack_re"] = all("tcp.options.sack_re")
        } else if transport == "udp" {
            for k in ["udp.srcport", "udp.dstport", "udp.length", "udp.checksum.status"] { m[k] = first(k) }
            m["udp.checksum"] = first("udp.checksum").flatMap(decimal)
        }
        return m
    }

    /// "1700000000.000116000" or "1700000000.000116" → "1700000000.000116000" (9 digits).
    static func epochNanoseconds(_ s: String) -> String? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard let sec = parts.first, Int64(sec) != nil else { return nil }
        var frac = parts.count > 1 ? String(parts[1]) : ""
        guard frac.count <= 9, frac.allSatisfy(\.isNumber) else { return nil }
        frac += String(repeating: "0", count: 9 - frac.count)
        return "\(sec).\(frac)"
    }

    /// "0x00f2" or "242" → "242".
    static func decimal(_ s: String) -> String? {
        if s.hasPrefix("0x") || s.hasPrefix("0X") { return UInt64(s.dropFirst(2), radix: 16).map(String.init) }
        return UInt64(s).map(String.init)
    }
}

/// Sockeye's `packets --format json` lines mapped to the same vocabulary.
enum SockeyeFields {
    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Sockeye checksum verdicts in tshark's numbering (0 Bad, 1 Good, 2 Unverified, 3 Not
    /// present); `partial` stays symbolic and is resolved by ``FieldComparator``.
    static func status(_ s: Any?) -> String? {
        switch s as? String {
        case "good": "1"
        case "bad": "0"
        case "unverified": "2"
        case "absent": "3"
        case "partial": "partial"
        case let other?: "unknown:\(other)"
        case nil: nil
        }
    }

    static func int(_ v: Any?) -> String? {
        if let n = v as? NSNumber { return n.stringValue }
        if let i = v as? Int { return String(i) }
        return nil
    }

    static func bool(_ v: Any?) -> String? {
        if let b = v as? Bool { return b ? "1" : "0" }
        return nil
    }

    /// The literal text of the top-level `"ts":` number in a JSON line.
    static func rawTimestamp(_ line: String) -> String? {
        guard let r = line.range(of: "\"ts\":") else { return nil }
        let rest = line[r.upperBound...]
        return String(rest.prefix { $0.isNumber || $0 == "." || $0 == "-" })
    }

    static func object(_ line: String) throws -> [String: Any] {
        guard let data = line.data(using: .utf8),
              let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { throw Failure(description: "not a JSON object: \(line)") }
        return obj
    }

    static func map(_ o: [String: Any], rawTimestamp: String? = nil) -> FieldMap {
        var m: FieldMap = [:]
        m["frame.cap_len"] = int(o["caplen"])
        m["frame.len"] = int(o["len"])
        // `ts` is a JSON number; read its literal digits (a Double would lose nanoseconds).
        m["frame.time_epoch"] = rawTimestamp.flatMap(TSharkFields.epochNanoseconds)
        m["_defects"] = ((o["defects"] as? [String]) ?? []).joined(separator: " ")
        if let eth = o["eth"] as? [String: Any], let vlan = eth["vlan"] as? [Any], !vlan.isEmpty {
            m["vlan.id"] = vlan.compactMap(int).joined(separator: ",")
        }
        if let ip = o["ip"] as? [String: Any] {
            m["ip.version"] = int(ip["version"])
            if int(ip["version"]) == "4" {
                m["ip.src"] = ip["src"] as? String
                m["ip.dst"] = ip["dst"] as? String
                m["ip.hdr_len"] = int(ip["hdr_len"])
                m["ip.len"] = int(ip["total_len"])
                m["ip.id"] = int(ip["id"])
                m["ip.ttl"] = int(ip["ttl"])
                m["ip.proto"] = int(ip["proto"])
                m["ip.flags.df"] = bool(ip["df"])
                m["ip.flags.mf"] = bool(ip["mf"])
                m["ip.frag_offset"] = int(ip["frag_offset"])
                m["ip.checksum"] = int(ip["checksum"])
                m["ip.checksum.status"] = status(ip["checksum_status"])
            } else {
                m["ipv6.src"] = ip["src"] as? String
                m["ipv6.dst"] = ip["dst"] as? String
                m["ipv6.plen"] = int(ip["payload_len"])
                m["ipv6.nxt"] = int(ip["next_header"])
                m["ipv6.hlim"] = int(ip["hop_limit"])
            }
        }
        if let tcp = o["tcp"] as? [String: Any] {
            m["tcp.srcport"] = int(tcp["src_port"])
            m["tcp.dstport"] = int(tcp["dst_port"])
            m["tcp.seq_raw"] = int(tcp["seq"])
            m["tcp.ack_raw"] = int(tcp["ack"])
            m["tcp.hdr_len"] = int(tcp["hdr_len"])
            m["tcp.flags"] = int(tcp["flags_raw"])
            m["tcp.window_size_value"] = int(tcp["window"])
            m["tcp.urgent_pointer"] = int(tcp["urgent"])
            m["tcp.len"] = int(tcp["payload_len"])
            m["tcp.checksum"] = int(tcp["checksum"])
            m["tcp.checksum.status"] = status(tcp["checksum_status"])
            var le: [String] = [], re: [String] = []
            for opt in (tcp["options"] as? [[String: Any]]) ?? [] {
                if opt["invalid"] as? Bool == true { continue }
                switch int(opt["kind"]) {
                case "2": if m["tcp.options.mss_val"] == nil { m["tcp.options.mss_val"] = int(opt["value"]) }
                case "3": if m["tcp.options.wscale.shift"] == nil { m["tcp.options.wscale.shift"] = int(opt["shift"]) }
                case "4": m["tcp.options.sack_perm"] = "present"
                case "5":
                    for block in (opt["blocks"] as? [[Any]]) ?? [] where block.count == 2 {
                        if let l = int(block[0]), let r = int(block[1]) { le.append(l); re.append(r) }
                    }
                case "8":
                    if m["tcp.options.timestamp.tsval"] == nil {
                        m["tcp.options.timestamp.tsval"] = int(opt["tsval"])
                        m["tcp.options.timestamp.tsecr"] = int(opt["tsecr"])
                    }
                default: break
                }
            }
            if !le.isEmpty { m["tcp.options.sack_le"] = le.joined(separator: ","); m["tcp.options.sack_re"] = re.joined(separator: ",") }
        }
        if let udp = o["udp"] as? [String: Any] {
            m["udp.srcport"] = int(udp["src_port"])
            m["udp.dstport"] = int(udp["dst_port"])
            m["udp.length"] = int(udp["length"])
            m["udp.checksum"] = int(udp["checksum"])
            m["udp.checksum.status"] = status(udp["checksum_status"])
        }
        return m
    }
}

/// One compared value on which the two tools disagree.
struct Disagreement: Sendable, CustomStringConvertible {
    var file: String
    var frame: Int
    var field: String
    var sockeye: String?
    var tshark: String?
    var description: String {
        "\(file) frame \(frame): \(field) sockeye=\(sockeye ?? "—") tshark=\(tshark ?? "—")"
    }
}

struct ComparisonTally: Sendable {
    var compared = 0
    var agreed = 0
    var disagreements: [Disagreement] = []
    /// Values that differ for a reason listed in ``KnownDifference`` (counted as compared, not agreed).
    var excused: [(Disagreement, KnownDifference)] = []
    /// `partial` verdicts confirmed by recomputing the pseudo-header sum.
    var partialConfirmed = 0
    var framesCompared = 0
    var frameCountMismatch: String?

    var ratio: Double { compared == 0 ? 1 : Double(agreed) / Double(compared) }

    mutating func add(_ other: ComparisonTally) {
        compared += other.compared; agreed += other.agreed
        disagreements += other.disagreements; excused += other.excused
        partialConfirmed += other.partialConfirmed; framesCompared += other.framesCompared
    }
}

/// Differences that are understood and accepted, each with its justification.
struct KnownDifference: Sendable, CustomStringConvertible {
    var name: String
    var reason: String
    var matches: @Sendable (Disagreement, FieldMap, FieldMap) -> Bool
    var description: String { "\(name): \(reason)" }
}

enum FieldComparator {
    /// Compares every field either side reports. A field only one side reports counts as a
    /// disagreement (e.g. Sockeye decodes no TCP header where tshark does).
    static func compare(file: String, frame: Int, sockeye s: FieldMap, tshark t: FieldMap,
                        known: [KnownDifference]) -> ComparisonTally {
        var tally = ComparisonTally()
        tally.framesCompared = 1
        for field in Set(s.keys).union(t.keys).sorted() where !field.hasPrefix("_") {
            let sv = s[field], tv = t[field]
            tally.compared += 1
            if sv == tv { tally.agreed += 1; continue }
            if field.hasSuffix("checksum.status"), sv == "0", tv == "4" {
                // tshark 4 = "Illegal": UDP checksum 0 over IPv6 (RFC 8200 §8.1); Sockeye: bad.
                tally.agreed += 1
                continue
            }
            if field.hasSuffix("checksum.status"), sv == "partial", tv == "0",
               isPseudoHeaderSum(field: field, tshark: t) {
                // tshark 4.0 calls an offload-partial checksum Bad; the field is exactly the
                // pseudo-header sum we recomputed, so Sockeye's `partial` is right.
                tally.agreed += 1; tally.partialConfirmed += 1
                continue
            }
            let d = Disagreement(file: file, frame: frame, field: field, sockeye: sv, tshark: tv)
            if let k = known.first(where: { $0.matches(d, s, t) }) {
                tally.excused.append((d, k))
            } else {
                tally.disagreements.append(d)
            }
        }
        return tally
    }

    /// True when the tshark-reported transport checksum equals the folded, uncomplemented
    /// ones'-complement sum of the pseudo-header (RFC 793 / RFC 8200 §8.1) — what Linux leaves
    /// in the field under CHECKSUM_PARTIAL. +0 and −0 (0x0000 / 0xFFFF) are the same number.
    static func isPseudoHeaderSum(field: String, tshark t: FieldMap) -> Bool {
        let layer = field.hasPrefix("tcp") ? "tcp" : field.hasPrefix("udp") ? "udp" : ""
        guard !layer.isEmpty, let value = t["\(layer).checksum"].flatMap({ UInt32($0) }) else { return false }
        let v6 = t["ip.version"] == "6"
        guard let src = t[v6 ? "ipv6.src" : "ip.src"].flatMap({ addressBytes($0, v6: v6) }),
              let dst = t[v6 ? "ipv6.dst" : "ip.dst"].flatMap({ addressBytes($0, v6: v6) })
        else { return false }
        let length: UInt32
        if layer == "tcp" {
            guard let h = t["tcp.hdr_len"].flatMap({ UInt32($0) }), let p = t["tcp.len"].flatMap({ UInt32($0) }) else { return false }
            length = h + p
        } else {
            guard let l = t["udp.length"].flatMap({ UInt32($0) }) else { return false }
            length = l
        }
        var sum: UInt32 = 0
        for bytes in [src, dst] {
            for i in stride(from: 0, to: bytes.count, by: 2) { sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1]) }
        }
        sum += layer == "tcp" ? 6 : 17
        sum += length >> 16
        sum += length & 0xffff
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        return value == sum || (sum == 0xffff && value == 0) || (sum == 0 && value == 0xffff)
    }

    static func addressBytes(_ text: String, v6: Bool) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 16)
        let ok = buffer.withUnsafeMutableBytes { inet_pton(v6 ? AF_INET6 : AF_INET, text, $0.baseAddress) }
        guard ok == 1 else { return nil }
        return Array(buffer.prefix(v6 ? 16 : 4))
    }
}
