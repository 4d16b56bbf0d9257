/// Decodes a frame from its link layer down to TCP/UDP in one call.
///
/// ```swift
/// let decoder = PacketDecoder()
/// let packet = frame.withUnsafeBytes { decoder.decode($0, linkType: .ethernet) }
/// if let tcp = packet.tcp { print(tcp.sequenceNumber, tcp.flags) }
/// ```
///
/// The hot path reads borrowed bytes and returns a `DecodedPacket` value: nothing is allocated,
/// nothing is retained. `decode` never traps and never reads outside `bytes`: every read is
/// preceded by a length check, and a failed check ends decoding with a named `Defect`.
public struct PacketDecoder: Sendable {
    /// Verify IPv4 header, TCP and UDP checksums (on by default).
    public var verifyChecksums: Bool
    /// Maximum number of IPv6 extension headers walked before giving up.
    public var maxExtensionHeaders = 16

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
        // intermediate copies of the 456-byte struct).
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

    @inline(__always)
    func decodeLayers(_ bytes: UnsafeRawBufferPointer, _ p: inout DecodedPacket) {
        decodeLink(bytes, &p)
        guard let offset = p.networkOffset else { return }
        switch p.etherType {
        case EtherType.ipv4: decodeIPv4(bytes, at: offset, &p)
        case EtherType.ipv6: decodeIPv6(bytes, at: offset, &p)
        default: p.payloadOffset = offset; p.payloadLength = p.wireLength - offset
        }
    }

    // MARK: Link layer

    @inline(__always)
    func decodeLink(_ b: UnsafeRawBufferPointer, _ p: inout DecodedPacket) {
        switch p.linkType {
        case .ethernet:
            var defect: Defect?
            p.ethernet = EthernetHeader.parse(b, defect: &defect)
            if let defect { p.defects.insert(defect); return }
            guard let eth = p.ethernet else { return }
            p.layers.append(.ethernet, offset: 0, length: EthernetHeader.headerLength)
            for i in 0..<eth.tags.count {
                p.layers.append(.vlan, offset: EthernetHeader.headerLength + 4 * i, length: 4)
            }
            p.etherType = eth.etherType
            p.networkOffset = eth.length
        case .linuxSLL, .linuxSLL2:
            guard let sll = p.linkType == .linuxSLL ? LinuxSLLHeader.parseV1(b) : LinuxSLLHeader.parseV2(b) else {
                p.defects.insert(.linkTruncated); return
            }
            p.linuxSLL = sll
            p.layers.append(p.linkType == .linuxSLL ? .linuxSLL : .linuxSLL2, offset: 0, length: sll.length)
            var offset = sll.length
            var type = sll.protocolType
            // Tagged frames on a cooked capture keep their tags (the kernel strips them into
            // metadata for most drivers, but not all).
            while EtherType.isVLANTag(type) {
                guard b.count >= offset + 4 else { p.defects.insert(.linkTruncated); return }
                type = b.u16(offset + 2)
                p.layers.append(.vlan, offset: offset, length: 4)
                offset += 4
            }
            p.etherType = type
            p.networkOffset = offset
        case .null, .loop:
            guard let lo = LoopbackHeader.parse(b, networkOrder: p.linkType == .loop) else {
                p.defects.insert(.linkTruncated); return
            }
            p.loopback = lo
            p.layers.append(.loopback, offset: 0, length: LoopbackHeader.length)
            switch lo.ipVersion {
            case 4: p.etherType = EtherType.ipv4
            case 6: p.etherType = EtherType.ipv6
            default: p.defects.insert(.loopbackFamilyUnknown); return
            }
            p.networkOffset = LoopbackHeader.length
        case .rawIP:
            guard b.count >= 1 else { p.defects.insert(.linkTruncated); return }
            switch b.u8(0) >> 4 {
            case 4: p.etherType = EtherType.ipv4
            case 6: p.etherType = EtherType.ipv6
            default: p.defects.insert(.ipv4VersionInvalid); return
            }
            p.networkOffset = 0
        case .ipv4:
            p.etherType = EtherType.ipv4
            p.networkOffset = 0
        case .ipv6:
            p.etherType = EtherType.ipv6
            p.networkOffset = 0
        case .unknown:
            p.defects.insert(.linkTypeUnsupported)
        }
    }

    // MARK: IPv4 (RFC 791 §3.1)

