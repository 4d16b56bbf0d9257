/// One planned flow: everything needed to replay its packets deterministically.
struct FlowSpec {
    enum Kind: Equatable {
        case tcp(TCPOutcome)
        case udp(UDPKind)
    }
    var kind: Kind
    var packets: Int32
    var client: Int32
    var server: Int32
    var clientPort: UInt16
    var serverPort: UInt16
    /// TCP data profile: 0 web-like, 1 upload-like, 2 interactive.
    var profile: UInt8 = 0
    /// Who sends the first FIN / the RST (complete, half_closed, aborted).
    var serverCloses = false
    /// complete: FIN, FIN+ACK, ACK (3 packets) instead of FIN, ACK, FIN, ACK.
    var threeWayClose = false
    /// aborted: RST+ACK instead of a bare RST.
    var resetWithAck = false
    /// UDP sent with checksum 0.
    var zeroChecksum = false
    /// Fixed packets do not stretch: only "think" gaps are scaled to reach the target duration.
    var elastic = false
    /// Round-trip time seen from the capture point (next to the client), µs.
    var rtt: Int32 = 0
    /// Start time, µs after the capture start.
    var start: Int64 = 0
    var fixedScale = 1.0
    var thinkScale = 1.0

    var proto: UInt8 {
        if case .tcp = kind { return 6 }
        return 17
    }
}

/// What a packet of a flow looks like, before encoding.
struct PacketDesc {
    enum Options: UInt8 {
        case none, syn, synAck, timestamps
    }
    enum UDPPayload: UInt8 {
        case none, dnsQuery, dnsResponse, ntpRequest, ntpReply, rtp, quicClient, quicServer
    }
    /// Unscaled cumulative time split in fixed (network) and think (application) parts, µs.
    var fixedTime: Double
    var thinkTime: Double
    var fromClient: Bool
    var flags: UInt16 = 0
    var sequence: UInt32 = 0
    var acknowledgment: UInt32 = 0
    var window: UInt16 = 0
    var payloadLength: Int = 0
    var options: Options = .none
    var tsValue: UInt32 = 0
    var tsEcho: UInt32 = 0
    /// May get a wrong checksum (data phase only).
    var eligible = false
    var udpPayload: UDPPayload = .none
}

private let FIN: UInt16 = 0x01, SYN: UInt16 = 0x02, RST: UInt16 = 0x04, PSH: UInt16 = 0x08, ACK: UInt16 = 0x10

/// Produces the packets of one flow, exactly `spec.packets` of them, in time order.
///
/// The capture point is next to the client: a server packet that answers a client packet
/// arrives one RTT later, a client packet that answers a server packet leaves almost at once.
struct FlowScript {
    let spec: FlowSpec
    let os: ClientOS
    let serverMSS: Int
    var rng: SplitMix64
    var out: [PacketDesc]

    // Clock (unscaled, µs).
    private var fixed = 0.0
    private var think = 0.0
    private var lastFromClient: Bool? = nil

    // TCP state.
    private var clientNext: UInt32 = 0
    private var serverNext: UInt32 = 0
    private var clientTSBase: UInt32 = 0
    private var serverTSBase: UInt32 = 0
    private var lastClientTS: UInt32 = 0
    private var lastServerTS: UInt32 = 0
    private var timestamps = false

    init(spec: FlowSpec, os: ClientOS, serverMSS: Int, rng: SplitMix64, reuse buffer: [PacketDesc]) {
        self.spec = spec
        self.os = os
        self.serverMSS = serverMSS
        self.rng = rng
        self.out = buffer
        out.removeAll(keepingCapacity: true)
    }

    var emitted: Int { out.count }
    var remaining: Int { Int(spec.packets) - out.count }

    // MARK: Clock

