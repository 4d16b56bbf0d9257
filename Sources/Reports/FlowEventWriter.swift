import FlowAnalysis
import PacketCodec

/// Renders `sockeye live` events as they happen, one line each, in `text` or `json` (JSON
/// Lines). Keeps no records: each call writes its line and flushes, so a reader sees the event
/// at once.
///
/// ```swift
/// let events = FlowEventWriter(format: .json, output: out)
/// events.event(flowEvent)      // FlowEvent .opened / .rejected
/// events.closed(record)        // a flow ended; closeReason .endOfInput: still open at exit
/// ```
///
/// Text lines:
///
/// ```
/// 22:13:20.000370 opened   C…  tcp  10.0.0.1:51514 → 10.0.0.2:80  SYN→SYN-ACK 0.213 ms
/// 22:13:21.204116 closed   C…  tcp  10.0.0.1:51514 → 10.0.0.2:80  SF  ShADadFf  clean  1.204 s  orig 120 B / resp 5100 B
/// ```
///
/// (`expired` instead of `closed` for non-TCP flows; endpoints are `a.b.c.d:port` or
/// `[v6]:port`; flows still open at the end of input get no text line.) JSON events are objects
/// with `"event"` first: `opened`/`rejected` carry the 5-tuple and handshake intervals;
/// `closed`/`open_at_exit` carry the whole record exactly as ``FlowJSONWriter`` writes it
/// (from ``ConnSchema``), after the `"event"` key.
public final class FlowEventWriter {
    public enum Format: Sendable { case text, json }

    public let format: Format
    public let output: OutputBuffer

    public init(format: Format, output: OutputBuffer) {
        self.format = format
        self.output = output
    }

    /// A handshake completed (`opened`) or was refused (`rejected`).
    public func event(_ e: FlowEvent) {
        let o = output
        switch format {
        case .text:
            o.append(timeOfDay: e.time)
            o.append(e.kind == .opened ? " opened   " : " rejected ")
            o.append(e.uid); o.append("  tcp  ")
            endpoints(e.originator, e.responder)
            if let rtt = e.synToSynAck {
                o.append("  SYN→SYN-ACK "); o.append(double: rtt * 1000, fractionDigits: 3); o.append(" ms")
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
            if let rtt = e.synToSynAck { o.append(",\"syn_to_synack\":"); o.append(double: rtt, fractionDigits: 6) }
            if let d = e.synAckToAck { o.append(",\"synack_to_ack\":"); o.append(double: d, fractionDigits: 6) }
            o.append("}\n")
        }
        o.flush()
    }

    /// A flow ended (closed, timed out, evicted, reused) or the capture stopped while it was
    /// open (`closeReason == .endOfInput`: JSON `open_at_exit`, no text line).
    public func closed(_ r: ConnectionRecord) {
        let o = output
        switch format {
        case .text:
            guard r.closeReason != .endOfInput else { return }
            o.append(timeOfDay: r.lastTime)
            o.append(r.proto == .tcp ? " closed   " : " expired  ")
            o.append(r.uid); o.append("  "); o.append(r.proto.description); o.append("  ")
            endpoints(r.originator, r.responder)
            o.append("  "); o.append(r.connState.rawValue)
            o.append("  "); o.appendTerminalSafe(r.history.isEmpty ? "-" : r.history)
            if let t = r.teardown { o.append("  "); o.append(t.style.rawValue) }
            if let d = r.duration { o.append("  "); o.append(double: d, fractionDigits: 3); o.append(" s") }
            o.append("  orig "); o.append(int: r.originatorBytes ?? 0)
            o.append(" B / resp "); o.append(int: r.responderBytes ?? 0); o.append(" B\n")
        case .json:
            ConnJSONEncoder.write(r, to: o, opening: r.closeReason == .endOfInput
                                    ? "{\"event\":\"open_at_exit\"," : "{\"event\":\"closed\",")
        }
        o.flush()
    }

    private func endpoints(_ a: Endpoint, _ b: Endpoint) {
        output.append(endpoint: a)
        output.append(" → ")
        output.append(endpoint: b)
    }
}
