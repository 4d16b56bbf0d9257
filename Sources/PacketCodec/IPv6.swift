/// IPv6 fixed header (RFC 8200 §3) and the extension-header chain (RFC 8200 §4).
///
/// Byte ranges: version/traffic class/flow label 0..<4, payload length 4..<6, next header 6,
/// hop limit 7, source 8..<24, destination 24..<40. Extension headers are walked by
/// `PacketDecoder` (hop-by-hop, routing, fragment, destination options, AH, mobility, HIP,
/// shim6); any other next header ends the chain.
public struct IPv6Header: Hashable, Sendable, BitwiseCopyable {
    public static let length = 40
    /// Extension headers remembered per packet.
    public static let maxExtensionHeaders = 8

    public var offset: Int = 0
    public var trafficClass: UInt8 = 0
    public var flowLabel: UInt32 = 0
    public var payloadLength: UInt16 = 0
    /// The fixed header's next-header field.
    public var nextHeader: UInt8 = 0
    public var hopLimit: UInt8 = 64
    /// Frame offset of the Routing header's final-destination address (0: none); read it with
    /// `finalDestination(in:)`. An offset, not an `IPAddress?`, so the header stays small and
    /// `DecodedPacket` copies stay cheap (the decoder copies it per packet).
    public var finalDestinationOffset: UInt32 = 0
    public var source = IPAddress(ipv6High: 0, low: 0)
    public var destination = IPAddress(ipv6High: 0, low: 0)
    /// Protocol after the extension headers (6 TCP, 17 UDP, 59 none, …).
    public var upperProtocol: UInt8 = 0
    /// Offset of the upper-layer header in the frame.
    public var upperOffset: Int = 0
    /// Types of the extension headers walked, in order (inline storage).
    public var extensionHeaders = IPv6ExtensionList()
    /// Fragment header fields, if one was present.
    public var fragmentOffsetUnits: UInt16 = 0
    public var moreFragments = false
    public var fragmentIdentification: UInt32 = 0
    public var hasFragmentHeader = false
    /// Frame offset of the Home Address option's address (0: none); see `homeAddress(in:)`.
    public var homeAddressOffset: UInt32 = 0
    /// Payload length Sockeye used (40-byte header excluded): `payloadLength`, or the frame's
    /// remaining bytes for a jumbogram (payload length 0).
    public var effectivePayloadLength: Int = 0

    public init() {}

    /// The final destination named by a Routing header with segments left (RFC 8200 §8.1:
    /// type 0 the last address, type 2 the home address RFC 6275 §6.4, type 4 Segment List[0]
    /// RFC 8754 §2), as the transport pseudo-header uses it; nil without one. Zeek and tshark
    /// key the connection on it. `frame` is the frame this header was decoded from (nil when
    /// the address is not inside it).
    @inlinable public func finalDestination(in frame: UnsafeRawBufferPointer) -> IPAddress? {
        Self.address(at: finalDestinationOffset, in: frame)
    }
    /// The Home Address destination option (RFC 6275 §6.3, option 0xC9), which replaces the
    /// source in the pseudo-header; nil without one.
    @inlinable public func homeAddress(in frame: UnsafeRawBufferPointer) -> IPAddress? {
        Self.address(at: homeAddressOffset, in: frame)
    }
    /// The source a connection is keyed on: the Home Address option's, else `source`.
    @inlinable public func effectiveSource(in frame: UnsafeRawBufferPointer) -> IPAddress {
        homeAddressOffset == 0 ? source : (homeAddress(in: frame) ?? source)
    }
    /// The destination a connection is keyed on: the Routing header's final one, else `destination`.
    @inlinable public func effectiveDestination(in frame: UnsafeRawBufferPointer) -> IPAddress {
        finalDestinationOffset == 0 ? destination : (finalDestination(in: frame) ?? destination)
    }
    /// The IPv6 address at frame offset `offset`; nil for 0 (none) or when it is not in `frame`.
    @inlinable static func address(at offset: UInt32, in frame: UnsafeRawBufferPointer) -> IPAddress? {
        let o = Int(offset)
        guard o > 0, o + 16 <= frame.count else { return nil }
        return IPAddress(ipv6High: frame.u64(o), low: frame.u64(o + 8))
    }

