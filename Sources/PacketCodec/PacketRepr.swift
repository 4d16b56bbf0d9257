/// An owned, editable description of a whole frame — the "Repr" half of smoltcp's
/// Packet/Repr pair. Build one by hand (to craft packets) or from a decoded frame (to edit
/// and re-emit it), then serialize it with `encode(_:)`.
///
/// ```swift
/// var tcp = TCPHeader()
/// tcp.sourcePort = 51514; tcp.destinationPort = 80; tcp.flags = [.syn]
/// let frame = PacketRepr(
///     link: .ethernet(EthernetHeader(destination: dst, source: src, etherType: EtherType.ipv4)),
///     network: .ipv4(ip, options: []),
///     transport: .tcp(tcp, options: [.maxSegmentSize(1460), .sackPermitted]),
///     payload: []
/// ).encode()     // lengths, data offset and checksums filled in
/// ```
///
/// Round trips: for a frame whose lengths are consistent, `PacketRepr(decoding:)` followed by
/// `encode(options: .verbatim)` gives back the same bytes, and with `.standard` the same bytes
/// whenever its checksums were good. `PacketRepr(decoding: encode(x))` is a fixed point: decoding
/// it and encoding again yields an equal value.
public struct PacketRepr: Hashable, Sendable {
    public enum Link: Hashable, Sendable {
        case ethernet(EthernetHeader)
        case linuxSLL(LinuxSLLHeader)
        /// DLT_NULL (host byte order family) and DLT_LOOP (network order).
        case null(LoopbackHeader)
        case loop(LoopbackHeader)
        /// No link header (raw IP link types).
        case raw
    }

    public enum Network: Hashable, Sendable {
        /// Options are raw bytes, zero-padded to 4 on output.
        case ipv4(IPv4Header, options: [UInt8])
        /// Extension headers as raw, already-chained bytes (the fixed header's `nextHeader`
        /// names the first one).
        case ipv6(IPv6Header, extensionHeaders: [UInt8])
        case none
    }

    public enum Transport: Hashable, Sendable {
        case tcp(TCPHeader, options: [TCPOption])
        case udp(UDPHeader)
        case none
    }

    public var link: Link
    public var network: Network
    public var transport: Transport
    public var payload: [UInt8]
    /// Bytes after the IP datagram (Ethernet minimum-size padding, trailers).
    public var trailer: [UInt8]

    public init(link: Link, network: Network, transport: Transport, payload: [UInt8] = [], trailer: [UInt8] = []) {
        self.link = link
        self.network = network
        self.transport = transport
        self.payload = payload
        self.trailer = trailer
    }

    /// What `encode` fixes up.
    public struct EncodeOptions: Hashable, Sendable {
        /// Compute IPv4 IHL/total length, IPv6 payload length, TCP data offset, UDP length.
        public var fixLengths: Bool
        /// Compute IPv4 header, TCP and UDP checksums (a computed UDP 0 is sent as 0xFFFF).
        public var computeChecksums: Bool
        public init(fixLengths: Bool = true, computeChecksums: Bool = true) {
            self.fixLengths = fixLengths
            self.computeChecksums = computeChecksums
        }
        /// Lengths and checksums computed.
        public static let standard = EncodeOptions()
        /// Every field written as it is in the headers.
        public static let verbatim = EncodeOptions(fixLengths: false, computeChecksums: false)
    }
}

