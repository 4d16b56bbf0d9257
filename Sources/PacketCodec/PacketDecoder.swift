/// Decodes a frame from its link layer down to the innermost transport header in one call.
///
/// ```swift
/// let decoder = PacketDecoder()
/// let packet = frame.withUnsafeBytes { decoder.decode($0, linkType: .ethernet) }
/// if let tcp = packet.tcp { print(tcp.sequenceNumber, tcp.flags) }
/// ```
///
/// Decoding is a loop over layers driven by each layer's next-protocol field (gopacket's
/// `DecodingLayerParser` / `NextLayerType` model): every protocol's `decodeX` sits in its own
/// file beside its header's parse/emit and returns the `LayerKind` to decode next, chosen by
/// the tables in `NextLayer` (EtherType, IP protocol, UDP port, GRE protocol type, PPP protocol).
/// Tunnels, MPLS and PPPoE are followed, so the flat slots (`ipv4`/`ipv6`/`tcp`/`udp`/`icmp`)
/// describe the *innermost* IP datagram and `encapsulation` what wraps it; `layers` lists every
/// header decoded, outermost first.
///
/// The hot path reads borrowed bytes and returns a `DecodedPacket` value: nothing is allocated,
/// nothing is retained. `decode` never traps and never reads outside `bytes`: every read is
/// preceded by a length check, and a failed check ends decoding with a named `Defect`. Every
/// layer consumes at least one byte and at most `maxTunnelDepth` tunnels are entered, so the
/// loop is bounded by the frame length.
public struct PacketDecoder: Sendable {
    /// Verify IPv4 header, TCP, UDP, ICMP and GRE checksums (on by default).
    public var verifyChecksums: Bool
    /// Maximum number of IPv6 extension headers walked before giving up.
    public var maxExtensionHeaders = 16
    /// Follow tunnels (IP-in-IP, GRE, VXLAN, Geneve, GTP-U, Teredo, MPLS-in-UDP), MPLS label
    /// stacks and PPPoE (on by default). When off, only link → IPv4/IPv6 → TCP/UDP/ICMP is
    /// decoded and anything else stays payload (Sockeye's behaviour before tunnels).
    public var followsEncapsulations = true
    /// Tunnels entered at most; one more is `Defect.encapsulationTooDeep` and ends decoding
    /// (issue 11: "nesting depth is bounded").
    public static let maxTunnelDepth = 8

    public init(verifyChecksums: Bool = true) {
        self.verifyChecksums = verifyChecksums
    }

    /// Decodes one frame.
    /// - Parameters:
    ///   - bytes: the captured bytes (borrowed only for the call).
    ///   - linkType: from the capture file or live handle.
    ///   - wireLength: the original length (`len`); defaults to `bytes.count`.
    public func decode(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, wireLength: Int? = nil) -> DecodedPacket {
        // One variable and one return, so the value is built in the caller's result (no
        // intermediate copies of the struct).
        var p = DecodedPacket(linkType: linkType, captureLength: bytes.count,
                              wireLength: max(wireLength ?? bytes.count, bytes.count))
        decodeLayers(bytes, &p)
        return p
    }

    /// Decodes one frame into `packet`, overwriting all of it (same result as `decode`). Lets a
    /// caller keep one `DecodedPacket` and decode into it without returning a value.
    public func decode(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, wireLength: Int? = nil,
                       into packet: inout DecodedPacket) {
        packet = DecodedPacket(linkType: linkType, captureLength: bytes.count,
                               wireLength: max(wireLength ?? bytes.count, bytes.count))
        decodeLayers(bytes, &packet)
    }

    /// The layer loop: the link type names the first layer, each layer's decoder the next.
    @inline(__always)
    func decodeLayers(_ bytes: UnsafeRawBufferPointer, _ p: inout DecodedPacket) {
        var c = LayerCursor(end: p.wireLength)
        var next = firstLayer(bytes, &p)
        while let kind = next {
            next = decodeLayer(kind, bytes, &c, &p)
            c.previous = kind
        }
    }

    /// One layer. The `case` per kind is the only place a decoder is named; the next kind
    /// comes from `NextLayer`. The common kinds are inlined into the loop; the others go
    /// through `decodeEncapsulationLayer` (kept out of line so the plain-packet path stays short).
    @inline(__always)
    func decodeLayer(_ kind: LayerKind, _ b: UnsafeRawBufferPointer, _ c: inout LayerCursor,
                     _ p: inout DecodedPacket) -> LayerKind? {
        switch kind {
        case .ethernet: return decodeEthernet(b, &c, &p)
        case .ipv4: return decodeIPv4(b, &c, &p)
        case .ipv6: return decodeIPv6(b, &c, &p)
        case .tcp: decodeTCP(b, at: c.offset, length: c.end - c.offset, checksummable: c.checksummable,
                             addresses: c.addresses, &p); return nil
        case .udp: return decodeUDP(b, &c, &p)
        case .icmp, .icmpv6:
            decodeICMP(b, v6: kind == .icmpv6, at: c.offset, length: c.end - c.offset,
                       checksummable: c.checksummable, addresses: c.addresses, &p)
            return nil
        default: return decodeEncapsulationLayer(kind, b, &c, &p)
        }
    }

