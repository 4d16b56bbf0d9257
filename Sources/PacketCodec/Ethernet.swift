/// Ethernet II (IEEE 802.3 clause 3) with IEEE 802.1Q / 802.1ad VLAN tags.
///
/// Layout: destination MAC (0..<6), source MAC (6..<12), EtherType or TPID (12..<14); each tag
/// adds a 2-byte TCI and another type field. `parse` never traps: it checks the length before
/// each read and reports `linkTruncated` / `vlanTooManyTags`.
public struct EthernetHeader: Hashable, Sendable, BitwiseCopyable {
    public static let headerLength = 14
    /// Tags kept per frame (QinQinQ fits; more is a defect).
    public static let maxTags = 4

    public var destination: MACAddress
    public var source: MACAddress
    /// The EtherType after all VLAN tags.
    public var etherType: UInt16
    /// VLAN tags in wire order (outermost first).
    public var tags: VLANTags

    public init(destination: MACAddress, source: MACAddress, etherType: UInt16, tags: VLANTags = VLANTags()) {
        self.destination = destination
        self.source = source
        self.etherType = etherType
        self.tags = tags
    }

    /// Same, with a typed EtherType.
    public init(destination: MACAddress, source: MACAddress, type: EtherType, tags: VLANTags = VLANTags()) {
        self.init(destination: destination, source: source, etherType: type.rawValue, tags: tags)
    }

    /// `etherType` as a typed value.
    @inlinable public var type: EtherType { EtherType(rawValue: etherType) }

    /// Bytes this header occupies on the wire.
    @inlinable public var length: Int { Self.headerLength + 4 * tags.count }

    /// Parses the header at `o` (the start of the frame, or an inner Ethernet of VXLAN, GRE
    /// 0x6558, Geneve, ERSPAN, MPLS pseudowires); returns nil (and sets `defect`) when cut short.
    /// A header whose tags are cut or too many is returned with `defect` set.
    @inlinable
    static func parse(_ bytes: UnsafeRawBufferPointer, at o: Int = 0, defect: inout Defect?) -> EthernetHeader? {
        guard bytes.count >= o + headerLength else { defect = .linkTruncated; return nil }
        var header = EthernetHeader(
            destination: MACAddress.load(bytes, o), source: MACAddress.load(bytes, o + 6),
            etherType: bytes.u16(o + 12))
        var offset = o + 14
        while EtherType.isVLANTag(header.etherType) {
            guard header.tags.count < maxTags else { defect = .vlanTooManyTags; return header }
            guard bytes.count >= offset + 4 else { defect = .linkTruncated; return header }
            header.tags.append(VLANTag(tpid: header.etherType, tci: bytes.u16(offset)))
            header.etherType = bytes.u16(offset + 2)
            offset += 4
        }
        return header
    }

    /// Appends the header (with tags) to `bytes`.
    public func emit(into bytes: inout [UInt8]) {
        destination.append(to: &bytes)
        source.append(to: &bytes)
        for tag in tags {
            bytes.appendBigEndian(tag.tpid)
            bytes.appendBigEndian(tag.tci)
        }
        bytes.appendBigEndian(etherType)
    }
}

/// One 802.1Q tag: TPID (0x8100, 0x88A8 or 0x9100) and TCI (PCP 3 bits, DEI 1 bit, VID 12 bits).
public struct VLANTag: Hashable, Sendable, BitwiseCopyable {
    public var tpid: UInt16
    public var tci: UInt16
    public init(tpid: UInt16 = EtherType.vlan, tci: UInt16) { self.tpid = tpid; self.tci = tci }
    public init(tpid: UInt16 = EtherType.vlan, id: UInt16, priority: UInt8 = 0) {
        self.init(tpid: tpid, tci: UInt16(priority & 7) << 13 | (id & 0x0fff))
    }
    @inlinable public var id: UInt16 { tci & 0x0fff }
    @inlinable public var priority: UInt8 { UInt8(tci >> 13) }
    @inlinable public var dropEligible: Bool { tci & 0x1000 != 0 }
}

/// Up to `EthernetHeader.maxTags` VLAN tags stored inline (no array, no allocation).
public struct VLANTags: Hashable, Sendable, BitwiseCopyable, RandomAccessCollection {
    @usableFromInline var storage: (VLANTag, VLANTag, VLANTag, VLANTag)
    public private(set) var count: Int

    public init() {
        let z = VLANTag(tpid: 0, tci: 0)
        storage = (z, z, z, z)
        count = 0
    }

    public init(_ tags: [VLANTag]) {
        self.init()
        for t in tags.prefix(EthernetHeader.maxTags) { append(t) }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(i: Int) -> VLANTag {
        precondition(i >= 0 && i < count, "VLAN tag index out of range")
        switch i {
        case 0: return storage.0
        case 1: return storage.1
        case 2: return storage.2
        default: return storage.3
        }
    }

    @usableFromInline
    mutating func append(_ t: VLANTag) {
        switch count {
        case 0: storage.0 = t
        case 1: storage.1 = t
        case 2: storage.2 = t
        case 3: storage.3 = t
        default: return
        }
        count += 1
    }

    public static func == (a: VLANTags, b: VLANTags) -> Bool { a.elementsEqual(b) }
    public func hash(into h: inout Hasher) { for t in self { h.combine(t) } }
}

extension PacketDecoder {
    /// Ethernet II + VLAN tags at `c.offset`. The outermost one (the link header) fills
    /// `DecodedPacket.ethernet` and the VLAN ids of `encapsulation`; inner ones (in VXLAN, GRE,
    /// Geneve, ERSPAN, MPLS pseudowires) appear in `layers` only. A cut or over-tagged header
    /// adds its defect and ends decoding.
    @inline(__always)
    func decodeEthernet(_ b: UnsafeRawBufferPointer, _ c: inout LayerCursor, _ p: inout DecodedPacket) -> LayerKind? {
        let o = c.offset
        let outermost = o == 0
        guard outermost || c.end - o >= EthernetHeader.headerLength else { p.defects.insert(.linkTruncated); return nil }
        var defect: Defect?
        let eth = EthernetHeader.parse(b, at: o, defect: &defect)
        if outermost { p.ethernet = eth }
        if let defect { p.defects.insert(defect); return nil }
        guard let eth else { return nil }
        p.layers.append(.ethernet, offset: o, length: EthernetHeader.headerLength)
        for i in 0..<eth.tags.count {
            p.layers.append(.vlan, offset: o + EthernetHeader.headerLength + 4 * i, length: 4)
        }
        if outermost && eth.tags.count > 0 {
            p.encapsulation.vlan = eth.tags[0].id
            if eth.tags.count > 1 { p.encapsulation.innerVLAN = eth.tags[1].id }
        }
        return linkPayload(eth.etherType, at: o + eth.length, &c, &p)
    }
}