    @inline(__always)
    func decodeIPv4(_ b: UnsafeRawBufferPointer, at o: Int, _ p: inout DecodedPacket) {
        guard b.count >= o + IPv4Header.minimumLength else { p.defects.insert(.ipv4Truncated); return }
        var ip = IPv4Header.readFixed(b, at: o)
        guard b.u8(o) >> 4 == 4 else {
            p.defects.insert(.ipv4VersionInvalid)
            p.ipv4 = ip
            return
        }
        let frameRemaining = p.wireLength - o
        guard ip.headerLength >= IPv4Header.minimumLength else {
            p.defects.insert(.ipv4HeaderLengthInvalid)
            p.ipv4 = ip
            return
        }
        guard b.count >= o + ip.headerLength else {
            p.defects.insert(.ipv4HeaderBeyondCapture)
            p.ipv4 = ip
            return
        }
        if verifyChecksums {
            let sum = InternetChecksum.sum(UnsafeRawBufferPointer(rebasing: b[o..<(o + ip.headerLength)]))
            // A header checksum of 0x0000 that does not verify is transmit offload on the
            // capturing host (the NIC fills it in later), not corruption: `partial`, as for
            // TCP/UDP offload (issue 16). A correct header never needs 0x0000: its sum is then
            // 0xFFFF and it is `good` first.
            ip.checksumStatus = sum == 0xffff ? .good : (ip.checksum == 0 ? .partial : .bad)
        }
        if ip.optionsLength > 0 {
            var it = IPv4OptionIterator(bytes: b, header: ip)
            while it.next() != nil {}
            if it.malformed { p.defects.insert(.ipv4OptionLengthInvalid) }
        }
        // Length of the datagram: the total length field, except TSO captures (0) and fields
        // larger than the frame, where the frame's remaining bytes are used (gopacket's rule).
        var truncatedByFrame = false
        if ip.totalLength == 0 {
            p.defects.insert(.ipv4TotalLengthZero)
            ip.effectiveLength = frameRemaining
        } else if Int(ip.totalLength) < ip.headerLength {
            p.defects.insert(.ipv4TotalLengthInvalid)
            p.ipv4 = ip
            return
        } else if Int(ip.totalLength) > frameRemaining {
            p.defects.insert(.ipv4TotalLengthExceedsFrame)
            ip.effectiveLength = frameRemaining
            truncatedByFrame = true
        } else {
            ip.effectiveLength = Int(ip.totalLength)
        }
        p.ipv4 = ip
        p.layers.append(.ipv4, offset: o, length: ip.headerLength)
        let payloadStart = o + ip.headerLength
        let payloadLength = ip.effectiveLength - ip.headerLength
        p.payloadOffset = payloadStart
        p.payloadLength = payloadLength
        // Only the first fragment carries the transport header.
        guard ip.fragmentOffsetUnits == 0 else { return }
        decodeTransport(b, proto: ip.protocol, at: payloadStart, length: payloadLength,
                        checksummable: !ip.isFragment && !truncatedByFrame,
                        addresses: PseudoHeaderAddresses(source: IPAddress(ipv4: ip.source),
                                                         destination: IPAddress(ipv4: ip.destination)), &p)
    }

    // MARK: IPv6 (RFC 8200 §3, §4)

    @inline(__always)
    func decodeIPv6(_ b: UnsafeRawBufferPointer, at o: Int, _ p: inout DecodedPacket) {
        guard b.count >= o + IPv6Header.length else { p.defects.insert(.ipv6Truncated); return }
        var ip = IPv6Header.readFixed(b, at: o)
        guard b.u8(o) >> 4 == 6 else {
            p.defects.insert(.ipv6VersionInvalid)
            p.ipv6 = ip
            return
        }
        let frameRemaining = p.wireLength - o - IPv6Header.length
        var truncatedByFrame = false
        if ip.payloadLength == 0 && ip.nextHeader == IPProtocol.hopByHop {
            ip.effectivePayloadLength = frameRemaining  // jumbogram (RFC 2675): length in HBH option
        } else if Int(ip.payloadLength) > frameRemaining {
            p.defects.insert(.ipv6PayloadLengthExceedsFrame)
            ip.effectivePayloadLength = frameRemaining
            truncatedByFrame = true
        } else {
            ip.effectivePayloadLength = Int(ip.payloadLength)
        }
        let end = o + IPv6Header.length + ip.effectivePayloadLength
        var next = ip.nextHeader
        var cursor = o + IPv6Header.length
        var pseudo = PseudoHeaderAddresses(source: ip.source, destination: ip.destination)
        var walked = 0
        p.layers.append(.ipv6, offset: o, length: IPv6Header.length)
        while IPv6Header.isExtensionHeader(next) {
            guard walked < maxExtensionHeaders else {
                p.defects.insert(.ipv6TooManyExtensionHeaders)
                ip.upperProtocol = next
                ip.upperOffset = cursor
                p.ipv6 = ip
                return
            }
            guard cursor + 8 <= min(end, b.count) else {
                p.defects.insert(.ipv6ExtensionHeaderTruncated)
                ip.upperProtocol = next
                ip.upperOffset = cursor
                p.ipv6 = ip
                return
            }
            let length = IPv6Header.extensionHeaderLength(next, lengthField: b.u8(cursor + 1))
            if next == IPProtocol.ipv6Fragment {
                let fo = b.u16(cursor + 2)
                ip.hasFragmentHeader = true
                ip.fragmentOffsetUnits = fo >> 3
                ip.moreFragments = fo & 1 != 0
                ip.fragmentIdentification = b.u32(cursor + 4)
            }
            guard cursor + length <= end else {
                p.defects.insert(.ipv6ExtensionHeaderTruncated)
                ip.upperProtocol = next
                ip.upperOffset = cursor
                p.ipv6 = ip
                return
            }
            if cursor + length <= b.count {
                pseudo.update(from: next, at: cursor, length: length, in: b)
            }
            ip.extensionHeaders.append(next)
            p.layers.append(.ipv6Extension, offset: cursor, length: length)
            next = b.u8(cursor)
            cursor += length
            walked += 1
        }
        ip.upperProtocol = next
        ip.upperOffset = cursor
        p.ipv6 = ip
        p.payloadOffset = cursor
        p.payloadLength = end - cursor
        guard ip.fragmentOffsetUnits == 0 else { return }
        decodeTransport(b, proto: next, at: cursor, length: end - cursor,
                        checksummable: !ip.isFragment && !truncatedByFrame,
                        addresses: pseudo, &p)
    }