    /// Network gap before a packet from `fromClient`.
    private mutating func networkGap(fromClient: Bool) -> Double {
        guard let last = lastFromClient else { return 0 }
        if last && !fromClient {
            // Client → server → back to the capture point.
            return Double(spec.rtt) * (0.95 + 0.1 * rng.unit()) + Double(rng.int(20...400))
        }
        if !last && fromClient { return Double(rng.int(15...250)) }   // local stack reacts
        return Double(rng.int(12...120))                              // back to back
    }

    private mutating func pause(_ microseconds: Double) { think += microseconds }

    private mutating func thinkPause(median: Double) {
        pause(min(rng.logNormal(median: median, sigma: 1.0), 30e6))
    }

    // MARK: Emission

    private mutating func emit(_ d: PacketDesc) {
        var d = d
        fixed += networkGap(fromClient: d.fromClient)
        d.fixedTime = fixed
        d.thinkTime = think
        lastFromClient = d.fromClient
        if spec.proto == 6 && timestamps && d.options == .timestamps {
            let ms = UInt32(truncatingIfNeeded: Int64((fixed + think) / 1000))
            if d.fromClient {
                d.tsValue = clientTSBase &+ ms
                d.tsEcho = lastServerTS
                lastClientTS = d.tsValue
            } else {
                d.tsValue = serverTSBase &+ ms
                d.tsEcho = lastClientTS
                lastServerTS = d.tsValue
            }
        }
        out.append(d)
    }

    private var clientWindow: UInt16 {
        switch os {
        case .linux: 501
        case .macOS: 2048
        case .windows: 1026
        }
    }
    private let serverWindow: UInt16 = 509

    private mutating func tcp(_ fromClient: Bool, _ flags: UInt16, length: Int = 0, eligible: Bool = false) {
        var d = PacketDesc(fixedTime: 0, thinkTime: 0, fromClient: fromClient)
        d.flags = flags
        d.sequence = fromClient ? clientNext : serverNext
        d.acknowledgment = flags & ACK != 0 ? (fromClient ? serverNext : clientNext) : 0
        d.window = fromClient ? clientWindow : serverWindow
        d.payloadLength = length
        d.options = timestamps ? .timestamps : .none
        d.eligible = eligible
        var advance = UInt32(length)
        if flags & (SYN | FIN) != 0 { advance &+= 1 }
        if fromClient { clientNext &+= advance } else { serverNext &+= advance }
        emit(d)
    }

    /// Largest segment each way (MSS less the 12 bytes of NOP,NOP,TS when timestamps are on).
    private var segmentToServer: Int { min(serverMSS, 1460) - (timestamps ? 12 : 0) }
    private var segmentToClient: Int { 1460 - (timestamps ? 12 : 0) }

    // MARK: Flows

    mutating func run() {
        switch spec.kind {
        case .tcp(let outcome): runTCP(outcome)
        case .udp(let kind): runUDP(kind)
        }
        precondition(out.count == Int(spec.packets), "flow script emitted \(out.count) of \(spec.packets) packets")
    }

