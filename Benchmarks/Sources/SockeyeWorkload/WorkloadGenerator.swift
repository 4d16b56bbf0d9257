import PacketCodec

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Synthetic capture: interleaved IPv4 TCP/UDP flows (handshakes with the SYN options of
/// Linux, macOS and Windows, data, FIN/RST teardowns, refused and SYN-only attempts), DNS,
/// NTP, QUIC- and RTP-like UDP, a little ARP, valid checksums with a known share of bad ones.
/// Every frame is built with the codec's encoder (`PacketRepr.encode()`).
///
/// Flows are planned up front (a few dozen bytes each); a flow's packets are produced when it
/// starts and dropped when it ends, and flows are merged by time through a heap, so memory
/// follows the number of *open* flows.
///
/// Deterministic: same parameters → same packets, byte for byte (SplitMix64 streams, no
/// hashing-order dependence).
public final class WorkloadGenerator {
    public let parameters: WorkloadParameters
    public let durationMicros: Int64
    /// 2023-11-14T22:13:20Z, as gen_workload.py.
    public static let epochMicros: Int64 = 1_700_000_000 * 1_000_000

    var specs: [FlowSpec] = []
    private var order: [Int32] = []
    private var arps: [(time: Int64, client: Int32, reply: Bool)] = []
    private var clientIP: [UInt32] = []
    private var clientOS: [ClientOS] = []
    private var serverIP: [UInt32] = []
    private var serverTTL: [UInt8] = []
    private var serverMSS: [Int] = []
    private var pool: [UInt8] = []
    private var tcpCounts: [Int] = []
    private var udpCounts: [Int] = []

    public init(_ parameters: WorkloadParameters) throws(WorkloadError) {
        self.parameters = parameters
        durationMicros = parameters.durationMicros
        guard parameters.packets > 0, parameters.flows > 0 else { throw WorkloadError("--packets and --flows must be positive") }
        try plan()
    }

    // MARK: Planning

    private static func apportion(_ total: Int, _ shares: [Double]) -> [Int] {
        let sum = shares.reduce(0, +)
        guard sum > 0 else { return shares.map { _ in 0 } }
        let raw = shares.map { Double(total) * $0 / sum }
        var counts = raw.map { Int($0) }
        let left = total - counts.reduce(0, +)
        let byRemainder = raw.indices.sorted { a, b in
            let ra = raw[a] - Double(counts[a]), rb = raw[b] - Double(counts[b])
            return ra != rb ? ra > rb : a < b
        }
        for i in byRemainder.prefix(left) { counts[i] += 1 }
        return counts
    }

    private static func pick(_ cumulative: [Double], _ rng: inout SplitMix64) -> Int {
        let x = rng.unit() * cumulative[cumulative.count - 1]
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] <= x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    private struct TupleKey: Hashable {
        var proto: UInt8
        var client: Int32
        var clientPort: UInt16
        var server: Int32
        var serverPort: UInt16
    }

    private func plan() throws(WorkloadError) {
        let p = parameters
        var rng = SplitMix64(seed: p.seed)
        let flows = p.flows
        let udpFlows = Int((Double(flows) * p.udpShare).rounded())
        tcpCounts = Self.apportion(flows - udpFlows, p.tcpMix.map { $0.1 })
        udpCounts = Self.apportion(udpFlows, p.udpMix.map { $0.1 })
        let arpPackets = Int((Double(p.packets) * p.arpShare).rounded())

        // Hosts: clients in 10.1.0.0/16 (Zipf-ish popularity), servers in 198.18.0.0/15.
        let clients = max(16, flows / 25)
        let servers = max(8, flows / 50)
        guard clients < 60_000, servers < 120_000 else { throw WorkloadError("too many flows for the address plan") }
        var nextPort: [Int] = []
        for i in 0..<clients {
            let h = i + 2
            clientIP.append(0x0A01_0000 + UInt32(h / 254) * 256 + UInt32(h % 254) + 1)
            let x = rng.unit()
            let os: ClientOS = x < 0.55 ? .linux : (x < 0.70 ? .macOS : .windows)
            clientOS.append(os)
            nextPort.append(rng.int(os.ephemeral))
        }
        var j = 0
        while serverIP.count < servers {
            j += 1
            let ip = 0xC612_0000 + UInt32((j * 7919) % 131_072)
            if ip & 0xff == 0 || ip & 0xff == 255 { continue }
            serverIP.append(ip)
            let x = rng.unit()
            let base = x < 0.8 ? 64 : (x < 0.95 ? 128 : 255)
            serverTTL.append(UInt8(base - rng.int(4...19)))
            serverMSS.append(rng.chance(0.85) ? 1460 : [1440, 1400, 1380][rng.below(3)])
        }
        var clientWeights: [Double] = []
        var acc = 0.0
        for i in 0..<clients { acc += 1 / pow(Double(i + 1), 0.6); clientWeights.append(acc) }
        var serverWeights: [Double] = []
        acc = 0
        for i in 0..<servers { acc += 1 / Double(i + 1); serverWeights.append(acc) }

        var kinds: [FlowSpec.Kind] = []
        kinds.reserveCapacity(flows)
        for (i, (outcome, _)) in p.tcpMix.enumerated() { kinds += Array(repeating: .tcp(outcome), count: tcpCounts[i]) }
        for (i, (kind, _)) in p.udpMix.enumerated() { kinds += Array(repeating: .udp(kind), count: udpCounts[i]) }
        for i in stride(from: kinds.count - 1, to: 0, by: -1) { kinds.swapAt(i, rng.below(i + 1)) }

        var used = Set<TupleKey>()
        used.reserveCapacity(flows)
        specs.reserveCapacity(flows)
        var minimum = 0
        var elastic: [Int] = []
        for kind in kinds {
            let ci = Self.pick(clientWeights, &rng)
            let si = Self.pick(serverWeights, &rng)
            var spec = FlowSpec(kind: kind, packets: 0, client: Int32(ci), server: Int32(si), clientPort: 0, serverPort: 0)
            var serverPort: UInt16
            var packets: Int
            switch kind {
            case .tcp(let outcome):
                let x = rng.unit()
                if x < 0.72 {
                    spec.profile = 0
                    serverPort = rng.chance(0.75) ? 443 : (rng.chance(0.8) ? 80 : 8443)
                } else if x < 0.84 {
                    spec.profile = 1
                    serverPort = rng.chance(0.7) ? 443 : (rng.chance(0.5) ? 80 : 21)
                } else {
                    spec.profile = 2
                    serverPort = [22, 5432, 6379, 3306][rng.below(4)]
                }
                switch outcome {
                case .complete:
                    spec.serverCloses = rng.chance(0.4)
                    spec.threeWayClose = rng.chance(0.5)
                    packets = 5 + (spec.threeWayClose ? 3 : 4)
                    spec.elastic = true
                case .halfClosed:
                    spec.serverCloses = rng.chance(0.2)
                    packets = 8
                    spec.elastic = true
                case .aborted:
                    spec.serverCloses = rng.chance(0.4)
                    spec.resetWithAck = rng.chance(0.5)
                    packets = 5
                    spec.elastic = true
                case .refused:
                    packets = 2
                case .synOnly:
                    let y = rng.unit()
                    packets = y < 0.6 ? 1 : (y < 0.85 ? 2 : 3)
                }
            case .udp(let udp):
                switch udp {
                case .dns: serverPort = 53; packets = rng.chance(0.95) ? 2 : 1
                case .ntp: serverPort = 123; packets = 2
                case .quic: serverPort = 443; packets = 4; spec.elastic = true
                case .rtp: serverPort = UInt16(10_000 + 2 * rng.below(10_000)); packets = 10; spec.elastic = true
                }
                if udp == .quic || udp == .rtp { spec.zeroChecksum = rng.chance(p.udpZeroShare) }
            }
            // Unique 5-tuple: sequential ephemeral ports per client, like a real stack.
            let os = clientOS[ci]
            let range = os.ephemeral
            while true {
                let port: Int
                if case .udp(.rtp) = kind {
                    port = 10_000 + 2 * rng.below(10_000)
                } else {
                    var q = nextPort[ci] + 1 + (rng.chance(0.3) ? rng.below(20) : 0)
                    if q > range.upperBound { q = range.lowerBound + (q - range.lowerBound) % range.count }
                    nextPort[ci] = q
                    port = q
                }
                if used.insert(TupleKey(proto: spec.proto, client: Int32(ci), clientPort: UInt16(port),
                                        server: Int32(si), serverPort: serverPort)).inserted {
                    spec.clientPort = UInt16(port)
                    break
                }
            }
            spec.serverPort = serverPort
            // RTT from the capture point: lognormal, median 25 ms, 0.3–400 ms.
            spec.rtt = Int32(min(400_000, max(300, rng.logNormal(median: 25_000, sigma: 1.0))))
            spec.packets = Int32(packets)
            minimum += packets
            if spec.elastic { elastic.append(specs.count) }
            specs.append(spec)
        }

        let left = p.packets - arpPackets - minimum
        guard left >= 0 else {
            throw WorkloadError("too few packets (\(p.packets)) for \(flows) flows: need at least \(minimum + arpPackets)")
        }
        if left > 0 {
            guard !elastic.isEmpty else { throw WorkloadError("no elastic flows to carry \(left) more packets") }
            let weights = elastic.map { _ in rng.logNormal(median: 1, sigma: 1.3) }
            let total = weights.reduce(0, +)
            var given = 0
            for (k, i) in elastic.enumerated() {
                let e = Int(Double(left) * weights[k] / total)
                specs[i].packets += Int32(e)
                given += e
            }
            for _ in given..<left { specs[elastic[rng.below(elastic.count)]].packets += 1 }
        }

        // Durations and start times: each flow fits inside the capture.
        let capture = Double(durationMicros)
        let cap = 0.8 * capture
        var scratch: [PacketDesc] = []
        for i in specs.indices {
            var script = FlowScript(spec: specs[i], os: clientOS[Int(specs[i].client)],
                                    serverMSS: serverMSS[Int(specs[i].server)],
                                    rng: SplitMix64(seed: p.seed, stream: UInt64(i)), reuse: scratch)
            script.run()
            let (fixed, think) = script.durationParts
            scratch = script.out
            var target: Double
            if specs[i].elastic {
                target = Double(specs[i].packets) * rng.logNormal(median: 40_000, sigma: 1.0)
            } else {
                target = fixed + think
            }
            target = min(target, cap)
            if fixed >= target {
                specs[i].fixedScale = fixed > 0 ? target / fixed : 1
                specs[i].thinkScale = 0
            } else {
                specs[i].thinkScale = think > 0 ? (target - fixed) / think : 1
            }
            let length = fixed * specs[i].fixedScale + think * specs[i].thinkScale
            specs[i].start = Int64(rng.unit() * max(0, capture - length - 1))
        }
        order = Array(0..<Int32(specs.count))
        order.sort { a, b in
            let sa = specs[Int(a)].start, sb = specs[Int(b)].start
            return sa != sb ? sa < sb : a < b
        }

        for _ in 0..<arpPackets {
            arps.append((Int64(rng.unit() * capture), Int32(rng.below(clients)), rng.chance(0.5)))
        }
        arps.sort { $0.time != $1.time ? $0.time < $1.time : $0.client < $1.client }

        var poolRNG = SplitMix64(seed: p.seed, stream: 0xF00D)
        pool = (0..<65_536).map { _ in UInt8(truncatingIfNeeded: poolRNG.next() >> 56) }
    }

    // MARK: Generation

    private struct Active {
        var flow: Int32
        var packets: [PacketDesc]
        var next: Int
        var ipIDClient: UInt16
        var ipIDServer: UInt16
    }

    private struct HeapEntry {
        var time: Int64
        var flow: Int32
        var slot: Int32
        @inline(__always) static func < (a: HeapEntry, b: HeapEntry) -> Bool {
            a.time != b.time ? a.time < b.time : a.flow < b.flow
        }
    }

    /// Calls `body(microsecondsSinceEpoch, frame)` for every packet in time order and returns the
    /// ground truth. The frame is valid only during the call.
    public func generate(_ body: (Int64, UnsafeRawBufferPointer) -> Void) -> GroundTruth {
        var truth = GroundTruth(parameters: parameters, tcpCounts: tcpCounts, udpCounts: udpCounts)
        truth.durationMicros = durationMicros
        for spec in specs { truth.plan(spec, timestamps: clientOS[Int(spec.client)].timestamps) }

        var slots: [Active] = []
        var freeSlots: [Int32] = []
        var heap: [HeapEntry] = []
        var pending = 0
        var arpIndex = 0
        var corruption = SplitMix64(seed: parameters.seed, stream: 0xBAD)
        var scratch: [PacketDesc] = []
        var frameNumber = 0

        func push(_ e: HeapEntry) {
            heap.append(e)
            var i = heap.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                guard heap[i] < heap[parent] else { break }
                heap.swapAt(i, parent)
                i = parent
            }
        }
        func popTop() {
            let last = heap.removeLast()
            guard !heap.isEmpty else { return }
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count && heap[l] < heap[m] { m = l }
                if r < heap.count && heap[r] < heap[m] { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
        }
        func time(_ spec: FlowSpec, _ d: PacketDesc) -> Int64 {
            spec.start + Int64(d.fixedTime * spec.fixedScale + d.thinkTime * spec.thinkScale)
        }

        while true {
            // Start every flow whose first packet is due no later than the earliest open one.
            while pending < order.count {
                let f = Int(order[pending])
                if let top = heap.first, specs[f].start > top.time { break }
                var script = FlowScript(spec: specs[f], os: clientOS[Int(specs[f].client)],
                                        serverMSS: serverMSS[Int(specs[f].server)],
                                        rng: SplitMix64(seed: parameters.seed, stream: UInt64(f)), reuse: scratch)
                script.run()
                let ids = script.rng.next()
                let active = Active(flow: Int32(f), packets: script.out, next: 0,
                                    ipIDClient: UInt16(truncatingIfNeeded: ids), ipIDServer: UInt16(truncatingIfNeeded: ids >> 16))
                scratch = []
                let slot: Int32
                if let s = freeSlots.popLast() { slot = s; slots[Int(s)] = active } else { slot = Int32(slots.count); slots.append(active) }
                push(HeapEntry(time: time(specs[f], active.packets[0]), flow: Int32(f), slot: slot))
                truth.openFlows += 1
                truth.maxOpenFlows = max(truth.maxOpenFlows, truth.openFlows)
                pending += 1
            }
            let arpDue = arpIndex < arps.count ? arps[arpIndex].time : Int64.max
            guard let top = heap.first else {
                if arpDue == .max { break }
                frameNumber += 1
                emitARP(arpIndex, frameNumber: frameNumber, &truth, body)
                arpIndex += 1
                continue
            }
            if arpDue < top.time {
                frameNumber += 1
                emitARP(arpIndex, frameNumber: frameNumber, &truth, body)
                arpIndex += 1
                continue
            }
            let s = Int(top.slot)
            let f = Int(top.flow)
            let d = slots[s].packets[slots[s].next]
            frameNumber += 1
            let ipID: UInt16
            if d.fromClient { ipID = slots[s].ipIDClient; slots[s].ipIDClient &+= 1 } else { ipID = slots[s].ipIDServer; slots[s].ipIDServer &+= 1 }
            var frame = encode(specs[f], d, ipID: ipID)
            let bad = corrupt(&frame, specs[f], d, &corruption)
            truth.count(specs[f], d, frameLength: frame.count, time: top.time, frameNumber: frameNumber, bad: bad)
            if let vni = parameters.vxlanVNI { frame = Self.vxlan(frame, vni: vni, flow: f, fromClient: d.fromClient) }
            frame.withUnsafeBytes { body(Self.epochMicros + top.time, $0) }
            slots[s].next += 1
            popTop()
            if slots[s].next < slots[s].packets.count {
                push(HeapEntry(time: time(specs[f], slots[s].packets[slots[s].next]), flow: top.flow, slot: top.slot))
            } else {
                scratch = slots[s].packets       // reuse the biggest buffers
                slots[s].packets = []
                freeSlots.append(top.slot)
                truth.openFlows -= 1
            }
        }
        precondition(frameNumber == parameters.packets, "generated \(frameNumber) of \(parameters.packets) packets")
        return truth
    }

    // MARK: Frames

    private static let vtepA = MACAddress(0x0200_C000_0201), vtepB = MACAddress(0x0200_C000_0202)

    /// `inner` (an Ethernet frame) inside VXLAN: see `WorkloadParameters.vxlanVNI`.
    private static func vxlan(_ inner: [UInt8], vni: UInt32, flow: Int, fromClient: Bool) -> [UInt8] {
        var ip = IPv4Header()
        ip.ttl = 64
        ip.protocol = 17
        ip.source = fromClient ? 0xC000_0201 : 0xC000_0202
        ip.destination = fromClient ? 0xC000_0202 : 0xC000_0201
        var u = UDPHeader()
        u.sourcePort = UInt16(49152 + ((flow &* 2_654_435_761) >> 7) % 16384)
        u.destinationPort = 4789
        let eth = EthernetHeader(destination: fromClient ? vtepB : vtepA, source: fromClient ? vtepA : vtepB,
                                 etherType: EtherType.ipv4)
        var frame = PacketRepr(link: .ethernet(eth), network: .ipv4(ip, options: []), transport: .udp(u),
                               payload: VXLANHeader(vni: vni).encapsulate(inner)).encode()
        frame[14 + 20 + 6] = 0   // UDP checksum 0: none (RFC 768), as Linux VXLAN sends by default
        frame[14 + 20 + 7] = 0
        return frame
    }

    private static let gatewayMAC = MACAddress(0x0200_0000_0001)

    private func clientMAC(_ client: Int32) -> MACAddress {
        MACAddress(0x0200_0A00_0000 | UInt64(clientIP[Int(client)] & 0xff_ffff))
    }

    private func payload(_ length: Int, _ salt: UInt32) -> [UInt8] {
        guard length > 0 else { return [] }
        let start = Int(salt % UInt32(pool.count - length))
        return Array(pool[start..<(start + length)])
    }

    private func encode(_ spec: FlowSpec, _ d: PacketDesc, ipID: UInt16) -> [UInt8] {
        let c = clientIP[Int(spec.client)], s = serverIP[Int(spec.server)]
        let os = clientOS[Int(spec.client)]
        let cMAC = clientMAC(spec.client)
        let eth = d.fromClient
            ? EthernetHeader(destination: Self.gatewayMAC, source: cMAC, etherType: EtherType.ipv4)
            : EthernetHeader(destination: cMAC, source: Self.gatewayMAC, etherType: EtherType.ipv4)
        var ip = IPv4Header()
        ip.identification = ipID
        ip.ttl = d.fromClient ? os.ttl : serverTTL[Int(spec.server)]
        ip.source = d.fromClient ? c : s
        ip.destination = d.fromClient ? s : c
        let salt = d.sequence ^ UInt32(truncatingIfNeeded: Int(d.fixedTime)) ^ UInt32(ipID) &* 2_654_435_761
        let transport: PacketRepr.Transport
        var body: [UInt8]
        if spec.proto == 6 {
            ip.protocol = 6
            ip.dontFragment = true
            var h = TCPHeader()
            h.sourcePort = d.fromClient ? spec.clientPort : spec.serverPort
            h.destinationPort = d.fromClient ? spec.serverPort : spec.clientPort
            h.sequenceNumber = d.sequence
            h.acknowledgmentNumber = d.acknowledgment
            h.flags = TCPFlags(rawValue: d.flags)
            h.window = d.window
            let options: [TCPOption]
            switch d.options {
            case .none: options = []
            case .timestamps: options = [.noOperation, .noOperation, .timestamp(value: d.tsValue, echo: d.tsEcho)]
            case .syn:
                switch os {
                case .linux:
                    options = [.maxSegmentSize(1460), .sackPermitted, .timestamp(value: d.tsValue, echo: 0), .noOperation,
                               .windowScale(os.windowScale)]
                case .macOS:
                    options = [.maxSegmentSize(1460), .noOperation, .windowScale(os.windowScale), .noOperation, .noOperation,
                               .timestamp(value: d.tsValue, echo: 0), .sackPermitted, .endOfList, .endOfList]
                case .windows:
                    options = [.maxSegmentSize(1460), .noOperation, .windowScale(os.windowScale), .noOperation, .noOperation,
                               .sackPermitted]
                }
            case .synAck:
                let mss = UInt16(serverMSS[Int(spec.server)])
                options = os.timestamps
                    ? [.maxSegmentSize(mss), .sackPermitted, .timestamp(value: d.tsValue, echo: d.tsEcho), .noOperation, .windowScale(7)]
                    : [.maxSegmentSize(mss), .noOperation, .noOperation, .sackPermitted, .noOperation, .windowScale(7)]
            }
            transport = .tcp(h, options: options)
            body = payload(d.payloadLength, salt)
        } else {
            ip.protocol = 17
            if case .udp(.quic) = spec.kind { ip.dontFragment = true }
            var u = UDPHeader()
            u.sourcePort = d.fromClient ? spec.clientPort : spec.serverPort
            u.destinationPort = d.fromClient ? spec.serverPort : spec.clientPort
            transport = .udp(u)
            body = udpPayload(spec, d, salt)
        }
        let headers = 14 + 20 + (spec.proto == 6 ? 20 : 8)
        let trailer = [UInt8](repeating: 0, count: max(0, 60 - headers - body.count - optionBytes(d, os)))
        var frame = PacketRepr(link: .ethernet(eth), network: .ipv4(ip, options: []), transport: transport,
                               payload: body, trailer: trailer).encode()
        if spec.zeroChecksum {
            frame[14 + 20 + 6] = 0
            frame[14 + 20 + 7] = 0
        }
        return frame
    }

    private func optionBytes(_ d: PacketDesc, _ os: ClientOS) -> Int {
        switch d.options {
        case .none: 0
        case .timestamps, .synAck: 12 + (d.options == .synAck && os.timestamps ? 8 : 0)
        case .syn: os == .windows ? 12 : (os == .linux ? 20 : 24)
        }
    }

    private static let dnsNames: [[UInt8]] = ["www", "api", "cdn", "mail", "img", "static", "login", "update"].map { Array($0.utf8) }
    private static let dnsDomains: [[UInt8]] = ["example", "sockeye", "bench", "capture", "flows"].map { Array($0.utf8) }
    private static let dnsTLDs: [[UInt8]] = ["com", "net", "org", "io"].map { Array($0.utf8) }

    private func udpPayload(_ spec: FlowSpec, _ d: PacketDesc, _ salt: UInt32) -> [UInt8] {
        switch d.udpPayload {
        case .dnsQuery, .dnsResponse:
            // Same flow → same question: derive it from the flow's 5-tuple.
            var r = SplitMix64(seed: parameters.seed, stream: UInt64(spec.clientPort) << 32 | UInt64(spec.client) << 8 | 0x53)
            let id = UInt16(truncatingIfNeeded: r.next())
            let aaaa = r.chance(0.3)
            var m: [UInt8] = []
            m.reserveCapacity(128)
            func u16(_ v: UInt16) { m.append(UInt8(v >> 8)); m.append(UInt8(v & 0xff)) }
            u16(id)
            u16(d.udpPayload == .dnsQuery ? 0x0100 : 0x8180)
            let answers = d.udpPayload == .dnsQuery ? 0 : 1 + r.below(3)
            u16(1); u16(UInt16(answers)); u16(0); u16(0)
            for label in [Self.dnsNames[r.below(Self.dnsNames.count)], Self.dnsDomains[r.below(Self.dnsDomains.count)],
                          Self.dnsTLDs[r.below(Self.dnsTLDs.count)]] {
                m.append(UInt8(label.count)); m.append(contentsOf: label)
            }
            m.append(0)
            u16(aaaa ? 28 : 1); u16(1)
            for _ in 0..<answers {
                u16(0xC00C); u16(aaaa ? 28 : 1); u16(1)
                let ttl = UInt32(60 + r.below(3600))
                u16(UInt16(ttl >> 16)); u16(UInt16(ttl & 0xffff))
                u16(aaaa ? 16 : 4)
                for _ in 0..<(aaaa ? 16 : 4) { m.append(UInt8(truncatingIfNeeded: r.next())) }
            }
            return m
        case .ntpRequest, .ntpReply:
            var m = payload(48, salt)
            m[0] = d.udpPayload == .ntpRequest ? 0x23 : 0x24   // LI 0, VN 4, mode 3 / 4
            m[1] = d.udpPayload == .ntpRequest ? 0 : 2
            return m
        case .rtp:
            var m = payload(172, salt)
            m[0] = 0x80; m[1] = 0   // V=2, PT 0 (PCMU)
            return m
        case .quicClient, .quicServer:
            var m = payload(d.payloadLength, salt)
            m[0] = d.payloadLength >= 1200 && d.fromClient && d.fixedTime == 0 ? 0xC3 : 0x40 | (m[0] & 0x3f)
            return m
        case .none:
            return payload(d.payloadLength, salt)
        }
    }

    /// Maybe writes a wrong checksum (IPv4 header 30%, TCP/UDP 70%). Returns which, if any.
    private func corrupt(_ frame: inout [UInt8], _ spec: FlowSpec, _ d: PacketDesc, _ rng: inout SplitMix64) -> BadChecksum? {
        guard d.eligible, rng.chance(parameters.badShare) else { return nil }
        let ipv4 = rng.chance(0.3)
        if !ipv4 && spec.zeroChecksum { return nil }
        let at = ipv4 ? 14 + 10 : 14 + 20 + (spec.proto == 6 ? 16 : 6)
        let current = UInt16(frame[at]) << 8 | UInt16(frame[at + 1])
        // Never the right value, 0 (UDP "none"), 0xffff, or the pseudo-header sum (offload).
        let pseudo = InternetChecksum.pseudoHeaderSum(
            source: UInt32(frame[26]) << 24 | UInt32(frame[27]) << 16 | UInt32(frame[28]) << 8 | UInt32(frame[29]),
            destination: UInt32(frame[30]) << 24 | UInt32(frame[31]) << 16 | UInt32(frame[32]) << 8 | UInt32(frame[33]),
            protocol: spec.proto, length: UInt32(UInt16(frame[16]) << 8 | UInt16(frame[17])) - 20)
        var value: UInt16
        repeat {
            value = UInt16(truncatingIfNeeded: rng.next())
        } while value == current || value == 0 || value == 0xffff || value == pseudo || value == ~pseudo
        frame[at] = UInt8(value >> 8)
        frame[at + 1] = UInt8(value & 0xff)
        return ipv4 ? .ipv4 : (spec.proto == 6 ? .tcp : .udp)
    }

    private func emitARP(_ index: Int, frameNumber: Int, _ truth: inout GroundTruth,
                         _ body: (Int64, UnsafeRawBufferPointer) -> Void) {
        let a = arps[index]
        let cMAC = clientMAC(a.client)
        let cIP = clientIP[Int(a.client)]
        let gatewayIP: UInt32 = 0x0A01_0001
        var arp: [UInt8] = [0, 1, 0x08, 0, 6, 4, 0, a.reply ? 2 : 1]
        func mac(_ m: MACAddress) { for i in (0..<6).reversed() { arp.append(UInt8(truncatingIfNeeded: m.value >> (8 * UInt64(i)))) } }
        func ip(_ v: UInt32) { for i in (0..<4).reversed() { arp.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
        let eth: EthernetHeader
        if a.reply {
            mac(Self.gatewayMAC); ip(gatewayIP); mac(cMAC); ip(cIP)
            eth = EthernetHeader(destination: cMAC, source: Self.gatewayMAC, etherType: 0x0806)
        } else {
            mac(cMAC); ip(cIP); mac(MACAddress(0)); ip(gatewayIP)
            eth = EthernetHeader(destination: MACAddress(0xffff_ffff_ffff), source: cMAC, etherType: 0x0806)
        }
        let frame = PacketRepr(link: .ethernet(eth), network: .none, transport: .none, payload: arp,
                               trailer: [UInt8](repeating: 0, count: 60 - 14 - arp.count)).encode()
        truth.countARP(frameLength: frame.count, time: a.time)
        frame.withUnsafeBytes { body(Self.epochMicros + a.time, $0) }
    }
}
