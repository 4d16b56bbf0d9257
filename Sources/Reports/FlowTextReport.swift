import FlowAnalysis
import PacketCodec

/// The default human-readable report of `sockeye analyze`.
///
/// Records are collected as flows end and rendered by ``finish(summary:)``, sorted by start time
/// then uid (stable, diffable output). The report has three parts:
///
/// 1. A summary: packets, bytes, time span, flows by protocol and `conn_state`, handshake
///    states, teardown styles (each tally most frequent first), anomaly totals, evicted flows.
/// 2. One block per TCP connection:
///    ```
///    C3xkq9…  tcp  10.0.0.1:51514 → 10.0.0.2:80  SF  ShADadFf  1.204 s  orig 120 B / resp 5.1 kB
///      handshake  complete  SYN → SYN-ACK 0.213 ms, SYN-ACK → ACK 0.041 ms  ISN 1694179788/3032912001  acks ✓
///                 client mss 1460 wscale 7 sackOK TS   server mss 1460 wscale 7 sackOK TS
///      teardown   4-way, client closed first  FIN → ACK, FIN ← ACK  both FINs acked  (FIN at +1.150 s, +1.160 s)
///    ```
///    "client" is the originator, "server" the responder; `→` is a packet from the client,
///    `←` one from the server; times after `+` are relative to the connection's first packet.
///    `acks ✓` means the SYN-ACK acknowledged the client ISN + 1 and the ACK the server ISN + 1.
/// 3. UDP (and other non-TCP) flows in a compact table.
///
/// Every string goes through ``OutputBuffer/appendTerminalSafe(_:)``.
public final class FlowTextReport: FlowRecordWriter {
    public let output: OutputBuffer
    public private(set) var records: [ConnectionRecord] = []
    /// Whether ``finish(summary:)`` writes the summary section (`analyze --quiet` turns it off).
    public var includesSummary = true

    public init(output: OutputBuffer) { self.output = output }

    public func begin(firstPacketTime: Int64?) {}

    public func write(_ record: ConnectionRecord) { records.append(record) }

    public func finish(summary: AnalysisSummary) {
        records.sort(by: ConnectionRecord.reportOrder)
        if includesSummary { writeSummary(summary) }
        let tcp = records.filter { $0.proto == .tcp }
        let others = records.filter { $0.proto != .tcp }
        if !tcp.isEmpty {
            if includesSummary { blank() }
            line("TCP connections (\(tcp.count))")
            for (i, r) in tcp.enumerated() {
                if i > 0 { blank() }
                writeConnection(r)
            }
        }
        if !others.isEmpty {
            if includesSummary || !tcp.isEmpty { blank() }
            line("UDP and other flows (\(others.count))")
            writeTable(others)
        }
        output.flush()
    }

    // MARK: - Pieces

    /// One line of report text: escaped for the terminal (including any line feed inside
    /// `s`), then a line feed.
    private func line(_ s: String) {
        output.appendTerminalSafe(s)
        output.append(byte: 0x0a)
    }

    private func blank() { output.append(byte: 0x0a) }

    private func counts<K: Hashable>(_ keys: [K], order: [K], label: (K) -> String) -> String {
        var tally: [K: Int] = [:]
        for k in keys { tally[k, default: 0] += 1 }
        // Most frequent first; ties in the canonical order.
        let ranked = order.enumerated().compactMap { i, k in tally[k].map { (i, k, $0) } }
            .sorted { $0.2 != $1.2 ? $0.2 > $1.2 : $0.0 < $1.0 }
        let parts = ranked.map { "\(label($0.1)) \(grouped(UInt64($0.2)))" }
        return parts.isEmpty ? "-" : parts.joined(separator: "  ")
    }

