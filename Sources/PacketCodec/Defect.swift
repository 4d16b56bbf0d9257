/// A named reason why part of a packet could not be decoded, or decoded with a caveat.
///
/// A packet decodes as far as its bytes are valid; everything after the first fatal defect is
/// absent, and the defect says why. Names are stable: they appear in JSON (`"defects"`).
public enum Defect: UInt8, CaseIterable, Sendable, BitwiseCopyable, CustomStringConvertible {
    // Link layer
    case linkTruncated
    case linkTypeUnsupported
    case vlanTooManyTags
    case loopbackFamilyUnknown
    // IPv4 (RFC 791 §3.1)
    case ipv4Truncated
    case ipv4VersionInvalid
    case ipv4HeaderLengthInvalid
    case ipv4HeaderBeyondCapture
    case ipv4TotalLengthInvalid
    case ipv4TotalLengthExceedsFrame
    case ipv4TotalLengthZero
    case ipv4OptionLengthInvalid
    // IPv6 (RFC 8200)
    case ipv6Truncated
    case ipv6VersionInvalid
    case ipv6PayloadLengthExceedsFrame
    case ipv6ExtensionHeaderTruncated
    case ipv6TooManyExtensionHeaders
    // TCP (RFC 9293 §3.1, §3.2)
    case tcpTruncated
    case tcpDataOffsetInvalid
    case tcpDataOffsetBeyondSegment
    case tcpDataOffsetBeyondCapture
    case tcpOptionLengthZero
    case tcpOptionLengthOne
    case tcpOptionBeyondHeader
    case tcpOptionLengthInvalid
    case tcpNonZeroAfterEOL
    // UDP (RFC 768)
    case udpTruncated
    case udpLengthInvalid
    case udpLengthExceedsPayload
    case udpZeroChecksumIPv6
    // Encapsulation (issue 11): appended, so earlier defects keep their order in JSON.
    /// More than `PacketDecoder.maxTunnelDepth` tunnels.
    case encapsulationTooDeep
    case vxlanTruncated
    case greTruncated
    case greUnsupported
    case erspanTruncated
    case pppTruncated
    case mplsTruncated
    case mplsTooManyLabels
    case pppoeTruncated
    case pppoeLengthExceedsFrame
    case geneveTruncated
    case geneveVersionUnsupported
    case gtpuTruncated
    case gtpuUnsupported
    case gtpuExtensionInvalid

    /// Stable dotted name, e.g. `tcp.data_offset_beyond_capture`.
    public var name: String {
        switch self {
        case .linkTruncated: "link.truncated"
        case .linkTypeUnsupported: "link.type_unsupported"
        case .vlanTooManyTags: "vlan.too_many_tags"
        case .loopbackFamilyUnknown: "loopback.family_unknown"
        case .ipv4Truncated: "ipv4.truncated"
        case .ipv4VersionInvalid: "ipv4.version_invalid"
        case .ipv4HeaderLengthInvalid: "ipv4.header_length_invalid"
        case .ipv4HeaderBeyondCapture: "ipv4.header_beyond_capture"
        case .ipv4TotalLengthInvalid: "ipv4.total_length_invalid"
        case .ipv4TotalLengthExceedsFrame: "ipv4.total_length_exceeds_frame"
        case .ipv4TotalLengthZero: "ipv4.total_length_zero_tso"
        case .ipv4OptionLengthInvalid: "ipv4.option_length_invalid"
        case .ipv6Truncated: "ipv6.truncated"
        case .ipv6VersionInvalid: "ipv6.version_invalid"
        case .ipv6PayloadLengthExceedsFrame: "ipv6.payload_length_exceeds_frame"
        case .ipv6ExtensionHeaderTruncated: "ipv6.extension_header_truncated"
        case .ipv6TooManyExtensionHeaders: "ipv6.too_many_extension_headers"
        case .tcpTruncated: "tcp.truncated"
        case .tcpDataOffsetInvalid: "tcp.data_offset_invalid"
        case .tcpDataOffsetBeyondSegment: "tcp.data_offset_beyond_segment"
        case .tcpDataOffsetBeyondCapture: "tcp.data_offset_beyond_capture"
        case .tcpOptionLengthZero: "tcp.option_length_zero"
        case .tcpOptionLengthOne: "tcp.option_length_one"
        case .tcpOptionBeyondHeader: "tcp.option_beyond_header"
        case .tcpOptionLengthInvalid: "tcp.option_length_invalid"
        case .tcpNonZeroAfterEOL: "tcp.nonzero_after_eol"
        case .udpTruncated: "udp.truncated"
        case .udpLengthInvalid: "udp.length_invalid"
        case .udpLengthExceedsPayload: "udp.length_exceeds_payload"
        case .udpZeroChecksumIPv6: "udp.zero_checksum_ipv6"
        case .encapsulationTooDeep: "encap.too_deep"
        case .vxlanTruncated: "vxlan.truncated"
        case .greTruncated: "gre.truncated"
        case .greUnsupported: "gre.unsupported"
        case .erspanTruncated: "erspan.truncated"
        case .pppTruncated: "ppp.truncated"
        case .mplsTruncated: "mpls.truncated"
        case .mplsTooManyLabels: "mpls.too_many_labels"
        case .pppoeTruncated: "pppoe.truncated"
        case .pppoeLengthExceedsFrame: "pppoe.length_exceeds_frame"
        case .geneveTruncated: "geneve.truncated"
        case .geneveVersionUnsupported: "geneve.version_unsupported"
        case .gtpuTruncated: "gtpu.truncated"
        case .gtpuUnsupported: "gtpu.unsupported"
        case .gtpuExtensionInvalid: "gtpu.extension_invalid"
        }
    }

    public var description: String { name }
}

/// A set of defects packed into one word (trivially copyable, no allocation).
public struct DefectSet: Hashable, Sendable, BitwiseCopyable, Sequence {
    public var rawValue: UInt64

    @inlinable public init() { rawValue = 0 }
    @inlinable public init(_ defects: [Defect]) {
        rawValue = 0
        for d in defects { insert(d) }
    }

    @inlinable public var isEmpty: Bool { rawValue == 0 }
    @inlinable public var count: Int { rawValue.nonzeroBitCount }
    @inlinable public func contains(_ d: Defect) -> Bool { rawValue & (1 << UInt64(d.rawValue)) != 0 }
    @inlinable public mutating func insert(_ d: Defect) { rawValue |= 1 << UInt64(d.rawValue) }

    public struct Iterator: IteratorProtocol {
        var remaining: UInt64
        public mutating func next() -> Defect? {
            guard remaining != 0 else { return nil }
            let bit = remaining.trailingZeroBitCount
            remaining &= remaining &- 1
            return Defect(rawValue: UInt8(bit))
        }
    }

    public func makeIterator() -> Iterator { Iterator(remaining: rawValue) }
}
