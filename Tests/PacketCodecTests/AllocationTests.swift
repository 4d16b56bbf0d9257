import CMallocCounter
import PacketCodec
import Testing

@Suite("Zero-allocation decoding")
struct AllocationTests {
    @Test("decoding Ethernet/VLAN/IPv4/TCP-with-options, UDP and IPv6 frames allocates nothing")
    func noAllocations() {
        let frames = [
            tcpFrame([.syn], options: [.maxSegmentSize(1460), .sackPermitted, .timestamp(value: 1, echo: 0),
                                       .noOperation, .windowScale(7)], vlan: [100]),
            tcpFrame([.psh, .ack], options: [.noOperation, .noOperation, .timestamp(value: 9, echo: 8)],
                     payload: [UInt8](repeating: 0x5a, count: 1400)),
            udpFrame(),
            ipv6Frame(transport: .tcp(tcpHeader([.ack]), options: [.sack([.init(left: 1, right: 2)])]), nextHeader: 6),
        ]
        let decoder = PacketDecoder()
        var checksum = 0
        for frame in frames {
            frame.withUnsafeBytes { bytes in
                func decodeAll(_ n: Int) {
                    for _ in 0..<n {
                        let p = decoder.decode(bytes, linkType: .ethernet)
                        checksum &+= Int(p.tcp?.sequenceNumber ?? 0) &+ Int(p.udp?.length ?? 0)
                        var it = p.tcp.map { TCPOptionIterator(bytes: bytes, header: $0) }
                        while let e = it?.next() { checksum &+= e.length }
                    }
                }
                decodeAll(1)  // the first pass may instantiate type metadata once
                sockeye_malloc_counter_start()
                decodeAll(1000)
                let allocations = sockeye_malloc_counter_stop()
                #expect(allocations == 0, "\(allocations) allocations for 1000 decodes")
            }
        }
        #expect(checksum != 0)
    }

    @Test("the counter itself sees allocations (so a zero above is meaningful)")
    func counterWorks() {
        sockeye_malloc_counter_start()
        var arrays: [[Int]] = []
        for i in 0..<10 { arrays.append(Array(repeating: i, count: 100 + i)) }
        let n = sockeye_malloc_counter_stop()
        #expect(n >= 10)
        #expect(arrays.count == 10)
    }
}
