import Foundation
import Testing
import FlowAnalysis
import PacketCodec
@testable import Reports

/// Keys of the first JSON object in `json` (not of nested objects), in text order.
func topLevelKeys(_ json: String) -> [String] {
    var keys: [String] = []
    var depth = 0
    var inString = false
    var escaped = false
    var current = ""
    var lastString: String? = nil
    for ch in json {
        if inString {
            if escaped { escaped = false; current.append(ch); continue }
            if ch == "\\" { escaped = true; continue }
            if ch == "\"" { inString = false; lastString = current; continue }
            current.append(ch)
            continue
        }
        switch ch {
        case "\"": inString = true; current = ""
        case "{", "[": depth += 1; lastString = nil
        case "}", "]":
            depth -= 1
            lastString = nil
            if depth == 0 { return keys }
        case ":": if depth == 1, let k = lastString { keys.append(k) }; lastString = nil
        case ",": lastString = nil
        default: break
        }
    }
    return keys
}

func parseObject(_ line: String) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
    return try #require(object as? [String: Any])
}

@Suite struct FlowJSONWriterTests {
    let lines = Samples.render(FlowJSONWriter.init, [Samples.tcpConnection(), Samples.udpFlow()])
        .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)

    @Test func oneWholeObjectPerLine() throws {
        #expect(lines.count == 3)
        #expect(lines.last == "")
        for line in lines.dropLast() { _ = try parseObject(line) }
    }

    @Test func zeekKeysFirstInContractOrder() throws {
        let keys = topLevelKeys(lines[0])
        #expect(keys == [
            "ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "duration",
            "orig_bytes", "resp_bytes", "conn_state", "missed_bytes", "history", "orig_pkts",
            "orig_ip_bytes", "resp_pkts", "resp_ip_bytes", "ip_proto", "community_id",
            "handshake", "teardown", "anomalies", "close_reason",
        ])
    }

    @Test func tcpValues() throws {
        let o = try parseObject(lines[0])
        #expect(lines[0].hasPrefix("{\"ts\":1700000000.000116,"))
        #expect(o["uid"] as? String == "CHhAvVGS1DHFjwGM9")
        #expect(o["id.orig_h"] as? String == "10.0.0.1")
        #expect(o["id.orig_p"] as? Int == 51514)
        #expect(o["id.resp_h"] as? String == "10.0.0.2")
        #expect(o["id.resp_p"] as? Int == 80)
        #expect(o["proto"] as? String == "tcp")
        #expect(lines[0].contains("\"duration\":1.204000,"))
        #expect(o["orig_bytes"] as? Int == 120)
        #expect(o["resp_bytes"] as? Int == 5100)
        #expect(o["conn_state"] as? String == "SF")
        #expect(o["missed_bytes"] as? Int == 0)
        #expect(o["history"] as? String == "ShADadFf")
        #expect(o["orig_pkts"] as? Int == 6)
        #expect(o["orig_ip_bytes"] as? Int == 440)
        #expect(o["resp_pkts"] as? Int == 5)
        #expect(o["resp_ip_bytes"] as? Int == 5400)
        #expect(o["ip_proto"] as? Int == 6)
        #expect(o["close_reason"] as? String == "closed")

        let h = try #require(o["handshake"] as? [String: Any])
        let hsLine = String(lines[0][lines[0].range(of: "\"handshake\":")!.upperBound...])
        #expect(topLevelKeys(hsLine) == [
            "state", "syn_ts", "synack_ts", "ack_ts", "syn_to_synack", "synack_to_ack", "orig_isn", "resp_isn",
            "valid", "syn_retransmissions", "synack_retransmissions", "simultaneous_open", "syn_payload_bytes",
            "orig_options", "resp_options",
        ])
        let tdLine = String(lines[0][lines[0].range(of: "\"teardown\":")!.upperBound...])
        #expect(topLevelKeys(tdLine) == [
            "kind", "style", "first_fin", "orig_fin", "orig_fin_acked", "resp_fin", "resp_fin_acked",
            "rst_after_fin", "data_after_first_fin",
        ])
        let anLine = String(lines[0][lines[0].range(of: "\"anomalies\":{\"orig\":")!.upperBound...])
        #expect(topLevelKeys(anLine) == [
            "retransmissions", "out_of_order", "zero_window", "bad_checksums", "partial_checksums",
            "data_after_fin", "acked_unseen",
        ])
        #expect(h["state"] as? String == "complete")
        #expect(lines[0].contains("\"syn_ts\":1700000000.000116,\"synack_ts\":1700000000.000329,"))
        #expect(lines[0].contains("\"syn_to_synack\":0.000213,\"synack_to_ack\":0.000041,"))
        #expect(h["orig_isn"] as? Int == Int(Samples.clientISN))
        #expect(h["resp_isn"] as? Int == Int(Samples.serverISN))
        #expect(h["valid"] as? Bool == true)
        #expect(h["syn_retransmissions"] as? Int == 0)
        #expect(h["simultaneous_open"] as? Bool == false)
        let opts = try #require(h["orig_options"] as? [String: Any])
        #expect(opts["mss"] as? Int == 1460)
        #expect(opts["wscale"] as? Int == 7)
        #expect(opts["sack_permitted"] as? Bool == true)
        #expect(opts["timestamps"] as? Bool == true)
        #expect(opts["tfo"] as? Bool == false)

        let t = try #require(o["teardown"] as? [String: Any])
        #expect(t["kind"] as? String == "fin")
        #expect(t["style"] as? String == "4-way")
        #expect(t["first_fin"] as? String == "orig")
        #expect(t["orig_fin"] as? Bool == true)
        #expect(t["orig_fin_acked"] as? Bool == true)
        #expect(t["resp_fin"] as? Bool == true)
        #expect(t["resp_fin_acked"] as? Bool == true)
        #expect(t["rst_by"] == nil)
        #expect(t["rst_after_fin"] as? Bool == false)
        #expect(t["data_after_first_fin"] as? Int == 0)

        let a = try #require(o["anomalies"] as? [String: Any])
        let resp = try #require(a["resp"] as? [String: Any])
        #expect(resp["retransmissions"] as? Int == 2)
        #expect(Set(resp.keys) == ["retransmissions", "out_of_order", "zero_window", "bad_checksums",
                                   "partial_checksums", "data_after_fin", "acked_unseen"])
        #expect((a["orig"] as? [String: Any])?["retransmissions"] as? Int == 0)
    }

    @Test func unsetValuesAreOmittedLikeZeek() throws {
        let o = try parseObject(lines[1])
        #expect(o["duration"] == nil)
        #expect(o["orig_bytes"] == nil)
        #expect(o["resp_bytes"] == nil)
        #expect(o["handshake"] == nil)
        #expect(o["teardown"] == nil)
        #expect(o["id.orig_h"] as? String == "2001:db8::1")
        #expect(o["proto"] as? String == "udp")
        #expect(o["close_reason"] as? String == "end_of_input")

        var r = Samples.udpFlow()
        r.history = ""
        let line = Samples.render(FlowJSONWriter.init, [r])
        #expect(try parseObject(line)["history"] == nil)
    }

    @Test func stringsAreEscaped() throws {
        var r = Samples.udpFlow()
        r.uid = "C\"quoted\\\u{1b}[31m\n"
        let line = Samples.render(FlowJSONWriter.init, [r])
        #expect(line.split(separator: "\n").count == 1)
        #expect(line.contains(#""uid":"C\"quoted\\\u001b[31m\n""#))
        #expect(try parseObject(String(line.dropLast()))["uid"] as? String == r.uid)
    }
}