    private mutating func runTCP(_ outcome: TCPOutcome) {
        let clientISN = UInt32(truncatingIfNeeded: rng.next())
        let serverISN = UInt32(truncatingIfNeeded: rng.next())
        clientTSBase = UInt32(truncatingIfNeeded: rng.next() >> 40)
        serverTSBase = UInt32(truncatingIfNeeded: rng.next() >> 40)
        clientNext = clientISN
        serverNext = serverISN

        // SYN (and its retransmissions), with the OS's option layout.
        var syn = PacketDesc(fixedTime: 0, thinkTime: 0, fromClient: true)
        syn.flags = SYN
        syn.sequence = clientISN
        syn.window = os.synWindow
        syn.options = .syn
        syn.tsValue = clientTSBase
        lastClientTS = clientTSBase
        switch outcome {
        case .synOnly:
            // Retransmissions after 1 s and 2 more seconds (Linux/macOS/Windows all back off so).
            for i in 0..<Int(spec.packets) {
                if i == 1 { fixed += 1_000_000 }
                if i == 2 { fixed += 2_000_000 }
                syn.tsValue = clientTSBase &+ UInt32(i == 0 ? 0 : (i == 1 ? 1000 : 3000))
                emit(syn)
            }
            return
        case .refused:
            emit(syn)
            var rst = PacketDesc(fixedTime: 0, thinkTime: 0, fromClient: false)
            rst.flags = RST | ACK
            rst.sequence = 0
            rst.acknowledgment = clientISN &+ 1
            emit(rst)
            return
        default:
            break
        }
        emit(syn)
        clientNext = clientISN &+ 1
        timestamps = os.timestamps
        var synAck = PacketDesc(fixedTime: 0, thinkTime: 0, fromClient: false)
        synAck.flags = SYN | ACK
        synAck.sequence = serverISN
        synAck.acknowledgment = clientNext
        synAck.window = 65160
        synAck.options = .synAck
        synAck.tsValue = serverTSBase
        synAck.tsEcho = clientTSBase
        lastServerTS = serverTSBase
        emit(synAck)
        serverNext = serverISN &+ 1
        tcp(true, ACK)   // handshake ACK

        let closerIsClient = !spec.serverCloses
        switch outcome {
        case .complete:
            let teardown = spec.threeWayClose ? 3 : 4
            data(remaining - teardown)
            thinkPause(median: 2_000)
            tcp(closerIsClient, FIN | ACK)
            if spec.threeWayClose {
                tcp(!closerIsClient, FIN | ACK)
            } else {
                tcp(!closerIsClient, ACK)
                pause(Double(rng.int(50...3_000)))
                tcp(!closerIsClient, FIN | ACK)
            }
            tcp(closerIsClient, ACK)
        case .halfClosed:
            let total = remaining - 2
            let before = max(2, total * 2 / 3)
            data(before)
            thinkPause(median: 2_000)
            tcp(closerIsClient, FIN | ACK)
            tcp(!closerIsClient, ACK)
            // The other side keeps sending; the closer only acknowledges.
            var left = remaining
            var unacked = 0
            while left > 0 {
                if unacked >= 2 || (unacked > 0 && left == 1 && rng.chance(0.3)) {
                    tcp(closerIsClient, ACK)
                    unacked = 0
                } else {
                    if unacked == 0 { thinkPause(median: 5_000) }
                    let limit = closerIsClient ? segmentToClient : segmentToServer
                    tcp(!closerIsClient, PSH | ACK, length: rng.int(64...limit), eligible: true)
                    unacked += 1
                }
                left -= 1
            }
        case .aborted:
            data(remaining - 1)
            thinkPause(median: 3_000)
            tcp(closerIsClient, spec.resetWithAck ? RST | ACK : RST)
        case .refused, .synOnly:
            break
        }
    }

