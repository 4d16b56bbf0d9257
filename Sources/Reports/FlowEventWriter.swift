import FlowAnalysis
import PacketCodec

/// Renders `sockeye live` events as they happen, one line each, in `text` or `json` (JSON
/// Lines). Keeps no records: each call writes its line and flushes, so a reader sees the event
/// at once.
///
/// ```swift
/// let events = FlowEventWriter(format: .json, output: out)
/// events.event(flowEvent)      // FlowEvent .opened / .rejected / .rejectedByICMP
/// events.closed(record)        // a flow ended; closeReason .endOfInput: still open at exit
/// ```
///
/// Text lines:
///
/// ```
/// 22:13:20.000370 opened   C…  tcp  10.0.0.1:51514 → 10.0.0.2:80  SYN→SYN-ACK 0.213 ms
/// 22:13:26.204116 closed   C…  tcp  10.0.0.1:51514 → 10.0.0.2:80  SF  ShADadFf  4-way  1.204 s  orig 120 B / resp 5.1 kB
/// ```
///
/// (`expired` instead of `closed` for non-TCP flows; endpoints are `a.b.c.d:port` or
/// `[v6]:port`; flows still open at the end of input get no text line.) JSON events are objects
/// with `"event"` first: `opened`/`rejected`/`rejected_by_icmp` carry the 5-tuple,
/// `community_id` and `local_orig`/`local_resp` (as the writer's ``ConnFieldOptions`` say),
/// handshake intervals, and for `rejected_by_icmp` `icmp_type`, `icmp_code`, `icmp_from_h`;
/// `closed`/`open_at_exit` carry the whole record exactly as ``FlowJSONWriter`` writes it
/// (from ``ConnSchema``), after the `"event"` key.
public final class FlowEventWriter {
    public enum Format: Sendable { case text, json }

    public let format: Format
    public let output: OutputBuffer
    public let options: ConnFieldOptions

    public init(format: Format, output: OutputBuffer, options: ConnFieldOptions = .default) {
        self.format = format
        self.output = output
        self.options = options
    }

    /// A handshake completed (`opened`) or was refused (`rejected` by a RST, `rejected_by_icmp`
    /// by an ICMP destination unreachable; text `icmp-rej`).
    public func event(_ e: FlowEvent) {
        let o = output
        switch format {
        case .text:
            o.append(timeOfDay: e.time)
            switch e.kind {
            case .opened: o.append(" opened   ")
            case .rejected: o.append(" rejected ")
            case .rejectedByICMP: o.append(" icmp-rej ")
            }
            o.append(e.uid); o.append("  tcp  ")
            endpoints(e.originator, e.responder)
            if let rtt = e.synToSynAck {
                o.append("  SYN→SYN-ACK "); o.append(double: rtt * 1000, fractionDigits: 3); o.append(" ms")
            }
            if let type = e.icmpType, let code = e.icmpCode {
                o.append("  ICMP"); o.append(e.originator.address.isIPv4 ? "" : "v6")
                o.append(" "); o.append(int: type); o.append("/"); o.append(int: code)
                if let from = e.icmpFrom { o.append(" from "); o.append(address: from) }
            }
            o.append(byte: UInt8(ascii: "\n"))
        case .json:
            o.append("{\"event\":\""); o.append(e.kind.rawValue)
            o.append("\",\"ts\":"); o.append(nanoseconds: e.time)
            o.append(",\"uid\":"); o.appendJSONString(e.uid)
            o.append(",\"id.orig_h\":\""); o.append(address: e.originator.address)
            o.append("\",\"id.orig_p\":"); o.append(int: e.originator.port)
            o.append(",\"id.resp_h\":\""); o.append(address: e.responder.address)
            o.append("\",\"id.resp_p\":"); o.append(int: e.responder.port)
            o.append(",\"proto\":\"tcp\"")
            if let nets = options.localNetworks {
                o.append(",\"local_orig\":"); o.append(nets.contains(e.originator.address) ? "true" : "false")
                o.append(",\"local_resp\":"); o.append(nets.contains(e.responder.address) ? "true" : "false")
            }
            if let id = options.communityID { o.append(",\"community_id\":"); o.appendJSONString(id.hash(e)) }
            if let rtt = e.synToSynAck { o.append(",\"syn_to_synack\":"); o.append(double: rtt, fractionDigits: 6) }
            if let d = e.synAckToAck { o.append(",\"synack_to_ack\":"); o.append(double: d, fractionDigits: 6) }
            if let type = e.icmpType { o.append(",\"icmp_type\":"); o.append(int: type) }
            if let code = e.icmpCode { o.append(",\"icmp_code\":"); o.append(int: code) }
            if let from = e.icmpFrom { o.append(",\"icmp_from_h\":\""); o.append(address: from); o.append("\"") }
            o.append("}\n")
        }
        o.flush()
    }

    /// A flow ended (closed, timed out, evicted, reused) or the capture stopped while it was
    /// open (`closeReason == .endOfInput`: JSON `open_at_exit`, no text line). A connection that
    /// had already closed or aborted when the capture stopped (its close delay had not run out)
    /// is reported as `closed`, not as open.
    ///
    /// - Parameter decidedAt: when the analysis decided the flow (`FlowPipeline.analysisTime`):
    ///   the text line's time and JSON `event_ts`, so events come out in time order. nil: the
    ///   record's last packet time, and no `event_ts`.
    public func closed(_ r: ConnectionRecord, decidedAt: Int64? = nil) {
        let o = output
        let stillOpen = r.closeReason == .endOfInput && !r.hadClosed
        switch format {
        case .text:
            guard !stillOpen else { return }
            o.append(timeOfDay: decidedAt ?? r.lastTime)
            o.append(r.proto == .tcp ? " closed   " : " expired  ")
            o.append(r.uid); o.append("  "); o.append(r.proto.description); o.append("  ")
            endpoints(r.originator, r.responder)
            o.append("  "); o.append(r.connState.rawValue)
            o.append("  "); o.appendTerminalSafe(r.history.isEmpty ? "-" : r.history)
            if let t = r.teardown { o.append("  "); o.append(t.style.rawValue) }
            // The same units as the text report: "59.159 ms", "25 B", "5.1 kB".
            if let d = r.duration { o.append("  "); o.append(humanDuration(seconds: d)) }
            o.append("  orig "); o.append(humanBytes(r.originatorBytes ?? 0))
            o.append(" / resp "); o.append(humanBytes(r.responderBytes ?? 0)); o.append("\n")
        case .json:
            let opening: StaticString = stillOpen ? "{\"event\":\"open_at_exit\"," : "{\"event\":\"closed\","
            if let decidedAt {
                o.append(opening)
                o.append("\"event_ts\":"); o.append(nanoseconds: decidedAt)
                ConnJSONEncoder.write(r, options: options, to: o, opening: ",")
            } else {
                ConnJSONEncoder.write(r, options: options, to: o, opening: opening)
            }
        }
        o.flush()
    }

    private func endpoints(_ a: Endpoint, _ b: Endpoint) {
        output.append(endpoint: a)
        output.append(" → ")
        output.append(endpoint: b)
    }
}

extension ConnectionRecord {
    /// Whether the connection had closed (FIN exchange) or aborted (RST) by the time its record
    /// was written, even if the record was written only because the input ended.
    public var hadClosed: Bool {
        guard let t = teardown else { return false }
        return t.style != .open && t.style != .halfClosed
    }
}
