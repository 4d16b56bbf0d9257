public enum BadChecksum: Sendable {
    case ipv4, tcp, udp
}

/// What the generator put in the capture, written as the summary JSON. Keys follow
/// gen_workload.py's sidecar where they mean the same thing, so one comparison works for both;
/// `expected_conn_state` is extra (Zeek conn_state per TCP outcome).
public struct GroundTruth: Sendable {
    public let parameters: WorkloadParameters
    public var durationMicros: Int64 = 0
    public var packets = 0
    public var frameBytes = 0
    public var fileBytes = 0
    public var firstMicros: Int64?
    public var lastMicros: Int64 = 0
    public var tcpPackets = 0
    public var udpPackets = 0
    public var arpPackets = 0
    public var tcpFlowsByOutcome: [Int]
    public var tcpPacketsByOutcome = [Int](repeating: 0, count: TCPOutcome.allCases.count)
    public var udpFlowsByKind: [Int]
    public var udpPacketsByKind = [Int](repeating: 0, count: UDPKind.allCases.count)
    public var clientFinFirst = 0, serverFinFirst = 0, fin4 = 0, fin3 = 0
    public var tcpFlowsWithTimestamps = 0
    public var tcpFlowsByClientOS = [Int](repeating: 0, count: ClientOS.allCases.count)
    public var udpZeroChecksumFlows = 0
    public var udpZeroChecksumPackets = 0
    public var badFrames: (ipv4: [Int], tcp: [Int], udp: [Int]) = ([], [], [])
    /// Zeek conn_state each TCP flow should get.
    public var expectedConnState: [(String, Int)] = [("SF", 0), ("S2", 0), ("S3", 0), ("RSTO", 0), ("RSTR", 0), ("REJ", 0), ("S0", 0)]
    public var openFlows = 0
    public var maxOpenFlows = 0

    init(parameters: WorkloadParameters, tcpCounts: [Int], udpCounts: [Int]) {
        self.parameters = parameters
        tcpFlowsByOutcome = [Int](repeating: 0, count: TCPOutcome.allCases.count)
        udpFlowsByKind = [Int](repeating: 0, count: UDPKind.allCases.count)
        for (i, (o, _)) in parameters.tcpMix.enumerated() { tcpFlowsByOutcome[o.rawValue] += tcpCounts[i] }
        for (i, (k, _)) in parameters.udpMix.enumerated() { udpFlowsByKind[k.rawValue] += udpCounts[i] }
    }

    public var tcpFlows: Int { tcpFlowsByOutcome.reduce(0, +) }
    public var udpFlows: Int { udpFlowsByKind.reduce(0, +) }
    public var flows: Int { tcpFlows + udpFlows }
    public var badChecksumPackets: Int { badFrames.ipv4.count + badFrames.tcp.count + badFrames.udp.count }

    private mutating func expect(_ state: String) {
        if let i = expectedConnState.firstIndex(where: { $0.0 == state }) { expectedConnState[i].1 += 1 }
    }

    mutating func plan(_ spec: FlowSpec, timestamps: Bool) {
        switch spec.kind {
        case .tcp(let outcome):
            switch outcome {
            case .complete:
                expect("SF")
                if spec.serverCloses { serverFinFirst += 1 } else { clientFinFirst += 1 }
                if spec.threeWayClose { fin3 += 1 } else { fin4 += 1 }
            case .halfClosed: expect(spec.serverCloses ? "S3" : "S2")
            case .aborted: expect(spec.serverCloses ? "RSTR" : "RSTO")
            case .refused: expect("REJ")
            case .synOnly: expect("S0")
            }
            if timestamps && outcome != .refused && outcome != .synOnly { tcpFlowsWithTimestamps += 1 }
        case .udp:
            if spec.zeroChecksum { udpZeroChecksumFlows += 1 }
        }
    }

    mutating func count(_ spec: FlowSpec, _ d: PacketDesc, frameLength: Int, time: Int64, frameNumber: Int, bad: BadChecksum?) {
        packets += 1
        frameBytes += frameLength
        if firstMicros == nil { firstMicros = time }
        lastMicros = max(lastMicros, time)
        switch spec.kind {
        case .tcp(let o):
            tcpPackets += 1
            tcpPacketsByOutcome[o.rawValue] += 1
        case .udp(let k):
            udpPackets += 1
            udpPacketsByKind[k.rawValue] += 1
            if spec.zeroChecksum { udpZeroChecksumPackets += 1 }
        }
        switch bad {
        case .ipv4: badFrames.ipv4.append(frameNumber)
        case .tcp: badFrames.tcp.append(frameNumber)
        case .udp: badFrames.udp.append(frameNumber)
        case nil: break
        }
    }

