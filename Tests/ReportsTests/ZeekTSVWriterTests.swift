import Testing
import FlowAnalysis
import PacketCodec
@testable import Reports

/// Reads a Zeek ASCII log the way `zeek-cut` does: `#fields` names the columns, data rows are
/// split on the separator, `#`-lines are metadata.
struct ZeekLog {
    var meta: [String: String] = [:]
    var fields: [String] = []
    var types: [String] = []
    var rows: [[String: String]] = []
    var lastLine = ""

    init(_ text: String) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        lastLine = lines.last ?? ""
        for line in lines {
            if line.hasPrefix("#separator ") { meta["separator"] = String(line.dropFirst(11)); continue }
            if line.hasPrefix("#") {
                let parts = line.dropFirst().split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                switch parts[0] {
                case "fields": fields = Array(parts.dropFirst())
                case "types": types = Array(parts.dropFirst())
                default: meta[parts[0]] = parts.dropFirst().joined(separator: "\t")
                }
                continue
            }
            let values = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            rows.append(Dictionary(uniqueKeysWithValues: zip(fields, values)))
            precondition(values.count == fields.count, "row has \(values.count) columns, #fields \(fields.count)")
        }
    }

    /// `zeek-cut a b c`
    func cut(_ names: String...) -> [[String]] { rows.map { row in names.map { row[$0] ?? "<missing>" } } }
}

@Suite struct ZeekTSVWriterTests {
    let text = Samples.render(ZeekTSVWriter.init, [Samples.tcpConnection(), Samples.udpFlow()])
    var log: ZeekLog { ZeekLog(text) }

    @Test func header() {
        let lines = text.split(separator: "\n").map(String.init)
        #expect(Array(lines.prefix(6)) == [
            "#separator \\x09",
            "#set_separator\t,",
            "#empty_field\t(empty)",
            "#unset_field\t-",
            "#path\tconn",
            "#open\t2023-11-14-22-13-20",
        ])
        #expect(lines[6] == "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tip_proto\tcommunity_id")
        #expect(lines[7] == "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\tcount\tstring")
    }

    @Test func footer() {
        #expect(log.lastLine == "#close\t2023-11-14-22-13-21")
        #expect(log.rows.count == 2)
    }

    @Test func valuesSelectedByName() {
        #expect(log.cut("ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "conn_state", "history")[0] ==
                ["1700000000.000116", "CHhAvVGS1DHFjwGM9", "10.0.0.1", "51514", "10.0.0.2", "80", "tcp", "SF", "ShADadFf"])
        #expect(log.cut("duration", "orig_bytes", "resp_bytes", "missed_bytes", "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes", "ip_proto")[0] ==
                ["1.204000", "120", "5100", "0", "6", "440", "5", "5400", "6"])
    }

    @Test func unsetFieldsAreDashes() {
        #expect(log.cut("service", "local_orig", "local_resp", "tunnel_parents")[0] == ["-", "-", "-", "-"])
        // A one-packet flow: Zeek leaves duration and byte counts unset.
        #expect(log.cut("id.orig_h", "duration", "orig_bytes", "resp_bytes", "conn_state")[1] ==
                ["2001:db8::1", "-", "-", "-", "S0"])
        var r = Samples.udpFlow()
        r.history = ""
        #expect(ZeekLog(Samples.render(ZeekTSVWriter.init, [r])).cut("history") == [["-"]])
    }

    @Test func stringsAreEscapedLikeZeek() {
        var r = Samples.udpFlow()
        r.uid = "C\tx\u{1b}"
        #expect(ZeekLog(Samples.render(ZeekTSVWriter.init, [r])).cut("uid") == [["C\\x09x\\x1b"]])
        r.uid = "-"
        #expect(ZeekLog(Samples.render(ZeekTSVWriter.init, [r])).cut("uid") == [["\\x2d"]])
        r.uid = ""
        #expect(ZeekLog(Samples.render(ZeekTSVWriter.init, [r])).cut("uid") == [["(empty)"]])
    }

    @Test func headerAndFooterEvenWithoutRecords() {
        let log = ZeekLog(Samples.render(ZeekTSVWriter.init, []))
        #expect(log.fields.count == 23)
        #expect(log.types.count == 23)
        #expect(log.rows.isEmpty)
        #expect(log.meta["open"] == "2023-11-14-22-13-20")
        #expect(log.lastLine.hasPrefix("#close\t"))
    }

    @Test func utcStamps() {
        #expect(UTCTime(nanoseconds: 0).zeekStamp == "1970-01-01-00-00-00")
        #expect(UTCTime(nanoseconds: 951_782_400 * 1_000_000_000).zeekStamp == "2000-02-29-00-00-00")
        #expect(UTCTime(nanoseconds: 4_102_444_799 * 1_000_000_000 + 999_999_999).readable == "2099-12-31 23:59:59.999999")
        #expect(UTCTime(nanoseconds: -1).zeekStamp == "1969-12-31-23-59-59")
    }
}
