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
        r.vlan = 10
        r.innerVLAN = 20
        r.tunnel = TunnelInfo(type: .vxlan, depth: 1, id: 42, outerSource: IPAddress("192.0.2.1"),
                              outerDestination: IPAddress("192.0.2.2"), outerSourcePort: 51000, outerDestinationPort: 4789)
        r.tunnelParents = ["CaaaaaaaaaaaaaaaaA", "CbbbbbbbbbbbbbbbbB"]
        r.icmpErrors = ICMPErrorReport(count: 2, firstTime: r.startTime + 1_000, type: 3, code: 13, isICMPv6: false,
                                       from: IPAddress("192.0.2.254")!, aboutOriginator: true)
        r.handshake?.rejectedByICMP = true
        r.originatorL2Address = MACAddress("02:00:00:00:00:01")
        r.responderL2Address = MACAddress("02:00:00:00:00:02")
        return r
    }

    /// Every option that adds a field: Community ID on, local networks configured.
    static let allOn = ConnFieldOptions(communityID: CommunityID(), localNetworks: try! LocalNetworks(parsing: "10.0.0.0/8"))
    /// Community ID off, no local networks: Zeek's default conn.log.
    static let allOff = ConnFieldOptions(communityID: nil, localNetworks: nil)

    /// Zeek's default conn.log fields and types, in `Conn::Info` order
    /// (zeek/zeek scripts/base/protocols/conn/main.zeek; `ip_proto` since Zeek 7.1).
    static let zeekDefaultFields = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service",
                                    "duration", "orig_bytes", "resp_bytes", "conn_state", "local_orig", "local_resp",
                                    "missed_bytes", "history", "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes",
                                    "tunnel_parents", "ip_proto"]
    static let zeekDefaultTypes = ["time", "string", "addr", "port", "addr", "port", "enum", "string", "interval", "count",
                                   "count", "string", "bool", "bool", "count", "string", "count", "count", "count", "count",
                                   "set[string]", "count"]

    @Test func zeekHeaderIsTheSchemaInOrder() {
        let log = ZeekLog(Samples.render(ZeekTSVWriter.init, [Self.fullRecord()]))
        #expect(log.fields == ConnSchema.zeekFields.map { $0.name.description })
        #expect(log.types == ConnSchema.zeekFields.map { $0.type.name })
        // Zeek's 22 default fields in Zeek's order, then the policy-script field community_id
        // (policy/protocols/conn/community-id-logging: `community_id: string`).
        #expect(log.fields == Self.zeekDefaultFields + ["community_id"])
        #expect(log.types == Self.zeekDefaultTypes + ["string"])
        #expect(ZeekTSVWriter.fields == log.fields && ZeekTSVWriter.types == log.types)
        // Each data row has one value per header column.
        #expect(log.rows.count == 1 && log.rows[0].count == log.fields.count)
        // With the Community ID off, exactly Zeek's default conn.log columns.
        let off = ZeekLog(Samples.render({ ZeekTSVWriter(output: $0, options: Self.allOff) }, [Self.fullRecord()]))
        #expect(off.fields == Self.zeekDefaultFields && off.types == Self.zeekDefaultTypes)
        #expect(off.rows.count == 1 && off.rows[0].count == 22)
        // Local networks never add or remove a Zeek column (local_orig/local_resp are default fields).
        let on = ZeekLog(Samples.render({ ZeekTSVWriter(output: $0, options: Self.allOn) }, [Self.fullRecord()]))
        #expect(on.fields == log.fields)
        #expect(on.cut("local_orig", "local_resp") == [["T", "T"]])
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
        let text = Samples.render({ FlowJSONWriter(output: $0, options: Self.allOn) }, [Self.fullRecord()])
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
        #expect(object.count == ConnSchema.fields.filter { $0.group == .root && !$0.isAlwaysUnset }.count + 5)
        #expect(object["tunnel_parents"] as? [String] == ["CaaaaaaaaaaaaaaaaA", "CbbbbbbbbbbbbbbbbB"])
        #expect(object["vlan"] as? Int == 10 && object["inner_vlan"] as? Int == 20)
        let tunnel = try #require(object["tunnel"] as? [String: Any])
        #expect(tunnel["type"] as? String == "VXLAN" && tunnel["id"] as? Int == 42 && tunnel["depth"] as? Int == 1)
        #expect(tunnel["outer_src_h"] as? String == "192.0.2.1" && tunnel["outer_dst_p"] as? Int == 4789)
        let icmp = try #require(object["icmp_errors"] as? [String: Any])
        #expect(icmp["count"] as? Int == 2 && icmp["type"] as? Int == 3 && icmp["code"] as? Int == 13)
        #expect(icmp["from_h"] as? String == "192.0.2.254" && icmp["about"] as? String == "orig" && icmp["icmpv6"] as? Bool == false)
        #expect((object["handshake"] as? [String: Any])?["rejected_by_icmp"] as? Bool == true)
        #expect(object["local_orig"] as? Bool == true && object["local_resp"] as? Bool == true)
        #expect(object["community_id"] as? String == CommunityID().hash(Self.fullRecord()))
        // Default options: no local_orig/local_resp keys (Zeek leaves them unset without
        // Site::local_nets); off: no community_id key either.
        let plain = try #require(try JSONSerialization.jsonObject(with: Data(Samples.render(FlowJSONWriter.init, [Self.fullRecord()]).utf8)) as? [String: Any])
        #expect(plain["local_orig"] == nil && plain["local_resp"] == nil && plain["community_id"] != nil)
        #expect(plain.count == object.count - 2)
        let off = try #require(try JSONSerialization.jsonObject(with: Data(Samples.render({ FlowJSONWriter(output: $0, options: Self.allOff) }, [Self.fullRecord()]).utf8)) as? [String: Any])
        #expect(off["community_id"] == nil && off.count == object.count - 3)
    }

    @Test func everyZeekAndCSVColumnAppears() {
        let csv = Samples.render(FlowCSVWriter.init, [Self.fullRecord()]).split(separator: "\n").map(String.init)
        let header = csv[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let row = csv[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(header == ConnSchema.csvColumns.map(\.name))
        #expect(row.count == header.count + 1)   // the quoted set holds one ','
        for f in ConnSchema.fields where f.isZeekColumn {
            #expect(header.contains(f.name.description) == f.isWritten(with: .default), "\(f.path) in CSV header")
        }
        // The 19 conn.log columns Sockeye fills, community_id, then the extensions.
        #expect(ConnSchema.csvColumns.count == 20 + ConnSchema.csvExtensions.count)
        #expect(header[17] == "tunnel_parents" && header[18] == "ip_proto" && header[19] == "community_id")
        // A set is one field: its elements joined by ',' (quoted, RFC 4180).
        #expect(csv[1].contains(",\"CaaaaaaaaaaaaaaaaA,CbbbbbbbbbbbbbbbbB\","))
        // Every extension column names a real schema field and is filled for this record.
        for (i, (column, path)) in ConnSchema.csvExtensions.enumerated() {
            #expect(ConnSchema.field(path: path) != nil, "\(column) → \(path)")
            #expect(!row[21 + i].isEmpty, "\(column) empty")
        }
        // Local networks add local_orig/local_resp where Zeek has them; off removes community_id.
        let on = ConnSchema.csvColumns(for: Self.allOn).map(\.name)
        #expect(on.count == header.count + 2 && on[11] == "local_orig" && on[12] == "local_resp")
        let off = ConnSchema.csvColumns(for: Self.allOff).map(\.name)
        #expect(off.count == header.count - 1 && !off.contains("community_id"))
    }

    // MARK: Golden lines from a real capture. With the Community ID off (`--no-community-id`):
    // the same bytes as the pre-schema writers wrote, plus `orig_l2_addr`/`resp_l2_addr` (the
    // first frame's eth.src/eth.dst in tshark). Default: the same plus `community_id` after
    // `ip_proto` (the value is tshark 4.0's `communityid` for every packet of the capture).

    static let goldenJSON = #"{"ts":1795294483.227087,"uid":"CnbG8uiFDk52wTFs7","id.orig_h":"10.77.0.1","id.orig_p":52726,"id.resp_h":"10.77.0.2","id.resp_p":7777,"proto":"tcp","duration":0.059159,"orig_bytes":25,"resp_bytes":44,"conn_state":"SF","missed_bytes":0,"history":"ShADadFf","orig_pkts":6,"orig_ip_bytes":345,"resp_pkts":4,"resp_ip_bytes":260,"ip_proto":6,"orig_l2_addr":"02:77:00:00:00:01","resp_l2_addr":"02:77:00:00:00:02","handshake":{"state":"complete","syn_ts":1795294483.227087,"synack_ts":1795294483.227136,"ack_ts":1795294483.227149,"syn_to_synack":0.000049,"synack_to_ack":0.000013,"orig_isn":848371998,"resp_isn":1588082662,"valid":true,"syn_retransmissions":0,"synack_retransmissions":0,"simultaneous_open":false,"syn_payload_bytes":0,"orig_options":{"mss":1460,"wscale":10,"sack_permitted":true,"timestamps":true,"tfo":false},"resp_options":{"mss":1460,"wscale":10,"sack_permitted":true,"timestamps":true,"tfo":false}},"teardown":{"kind":"fin","style":"3-way","first_fin":"orig","orig_fin":true,"orig_fin_acked":true,"resp_fin":true,"resp_fin_acked":true,"rst_after_fin":false,"data_after_first_fin":0},"anomalies":{"orig":{"retransmissions":0,"out_of_order":0,"zero_window":0,"bad_checksums":0,"partial_checksums":0,"data_after_fin":0,"acked_unseen":0},"resp":{"retransmissions":0,"out_of_order":0,"zero_window":0,"bad_checksums":0,"partial_checksums":0,"data_after_fin":0,"acked_unseen":0}},"close_reason":"end_of_input"}"#
    static let goldenZeek = "1795294483.227087\tCnbG8uiFDk52wTFs7\t10.77.0.1\t52726\t10.77.0.2\t7777\ttcp\t-\t0.059159\t25\t44\tSF\t-\t-\t0\tShADadFf\t6\t345\t4\t260\t-\t6"
    static let goldenCSV = "1795294483.227087,CnbG8uiFDk52wTFs7,10.77.0.1,52726,10.77.0.2,7777,tcp,0.059159,25,44,SF,0,ShADadFf,6,345,4,260,,6,complete,0.000049,0.000013,848371998,1588082662,true,0,1460,1460,fin,3-way,orig,true,true,,0,0,0,0,0,0,end_of_input,,,,,,,02:77:00:00:00:01,02:77:00:00:00:02"

    static let goldenJSONDefault = #"{"ts":1795294483.227087,"uid":"CnbG8uiFDk52wTFs7","id.orig_h":"10.77.0.1","id.orig_p":52726,"id.resp_h":"10.77.0.2","id.resp_p":7777,"proto":"tcp","duration":0.059159,"orig_bytes":25,"resp_bytes":44,"conn_state":"SF","missed_bytes":0,"history":"ShADadFf","orig_pkts":6,"orig_ip_bytes":345,"resp_pkts":4,"resp_ip_bytes":260,"ip_proto":6,"community_id":"1:9jhhlQ0rXNWSOwl+z6pVtgvQpGs=","orig_l2_addr":"02:77:00:00:00:01","resp_l2_addr":"02:77:00:00:00:02","handshake":{"state":"complete","syn_ts":1795294483.227087,"synack_ts":1795294483.227136,"ack_ts":1795294483.227149,"syn_to_synack":0.000049,"synack_to_ack":0.000013,"orig_isn":848371998,"resp_isn":1588082662,"valid":true,"syn_retransmissions":0,"synack_retransmissions":0,"simultaneous_open":false,"syn_payload_bytes":0,"orig_options":{"mss":1460,"wscale":10,"sack_permitted":true,"timestamps":true,"tfo":false},"resp_options":{"mss":1460,"wscale":10,"sack_permitted":true,"timestamps":true,"tfo":false}},"teardown":{"kind":"fin","style":"3-way","first_fin":"orig","orig_fin":true,"orig_fin_acked":true,"resp_fin":true,"resp_fin_acked":true,"rst_after_fin":false,"data_after_first_fin":0},"anomalies":{"orig":{"retransmissions":0,"out_of_order":0,"zero_window":0,"bad_checksums":0,"partial_checksums":0,"data_after_fin":0,"acked_unseen":0},"resp":{"retransmissions":0,"out_of_order":0,"zero_window":0,"bad_checksums":0,"partial_checksums":0,"data_after_fin":0,"acked_unseen":0}},"close_reason":"end_of_input"}"#
    static let goldenZeekDefault = "1795294483.227087\tCnbG8uiFDk52wTFs7\t10.77.0.1\t52726\t10.77.0.2\t7777\ttcp\t-\t0.059159\t25\t44\tSF\t-\t-\t0\tShADadFf\t6\t345\t4\t260\t-\t6\t1:9jhhlQ0rXNWSOwl+z6pVtgvQpGs="
    static let goldenCSVDefault = "1795294483.227087,CnbG8uiFDk52wTFs7,10.77.0.1,52726,10.77.0.2,7777,tcp,0.059159,25,44,SF,0,ShADadFf,6,345,4,260,,6,1:9jhhlQ0rXNWSOwl+z6pVtgvQpGs=,complete,0.000049,0.000013,848371998,1588082662,true,0,1460,1460,fin,3-way,orig,true,true,,0,0,0,0,0,0,end_of_input,,,,,,,02:77:00:00:00:01,02:77:00:00:00:02"

    @Test func goldenLinesFromFixture() throws {
        let records = try FixtureRecords.analyze("tcp-handshake-data-fin.pcap")
        try #require(records.count == 1)
        let off = Self.allOff
        #expect(dataLines(Samples.render({ FlowJSONWriter(output: $0, options: off) }, records)) == [Self.goldenJSON])
        #expect(dataLines(Samples.render({ ZeekTSVWriter(output: $0, options: off) }, records)) == [Self.goldenZeek])
        #expect(dataLines(Samples.render({ FlowCSVWriter(output: $0, options: off) }, records), dropFirst: 1) == [Self.goldenCSV])
        #expect(dataLines(Samples.render(FlowJSONWriter.init, records)) == [Self.goldenJSONDefault])
        #expect(dataLines(Samples.render(ZeekTSVWriter.init, records)) == [Self.goldenZeekDefault])
        #expect(dataLines(Samples.render(FlowCSVWriter.init, records), dropFirst: 1) == [Self.goldenCSVDefault])
    }
}
