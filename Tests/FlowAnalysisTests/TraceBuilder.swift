import PacketCodec
@testable import FlowAnalysis

/// Crafts raw-IP frames with `PacketRepr` (lengths and checksums filled), decodes them with
/// `PacketDecoder` and feeds `FlowAnalyzer`, the same path a capture takes.
struct Host {
    var address: IPAddress
    var port: UInt16
    static let client = Host(address: IPAddress("10.0.0.1")!, port: 40000)
    static let server = Host(address: IPAddress("10.0.0.2")!, port: 80)
    static let client6 = Host(address: IPAddress("fd00::1")!, port: 40000)
    static let server6 = Host(address: IPAddress("fd00::2")!, port: 443)
}

enum ChecksumMode { case good, bad, partial }

struct Trace {
    var a = Host.client
    var b = Host.server
    private(set) var frames: [(time: Int64, bytes: [UInt8])] = []

    init(client: Host = .client, server: Host = .server) {
        a = client
        b = server
    }

    static func ns(_ seconds: Double) -> Int64 { Int64((seconds * 1e9).rounded()) }

    func network(from: Host, to: Host, proto: UInt8) -> PacketRepr.Network {
        if from.address.isIPv4 {
            var ip = IPv4Header()
            ip.source = from.address.ipv4
            ip.destination = to.address.ipv4
            ip.protocol = proto
            ip.ttl = 64
            return .ipv4(ip, options: [])
        }
        var ip6 = IPv6Header()
        ip6.source = from.address
        ip6.destination = to.address
        ip6.nextHeader = proto
        return .ipv6(ip6, extensionHeaders: [])
    }

    /// A TCP segment from the client (`fromClient`) or the server at `t` seconds.
    mutating func tcp(_ fromClient: Bool, _ flags: TCPFlags, seq: UInt32, ack: UInt32 = 0, payload: Int = 0,
                      window: UInt16 = 65535, options: [TCPOption] = [], at t: Double,
                      checksum: ChecksumMode = .good) {
        let (from, to) = fromClient ? (a, b) : (b, a)
        var h = TCPHeader()
        h.sourcePort = from.port
        h.destinationPort = to.port
        h.sequenceNumber = seq
        h.acknowledgmentNumber = ack
        h.flags = flags
        h.window = window
        let repr = PacketRepr(link: .raw, network: network(from: from, to: to, proto: 6),
                              transport: .tcp(h, options: options), payload: [UInt8](repeating: 0x61, count: payload))
        var bytes = repr.encode()
        let ipHeader = from.address.isIPv4 ? 20 : 40
        patchChecksum(&bytes, at: ipHeader + 16, mode: checksum, from: from, to: to, proto: 6,
                      length: bytes.count - ipHeader)
        frames.append((Self.ns(t), bytes))
    }

    mutating func udp(_ fromClient: Bool, payload: Int, at t: Double, checksum: ChecksumMode = .good) {
        let (from, to) = fromClient ? (a, b) : (b, a)
        var u = UDPHeader()
        u.sourcePort = from.port
        u.destinationPort = to.port
        let repr = PacketRepr(link: .raw, network: network(from: from, to: to, proto: 17), transport: .udp(u),
                              payload: [UInt8](repeating: 0x62, count: payload))
        var bytes = repr.encode()
        let ipHeader = from.address.isIPv4 ? 20 : 40
        patchChecksum(&bytes, at: ipHeader + 6, mode: checksum, from: from, to: to, proto: 17,
                      length: bytes.count - ipHeader)
        frames.append((Self.ns(t), bytes))
    }

    /// A frame built elsewhere (raw IP), e.g. one fragment of a datagram.
    mutating func raw(_ bytes: [UInt8], at t: Double) {
        frames.append((Self.ns(t), bytes))
    }

    /// The frame `udp(...)` would append, without appending it.
    func udpFrame(_ fromClient: Bool, payload: [UInt8]) -> [UInt8] {
        let (from, to) = fromClient ? (a, b) : (b, a)
        var u = UDPHeader()
        u.sourcePort = from.port
        u.destinationPort = to.port
        let repr = PacketRepr(link: .raw, network: network(from: from, to: to, proto: 17), transport: .udp(u),
                              payload: payload)
        return repr.encode()
    }