    private func writeSummary(_ s: AnalysisSummary) {
        line("Sockeye flow report")
        var packets = "  packets     \(grouped(s.packets))"
        packets += "  (tcp \(grouped(s.tcpPackets))  udp \(grouped(s.udpPackets))  other \(grouped(s.otherPackets)))"
        if s.tunnelledPackets > 0 { packets += "  tunnelled \(grouped(s.tunnelledPackets))" }
        if s.malformedPackets > 0 { packets += "  malformed \(grouped(s.malformedPackets))" }
        for (dlt, n) in s.unsupportedLinkTypes.sorted(by: { $0.key < $1.key }) {
            packets += "  unsupported link type \(dlt): \(grouped(n))"
        }
        if s.badChecksumPackets > 0 { packets += "  bad checksums \(grouped(s.badChecksumPackets))" }
        if s.partialChecksumPackets > 0 { packets += "  offloaded checksums \(grouped(s.partialChecksumPackets))" }
        if s.offloadedIPv4HeaderChecksums > 0 { packets += "  offloaded IPv4 header checksums \(grouped(s.offloadedIPv4HeaderChecksums))" }
        line(packets)
        let fr = s.fragments
        if fr.fragments > 0 {
            var frag = "  fragments   \(grouped(fr.fragments))  (reassembled \(grouped(fr.reassembled)) datagrams"
            if fr.overlaps > 0 { frag += "  overlaps \(grouped(fr.overlaps))" }
            if fr.inconsistentOverlaps > 0 { frag += "  inconsistent \(grouped(fr.inconsistentOverlaps))" }
            let dropped = fr.expired + fr.evicted + fr.incompleteAtEnd
            if dropped > 0 { frag += "  incomplete \(grouped(dropped))" }
            if fr.truncated > 0 { frag += "  truncated \(grouped(fr.truncated))" }
            if fr.oversized > 0 { frag += "  oversized \(grouped(fr.oversized))" }
            line(frag + ")")
        }
        line("  bytes       \(humanBytes(s.bytes))")
        if let first = s.firstTime, let last = s.lastTime {
            let span = humanDuration(seconds: Double(last - first) / 1e9)
            line("  time        \(UTCTime(nanoseconds: first).readable) → \(UTCTime(nanoseconds: last).readable) UTC  (\(span))")
        } else {
            line("  time        -")
        }
        let protos = counts(records.map { $0.proto.description }, order: ["tcp", "udp", "icmp", "unknown_transport"]) { $0 }
        var flows = "  flows       \(grouped(UInt64(records.count)))  (\(protos))"
        if s.evictedFlows > 0 { flows += "  evicted \(grouped(s.evictedFlows))" }
        if s.maxConcurrentFlows > 0 { flows += "  max concurrent \(grouped(s.maxConcurrentFlows))" }
        if s.icmpErrors > 0 { flows += "  icmp errors \(grouped(s.icmpErrors)) (\(grouped(s.icmpErrorsMatched)) for tracked flows)" }
        line(flows)
        // conn_state per protocol: the letters mean different things for TCP and UDP (SF, S0).
        let byProto = ["tcp", "udp", "icmp", "unknown_transport"].compactMap { name -> String? in
            let states = records.filter { $0.proto.description == name }.map(\.connState)
            return states.isEmpty ? nil : "\(name) " + counts(states, order: ConnState.allCases) { $0.rawValue }
        }
        line("  conn_state  " + (byProto.isEmpty ? "-" : byProto.joined(separator: "   ")))
        let tcp = records.filter { $0.proto == .tcp }
        if !tcp.isEmpty {
            let hs: [HandshakeReport.State] = [.complete, .synSynAck, .synOnly, .rejected, .none]
            var handshakes = "  handshakes  " + counts(tcp.compactMap { $0.handshake?.state }, order: hs) { $0.rawValue }
            if s.handshakesRejectedByICMP > 0 { handshakes += "  (\(grouped(s.handshakesRejectedByICMP)) refused by ICMP)" }
            line(handshakes)
            let ts: [TeardownReport.Style] = [.fourWay, .threeWay, .simultaneous, .halfClosed, .abort, .open]
            line("  teardowns   " + counts(tcp.compactMap { $0.teardown?.style }, order: ts) { $0.rawValue })
        }
        let total = records.reduce(DirectionAnomalies()) { $0 + $1.originatorAnomalies + $1.responderAnomalies }
        let parts = total.labelled.filter { $0.1 > 0 }.map { "\($0.0) \(grouped($0.1))" }
        line("  anomalies   " + (parts.isEmpty ? "none" : parts.joined(separator: "  ")))
    }

