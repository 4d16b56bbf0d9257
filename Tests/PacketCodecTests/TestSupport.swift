import PacketCodec

/// Bytes from a hex string; spaces and newlines ignored.
func hex(_ s: String) -> [UInt8] {
    let digits = s.filter { !$0.isWhitespace }
    var out: [UInt8] = []
    var i = digits.startIndex
    while i < digits.endIndex {
        let j = digits.index(i, offsetBy: 2)
        out.append(UInt8(digits[i..<j], radix: 16)!)
        i = j
    }
    return out
}

func decode(_ bytes: [UInt8], _ link: LinkType = .ethernet, wireLength: Int? = nil, verify: Bool = true) -> DecodedPacket {
    bytes.withUnsafeBytes { PacketDecoder(verifyChecksums: verify).decode($0, linkType: link, wireLength: wireLength) }
}

let clientMAC = MACAddress(0x02_00_00_00_00_01)
let serverMAC = MACAddress(0x02_00_00_00_00_02)
let clientIP: UInt32 = 0x0a01_0007  // 10.1.0.7
let serverIP: UInt32 = 0xc612_0009  // 198.18.0.9

func ipv4Header(_ proto: UInt8, id: UInt16 = 4321, src: UInt32 = clientIP, dst: UInt32 = serverIP) -> IPv4Header {
    var ip = IPv4Header()
    ip.identification = id
    ip.dontFragment = true
    ip.ttl = 64
    ip.protocol = proto
    ip.source = src
    ip.destination = dst
    return ip
}

func tcpHeader(_ flags: TCPFlags, seq: UInt32 = 1_694_179_788, ack: UInt32 = 0, sport: UInt16 = 51514,
               dport: UInt16 = 80, window: UInt16 = 65535) -> TCPHeader {
    var t = TCPHeader()
    t.sourcePort = sport
    t.destinationPort = dport
    t.sequenceNumber = seq
    t.acknowledgmentNumber = ack
    t.flags = flags
    t.window = window
    return t
}

/// An Ethernet/IPv4/TCP frame built with the project's encoder.
func tcpFrame(_ flags: TCPFlags = [.syn], options: [TCPOption] = [], payload: [UInt8] = [],
              seq: UInt32 = 1_694_179_788, ack: UInt32 = 0, vlan: [UInt16] = [],
              encode: PacketRepr.EncodeOptions = .standard) -> [UInt8] {
    let eth = EthernetHeader(destination: serverMAC, source: clientMAC, etherType: EtherType.ipv4,
                             tags: VLANTags(vlan.map { VLANTag(id: $0) }))
    return PacketRepr(link: .ethernet(eth), network: .ipv4(ipv4Header(IPProtocol.tcp), options: []),
                      transport: .tcp(tcpHeader(flags, seq: seq, ack: ack), options: options),
                      payload: payload).encode(options: encode)
}

func udpFrame(payload: [UInt8] = Array("hello".utf8), checksum: Bool = true) -> [UInt8] {
    var udp = UDPHeader()
    udp.sourcePort = 53
    udp.destinationPort = 5353
    let eth = EthernetHeader(destination: serverMAC, source: clientMAC, etherType: EtherType.ipv4)
    let repr = PacketRepr(link: .ethernet(eth), network: .ipv4(ipv4Header(IPProtocol.udp), options: []),
                          transport: .udp(udp), payload: payload)
    if checksum { return repr.encode() }
    return repr.encode(options: PacketRepr.EncodeOptions(fixLengths: true, computeChecksums: false))
}

let v6Client = IPAddress("fd77::1")!
let v6Server = IPAddress("fd77::2")!

func ipv6Frame(transport: PacketRepr.Transport, nextHeader: UInt8, extensionHeaders: [UInt8] = [],
               payload: [UInt8] = []) -> [UInt8] {
    var ip = IPv6Header()
    ip.nextHeader = nextHeader
    ip.hopLimit = 64
    ip.source = v6Client
    ip.destination = v6Server
    let eth = EthernetHeader(destination: serverMAC, source: clientMAC, etherType: EtherType.ipv6)
    return PacketRepr(link: .ethernet(eth), network: .ipv6(ip, extensionHeaders: extensionHeaders),
                      transport: transport, payload: payload).encode()
}

/// Overwrites a big-endian 16-bit field.
func poke16(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt16) {
    bytes[offset] = UInt8(value >> 8)
    bytes[offset + 1] = UInt8(value & 0xff)
}
