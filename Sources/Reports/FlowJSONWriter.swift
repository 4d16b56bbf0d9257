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
///  "resp_ip_bytes":5400,"ip_proto":6,"community_id":"1:…",
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
/// - `ip_proto` (Zeek ≥ 7.1) follows the conn.log keys, then `community_id` (unless
///   ``ConnFieldOptions/communityID`` is nil); `local_orig`/`local_resp` are written when
///   ``ConnFieldOptions/localNetworks`` is set. `handshake` and `teardown` appear only for TCP;
///   `anomalies` and `close_reason` appear for every flow.
///
/// Keys, order and unset rules come from ``ConnSchema``. No Foundation: everything is
/// appended to an ``OutputBuffer``.
public final class FlowJSONWriter: FlowRecordWriter {
    public let output: OutputBuffer
    public let options: ConnFieldOptions

    public init(output: OutputBuffer, options: ConnFieldOptions) {
        self.output = output
        self.options = options
    }

    /// With ``ConnFieldOptions/default``.
    public convenience init(output: OutputBuffer) { self.init(output: output, options: .default) }

    public func begin(firstPacketTime: Int64?) {}

    /// Walks ``ConnSchema/fields`` with the JSON encoder.
    public func write(_ r: ConnectionRecord) {
        ConnJSONEncoder.write(r, options: options, to: output)
    }

    public func finish(summary: AnalysisSummary) { output.flush() }
}
