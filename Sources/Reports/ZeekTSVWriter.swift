#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowAnalysis
import PacketCodec

/// Writes a Zeek conn.log in Zeek's ASCII (TSV) format (`analyze --format zeek`), readable by
/// `zeek-cut` and Zeek's own input framework.
///
/// ```
/// #separator \x09
/// #set_separator	,
/// #empty_field	(empty)
/// #unset_field	-
/// #path	conn
/// #open	2023-11-14-22-13-20
/// #fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	proto	service	duration	…	ip_proto
/// #types	time	string	addr	port	addr	port	enum	string	interval	…	count
/// 1700000000.000116	C…	10.0.0.1	51514	10.0.0.2	80	tcp	-	1.204000	120	5100	SF	-	-	0	ShADadFf	6	440	5	5400	-	6
/// #close	2023-11-14-22-13-21
/// ```
///
/// - Columns and types are Zeek's `Conn::Info` (base scripts, Zeek ≥ 7.1 with `ip_proto`), then
///   `community_id` (as with `policy/protocols/conn/community-id-logging` loaded) unless the
///   writer's ``ConnFieldOptions/communityID`` is nil.
/// - `time` and `interval` values have 6 fixed decimals, as Zeek's ASCII formatter writes them.
/// - Unset values are `-`: `service` (no protocol detection), `local_orig`/`local_resp` (no
///   local networks configured, Zeek's empty `Site::local_nets`), `tunnel_parents` (flows not in a tunnel), `duration`/`orig_bytes`/`resp_bytes`
///   for zero-length flows, `history` when empty — all as Zeek writes them.
/// - String values are escaped like Zeek: control bytes and the separator become `\xNN`, and
///   a value equal to `-` or `(empty)` has its first byte escaped.
/// - `#open` is the first packet's time (Zeek uses network time when reading a trace), `#close`
///   the last packet's, both as `YYYY-MM-DD-HH-MM-SS` UTC. ``finish(summary:)`` writes the
///   `#close` footer; call it also when the input turned out damaged.
public final class ZeekTSVWriter: FlowRecordWriter {
    public let output: OutputBuffer
    public let options: ConnFieldOptions
    private var begun = false
    private var openTime: Int64?
    private let columns: [ConnField]

    /// Zeek's column names with the default options, in order (from ``ConnSchema/zeekFields``).
    public static let fields: [String] = ConnSchema.zeekFields.map { $0.name.description }
    /// Zeek's column types with the default options, in order (from ``ConnSchema/zeekFields``).
    public static let types: [String] = ConnSchema.zeekFields.map { $0.type.name }

    public init(output: OutputBuffer, options: ConnFieldOptions) {
        self.output = output
        self.options = options
        columns = ConnSchema.zeekFields(for: options)
    }

    /// With ``ConnFieldOptions/default``.
    public convenience init(output: OutputBuffer) { self.init(output: output, options: .default) }

    public func begin(firstPacketTime: Int64?) {
        guard !begun else { return }
        begun = true
        openTime = firstPacketTime ?? Self.now()
        let o = output
        o.append("#separator \\x09\n")
        o.append("#set_separator\t,\n")
        o.append("#empty_field\t(empty)\n")
        o.append("#unset_field\t-\n")
        o.append("#path\tconn\n")
        o.append("#open\t"); o.append(UTCTime(nanoseconds: openTime!).zeekStamp); o.append("\n")
        o.append("#fields")
        for f in columns { o.append("\t"); o.append(f.name) }
        o.append("\n#types")
        for f in columns { o.append("\t"); o.append(f.type.name) }
        o.append("\n")
    }

    public func write(_ r: ConnectionRecord) {
        if !begun { begin(firstPacketTime: r.startTime) }
        ConnZeekEncoder.write(r, fields: columns, options: options, to: output)
    }

    /// Writes the header (if no record was written) and the `#close` footer, then flushes.
    public func finish(summary: AnalysisSummary) {
        if !begun { begin(firstPacketTime: summary.firstTime) }
        let close = summary.lastTime ?? openTime ?? Self.now()
        output.append("#close\t"); output.append(UTCTime(nanoseconds: close).zeekStamp); output.append("\n")
        output.flush()
    }

    private static func now() -> Int64 { Int64(time(nil)) * 1_000_000_000 }
}