    @inlinable public var isFragment: Bool { hasFragmentHeader && (moreFragments || fragmentOffsetUnits != 0) }
    /// `nextHeader` as a typed value.
    @inlinable public var nextHeaderProtocol: IPProtocol { IPProtocol(rawValue: nextHeader) }
    /// `upperProtocol` as a typed value.
    @inlinable public var upperLayerProtocol: IPProtocol { IPProtocol(rawValue: upperProtocol) }
    @inlinable public var fragmentOffset: Int { Int(fragmentOffsetUnits) * 8 }

    @inlinable
    static func readFixed(_ b: UnsafeRawBufferPointer, at o: Int) -> IPv6Header {
        var h = IPv6Header()
        h.offset = o
        let w = b.u32(o)
        h.trafficClass = UInt8(truncatingIfNeeded: w >> 20)
        h.flowLabel = w & 0xfffff
        h.payloadLength = b.u16(o + 4)
        h.nextHeader = b.u8(o + 6)
        h.hopLimit = b.u8(o + 7)
        h.source = IPAddress(ipv6High: b.u64(o + 8), low: b.u64(o + 16))
        h.destination = IPAddress(ipv6High: b.u64(o + 24), low: b.u64(o + 32))
        return h
    }

    /// Bytes an extension header occupies, from its type and its length octet (offset 1):
    /// fragment headers are 8 bytes; AH counts 32-bit words minus 2 (RFC 4302 §2.2); the others
    /// count 8-octet units after the first (RFC 8200 §4.3).
    @inlinable
    static func extensionHeaderLength(_ type: UInt8, lengthField: UInt8) -> Int {
        switch type {
        case IPProtocol.ipv6Fragment: 8
        case IPProtocol.authentication: (Int(lengthField) + 2) * 4
        default: (Int(lengthField) + 1) * 8
        }
    }

    @inlinable
    static func isExtensionHeader(_ nh: UInt8) -> Bool {
        switch nh {
        case IPProtocol.hopByHop, IPProtocol.ipv6Routing, IPProtocol.ipv6Fragment,
             IPProtocol.ipv6DestinationOptions, IPProtocol.authentication, IPProtocol.mobility,
             IPProtocol.hip, IPProtocol.shim6:
            true
        default:
            false
        }
    }

    /// Appends the fixed header. `extensionHeaders` are raw bytes (each with its own next-header
    /// and length octets, already chained); with `fixLengths` the payload length is
    /// `extensionBytes.count + upperLength`.
    public func emit(into bytes: inout [UInt8], extensionBytes: [UInt8] = [], upperLength: Int, fixLengths: Bool = true) {
        bytes.appendBigEndian(UInt32(6) << 28 | UInt32(trafficClass) << 20 | (flowLabel & 0xfffff))
        bytes.appendBigEndian(fixLengths ? UInt16(truncatingIfNeeded: extensionBytes.count + upperLength) : payloadLength)
        bytes.append(nextHeader)
        bytes.append(hopLimit)
        for w in [source.high, source.low, destination.high, destination.low] {
            bytes.appendBigEndian(UInt32(truncatingIfNeeded: w >> 32))
            bytes.appendBigEndian(UInt32(truncatingIfNeeded: w))
        }
        bytes.append(contentsOf: extensionBytes)
    }
}

/// Up to eight extension-header types stored in one word.
public struct IPv6ExtensionList: Hashable, Sendable, BitwiseCopyable, RandomAccessCollection {
    @usableFromInline var packed: UInt64 = 0
    public private(set) var count: Int = 0

    public init() {}
    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public subscript(i: Int) -> UInt8 {
        precondition(i >= 0 && i < count, "extension header index out of range")
        return UInt8(truncatingIfNeeded: packed >> (UInt64(i) * 8))
    }
    @usableFromInline
    mutating func append(_ t: UInt8) {
        guard count < IPv6Header.maxExtensionHeaders else { return }
        packed |= UInt64(t) << (UInt64(count) * 8)
        count += 1
    }