    private func writeConnection(_ r: ConnectionRecord) {
        var head = "\(r.uid)  \(r.proto)  \(endpointText(r.originator)) → \(endpointText(r.responder))"
        head += "  \(r.connState.rawValue)  \(r.history.isEmpty ? "-" : r.history)"
        head += "  " + (r.duration.map { humanDuration(seconds: $0) } ?? "-")
        head += "  orig \(r.originatorBytes.map(humanBytes) ?? "-") / resp \(r.responderBytes.map(humanBytes) ?? "-")"
        if let note = closeNote(r) { head += "  [\(note)]" }
        line(head)
        if let h = r.handshake { writeHandshake(h) }
        if let t = r.teardown { writeTeardown(t, start: r.startTime) }
        if let e = r.icmpErrors { writeICMPErrors(e) }
        writeAnomalies(r)
    }

    private func closeNote(_ r: ConnectionRecord) -> String? {
        switch r.closeReason {
        case .closed: return nil
        case .timeout: return "timed out"
        case .evicted: return "evicted"
        case .reused: return "5-tuple reused"
        case .endOfInput:
            // A connection that already closed or aborted is not "open" just because the capture
            // ended before the close delay ran out.
            if r.hadClosed { return nil }
            return "open at end of input"
        }
    }

    private static let indent = "             "

    private func writeHandshake(_ h: HandshakeReport) {
        var text = "  handshake  \(h.state.rawValue)  "
        switch h.state {
        case .complete:
            text += "SYN → SYN-ACK \(h.synToSynAck.map { humanDuration(seconds: $0) } ?? "?")"
            text += ", SYN-ACK → ACK \(h.synAckToAck.map { humanDuration(seconds: $0) } ?? "?")"
        case .synSynAck:
            text += "SYN → SYN-ACK \(h.synToSynAck.map { humanDuration(seconds: $0) } ?? "?"), no ACK"
        case .synOnly:
            text += h.rejectedByICMP ? "SYN →, ICMP unreachable ←" : "SYN →, no SYN-ACK"
        case .rejected:
            text += "SYN →, RST ←"
        case .none:
            text += "no SYN seen (midstream)"
        }
        if h.originatorISN != nil || h.responderISN != nil {
            text += "  ISN \(h.originatorISN.map(String.init) ?? "-")/\(h.responderISN.map(String.init) ?? "-")"
        }
        if let valid = h.valid { text += valid ? "  acks ✓" : "  acks ✗ (ack ≠ ISN+1)" }
        if h.synRetransmissions > 0 { text += "  SYN retransmitted \(h.synRetransmissions)×" }
        if h.synAckRetransmissions > 0 { text += "  SYN-ACK retransmitted \(h.synAckRetransmissions)×" }
        if h.simultaneousOpen { text += "  simultaneous open" }
        if h.synPayloadBytes > 0 { text += "  \(h.synPayloadBytes) B on SYN" }
        line(text)
        if h.originatorOptions != nil || h.responderOptions != nil {
            line(Self.indent + "client \(optionsText(h.originatorOptions))   server \(optionsText(h.responderOptions))")
        }
    }