    mutating func countARP(frameLength: Int, time: Int64) {
        packets += 1
        arpPackets += 1
        frameBytes += frameLength
        if firstMicros == nil { firstMicros = time }
        lastMicros = max(lastMicros, time)
    }

    // MARK: JSON

    private static func seconds(_ micros: Int64) -> String {
        let total = WorkloadGenerator.epochMicros + micros
        let frac = String(total % 1_000_000)
        return "\(total / 1_000_000).\(String(repeating: "0", count: 6 - frac.count))\(frac)"
    }

    private static func object(_ pairs: [(String, String)], indent: String) -> String {
        "{" + pairs.map { "\n\(indent)  \"\($0.0)\": \($0.1)" }.joined(separator: ",") + "\n\(indent)}"
    }

    private static func list(_ values: [Int]) -> String { "[" + values.map(String.init).joined(separator: ", ") + "]" }

    /// The summary as pretty-printed JSON with a fixed key order.
    public var json: String {
        let p = parameters
        let tcpNames = TCPOutcome.allCases.map(\.name)
        let udpNames = UDPKind.allCases.map(\.name)
        let i2 = "  ", i4 = "    "
        var top: [(String, String)] = [
            ("generator", "\"sockeye-workload\""),
            ("packets", "\(packets)"),
            ("file_bytes", "\(fileBytes)"),
            ("frame_bytes", "\(frameBytes)"),
            ("first_ts", Self.seconds(firstMicros ?? 0)),
            ("last_ts", Self.seconds(lastMicros)),
            ("duration_s", "\(Double(durationMicros) / 1e6)"),
            ("packets_by_proto", Self.object([("tcp", "\(tcpPackets)"), ("udp", "\(udpPackets)"), ("arp", "\(arpPackets)")], indent: i2)),
            ("ipv4_packets", "\(tcpPackets + udpPackets)"),
            ("vlan_tagged_packets", "0"),
            ("flows", "\(flows)"),
            ("tcp_flows", "\(tcpFlows)"),
            ("tcp_flows_by_outcome", Self.object(zip(tcpNames, tcpFlowsByOutcome.map(String.init)).map { ($0, $1) }, indent: i2)),
            ("tcp_packets_by_outcome", Self.object(zip(tcpNames, tcpPacketsByOutcome.map(String.init)).map { ($0, $1) }, indent: i2)),
            ("tcp_complete_teardown", Self.object([("client_fin_first", "\(clientFinFirst)"), ("server_fin_first", "\(serverFinFirst)"),
                                                   ("fin4", "\(fin4)"), ("fin3", "\(fin3)")], indent: i2)),
            ("tcp_flows_with_timestamps", "\(tcpFlowsWithTimestamps)"),
            ("expected_conn_state", Self.object(expectedConnState.map { ($0.0, "\($0.1)") }, indent: i2)),
            ("udp_flows", "\(udpFlows)"),
            ("udp_flows_by_kind", Self.object(zip(udpNames, udpFlowsByKind.map(String.init)).map { ($0, $1) }, indent: i2)),
            ("udp_packets_by_kind", Self.object(zip(udpNames, udpPacketsByKind.map(String.init)).map { ($0, $1) }, indent: i2)),
            ("udp_zero_checksum_flows", "\(udpZeroChecksumFlows)"),
            ("udp_zero_checksum_packets", "\(udpZeroChecksumPackets)"),
            ("bad_checksums", Self.object([
                ("ipv4", "\(badFrames.ipv4.count)"), ("tcp", "\(badFrames.tcp.count)"), ("udp", "\(badFrames.udp.count)"),
                ("total_packets", "\(badChecksumPackets)"),
                ("frames", Self.object([("ipv4", Self.list(badFrames.ipv4)), ("tcp", Self.list(badFrames.tcp)),
                                        ("udp", Self.list(badFrames.udp))], indent: i4)),
            ], indent: i2)),
            ("max_open_flows", "\(maxOpenFlows)"),
        ]
        top.append(("params", Self.object([
            ("packets", "\(p.packets)"), ("flows", "\(p.flows)"), ("seed", "\(p.seed)"), ("udp_share", "\(p.udpShare)"),
            ("bad_share", "\(p.badShare)"), ("arp_share", "\(p.arpShare)"), ("udp_zero_share", "\(p.udpZeroShare)"),
            ("rate", "\(p.rate)"),
        ], indent: i2)))
        return Self.object(top, indent: "") + "\n"
    }
}