    /// Name for JSON: hop_by_hop, routing, fragment, dest_opts, ah, mobility, hip, shim6.
    public static func name(_ t: UInt8) -> String {
        switch t {
        case IPProtocol.hopByHop: "hop_by_hop"
        case IPProtocol.ipv6Routing: "routing"
        case IPProtocol.ipv6Fragment: "fragment"
        case IPProtocol.ipv6DestinationOptions: "dest_opts"
        case IPProtocol.authentication: "ah"
        case IPProtocol.mobility: "mobility"
        case IPProtocol.hip: "hip"
        case IPProtocol.shim6: "shim6"
        default: "ext_\(t)"
        }
    }
}

extension PacketDecoder {
    /// IPv6 fixed header (RFC 8200 §3) and extension-header chain (§4) at `c.offset`, bounded
    /// by `c.end`. Same flat-slot rule as `decodeIPv4`: an inner datagram replaces the flat
    /// slots once its version is right. The chain walk fills the pseudo-header addresses
    /// (§8.1) and the offsets behind `finalDestination(in:)` / `homeAddress(in:)`.
    @inline(__always)
    func decodeIPv6(_ b: UnsafeRawBufferPointer, _ c: inout LayerCursor, _ p: inout DecodedPacket) -> LayerKind? {
        let o = c.offset
        let inner = c.flatIP
        // Within the capture and within the enclosing payload (see `decodeIPv4`).
        guard b.count >= o + IPv6Header.length, o + IPv6Header.length <= c.end else {
            p.defects.insert(.ipv6Truncated); return nil
        }
        var ip = IPv6Header.readFixed(b, at: o)
        guard b.u8(o) >> 4 == 6 else {
            p.defects.insert(.ipv6VersionInvalid)
            if !inner { c.setFlatIPv6(ip, &p) }
            return nil
        }
        if inner { guard enterTunnel(&c, &p) else { return nil } }
        let frameRemaining = c.end - o - IPv6Header.length
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
                c.setFlatIPv6(ip, &p)
                return nil
            }
            guard cursor + 8 <= min(end, b.count) else {
                p.defects.insert(.ipv6ExtensionHeaderTruncated)
                ip.upperProtocol = next
                ip.upperOffset = cursor
                c.setFlatIPv6(ip, &p)
                return nil
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
                c.setFlatIPv6(ip, &p)
                return nil
            }
            if cursor + length <= b.count {
                let at = UInt32(truncatingIfNeeded: pseudo.update(from: next, at: cursor, length: length, in: b))
                if at != 0 {
                    if next == IPProtocol.ipv6Routing { ip.finalDestinationOffset = at } else { ip.homeAddressOffset = at }
                }
            }
            ip.extensionHeaders.append(next)
            p.layers.append(.ipv6Extension, offset: cursor, length: length)
            next = b.u8(cursor)
            cursor += length
            walked += 1
        }
        ip.upperProtocol = next
        ip.upperOffset = cursor
        c.setFlatIPv6(ip, &p)
        p.payloadOffset = cursor
        p.payloadLength = end - cursor
        guard ip.fragmentOffsetUnits == 0 else { return nil }
        c.offset = cursor
        c.end = end
        c.fragment = ip.isFragment
        c.checksummable = !ip.isFragment && !truncatedByFrame
        c.addresses = pseudo
        return NextLayer.ipProtocol(next, classic: !followsEncapsulations || ip.isFragment)
    }
}

extension LayerCursor {
    /// Makes `ip` the flat IPv6 slot and its offset the network layer.
    @inline(__always)
    mutating func setFlatIPv6(_ ip: IPv6Header, _ p: inout DecodedPacket) {
        p.ipv6 = ip
        p.networkOffset = ip.offset
        p.etherType = EtherType.ipv6
        flatIP = true
    }
}
