import FlowAnalysis
import PacketCodec

/// Writes flow records as JSON Lines (`analyze --format json`, DESIGN.md §2 "Flow JSON").
///
/// Each record is one object on one line. Zeek conn.log keys come first, in conn.log order:
///
/// ```
/// {"ts":1700000000.000116,"uid":"C…","id.orig_h":"10.0.0.1","id.orig_p":51514,
///  "id.resp_h":"10.0.0.2","id.resp_p":80,"proto":"tcp","duration":1.204000,
///  "orig_bytes":120,"resp_bytes":5100,"conn_state":"SF","missed_bytes":0,
///  "history":"ShADadFf","orig_pkts":6,"orig_ip_bytes":440,"resp_pkts":5,
///  "resp_ip_bytes":5400,"ip_proto":6,
///  "handshake":{…},"teardown":{…},"anomalies":{"orig":{…},"resp":{…}},
///  "close_reason":"closed"}
/// ```
///
/// - `ts` and other times are epoch seconds with 6 decimals; `duration` and the handshake
///   intervals are seconds with 6 decimals.
/// - Unset values are omitted, as in Zeek's JSON logs: `duration`, `orig_bytes` and
///   `resp_bytes` for zero-length flows, `history` when empty, handshake timestamps and ISNs
///   that were not seen, `mss`/`wscale` that were not offered, `first_fin`/`rst_by` when there
///   was none.
/// - `ip_proto` (Zeek ≥ 7.1) follows the conn.log keys; `handshake` and `teardown` appear
///   only for TCP; `anomalies` and `close_reason` appear for every flow.
///
/// No Foundation: everything is appended to an ``OutputBuffer``.
public final class FlowJSONWriter: FlowRecordWriter {
    public let output: OutputBuffer

    public init(output: OutputBuffer) { self.output = output }

    public func begin(firstPacketTime: Int64?) {}

    public func write(_ r: ConnectionRecord) {
        let o = output
        o.append("{\"ts\":")
        o.append(nanoseconds: r.startTime, fractionDigits: 6)
        o.append(",\"uid\":"); o.appendJSONString(r.uid)
        o.append(",\"id.orig_h\":\""); o.append(address: r.originator.address)
        o.append("\",\"id.orig_p\":"); o.append(int: r.originator.port)
        o.append(",\"id.resp_h\":\""); o.append(address: r.responder.address)
        o.append("\",\"id.resp_p\":"); o.append(int: r.responder.port)
        o.append(",\"proto\":"); o.appendJSONString(r.proto.description)
        if let d = r.duration { o.append(",\"duration\":"); o.append(double: d, fractionDigits: 6) }
        if let b = r.originatorBytes { o.append(",\"orig_bytes\":"); o.append(int: b) }
        if let b = r.responderBytes { o.append(",\"resp_bytes\":"); o.append(int: b) }
        o.append(",\"conn_state\":"); o.appendJSONString(r.connState.rawValue)
        o.append(",\"missed_bytes\":"); o.append(int: r.missedBytes)
        if !r.history.isEmpty { o.append(",\"history\":"); o.appendJSONString(r.history) }
        o.append(",\"orig_pkts\":"); o.append(int: r.originatorPackets)
        o.append(",\"orig_ip_bytes\":"); o.append(int: r.originatorIPBytes)
        o.append(",\"resp_pkts\":"); o.append(int: r.responderPackets)
        o.append(",\"resp_ip_bytes\":"); o.append(int: r.responderIPBytes)
        o.append(",\"ip_proto\":"); o.append(int: r.ipProtocol)
        if let h = r.handshake { writeHandshake(h) }
        if let t = r.teardown { writeTeardown(t) }
        o.append(",\"anomalies\":{\"orig\":")
        writeAnomalies(r.originatorAnomalies)
        o.append(",\"resp\":")
        writeAnomalies(r.responderAnomalies)
        o.append("},\"close_reason\":"); o.appendJSONString(r.closeReason.rawValue)
        o.append("}\n")
    }

    public func finish(summary: AnalysisSummary) { output.flush() }

    // MARK: - Sections

