import FlowAnalysis
import PacketCodec

/// Writes Zeek's tunnel.log in Zeek's ASCII (TSV) format (`analyze --format zeek-tunnel`):
/// the columns of `Tunnel::Info` (base/frameworks/tunnels/main.zeek), `#open`/`#close` as the
/// conn.log writer writes them.
///
/// ```
/// #fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	tunnel_type	action
/// #types	time	string	addr	port	addr	port	enum	enum
/// 1796281070.479989	C80S7WEeQaPL49bAH	192.0.2.2	33272	192.0.2.1	4789	Tunnel::VXLAN	Tunnel::DISCOVER
/// ```
public final class ZeekTunnelLogWriter {
    public let output: OutputBuffer
    private var begun = false
    private var openTime: Int64?

    public static let fields = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "tunnel_type", "action"]
    public static let types = ["time", "string", "addr", "port", "addr", "port", "enum", "enum"]

    public init(output: OutputBuffer) { self.output = output }

    public func begin(firstPacketTime: Int64?) {
        guard !begun else { return }
        begun = true
        openTime = firstPacketTime
        let o = output
        o.append("#separator \\x09\n")
        o.append("#set_separator\t,\n")
        o.append("#empty_field\t(empty)\n")
        o.append("#unset_field\t-\n")
        o.append("#path\ttunnel\n")
        o.append("#open\t"); o.append(UTCTime(nanoseconds: firstPacketTime ?? 0).zeekStamp); o.append("\n")
        o.append("#fields\t" + Self.fields.joined(separator: "\t") + "\n")
        o.append("#types\t" + Self.types.joined(separator: "\t") + "\n")
    }

    public func write(_ e: TunnelEvent) {
        if !begun { begin(firstPacketTime: e.time) }
        let o = output
        o.append(nanoseconds: e.time, fractionDigits: 6)
        o.append(byte: 9); ConnZeekEncoder.string(e.uid, o)
        o.append(byte: 9); o.append(address: e.originator.address)
        o.append(byte: 9); o.append(int: UInt64(e.originator.port))
        o.append(byte: 9); o.append(address: e.responder.address)
        o.append(byte: 9); o.append(int: UInt64(e.responder.port))
        o.append(byte: 9); o.append("Tunnel::"); o.append(e.type.description)
        o.append(byte: 9); o.append("Tunnel::"); o.append(e.action.rawValue)
        o.append(byte: 10)
    }

    /// Writes the header (if no line was written) and the `#close` footer, then flushes.
    public func finish(summary: AnalysisSummary) {
        if !begun { begin(firstPacketTime: summary.firstTime) }
        let close = summary.lastTime ?? openTime ?? 0
        output.append("#close\t"); output.append(UTCTime(nanoseconds: close).zeekStamp); output.append("\n")
        output.flush()
    }
}
