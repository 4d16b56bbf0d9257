import PacketCodec

/// Frames stored back to back in one allocation, for benchmarks that replay packets without
/// touching the allocator.
public final class FrameRing: @unchecked Sendable {
    public let storage: UnsafeMutableRawBufferPointer
    public let offsets: [Int]
    public let lengths: [Int]
    /// Microseconds since the epoch of each frame (generator time), when known.
    public let times: [Int64]

    public init(_ frames: [[UInt8]], times: [Int64] = []) {
        let total = frames.reduce(0) { $0 + $1.count }
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(total, 1), alignment: 16)
        self.storage = storage
        var offsets: [Int] = []
        var lengths: [Int] = []
        var at = 0
        for f in frames {
            offsets.append(at)
            lengths.append(f.count)
            f.withUnsafeBytes { storage.baseAddress!.advanced(by: at).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            at += f.count
        }
        self.offsets = offsets
        self.lengths = lengths
        self.times = times.isEmpty ? frames.indices.map { Int64($0) } : times
    }

    deinit { storage.deallocate() }

    public var count: Int { offsets.count }

    @inlinable public subscript(i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage.baseAddress! + offsets[i], count: lengths[i])
    }

    /// The first `packets` packets of a synthetic workload (see `WorkloadGenerator`).
    public static func workload(packets: Int, flows: Int, seed: UInt64 = 1) -> FrameRing {
        var frames: [[UInt8]] = []
        var times: [Int64] = []
        frames.reserveCapacity(packets)
        let generator = try! WorkloadGenerator(WorkloadParameters(packets: packets, flows: flows, seed: seed))
        _ = generator.generate { t, frame in
            frames.append(Array(frame))
            times.append(t)
        }
        return FrameRing(frames, times: times)
    }

    /// Mid-connection packets of `flows` flows (80% TCP data/ACK segments with NOP,NOP,TS, 20%
    /// UDP), interleaved round-robin, `perFlow` packets each: replaying the ring forever only
    /// updates existing flows (no handshakes, no teardowns, no records).
    public static func steadyState(flows: Int, perFlow: Int = 4, serverPayload: Int = 512) -> FrameRing {
        var frames: [[UInt8]] = []
        frames.reserveCapacity(flows * perFlow)
        var rng = SplitMix64(seed: 42)
        let gateway = MACAddress(0x0200_0000_0001)
        for round in 0..<perFlow {
            for f in 0..<flows {
                let client = 0x0A00_0000 | (UInt32(f) + 2)
                let server = 0xC612_0000 | UInt32((f * 7919) % 131_072)
                let clientPort = UInt16(32768 + f % 28_000)
                let fromClient = round % 2 == 0
                let cMAC = MACAddress(0x0200_0A00_0000 | UInt64(client & 0xff_ffff))
                var ip = IPv4Header()
                ip.ttl = 64
                ip.identification = UInt16(truncatingIfNeeded: round)
                ip.source = fromClient ? client : server
                ip.destination = fromClient ? server : client
                let eth = EthernetHeader(destination: fromClient ? gateway : cMAC, source: fromClient ? cMAC : gateway,
                                         etherType: EtherType.ipv4)
                let payloadLength = fromClient ? 0 : serverPayload
                let payload = (0..<payloadLength).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                let repr: PacketRepr
                if f % 5 != 4 {
                    ip.protocol = 6
                    ip.dontFragment = true
                    var tcp = TCPHeader()
                    tcp.sourcePort = fromClient ? clientPort : 443
                    tcp.destinationPort = fromClient ? 443 : clientPort
                    let clientISN = UInt32(truncatingIfNeeded: f &* 2_654_435_761)
                    let serverISN = ~clientISN
                    let served = UInt32(round / 2 * serverPayload)
                    tcp.sequenceNumber = fromClient ? clientISN &+ 1 : serverISN &+ 1 &+ served
                    tcp.acknowledgmentNumber = fromClient ? serverISN &+ 1 &+ served : clientISN &+ 1
                    tcp.flags = [.ack]
                    tcp.window = 501
                    repr = PacketRepr(link: .ethernet(eth), network: .ipv4(ip, options: []),
                                      transport: .tcp(tcp, options: [.noOperation, .noOperation,
                                                                     .timestamp(value: UInt32(1000 + round), echo: UInt32(999 + round))]),
                                      payload: payload)
                } else {
                    ip.protocol = 17
                    var udp = UDPHeader()
                    udp.sourcePort = fromClient ? clientPort : 443
                    udp.destinationPort = fromClient ? 443 : clientPort
                    repr = PacketRepr(link: .ethernet(eth), network: .ipv4(ip, options: []), transport: .udp(udp),
                                      payload: (0..<(fromClient ? 40 : min(serverPayload, 1200))).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
                }
                frames.append(repr.encode())
            }
        }
        return FrameRing(frames)
    }
}

/// One Linux-style frame of each interesting shape.
public enum SampleFrames {
    /// Ethernet/IPv4/TCP SYN with Linux's options: MSS, SACK_PERM, TS, NOP, WS (74 bytes).
    public static let linuxSYN: [UInt8] = {
        var tcp = TCPHeader()
        tcp.sourcePort = 51514
        tcp.destinationPort = 443
        tcp.sequenceNumber = 1_694_179_788
        tcp.flags = [.syn]
        tcp.window = 64240
        return frame(tcp, options: [.maxSegmentSize(1460), .sackPermitted, .timestamp(value: 2_902_417_116, echo: 0),
                                    .noOperation, .windowScale(7)], payload: [])
    }()

    /// Full-size data segment with NOP, NOP, TS (1514 bytes on the wire).
    public static let linuxData: [UInt8] = {
        var tcp = TCPHeader()
        tcp.sourcePort = 443
        tcp.destinationPort = 51514
        tcp.sequenceNumber = 3_032_912_002
        tcp.acknowledgmentNumber = 1_694_179_789
        tcp.flags = [.ack, .psh]
        tcp.window = 509
        var rng = SplitMix64(seed: 7)
        return frame(tcp, options: [.noOperation, .noOperation, .timestamp(value: 2_902_417_200, echo: 2_902_417_116)],
                     payload: (0..<1448).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
    }()

    static func frame(_ tcp: TCPHeader, options: [TCPOption], payload: [UInt8]) -> [UInt8] {
        var ip = IPv4Header()
        ip.ttl = 64
        ip.protocol = 6
        ip.dontFragment = true
        ip.identification = 0x1c46
        ip.source = 0x0A01_0002
        ip.destination = 0xC612_0001
        let eth = EthernetHeader(destination: MACAddress(0x0200_0000_0001), source: MACAddress(0x0200_0A01_0002),
                                 etherType: EtherType.ipv4)
        return PacketRepr(link: .ethernet(eth), network: .ipv4(ip, options: []), transport: .tcp(tcp, options: options),
                          payload: payload).encode()
    }
}