    @inline(never)
    func decodeEncapsulationLayer(_ kind: LayerKind, _ b: UnsafeRawBufferPointer, _ c: inout LayerCursor,
                                  _ p: inout DecodedPacket) -> LayerKind? {
        switch kind {
        case .linuxSLL, .linuxSLL2: return decodeLinuxSLL(b, v2: kind == .linuxSLL2, &c, &p)
        case .loopback: return decodeLoopback(b, &c, &p)
        case .vxlan: return decodeVXLAN(b, &c, &p)
        case .vxlanGPE: return decodeVXLANGPE(b, &c, &p)
        case .gre: return decodeGRE(b, &c, &p)
        case .erspan: return decodeERSPAN(b, &c, &p)
        case .mpls: return decodeMPLS(b, &c, &p)
        case .pppoe: return decodePPPoESession(b, &c, &p)
        case .pppoeDiscovery: return decodePPPoEDiscovery(b, &c, &p)
        case .ppp: return decodePPP(b, &c, &p)
        case .geneve: return decodeGeneve(b, &c, &p)
        case .gtpu: return decodeGTPU(b, &c, &p)
        case .teredo: return decodeTeredo(b, &c, &p)
        case .ethernet, .ipv4, .ipv6, .tcp, .udp, .icmp, .icmpv6:
            return decodeLayer(kind, b, &c, &p)
        case .vlan, .ipv6Extension, .mplsControlWord:
            return nil   // decoded inside Ethernet / IPv6 / MPLS, never dispatched to
        }
    }

    // MARK: Link layer

    /// The first layer of a frame of `p.linkType`. Raw-IP link types have no header: the IP
    /// version (or the link type) names the network layer directly.
    @inline(__always)
    func firstLayer(_ b: UnsafeRawBufferPointer, _ p: inout DecodedPacket) -> LayerKind? {
        switch p.linkType {
        case .ethernet: return .ethernet
        case .linuxSLL: return .linuxSLL
        case .linuxSLL2: return .linuxSLL2
        case .null, .loop: return .loopback
        case .rawIP:
            guard b.count >= 1 else { p.defects.insert(.linkTruncated); return nil }
            switch b.u8(0) >> 4 {
            case 4: p.etherType = EtherType.ipv4
            case 6: p.etherType = EtherType.ipv6
            default: p.defects.insert(.ipv4VersionInvalid); return nil
            }
            p.networkOffset = 0
            return p.etherType == EtherType.ipv4 ? .ipv4 : .ipv6
        case .ipv4:
            p.etherType = EtherType.ipv4
            p.networkOffset = 0
            return .ipv4
        case .ipv6:
            p.etherType = EtherType.ipv6
            p.networkOffset = 0
            return .ipv6
        case .unknown:
            p.defects.insert(.linkTypeUnsupported)
            return nil
        }
    }

    /// After a link-level header (Ethernet, VLAN, cooked, loopback, PPPoE, MPLS…) whose payload of
    /// type `type` starts at `o`: while no IP datagram has been decoded, that payload is the
    /// packet's network layer (`etherType`, `networkOffset`, and the payload when it is not IP).
    @inline(__always)
    func linkPayload(_ type: UInt16, at o: Int, _ c: inout LayerCursor, _ p: inout DecodedPacket) -> LayerKind? {
        c.offset = o
        let next = NextLayer.etherType(type, classic: !followsEncapsulations)
        if !c.flatIP {
            p.etherType = type
            p.networkOffset = o
            if next != .ipv4 && next != .ipv6 {
                p.payloadOffset = o
                p.payloadLength = c.end - o
            }
        }
        return next
    }

    /// The inner IP datagram of a tunnel is about to replace the flat slots: record the tunnel
    /// (`c.pendingTunnel`, or IP-in-IP when IP follows IP directly) and the delivery datagram in
    /// `encapsulation`, clear the flat IP/transport slots. False (and a defect) past
    /// `maxTunnelDepth`.
    @inline(never)
    func enterTunnel(_ c: inout LayerCursor, _ p: inout DecodedPacket) -> Bool {
        guard Int(p.encapsulation.depth) < Self.maxTunnelDepth else {
            p.defects.insert(.encapsulationTooDeep)
            return false
        }
        var e = p.encapsulation
        e.depth &+= 1
        let ipInIP = c.previous == .ipv4 || c.previous == .ipv6
        e.tunnel = ipInIP ? .ipInIP : c.pendingTunnel
        e.tunnelID = ipInIP ? nil : c.pendingID
        e.outerProtocol = p.ipProtocol ?? 0
        e.outerSource = p.sourceAddress
        e.outerDestination = p.destinationAddress
        e.outerSourcePort = p.udp?.sourcePort
        e.outerDestinationPort = p.udp?.destinationPort
        e.outerIPLength = p.ipLength
        p.encapsulation = e
        p.ipv4 = nil
        p.ipv6 = nil
        p.tcp = nil
        p.udp = nil
        p.icmp = nil
        p.quotesDatagram = false
        c.pendingTunnel = .none
        c.pendingID = nil
        return true
    }

