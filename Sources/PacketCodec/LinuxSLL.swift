/// Linux "cooked" capture headers, written by libpcap for `-i any`.
///
/// SLL v1 (DLT 113, 16 bytes): packet type (0..<2), ARPHRD type (2..<4), address length (4..<6),
/// address (6..<14), protocol (14..<16). SLL v2 (DLT 276, 20 bytes): protocol (0..<2),
/// reserved (2..<4), interface index (4..<8), ARPHRD type (8..<10), packet type (10),
/// address length (11), address (12..<20). See https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html.
public struct LinuxSLLHeader: Hashable, Sendable, BitwiseCopyable {
    public static let v1Length = 16
    public static let v2Length = 20

    public var version: UInt8
    /// 0 to us, 1 broadcast, 2 multicast, 3 to someone else, 4 sent by us.
    public var packetType: UInt16
    public var hardwareType: UInt16
    public var addressLength: UInt16
    /// First eight address bytes, big-endian packed.
    public var address: UInt64
    /// EtherType of the payload (or a Linux `ETH_P_*` pseudo-type for non-Ethernet framing).
    public var protocolType: UInt16
    /// Interface index (v2 only; 0 for v1).
    public var interfaceIndex: UInt32
    /// The v2 header's reserved field (bytes 2..<4), kept so frames re-encode byte for byte.
    public var reserved: UInt16 = 0

    public init(version: UInt8, packetType: UInt16, hardwareType: UInt16 = 1, addressLength: UInt16 = 6,
                address: UInt64 = 0, protocolType: UInt16, interfaceIndex: UInt32 = 0) {
        self.version = version
        self.packetType = packetType
        self.hardwareType = hardwareType
        self.addressLength = addressLength
        self.address = address
        self.protocolType = protocolType
        self.interfaceIndex = interfaceIndex
    }

    @inlinable public var length: Int { version == 2 ? Self.v2Length : Self.v1Length }

    @inlinable
    static func parseV1(_ b: UnsafeRawBufferPointer) -> LinuxSLLHeader? {
        guard b.count >= v1Length else { return nil }
        return LinuxSLLHeader(version: 1, packetType: b.u16(0), hardwareType: b.u16(2), addressLength: b.u16(4),
                              address: b.u64(6), protocolType: b.u16(14))
    }

    @inlinable
    static func parseV2(_ b: UnsafeRawBufferPointer) -> LinuxSLLHeader? {
        guard b.count >= v2Length else { return nil }
        var h = LinuxSLLHeader(version: 2, packetType: UInt16(b.u8(10)), hardwareType: b.u16(8),
                               addressLength: UInt16(b.u8(11)), address: b.u64(12), protocolType: b.u16(0),
                               interfaceIndex: b.u32(4))
        h.reserved = b.u16(2)
        return h
    }

    public func emit(into bytes: inout [UInt8]) {
        if version == 2 {
            bytes.appendBigEndian(protocolType)
            bytes.appendBigEndian(reserved)
            bytes.appendBigEndian(interfaceIndex)
            bytes.appendBigEndian(hardwareType)
            bytes.append(UInt8(truncatingIfNeeded: packetType))
            bytes.append(UInt8(truncatingIfNeeded: addressLength))
        } else {
            bytes.appendBigEndian(packetType)
            bytes.appendBigEndian(hardwareType)
            bytes.appendBigEndian(addressLength)
        }
        bytes.appendBigEndian(UInt32(truncatingIfNeeded: address >> 32))
        bytes.appendBigEndian(UInt32(truncatingIfNeeded: address))
        if version != 2 { bytes.appendBigEndian(protocolType) }
    }
}

/// BSD loopback header (DLT_NULL, DLT_LOOP): a 4-byte address family.
///
/// DLT_NULL stores it in the byte order of the host that wrote the capture, so Sockeye reads it
/// both ways (values are small). AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD,
/// OpenBSD), 28 (FreeBSD, DragonFly) or 30 (macOS) — all accepted.
public struct LoopbackHeader: Hashable, Sendable, BitwiseCopyable {
    public static let length = 4
    public var family: UInt32
    /// DLT_NULL only: the capturing host stored the family big-endian (kept so the header
    /// re-encodes byte for byte; DLT_LOOP is always big-endian).
    public var bigEndianHost = false

    public init(family: UInt32) { self.family = family }

    @inlinable
    static func parse(_ b: UnsafeRawBufferPointer, networkOrder: Bool) -> LoopbackHeader? {
        guard b.count >= length else { return nil }
        if networkOrder { return LoopbackHeader(family: b.u32(0)) }
        let le = b.u32LittleEndian(0)
        var h = LoopbackHeader(family: le > 0xffff ? le.byteSwapped : le)
        h.bigEndianHost = le > 0xffff
        return h
    }

    /// IP version carried, or nil for an unknown family.
    @inlinable public var ipVersion: Int? {
        switch family {
        case 2: 4
        case 10, 24, 28, 30: 6
        default: nil
        }
    }

    public func emit(into bytes: inout [UInt8], networkOrder: Bool) {
        let v = networkOrder || bigEndianHost ? family.bigEndian : family.littleEndian
        withUnsafeBytes(of: v) { bytes.append(contentsOf: $0) }
    }
}

extension PacketDecoder {
    /// Linux cooked header (v1 or v2) and any VLAN tags after it (the kernel strips tags into
    /// metadata for most drivers, but not all). Tags fill `encapsulation`'s VLAN ids.
    @inline(__always)
    func decodeLinuxSLL(_ b: UnsafeRawBufferPointer, v2: Bool, _ c: inout LayerCursor,
                        _ p: inout DecodedPacket) -> LayerKind? {
        guard let sll = v2 ? LinuxSLLHeader.parseV2(b) : LinuxSLLHeader.parseV1(b) else {
            p.defects.insert(.linkTruncated); return nil
        }
        p.linuxSLL = sll
        p.layers.append(v2 ? .linuxSLL2 : .linuxSLL, offset: 0, length: sll.length)
        var offset = sll.length
        var type = sll.protocolType
        var tags = 0
        while EtherType.isVLANTag(type) {
            guard b.count >= offset + 4 else { p.defects.insert(.linkTruncated); return nil }
            let id = b.u16(offset) & 0x0fff
            if tags == 0 { p.encapsulation.vlan = id } else if tags == 1 { p.encapsulation.innerVLAN = id }
            type = b.u16(offset + 2)
            p.layers.append(.vlan, offset: offset, length: 4)
            offset += 4
            tags += 1
        }
        return linkPayload(type, at: offset, &c, &p)
    }

    /// BSD loopback family header; the family names IPv4 or IPv6.
    @inline(__always)
    func decodeLoopback(_ b: UnsafeRawBufferPointer, _ c: inout LayerCursor, _ p: inout DecodedPacket) -> LayerKind? {
        guard let lo = LoopbackHeader.parse(b, networkOrder: p.linkType == .loop) else {
            p.defects.insert(.linkTruncated); return nil
        }
        p.loopback = lo
        p.layers.append(.loopback, offset: 0, length: LoopbackHeader.length)
        switch lo.ipVersion {
        case 4: p.etherType = EtherType.ipv4
        case 6: p.etherType = EtherType.ipv6
        default: p.defects.insert(.loopbackFamilyUnknown); return nil
        }
        p.networkOffset = LoopbackHeader.length
        c.offset = LoopbackHeader.length
        return p.etherType == EtherType.ipv4 ? .ipv4 : .ipv6
    }
}
