import Foundation
import Testing
import FlowAnalysis
import PacketCodec
import Pcap
@testable import Reports

/// Runs a capture in `Fixtures/` through CaptureFile → PacketDecoder → FlowAnalyzer.
enum FixtureRecords {
    static func analyze(_ name: String) throws -> [ConnectionRecord] {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        let path = url.appendingPathComponent("Fixtures").appendingPathComponent(name).path
        var records: [ConnectionRecord] = []
        let analyzer = FlowAnalyzer(configuration: .init()) { records.append($0) }
        let decoder = PacketDecoder()
        let file = try CaptureFile(path: path)
        try file.forEachPacket { record in
            let packet = decoder.decode(record.bytes, linkType: LinkType(dlt: record.linkType), wireLength: record.wireLength)
            analyzer.process(packet, time: record.timestamp.totalNanoseconds, bytes: record.bytes)
        }
        analyzer.finish()
        return records
    }
}

/// Data lines only (no Zeek `#` lines, no CSV header).
private func dataLines(_ text: String, dropFirst: Int = 0) -> [String] {
    text.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") }.dropFirst(dropFirst).map { $0 }
}

@Suite struct ConnSchemaTests {
    /// A record with every optional field set, so every schema field has a value.
    static func fullRecord() -> ConnectionRecord {
        var r = Samples.tcpConnection()
        r.teardown?.rstBy = .responder
        r.teardown?.firstFIN = .originator
        r.handshake?.originatorOptions?.fastOpen = true
        return r
    }

    @Test func zeekHeaderIsTheSchemaInOrder() {
        let log = ZeekLog(Samples.render(ZeekTSVWriter.init, [Self.fullRecord()]))
        #expect(log.fields == ConnSchema.zeekFields.map { $0.name.description })
        #expect(log.types == ConnSchema.zeekFields.map { $0.type.name })
        #expect(log.fields.count == 22 && log.fields.first == "ts" && log.fields.last == "ip_proto")
        #expect(log.types[log.fields.firstIndex(of: "tunnel_parents")!] == "set[string]")
        #expect(ZeekTSVWriter.fields == log.fields && ZeekTSVWriter.types == log.types)
        // Each data row has one value per header column.
        #expect(log.rows.count == 1 && log.rows[0].count == log.fields.count)
    }

    @Test func schemaPathsAreUniqueAndGroupsContiguous() {
        let paths = ConnSchema.fields.map(\.path)
        #expect(Set(paths).count == paths.count)
        // The JSON encoder opens each group once, so a nested group's fields must be contiguous.
        for g in ConnGroup.allCases where g != .root {
            func inside(_ x: ConnGroup) -> Bool { x == g || x.parent.map(inside) ?? false }
            let indices = ConnSchema.fields.indices.filter { inside(ConnSchema.fields[$0].group) }
            #expect(!indices.isEmpty, "group \(g) has no fields")
            #expect(indices.last! - indices.first! + 1 == indices.count, "group \(g) is split")
        }
    }