extension PacketRepr {
    /// Serializes the frame. Traps only on impossible headers: IPv4 options over 40 bytes or
    /// TCP options over 40 bytes.
    public func encode(options: EncodeOptions = .standard) -> [UInt8] {
        // Transport segment first: the network header needs its length.
        var segment: [UInt8] = []
        segment.reserveCapacity(60 + payload.count)   // the largest TCP header, so no regrowth
        var segmentProtocol: UInt8?
        switch transport {
        case .tcp(var tcp, let tcpOptions):
            if options.computeChecksums { tcp.checksum = 0 }
            tcp.emit(into: &segment, options: tcpOptions, fixLengths: options.fixLengths)
            segmentProtocol = IPProtocol.tcp
        case .udp(var udp):
            if options.computeChecksums { udp.checksum = 0 }
            udp.emit(into: &segment, payloadLength: payload.count, fixLengths: options.fixLengths)
            segmentProtocol = IPProtocol.udp
        case .none:
            break
        }
        segment.append(contentsOf: payload)

        var frame: [UInt8] = []
        frame.reserveCapacity(64 + segment.count + trailer.count)
        switch link {
        case .ethernet(let eth): eth.emit(into: &frame)
        case .linuxSLL(let sll): sll.emit(into: &frame)
        case .null(let lo): lo.emit(into: &frame, networkOrder: false)
        case .loop(let lo): lo.emit(into: &frame, networkOrder: true)
        case .raw: break
        }
        var pseudo: UInt16 = 0
        switch network {
        case .ipv4(let ip, let ipOptions):
            ip.emit(into: &frame, options: ipOptions, payloadLength: segment.count,
                    fixLengths: options.fixLengths, computeChecksum: options.computeChecksums)
            if let proto = segmentProtocol {
                pseudo = InternetChecksum.pseudoHeaderSum(source: ip.source, destination: ip.destination,
                                                          protocol: proto, length: UInt32(segment.count))
            }
        case .ipv6(let ip, let ext):
            ip.emit(into: &frame, extensionBytes: ext, upperLength: segment.count, fixLengths: options.fixLengths)
            if let proto = segmentProtocol {
                // RFC 8200 §8.1: a Routing header's final destination and a Home Address option
                // enter the pseudo-header, exactly as the decoder verifies it.
                let addresses = ext.withUnsafeBytes { PseudoHeaderAddresses(ipv6: ip, extensionHeaders: $0) }
                pseudo = addresses.sum(proto, UInt32(segment.count))
            }
        case .none:
            break
        }
        let segmentStart = frame.count
        frame.append(contentsOf: segment)
        frame.append(contentsOf: trailer)
        if options.computeChecksums, let proto = segmentProtocol, network != .none {
            let sum = frame.withUnsafeBytes {
                InternetChecksum.sum(UnsafeRawBufferPointer(rebasing: $0[segmentStart..<(segmentStart + segment.count)]))
            }
            var value = InternetChecksum.fieldValue(forSum: InternetChecksum.combine(pseudo, sum))
            if proto == IPProtocol.udp && value == 0 { value = 0xffff }  // RFC 768: 0 means "none"
            frame.storeBigEndian(value, at: segmentStart + (proto == IPProtocol.tcp ? 16 : 6))
        }
        return frame
    }