    private func time(_ key: StaticString, _ ns: Int64?) {
        guard let ns else { return }
        output.append(","); output.append(key); output.append(":")
        output.append(nanoseconds: ns, fractionDigits: 6)
    }

    private func interval(_ key: StaticString, _ seconds: Double?) {
        guard let seconds else { return }
        output.append(","); output.append(key); output.append(":")
        output.append(double: seconds, fractionDigits: 6)
    }

    private func count<T: BinaryInteger>(_ key: StaticString, _ value: T?) {
        guard let value else { return }
        output.append(","); output.append(key); output.append(":")
        output.append(int: value)
    }

    private func bool(_ key: StaticString, _ value: Bool?) {
        guard let value else { return }
        output.append(","); output.append(key); output.append(value ? ":true" : ":false")
    }

    private func writeHandshake(_ h: HandshakeReport) {
        let o = output
        o.append(",\"handshake\":{\"state\":"); o.appendJSONString(h.state.rawValue)
        time("\"syn_ts\"", h.synTime)
        time("\"synack_ts\"", h.synAckTime)
        time("\"ack_ts\"", h.ackTime)
        interval("\"syn_to_synack\"", h.synToSynAck)
        interval("\"synack_to_ack\"", h.synAckToAck)
        count("\"orig_isn\"", h.originatorISN)
        count("\"resp_isn\"", h.responderISN)
        bool("\"valid\"", h.valid)
        count("\"syn_retransmissions\"", h.synRetransmissions)
        count("\"synack_retransmissions\"", h.synAckRetransmissions)
        bool("\"simultaneous_open\"", h.simultaneousOpen)
        count("\"syn_payload_bytes\"", h.synPayloadBytes)
        if let opts = h.originatorOptions { o.append(",\"orig_options\":"); writeOptions(opts) }
        if let opts = h.responderOptions { o.append(",\"resp_options\":"); writeOptions(opts) }
        o.append("}")
    }

    private func writeOptions(_ opts: OfferedOptions) {
        let o = output
        o.append("{")
        var first = true
        if let mss = opts.mss { o.append("\"mss\":"); o.append(int: mss); first = false }
        if let ws = opts.windowScale {
            if !first { o.append(",") }
            o.append("\"wscale\":"); o.append(int: ws); first = false
        }
        if !first { o.append(",") }
        o.append("\"sack_permitted\":"); o.append(opts.sackPermitted ? "true" : "false")
        o.append(",\"timestamps\":"); o.append(opts.timestamps ? "true" : "false")
        o.append(",\"tfo\":"); o.append(opts.fastOpen ? "true" : "false")
        o.append("}")
    }

    private func writeTeardown(_ t: TeardownReport) {
        let o = output
        o.append(",\"teardown\":{\"kind\":"); o.appendJSONString(t.kind.rawValue)
        o.append(",\"style\":"); o.appendJSONString(t.style.rawValue)
        if let side = t.firstFIN { o.append(",\"first_fin\":"); o.appendJSONString(side.rawValue) }
        bool("\"orig_fin\"", t.originatorFIN)
        bool("\"orig_fin_acked\"", t.originatorFINAcked)
        bool("\"resp_fin\"", t.responderFIN)
        bool("\"resp_fin_acked\"", t.responderFINAcked)
        if let side = t.rstBy { o.append(",\"rst_by\":"); o.appendJSONString(side.rawValue) }
        bool("\"rst_after_fin\"", t.rstAfterFIN)
        count("\"data_after_first_fin\"", t.dataAfterFirstFIN)
        o.append("}")
    }

    private func writeAnomalies(_ a: DirectionAnomalies) {
        let o = output
        o.append("{\"retransmissions\":"); o.append(int: a.retransmissions)
        o.append(",\"out_of_order\":"); o.append(int: a.outOfOrder)
        o.append(",\"zero_window\":"); o.append(int: a.zeroWindow)
        o.append(",\"bad_checksums\":"); o.append(int: a.badChecksums)
        o.append(",\"partial_checksums\":"); o.append(int: a.partialChecksums)
        o.append(",\"data_after_fin\":"); o.append(int: a.dataAfterFIN)
        o.append(",\"acked_unseen\":"); o.append(int: a.ackedUnseen)
        o.append("}")
    }
}