    // MARK: Transport dispatch (IP protocol number → the protocol's decoder, in its own file)

    /// Decodes the upper-layer header `proto` at `o` (`length` bytes by the IP header). Each
    /// protocol's decoder sits next to its header and emit: `decodeTCP` in TCP.swift,
    /// `decodeUDP` in UDP.swift, `decodeICMP` in ICMP.swift. Unknown protocols add nothing.
    @inline(__always)
    func decodeTransport(_ b: UnsafeRawBufferPointer, proto: UInt8, at o: Int, length: Int, checksummable: Bool,
                         addresses: PseudoHeaderAddresses, _ p: inout DecodedPacket) {
        switch proto {
        case IPProtocol.tcp: decodeTCP(b, at: o, length: length, checksummable: checksummable, addresses: addresses, &p)
        case IPProtocol.udp: decodeUDP(b, at: o, length: length, checksummable: checksummable, addresses: addresses, &p)
        case IPProtocol.icmp, IPProtocol.icmpv6:
            decodeICMP(b, v6: proto == IPProtocol.icmpv6, at: o, length: length, checksummable: checksummable,
                       addresses: addresses, &p)
        default: break
        }
    }
}

/// The addresses a transport checksum's pseudo-header covers (passed explicitly, no closure).
struct PseudoHeaderAddresses {
    var source: IPAddress
    var destination: IPAddress

    /// RFC 8200 §8.1: with a Routing header the pseudo-header carries the *final* destination
    /// (type 0: the last address; type 2, RFC 6275 §6.4: the home address; type 4 segment
    /// routing, RFC 8754 §2: Segment List[0]) while segments are left; a Home Address
    /// destination option (RFC 6275 §6.3, type 0xC9) replaces the source. `b[at..<at+length]`
    /// must be captured.
    mutating func update(from header: UInt8, at o: Int, length: Int, in b: UnsafeRawBufferPointer) {
        switch header {
        case IPProtocol.ipv6Routing:
            let type = b.u8(o + 2)
            let segmentsLeft = b.u8(o + 3)
            guard segmentsLeft > 0 else { return }
            let addressOffset: Int
            switch type {
            case 0: addressOffset = o + length - 16       // last of hdr_ext_len/2 addresses
            case 2, 4: addressOffset = o + 8               // the only address / Segment List[0]
            default: return
            }
            guard addressOffset >= o + 8, addressOffset + 16 <= o + length else { return }
            destination = IPAddress(ipv6High: b.u64(addressOffset), low: b.u64(addressOffset + 8))
        case IPProtocol.ipv6DestinationOptions:
            var i = o + 2
            while i < o + length {
                let type = b.u8(i)
                if type == 0 { i += 1; continue }  // Pad1
                guard i + 2 <= o + length else { return }
                let len = Int(b.u8(i + 1))
                guard i + 2 + len <= o + length else { return }
                if type == 0xC9 && len == 16 {
                    source = IPAddress(ipv6High: b.u64(i + 2), low: b.u64(i + 10))
                }
                i += 2 + len
            }
        default:
            return
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