    /// `  icmp       2 errors from 10.0.0.1, first: port unreachable (type 3 code 3) for a client packet`
    private func writeICMPErrors(_ e: ICMPErrorReport) {
        let name = Self.icmpErrorName(type: e.type, code: e.code, v6: e.isICMPv6)
        let noun = e.count == 1 ? "error" : "errors"
        line("  icmp       \(e.count) \(noun) from \(e.from), first: \(name) (\(e.isICMPv6 ? "ICMPv6 " : "")type \(e.type) code \(e.code))"
             + " for a \(e.aboutOriginator ? "client" : "server") packet")
    }

    /// RFC 792 / RFC 1812 §5.2.7.1 and RFC 4443 §3 names of the common error messages.
    static func icmpErrorName(type: UInt8, code: UInt8, v6: Bool) -> String {
        if v6 {
            switch (type, code) {
            case (1, 0): return "no route"
            case (1, 1): return "administratively prohibited"
            case (1, 3): return "address unreachable"
            case (1, 4): return "port unreachable"
            case (1, _): return "destination unreachable"
            case (2, _): return "packet too big"
            case (3, 0): return "hop limit exceeded"
            case (3, _): return "time exceeded"
            case (4, _): return "parameter problem"
            default: return "error"
            }
        }
        switch (type, code) {
        case (3, 0): return "net unreachable"
        case (3, 1): return "host unreachable"
        case (3, 2): return "protocol unreachable"
        case (3, 3): return "port unreachable"
        case (3, 4): return "fragmentation needed"
        case (3, 9), (3, 10), (3, 13): return "administratively prohibited"
        case (3, _): return "destination unreachable"
        case (4, _): return "source quench"
        case (5, _): return "redirect"
        case (11, 0): return "TTL exceeded"
        case (11, _): return "fragment reassembly time exceeded"
        case (12, _): return "parameter problem"
        default: return "error"
        }
    }

    private func optionsText(_ o: OfferedOptions?) -> String {
        guard let o else { return "-" }
        var parts: [String] = []
        if let mss = o.mss { parts.append("mss \(mss)") }
        if let ws = o.windowScale { parts.append("wscale \(ws)") }
        if o.sackPermitted { parts.append("sackOK") }
        if o.timestamps { parts.append("TS") }
        if o.fastOpen { parts.append("TFO") }
        return parts.isEmpty ? "no options" : parts.joined(separator: " ")
    }

