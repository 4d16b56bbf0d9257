import FlowAnalysis
import PacketCodec

/// Writes flow records as CSV (`analyze --format csv`): a header row, then one row per flow.
///
/// Columns: the Zeek conn.log columns that Sockeye fills with the writer's
/// ``ConnFieldOptions`` (see ``ConnSchema/csvColumns(for:)``: `local_orig`/`local_resp` with
/// local networks, `community_id` when on), then the key handshake, teardown and anomaly
/// values (see ``extraColumns``). Unset values are empty
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
    public let options: ConnFieldOptions
    private var begun = false
    private let columnList: [(name: String, field: ConnField)]
    private let fieldList: [ConnField]

    /// Zeek conn.log columns with the default options, in conn.log order (without `service`,
    /// `local_orig` and `local_resp`, which are unset).
    public static let zeekColumns: [String] = ConnSchema.csvColumns.filter { $0.field.isZeekColumn }.map(\.name)
    /// Sockeye's handshake / teardown / anomaly columns (``ConnSchema/csvExtensions``).
    public static let extraColumns: [String] = ConnSchema.csvExtensions.map(\.column)
    /// Every column with the default options, in order (``ConnSchema/csvColumns``).
    public static var columns: [String] { ConnSchema.csvColumns.map(\.name) }
    /// This writer's columns, in order.
    public var columns: [String] { columnList.map(\.name) }

    public init(output: OutputBuffer, options: ConnFieldOptions) {
        self.output = output
        self.options = options
        columnList = ConnSchema.csvColumns(for: options)
        fieldList = columnList.map(\.field)
    }

    /// With ``ConnFieldOptions/default``.
    public convenience init(output: OutputBuffer) { self.init(output: output, options: .default) }

    public func begin(firstPacketTime: Int64?) {
        guard !begun else { return }
        begun = true
        for (i, c) in columns.enumerated() {
            if i > 0 { output.append(byte: UInt8(ascii: ",")) }
            ConnCSVEncoder.field(c, output)
        }
        output.append(byte: UInt8(ascii: "\n"))
    }

    public func write(_ r: ConnectionRecord) {
        if !begun { begin(firstPacketTime: r.startTime) }
        ConnCSVEncoder.write(r, fields: fieldList, options: options, to: output)
    }

    /// Writes the header if no record was written, then flushes.
    public func finish(summary: AnalysisSummary) {
        if !begun { begin(firstPacketTime: summary.firstTime) }
        output.flush()
    }

    /// Exposed for tests: the RFC 4180 rendering of one field.
    static func quoted(_ s: String) -> String {
        let b = OutputBuffer(fileDescriptor: nil)
        ConnCSVEncoder.field(s, b)
        return b.text
    }
}
