import Testing
import FlowAnalysis
import PacketCodec
@testable import Reports

/// A small RFC 4180 reader for the tests.
func parseCSV(_ text: String) -> [[String]] {
    var rows: [[String]] = []
    var row: [String] = []
    var field = ""
    var quoted = false
    var chars = Array(text)[...]
    while let c = chars.popFirst() {
        if quoted {
            if c == "\"" {
                if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
            } else {
                field.append(c)
            }
        } else if c == "\"" {
            quoted = true
        } else if c == "," {
            row.append(field); field = ""
        } else if c == "\n" {
            row.append(field); field = ""
            rows.append(row); row = []
        } else {
            field.append(c)
        }
    }
    if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
    return rows
}

@Suite struct FlowCSVWriterTests {
    @Test func headerAndRows() throws {
        let rows = parseCSV(Samples.render(FlowCSVWriter.init, [Samples.tcpConnection(), Samples.udpFlow()]))
        #expect(rows.count == 3)
        let header = rows[0]
        #expect(Array(header.prefix(8)) == ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "duration"])
        #expect(header == FlowCSVWriter.columns)
        for row in rows { #expect(row.count == header.count) }
        func value(_ row: Int, _ column: String) -> String { rows[row][header.firstIndex(of: column)!] }
        #expect(value(1, "ts") == "1700000000.000116")
        #expect(value(1, "conn_state") == "SF")
        #expect(value(1, "history") == "ShADadFf")
        #expect(value(1, "handshake_state") == "complete")
        #expect(value(1, "syn_to_synack") == "0.000213")
        #expect(value(1, "orig_isn") == "1694179788")
        #expect(value(1, "handshake_valid") == "true")
        #expect(value(1, "orig_mss") == "1460")
        #expect(value(1, "teardown_style") == "4-way")
        #expect(value(1, "first_fin") == "orig")
        #expect(value(1, "rst_by") == "")
        #expect(value(1, "resp_retransmissions") == "2")
        #expect(value(2, "id.orig_h") == "2001:db8::1")
        #expect(value(2, "duration") == "")
        #expect(value(2, "handshake_state") == "")
        #expect(value(2, "close_reason") == "end_of_input")
    }

    @Test func rfc4180Quoting() {
        #expect(FlowCSVWriter.quoted("plain") == "plain")
        #expect(FlowCSVWriter.quoted("a,b") == "\"a,b\"")
        #expect(FlowCSVWriter.quoted("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(FlowCSVWriter.quoted("two\nlines") == "\"two\nlines\"")
        #expect(FlowCSVWriter.quoted("cr\r") == "\"cr\r\"")
        var r = Samples.udpFlow()
        r.uid = "C,\"x\"\ny"
        let rows = parseCSV(Samples.render(FlowCSVWriter.init, [r]))
        #expect(rows.count == 2)
        #expect(rows[1][1] == "C,\"x\"\ny")
    }

    @Test func headerEvenWithoutRecords() {
        #expect(parseCSV(Samples.render(FlowCSVWriter.init, [])) == [FlowCSVWriter.columns])
    }
}