    private func writeTeardown(_ t: TeardownReport, start: Int64) {
        func who(_ s: Side?) -> String { s == .responder ? "server" : "client" }
        // Offsets keep millisecond precision however late they are (no h:mm:ss rounding).
        func rel(_ ns: Int64?) -> String? {
            ns.map { ns in
                // A FIN or RST stamped before the connection's first packet: the capture's
                // timestamps went backwards (merged files, a clock step), not a negative delay.
                guard ns >= start else { return "before the first packet: timestamps out of order" }
                let seconds = Double(ns - start) / 1e9
                guard abs(seconds) >= 1 else { return "+" + humanDuration(seconds: seconds) }
                let b = OutputBuffer(fileDescriptor: nil)
                b.append(double: seconds, fractionDigits: 3)
                return "+" + b.text + " s"
            }
        }
        var text = "  teardown   "
        switch t.style {
        case .fourWay: text += "4-way, \(who(t.firstFIN)) closed first"
        case .threeWay: text += "3-way, \(who(t.firstFIN)) closed first"
        case .simultaneous: text += "simultaneous close"
        case .halfClosed: text += "half-closed by \(who(t.firstFIN))"
        case .abort: text += "abort" + (t.rstBy.map { ", RST by \(who($0))" } ?? "")
        case .open: text += "open (no FIN or RST)"
        }
        // The FIN sequence, first FIN first.
        var fins: [(arrow: String, acked: Bool, time: Int64?)] = []
        let origFIN = (arrow: "FIN →", acked: t.originatorFINAcked, time: t.originatorFINTime)
        let respFIN = (arrow: "FIN ←", acked: t.responderFINAcked, time: t.responderFINTime)
        if t.firstFIN == .responder {
            if t.responderFIN { fins.append(respFIN) }
            if t.originatorFIN { fins.append(origFIN) }
        } else {
            if t.originatorFIN { fins.append(origFIN) }
            if t.responderFIN { fins.append(respFIN) }
        }
        var sequence: [String]
        switch t.style {
        case .threeWay where fins.count == 2:
            // The second FIN carries the ACK of the first: FIN →, FIN+ACK ←, ACK →.
            let back = fins[1].arrow.hasSuffix("←") ? "←" : "→"
            let forth = back == "←" ? "→" : "←"
            sequence = [fins[0].arrow, "FIN+ACK \(back)", fins[1].acked ? "ACK \(forth)" : "no ACK"]
        case .simultaneous where fins.count == 2:
            sequence = ["FIN → ← FIN (crossed)"]
        default:
            sequence = fins.map { $0.arrow + ($0.acked ? " ACK" : " (no ACK)") }
        }
        if let rst = t.rstBy { sequence.append(rst == .originator ? "RST →" : "RST ←") }
        if !sequence.isEmpty { text += "  " + sequence.joined(separator: ", ") }
        if t.originatorFIN && t.responderFIN {
            if t.originatorFINAcked && t.responderFINAcked {
                text += "  both FINs acked"
            } else if !t.originatorFINAcked && !t.responderFINAcked {
                text += "  neither FIN acked"
            } else {
                text += "  \(t.originatorFINAcked ? "server" : "client") FIN not acked"
            }
        }
        if t.rstAfterFIN { text += "  RST after FIN" }
        if t.dataAfterFirstFIN > 0 { text += "  \(humanBytes(t.dataAfterFirstFIN)) after first FIN" }
        var times = fins.compactMap { rel($0.time) }.map { "FIN at \($0)" }
        if let r = rel(t.rstTime), t.rstBy != nil { times.append("RST at \(r)") }
        if !times.isEmpty { text += "  (" + times.joined(separator: ", ") + ")" }
        line(text)
    }

    private func writeAnomalies(_ r: ConnectionRecord) {
        func describe(_ a: DirectionAnomalies) -> String? {
            let parts = a.labelled.filter { $0.1 > 0 }.map { "\($0.0) \(grouped($0.1))" }
            return parts.isEmpty ? nil : parts.joined(separator: ", ")
        }
        var sides: [String] = []
        if let c = describe(r.originatorAnomalies) { sides.append("client: " + c) }
        if let s = describe(r.responderAnomalies) { sides.append("server: " + s) }
        if r.missedBytes > 0 { sides.append("missed \(humanBytes(r.missedBytes))") }
        if !sides.isEmpty { line("  anomalies  " + sides.joined(separator: "   ")) }
    }

    private func writeTable(_ rows: [ConnectionRecord]) {
        let header = ["uid", "proto", "originator", "responder", "state", "history", "duration",
                      "orig pkts", "orig bytes", "resp pkts", "resp bytes"]
        let cells: [[String]] = rows.map { r in
            [r.uid, r.proto.description, endpointText(r.originator), endpointText(r.responder),
             r.connState.rawValue, r.history.isEmpty ? "-" : r.history,
             r.duration.map { humanDuration(seconds: $0) } ?? "-",
             grouped(r.originatorPackets), r.originatorBytes.map(humanBytes) ?? "-",
             grouped(r.responderPackets), r.responderBytes.map(humanBytes) ?? "-"]
        }
        var widths = header.map { displayWidth(terminalSafe: $0) }
        for row in cells {
            for (i, c) in row.enumerated() { widths[i] = max(widths[i], displayWidth(terminalSafe: c)) }
        }
        for row in [header] + cells {
            output.append("  ")
            for (i, c) in row.enumerated() {
                if i == row.count - 1 {
                    output.appendTerminalSafe(c)
                } else {
                    output.appendPadded(c, width: widths[i] + 2)
                }
            }
            output.append("\n")
        }
    }
}