    /// A tunnel header (VXLAN, GRE, …) was decoded: the next inner IP datagram is its payload.
    @inline(__always)
    func beginTunnel(_ type: TunnelType, id: UInt32?, _ c: inout LayerCursor) {
        c.pendingTunnel = type
        c.pendingID = id
    }
}

/// What one layer hands to the next: where it starts, what bounds it, and the enclosing IP
/// datagram's facts the transport checksum and tunnel bookkeeping need.
struct LayerCursor {
    /// Offset of the next header in the frame.
    var offset = 0
    /// End (in wire bytes, possibly beyond the capture) of the enclosing payload.
    var end: Int
    /// The enclosing IP datagram is complete and not a fragment (transport checksums can be verified).
    var checksummable = false
    /// The enclosing IP datagram is a fragment: tunnels inside it are not followed.
    var fragment = false
    /// Pseudo-header addresses of the enclosing IP datagram.
    var addresses = PseudoHeaderAddresses(source: IPAddress(ipv4: 0), destination: IPAddress(ipv4: 0))
    /// A flat IPv4/IPv6 slot is filled (the next IP header is a tunnel's inner datagram).
    var flatIP = false
    /// The layer decoded before this one (IP directly after IP is IP-in-IP).
    var previous: LayerKind = .ethernet
    /// Set by a tunnel header, consumed when its inner IP datagram is decoded.
    var pendingTunnel: TunnelType = .none
    var pendingID: UInt32? = nil

    init(end: Int) { self.end = end }
}

/// The addresses a transport checksum's pseudo-header covers (passed explicitly, no closure).
struct PseudoHeaderAddresses {
    var source: IPAddress
    var destination: IPAddress

    /// RFC 8200 §8.1: with a Routing header the pseudo-header carries the *final* destination
    /// (type 0: the last address; type 2, RFC 6275 §6.4: the home address; type 4 segment
    /// routing, RFC 8754 §2: Segment List[0]) while segments are left; a Home Address
    /// destination option (RFC 6275 §6.3, type 0xC9) replaces the source. `b[at..<at+length]`
    /// must be captured. Returns the offset in `b` of the address it took (a Routing header's
    /// destination or a Home Address option's source), 0 when it changed nothing.
    @discardableResult
    mutating func update(from header: UInt8, at o: Int, length: Int, in b: UnsafeRawBufferPointer) -> Int {
        switch header {
        case IPProtocol.ipv6Routing:
            let type = b.u8(o + 2)
            let segmentsLeft = b.u8(o + 3)
            guard segmentsLeft > 0 else { return 0 }
            let addressOffset: Int
            switch type {
            case 0: addressOffset = o + length - 16       // last of hdr_ext_len/2 addresses
            case 2, 4: addressOffset = o + 8               // the only address / Segment List[0]
            default: return 0
            }
            guard addressOffset >= o + 8, addressOffset + 16 <= o + length else { return 0 }
            destination = IPAddress(ipv6High: b.u64(addressOffset), low: b.u64(addressOffset + 8))
            return addressOffset
        case IPProtocol.ipv6DestinationOptions:
            var changed = 0
            var i = o + 2
            while i < o + length {
                let type = b.u8(i)
                if type == 0 { i += 1; continue }  // Pad1
                guard i + 2 <= o + length else { return changed }
                let len = Int(b.u8(i + 1))
                guard i + 2 + len <= o + length else { return changed }
                if type == 0xC9 && len == 16 {
                    source = IPAddress(ipv6High: b.u64(i + 2), low: b.u64(i + 10))
                    changed = i + 2
                }
                i += 2 + len
            }
            return changed
        default:
            return 0
        }
    }

    @inline(__always)
    func sum(_ proto: UInt8, _ length: UInt32) -> UInt16 {
        if source.isIPv4 {
            return InternetChecksum.pseudoHeaderSum(source: source.ipv4, destination: destination.ipv4,
                                                    protocol: proto, length: length)
        }
        return InternetChecksum.pseudoHeaderSum(source: source, destination: destination, protocol: proto, length: length)
    }
}

extension PseudoHeaderAddresses {
    /// The pseudo-header addresses for an IPv6 header followed by `extensionHeaders` (raw,
    /// chained bytes, as `PacketRepr` keeps them). Walks the chain like the decoder; stops at the
    /// first header that does not fit.
    init(ipv6 ip: IPv6Header, extensionHeaders b: UnsafeRawBufferPointer) {
        self.init(source: ip.source, destination: ip.destination)
        var next = ip.nextHeader
        var cursor = 0
        while IPv6Header.isExtensionHeader(next), cursor + 8 <= b.count {
            let length = IPv6Header.extensionHeaderLength(next, lengthField: b.u8(cursor + 1))
            guard cursor + length <= b.count else { return }
            update(from: next, at: cursor, length: length, in: b)
            next = b.u8(cursor)
            cursor += length
        }
    }
}