    /// Builds the owned form of a frame. Returns nil when the frame has a defect that stops
    /// decoding before the transport layer would be complete (malformed frames cannot be
    /// represented faithfully), or an unsupported link type.
    public init?(decoding bytes: UnsafeRawBufferPointer, linkType: LinkType) {
        // Only the chain this type can hold (link → IP → TCP/UDP): tunnels stay payload.
        var decoder = PacketDecoder(verifyChecksums: false)
        decoder.followsEncapsulations = false
        let p = decoder.decode(bytes, linkType: linkType)
        let fatal: [Defect] = [.linkTruncated, .linkTypeUnsupported, .vlanTooManyTags, .loopbackFamilyUnknown,
                               .ipv4Truncated, .ipv4VersionInvalid, .ipv4HeaderLengthInvalid, .ipv4HeaderBeyondCapture,
                               .ipv4TotalLengthInvalid, .ipv4TotalLengthExceedsFrame, .ipv4TotalLengthZero,
                               .ipv6Truncated, .ipv6VersionInvalid, .ipv6PayloadLengthExceedsFrame,
                               .ipv6ExtensionHeaderTruncated, .ipv6TooManyExtensionHeaders, .tcpTruncated,
                               .tcpDataOffsetInvalid, .tcpDataOffsetBeyondSegment, .tcpDataOffsetBeyondCapture,
                               .tcpOptionLengthZero, .tcpOptionLengthOne, .tcpOptionBeyondHeader, .tcpNonZeroAfterEOL,
                               .udpTruncated, .udpLengthInvalid, .udpLengthExceedsPayload]
        guard !fatal.contains(where: p.defects.contains), p.captureLength == p.wireLength else { return nil }
        func slice(_ r: Range<Int>) -> [UInt8] { Array(UnsafeRawBufferPointer(rebasing: bytes[r])) }

        switch linkType {
        case .ethernet: guard let e = p.ethernet else { return nil }; link = .ethernet(e)
        case .linuxSLL, .linuxSLL2: guard let s = p.linuxSLL else { return nil }; link = .linuxSLL(s)
        case .null: guard let l = p.loopback else { return nil }; link = .null(l)
        case .loop: guard let l = p.loopback else { return nil }; link = .loop(l)
        case .rawIP, .ipv4, .ipv6: link = .raw
        case .unknown: return nil
        }
        // SLL frames that carry VLAN tags after the header are not representable here.
        if case .linuxSLL(let s) = link, s.length != p.networkOffset { return nil }

        let datagramEnd: Int
        let transportStart: Int
        if var ip = p.ipv4 {
            let optionRange = (ip.offset + 20)..<(ip.offset + ip.headerLength)
            datagramEnd = ip.offset + ip.effectiveLength
            transportStart = ip.offset + ip.headerLength
            ip.offset = 0
            ip.checksumStatus = .unverified
            ip.effectiveLength = 0
            network = .ipv4(ip, options: slice(optionRange))
        } else if let ip = p.ipv6 {
            datagramEnd = ip.offset + IPv6Header.length + ip.effectivePayloadLength
            transportStart = ip.upperOffset
            var fixed = IPv6Header()
            fixed.trafficClass = ip.trafficClass
            fixed.flowLabel = ip.flowLabel
            fixed.payloadLength = ip.payloadLength
            fixed.nextHeader = ip.nextHeader
            fixed.hopLimit = ip.hopLimit
            fixed.source = ip.source
            fixed.destination = ip.destination
            network = .ipv6(fixed, extensionHeaders: slice((ip.offset + IPv6Header.length)..<ip.upperOffset))
        } else {
            // Non-IP payload: keep it whole after the link header.
            network = .none
            transport = .none
            let start = p.networkOffset ?? 0
            payload = slice(start..<bytes.count)
            trailer = []
            return
        }
        guard datagramEnd <= bytes.count else { return nil }
        if var tcp = p.tcp, !p.isFragment {
            var list: [TCPOption] = []
            var it = TCPOptionIterator(bytes: bytes, header: tcp)
            var minimal = 20
            while let e = it.next() {
                list.append(TCPOption(e, in: bytes))
                minimal += e.length
            }
            // An EOL that only starts the zero padding is implied by the encoder's padding: drop it,
            // so options built without EOL survive a round trip unchanged.
            if list.last == .endOfList && (minimal - 1 + 3) & ~3 == tcp.headerLength {
                list.removeLast()
                minimal -= 1
            }
            // Keep the data offset only when it is larger than the options need (extra padding).
            if tcp.headerLength == (minimal + 3) & ~3 { tcp.headerLength = 20 }
            tcp.offset = 0
            tcp.checksumStatus = .unverified
            tcp.payloadLength = 0
            tcp.options = TCPOptionSummary()
            transport = .tcp(tcp, options: list)
            payload = slice(p.payloadOffset..<datagramEnd)
        } else if var udp = p.udp, !p.isFragment {
            udp.offset = 0
            udp.checksumStatus = .unverified
            udp.payloadLength = 0
            transport = .udp(udp)
            // Bytes after the UDP length but inside the IP datagram are kept as payload tail only
            // when the length covers everything; otherwise the frame is not representable.
            guard transportStart + Int(udp.length) == datagramEnd else { return nil }
            payload = slice(p.payloadOffset..<datagramEnd)
        } else {
            transport = .none
            payload = slice(transportStart..<datagramEnd)
        }
        trailer = slice(datagramEnd..<bytes.count)
    }

    /// Convenience over an array.
    public init?(decoding bytes: [UInt8], linkType: LinkType) {
        guard let r = bytes.withUnsafeBytes({ PacketRepr(decoding: $0, linkType: linkType) }) else { return nil }
        self = r
    }
}
