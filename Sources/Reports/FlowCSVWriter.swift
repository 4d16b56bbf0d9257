import FlowAnalysis
import PacketCodec

/// Writes flow records as CSV (`analyze --format csv`): a header row, then one row per flow.
///
/// Columns: the Zeek conn.log columns that Sockeye fills (see ``zeekColumns``), then the key
/// handshake, teardown and anomaly values (see ``extraColumns``). Unset values are empty
/// fields; booleans are `true`/`false`; times are epoch seconds and intervals seconds, both with
/// 6 decimals.
///
/// Quoting follows RFC 4180: a field containing `,`, `"`, CR or LF is enclosed in double quotes
/// and its quotes are doubled. Rows end with LF (every CSV reader accepts it; RFC 4180's CRLF
/// is not required by Python's `csv`, pandas, or spreadsheets).
///
/// ```
/// ts,uid,id.orig_h,id.orig_p,…,handshake_state,syn_to_synack,…,close_reason
/// 1700000000.000116,C…,10.0.0.1,51514,…,complete,0.000213,…,closed
/// ```
public final class FlowCSVWriter: FlowRecordWriter {
    public let output: OutputBuffer
    private var begun = false

    /// Zeek conn.log columns, in conn.log order (without the always-unset `service`,
    /// `local_orig`, `local_resp` and `tunnel_parents`).
    public static let zeekColumns = [
        "ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "duration",
        "orig_bytes", "resp_bytes", "conn_state", "missed_bytes", "history", "orig_pkts",
        "orig_ip_bytes", "resp_pkts", "resp_ip_bytes", "ip_proto",
    ]
    /// Sockeye's handshake / teardown / anomaly columns.
    public static let extraColumns = [
        "handshake_state", "syn_to_synack", "synack_to_ack", "orig_isn", "resp_isn", "handshake_valid",
        "syn_retransmissions", "orig_mss", "resp_mss", "teardown_kind", "teardown_style", "first_fin",
        "orig_fin_acked", "resp_fin_acked", "rst_by", "orig_retransmissions", "resp_retransmissions",
        "orig_zero_window", "resp_zero_window", "orig_bad_checksums", "resp_bad_checksums", "close_reason",
    ]
    public static var columns: [String] { zeekColumns + extraColumns }

    public init(output: OutputBuffer) { self.output = output }

    public func begin(firstPacketTime: Int64?) {
        guard !begun else { return }
        begun = true
        for (i, c) in Self.columns.enumerated() {
            if i > 0 { output.append(byte: UInt8(ascii: ",")) }
            field(c)
        }
        output.append(byte: UInt8(ascii: "\n"))
    }

    public func write(_ r: ConnectionRecord) {
        if !begun { begin(firstPacketTime: r.startTime) }
        let o = output
        let comma = UInt8(ascii: ",")
        o.append(nanoseconds: r.startTime, fractionDigits: 6); o.append(byte: comma)
        field(r.uid); o.append(byte: comma)
        o.append(address: r.originator.address); o.append(byte: comma)
        o.append(int: r.originator.port); o.append(byte: comma)
        o.append(address: r.responder.address); o.append(byte: comma)
        o.append(int: r.responder.port); o.append(byte: comma)
        field(r.proto.description); o.append(byte: comma)
        interval(r.duration); o.append(byte: comma)
        count(r.originatorBytes); o.append(byte: comma)
        count(r.responderBytes); o.append(byte: comma)
        field(r.connState.rawValue); o.append(byte: comma)
        o.append(int: r.missedBytes); o.append(byte: comma)
        field(r.history); o.append(byte: comma)
        o.append(int: r.originatorPackets); o.append(byte: comma)
        o.append(int: r.originatorIPBytes); o.append(byte: comma)
        o.append(int: r.responderPackets); o.append(byte: comma)
        o.append(int: r.responderIPBytes); o.append(byte: comma)
        o.append(int: r.ipProtocol); o.append(byte: comma)

        let h = r.handshake
        field(h?.state.rawValue ?? ""); o.append(byte: comma)
        interval(h?.synToSynAck); o.append(byte: comma)
        interval(h?.synAckToAck); o.append(byte: comma)
        count(h?.originatorISN.map(UInt64.init)); o.append(byte: comma)
        count(h?.responderISN.map(UInt64.init)); o.append(byte: comma)
        bool(h?.valid); o.append(byte: comma)
        count(h.map { UInt64($0.synRetransmissions) }); o.append(byte: comma)
        count(h?.originatorOptions?.mss.map(UInt64.init)); o.append(byte: comma)
        count(h?.responderOptions?.mss.map(UInt64.init)); o.append(byte: comma)

        let t = r.teardown
        field(t?.kind.rawValue ?? ""); o.append(byte: comma)
        field(t?.style.rawValue ?? ""); o.append(byte: comma)
        field(t?.firstFIN?.rawValue ?? ""); o.append(byte: comma)
        bool(t.map { $0.originatorFINAcked }); o.append(byte: comma)
        bool(t.map { $0.responderFINAcked }); o.append(byte: comma)
        field(t?.rstBy?.rawValue ?? ""); o.append(byte: comma)

        o.append(int: r.originatorAnomalies.retransmissions); o.append(byte: comma)
        o.append(int: r.responderAnomalies.retransmissions); o.append(byte: comma)
        o.append(int: r.originatorAnomalies.zeroWindow); o.append(byte: comma)
        o.append(int: r.responderAnomalies.zeroWindow); o.append(byte: comma)
        o.append(int: r.originatorAnomalies.badChecksums); o.append(byte: comma)
        o.append(int: r.responderAnomalies.badChecksums); o.append(byte: comma)
        field(r.closeReason.rawValue)
        o.append(byte: UInt8(ascii: "\n"))
    }

    /// Writes the header if no record was written, then flushes.
    public func finish(summary: AnalysisSummary) {
        if !begun { begin(firstPacketTime: summary.firstTime) }
        output.flush()
    }

    // MARK: - Values

    /// An RFC 4180 field: quoted (with `""` for `"`) when it holds `,`, `"`, CR or LF.
    private func field(_ s: String) {
        let needsQuotes = s.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0a || $0 == 0x0d }
        guard needsQuotes else { output.append(s); return }
        output.append(byte: UInt8(ascii: "\""))
        for b in s.utf8 {
            if b == UInt8(ascii: "\"") { output.append(byte: b) }
            output.append(byte: b)
        }
        output.append(byte: UInt8(ascii: "\""))
    }

    private func count(_ v: UInt64?) { if let v { output.append(int: v) } }
    private func interval(_ v: Double?) { if let v { output.append(double: v, fractionDigits: 6) } }
    private func bool(_ v: Bool?) { if let v { output.append(v ? "true" : "false") } }

    /// Exposed for tests: the RFC 4180 rendering of one field.
    static func quoted(_ s: String) -> String {
        let b = OutputBuffer(fileDescriptor: nil)
        FlowCSVWriter(output: b).field(s)
        return b.text
    }
}