    @Test func everyFieldAppearsInJSON() throws {
        let text = Samples.render(FlowJSONWriter.init, [Self.fullRecord()])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        func lookup(_ path: String) -> Any? {
            // Keys may contain dots (`id.orig_h`): try the longest key first at each level.
            func go(_ obj: [String: Any], _ rest: Substring) -> Any? {
                if let v = obj[String(rest)] { return v }
                var idx = rest.firstIndex(of: ".")
                while let i = idx {
                    if let sub = obj[String(rest[..<i])] as? [String: Any], let v = go(sub, rest[rest.index(after: i)...]) { return v }
                    idx = rest[rest.index(after: i)...].firstIndex(of: ".")
                }
                return nil
            }
            return go(object, Substring(path))
        }
        for f in ConnSchema.fields {
            if f.isAlwaysUnset { #expect(lookup(f.path) == nil, "\(f.path) should be omitted") }
            else { #expect(lookup(f.path) != nil, "\(f.path) missing from JSON") }
        }
        #expect(object.count == ConnSchema.fields.filter { $0.group == .root && !$0.isAlwaysUnset }.count + 3)
    }

    @Test func everyZeekAndCSVColumnAppears() {
        let csv = Samples.render(FlowCSVWriter.init, [Self.fullRecord()]).split(separator: "\n").map(String.init)
        let header = csv[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let row = csv[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(header == ConnSchema.csvColumns.map(\.name))
        #expect(row.count == header.count)
        for f in ConnSchema.zeekFields {
            #expect(header.contains(f.name.description) != f.isAlwaysUnset, "\(f.path) in CSV header")
        }
        #expect(ConnSchema.csvColumns.count == 18 + ConnSchema.csvExtensions.count)
        // Every extension column names a real schema field and is filled for this record.
        for (i, (column, path)) in ConnSchema.csvExtensions.enumerated() {
            #expect(ConnSchema.field(path: path) != nil, "\(column) → \(path)")
            #expect(!row[18 + i].isEmpty, "\(column) empty")
        }
    }

    // MARK: Golden lines from a real capture (same bytes as the pre-schema writers wrote).

    static let goldenJSON = #"{"ts":1795294483.227087,"uid":"CnbG8uiFDk52wTFs7","id.orig_h":"10.77.0.1","id.orig_p":52726,"id.resp_h":"10.77.0.2","id.resp_p":7777,"proto":"tcp","duration":0.059159,"orig_bytes":25,"resp_bytes":44,"conn_state":"SF","missed_bytes":0,"history":"ShADadFf","orig_pkts":6,"orig_ip_bytes":345,"resp_pkts":4,"resp_ip_bytes":260,"ip_proto":6,"handshake":{"state":"complete","syn_ts":1795294483.227087,"synack_ts":1795294483.227136,"ack_ts":1795294483.227149,"syn_to_synack":0.000049,"synack_to_ack":0.000013,"orig_isn":848371998,"resp_isn":1588082662,"valid":true,"syn_retransmissions":0,"synack_retransmissions":0,"simultaneous_open":false,"syn_payload_bytes":0,"orig_options":{"mss":1460,"wscale":10,"sack_permitted":true,"timestamps":true,"tfo":false},"resp_options":{"mss":1460,"wscale":10,"sack_permitted":true,"timestamps":true,"tfo":false}},"teardown":{"kind":"fin","style":"3-way","first_fin":"orig","orig_fin":true,"orig_fin_acked":true,"resp_fin":true,"resp_fin_acked":true,"rst_after_fin":false,"data_after_first_fin":0},"anomalies":{"orig":{"retransmissions":0,"out_of_order":0,"zero_window":0,"bad_checksums":0,"partial_checksums":0,"data_after_fin":0,"acked_unseen":0},"resp":{"retransmissions":0,"out_of_order":0,"zero_window":0,"bad_checksums":0,"partial_checksums":0,"data_after_fin":0,"acked_unseen":0}},"close_reason":"end_of_input"}"#
    static let goldenZeek = "1795294483.227087\tCnbG8uiFDk52wTFs7\t10.77.0.1\t52726\t10.77.0.2\t7777\ttcp\t-\t0.059159\t25\t44\tSF\t-\t-\t0\tShADadFf\t6\t345\t4\t260\t-\t6"
    static let goldenCSV = "1795294483.227087,CnbG8uiFDk52wTFs7,10.77.0.1,52726,10.77.0.2,7777,tcp,0.059159,25,44,SF,0,ShADadFf,6,345,4,260,6,complete,0.000049,0.000013,848371998,1588082662,true,0,1460,1460,fin,3-way,orig,true,true,,0,0,0,0,0,0,end_of_input"

    @Test func goldenLinesFromFixture() throws {
        let records = try FixtureRecords.analyze("tcp-handshake-data-fin.pcap")
        try #require(records.count == 1)
        #expect(dataLines(Samples.render(FlowJSONWriter.init, records)) == [Self.goldenJSON])
        #expect(dataLines(Samples.render(ZeekTSVWriter.init, records)) == [Self.goldenZeek])
        #expect(dataLines(Samples.render(FlowCSVWriter.init, records), dropFirst: 1) == [Self.goldenCSV])
    }
}