    /// An ICMPv4 message (type, code, 4 bytes rest of header, `payload` bytes).
    mutating func icmp(_ fromClient: Bool, type: UInt8, code: UInt8 = 0, payload: Int = 0, at t: Double) {
        let (from, to) = fromClient ? (a, b) : (b, a)
        let body = [type, code, 0, 0, 0, 1, 0, 1] + [UInt8](repeating: 0, count: payload)
        let repr = PacketRepr(link: .raw, network: network(from: from, to: to, proto: 1), transport: .none, payload: body)
        frames.append((Self.ns(t), repr.encode()))
    }

    private func patchChecksum(_ bytes: inout [UInt8], at offset: Int, mode: ChecksumMode, from: Host, to: Host,
                               proto: UInt8, length: Int) {
        switch mode {
        case .good: return
        case .bad:
            bytes[offset] ^= 0x5a
        case .partial:
            let pseudo = InternetChecksum.pseudoHeaderSum(source: from.address, destination: to.address,
                                                          protocol: proto, length: UInt32(length))
            let v4pseudo = from.address.isIPv4
                ? InternetChecksum.pseudoHeaderSum(source: from.address.ipv4, destination: to.address.ipv4,
                                                   protocol: proto, length: UInt32(length))
                : pseudo
            bytes[offset] = UInt8(v4pseudo >> 8)
            bytes[offset + 1] = UInt8(v4pseudo & 0xff)
        }
    }

    /// Runs the frames through decoder and analyzer; returns the records in emission order.
    func run(_ configuration: FlowConfiguration = .init(), finish: Bool = true) -> (records: [ConnectionRecord], summary: AnalysisSummary) {
        var records: [ConnectionRecord] = []
        let analyzer = FlowAnalyzer(configuration: configuration) { records.append($0) }
        let decoder = PacketDecoder()
        for f in frames {
            f.bytes.withUnsafeBytes { raw in
                let p = decoder.decode(raw, linkType: .rawIP)
                analyzer.process(p, time: f.time, bytes: raw)
            }
        }
        if finish { analyzer.finish() }
        return (records, analyzer.summary)
    }

    /// The single record of a one-flow trace.
    func single(_ configuration: FlowConfiguration = .init()) -> ConnectionRecord? {
        let r = run(configuration).records
        return r.count == 1 ? r[0] : nil
    }
}

extension TCPFlags {
    static let synAck: TCPFlags = [.syn, .ack]
    static let finAck: TCPFlags = [.fin, .ack]
    static let rstAck: TCPFlags = [.rst, .ack]
    static let pshAck: TCPFlags = [.psh, .ack]
}

/// Standard numbers: client ISN 1000, server ISN 5000.
let cISN: UInt32 = 1000
let sISN: UInt32 = 5000

extension Trace {
    /// SYN, SYN-ACK, ACK at 0, 0.010, 0.020 s.
    mutating func handshake(at t0: Double = 0) {
        tcp(true, .syn, seq: cISN, at: t0)
        tcp(false, .synAck, seq: sISN, ack: cISN + 1, at: t0 + 0.010)
        tcp(true, .ack, seq: cISN + 1, ack: sISN + 1, at: t0 + 0.020)
    }

    /// Handshake, 10 bytes client→server (acked), 20 bytes server→client (acked), from 0 to 0.06 s.
    /// Afterwards the client's next seq is cISN+11, the server's sISN+21.
    mutating func established(at t0: Double = 0) {
        handshake(at: t0)
        tcp(true, .pshAck, seq: cISN + 1, ack: sISN + 1, payload: 10, at: t0 + 0.030)
        tcp(false, .ack, seq: sISN + 1, ack: cISN + 11, at: t0 + 0.040)
        tcp(false, .pshAck, seq: sISN + 1, ack: cISN + 11, payload: 20, at: t0 + 0.050)
        tcp(true, .ack, seq: cISN + 11, ack: sISN + 21, at: t0 + 0.060)
    }
}