    /// Exactly `count` data-phase packets in the flow's profile.
    private mutating func data(_ count: Int) {
        var left = count
        var first = true
        switch spec.profile {
        case 0:   // web: request, response of MSS-sized segments, receiver ACKs every second one
            while left > 0 {
                if first { pause(Double(rng.int(50...400))) } else { thinkPause(median: 20_000) }
                first = false
                tcp(true, PSH | ACK, length: rng.int(80...700), eligible: true)
                left -= 1
                let segments = max(1, min(400, Int(rng.logNormal(median: 4, sigma: 1.3))))
                var unacked = 0
                var sent = 0
                pause(Double(rng.int(100...3_000)))   // server application time
                while left > 0 && sent < segments {
                    let last = sent == segments - 1
                    let length = last ? rng.int(100...segmentToClient) : segmentToClient
                    tcp(false, last ? PSH | ACK : ACK, length: length, eligible: true)
                    sent += 1
                    unacked += 1
                    left -= 1
                    if left > 0 && (unacked == 2 || (last && rng.chance(0.7))) {
                        if last && unacked == 1 { pause(Double(rng.int(1_000...40_000))) }  // delayed ACK
                        tcp(true, ACK, eligible: true)
                        unacked = 0
                        left -= 1
                    }
                }
            }
        case 1:   // upload: client bulk, server ACKs every second segment
            while left > 0 {
                if first { pause(Double(rng.int(50...400))) } else { thinkPause(median: 30_000) }
                first = false
                let segments = max(2, min(800, Int(rng.logNormal(median: 12, sigma: 1.2))))
                var unacked = 0
                var sent = 0
                while left > 0 && sent < segments {
                    let last = sent == segments - 1
                    let length = sent == 0 ? rng.int(100...600) : (last ? rng.int(1...segmentToServer) : segmentToServer)
                    tcp(true, last || sent == 0 ? PSH | ACK : ACK, length: length, eligible: true)
                    sent += 1
                    unacked += 1
                    left -= 1
                    if left > 0 && (unacked == 2 || last) {
                        tcp(false, last ? PSH | ACK : ACK, length: last ? rng.int(20...200) : 0, eligible: true)
                        unacked = 0
                        left -= 1
                    }
                }
            }
        default:  // interactive (ssh, redis, SQL): small request, small answer, sometimes a pure ACK
            while left > 0 {
                if first { pause(Double(rng.int(50...400))) } else { thinkPause(median: 60_000) }
                first = false
                tcp(true, PSH | ACK, length: rng.int(20...200), eligible: true)
                left -= 1
                guard left > 0 else { break }
                pause(Double(rng.int(50...2_000)))
                tcp(false, PSH | ACK, length: rng.int(20...1_200), eligible: true)
                left -= 1
                if left > 0 && rng.chance(0.4) {
                    pause(Double(rng.int(1_000...40_000)))
                    tcp(true, ACK, eligible: true)
                    left -= 1
                }
            }
        }
    }

    private mutating func udp(_ fromClient: Bool, _ payload: PacketDesc.UDPPayload, length: Int) {
        var d = PacketDesc(fixedTime: 0, thinkTime: 0, fromClient: fromClient)
        d.payloadLength = length
        d.udpPayload = payload
        d.eligible = !out.isEmpty
        emit(d)
    }

    private mutating func runUDP(_ kind: UDPKind) {
        switch kind {
        case .dns:
            udp(true, .dnsQuery, length: 0)
            if spec.packets > 1 { udp(false, .dnsResponse, length: 0) }
        case .ntp:
            udp(true, .ntpRequest, length: 48)
            udp(false, .ntpReply, length: 48)
        case .rtp:
            // 20 ms G.711 frames both ways: 12-byte RTP header + 160 bytes.
            var fromClient = true
            while remaining > 0 {
                if !out.isEmpty { fixed += fromClient ? 7_000 : 3_000 }
                lastFromClient = nil
                udp(fromClient, .rtp, length: 172)
                fromClient.toggle()
            }
        case .quic:
            udp(true, .quicClient, length: 1_200 + rng.int(0...50))   // Initial, padded
            while remaining > 0 {
                let burst = max(1, min(300, Int(rng.logNormal(median: 6, sigma: 1.2))))
                var sent = 0
                while remaining > 0 && sent < burst {
                    udp(false, .quicServer, length: rng.int(1_200...1_350))
                    sent += 1
                    if remaining > 0 && sent % 3 == 0 { udp(true, .quicClient, length: rng.int(30...60)) }
                }
                guard remaining > 0 else { break }
                udp(true, .quicClient, length: rng.int(30...60))
                guard remaining > 0 else { break }
                thinkPause(median: 40_000)
                udp(true, .quicClient, length: rng.int(60...400))
            }
        }
    }

    /// Unscaled duration of the flow: (network part, application part), µs.
    var durationParts: (fixed: Double, think: Double) {
        guard let last = out.last else { return (0, 0) }
        return (last.fixedTime, last.thinkTime)
    }
}
