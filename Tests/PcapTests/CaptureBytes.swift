import Foundation

/// Hand-built capture files and frames for the tests: nothing here uses libpcap, so the reader
/// is checked against bytes laid out independently of it.
enum ByteOrder { case little, big }

struct ByteWriter {
    var bytes: [UInt8] = []
    let order: ByteOrder

    init(_ order: ByteOrder) { self.order = order }

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) {
        let v = order == .little ? value.littleEndian : value.bigEndian
        withUnsafeBytes(of: v) { bytes.append(contentsOf: $0) }
    }
    mutating func u32(_ value: UInt32) {
        let v = order == .little ? value.littleEndian : value.bigEndian
        withUnsafeBytes(of: v) { bytes.append(contentsOf: $0) }
    }
    mutating func u64(_ value: UInt64) {
        let v = order == .little ? value.littleEndian : value.bigEndian
        withUnsafeBytes(of: v) { bytes.append(contentsOf: $0) }
    }
    mutating func raw(_ data: [UInt8]) { bytes.append(contentsOf: data) }
}

/// One record for the hand-built files.
struct TestPacket {
    var seconds: UInt32
    /// Microseconds or nanoseconds, depending on the file.
    var fraction: UInt32
    var bytes: [UInt8]
    var wireLength: Int? = nil
}

enum ClassicPcap {
    /// A classic pcap file: global header + records, in the given byte order and precision.
    static func file(
        order: ByteOrder = .little,
        nanosecond: Bool = false,
        linkType: UInt32 = 1,
        snaplen: UInt32 = 262_144,
        packets: [TestPacket]
    ) -> [UInt8] {
        var w = header(order: order, nanosecond: nanosecond, linkType: linkType, snaplen: snaplen)
        for packet in packets {
            w.u32(packet.seconds)
            w.u32(packet.fraction)
            w.u32(UInt32(packet.bytes.count))
            w.u32(UInt32(packet.wireLength ?? packet.bytes.count))
            w.raw(packet.bytes)
        }
        return w.bytes
    }

    static func header(order: ByteOrder, nanosecond: Bool, linkType: UInt32, snaplen: UInt32) -> ByteWriter {
        var w = ByteWriter(order)
        w.u32(nanosecond ? 0xA1B2_3C4D : 0xA1B2_C3D4)
        w.u16(2)
        w.u16(4)
        w.u32(0)        // thiszone
        w.u32(0)        // sigfigs
        w.u32(snaplen)
        w.u32(linkType)
        return w
    }

    /// A record header only (for truncation tests).
    static func recordHeader(order: ByteOrder = .little, seconds: UInt32, fraction: UInt32, caplen: UInt32, len: UInt32) -> [UInt8] {
        var w = ByteWriter(order)
        w.u32(seconds)
        w.u32(fraction)
        w.u32(caplen)
        w.u32(len)
        return w.bytes
    }
}

enum PcapNG {
    /// A minimal pcapng file: Section Header Block, Interface Description Block (optionally with
    /// an `if_tsresol` option), then one Enhanced Packet Block per packet. Timestamps are given
    /// in units of the interface resolution (µs by default).
    static func file(
        order: ByteOrder = .little,
        linkType: UInt16 = 1,
        tsresol: UInt8? = nil,
        packets: [(timestamp: UInt64, bytes: [UInt8], wireLength: Int?)]
    ) -> [UInt8] {
        var w = ByteWriter(order)
        // SHB: type, length 28, BOM, v1.0, section length -1, length.
        w.u32(0x0A0D_0D0A); w.u32(28); w.u32(0x1A2B_3C4D); w.u16(1); w.u16(0)
        w.u64(UInt64.max); w.u32(28)
        // IDB
        var options = ByteWriter(order)
        if let tsresol {
            options.u16(9); options.u16(1); options.u8(tsresol); options.raw([0, 0, 0])
            options.u16(0); options.u16(0)   // opt_endofopt
        }
        let idbLength = UInt32(20 + options.bytes.count)
        w.u32(1); w.u32(idbLength); w.u16(linkType); w.u16(0); w.u32(262_144)
        w.raw(options.bytes); w.u32(idbLength)
        // EPBs
        for packet in packets {
            let padded = (packet.bytes.count + 3) & ~3
            let length = UInt32(32 + padded)
            w.u32(6); w.u32(length); w.u32(0)
            w.u32(UInt32(packet.timestamp >> 32)); w.u32(UInt32(truncatingIfNeeded: packet.timestamp))
            w.u32(UInt32(packet.bytes.count)); w.u32(UInt32(packet.wireLength ?? packet.bytes.count))
            w.raw(packet.bytes); w.raw([UInt8](repeating: 0, count: padded - packet.bytes.count))
            w.u32(length)
        }
        return w.bytes
    }
}

enum Frame {
    static let ipProtocolTCP: UInt8 = 6
    static let ipProtocolUDP: UInt8 = 17

    /// Ethernet + IPv4 (no options) + UDP or TCP header + payload, with correct lengths
    /// (checksums are left zero; BPF does not look at them).
    static func ethernetIPv4(
        protocol proto: UInt8, sourcePort: UInt16 = 40000, destinationPort: UInt16, payload: [UInt8] = []
    ) -> [UInt8] {
        var w = ByteWriter(.big)
        w.raw([0x02, 0, 0, 0, 0, 0x02]); w.raw([0x02, 0, 0, 0, 0, 0x01]); w.u16(0x0800)
        let l4Length = (proto == ipProtocolTCP ? 20 : 8) + payload.count
        w.u8(0x45); w.u8(0); w.u16(UInt16(20 + l4Length)); w.u16(1); w.u16(0x4000)
        w.u8(64); w.u8(proto); w.u16(0); w.raw([10, 0, 0, 1]); w.raw([10, 0, 0, 2])
        if proto == ipProtocolTCP {
            w.u16(sourcePort); w.u16(destinationPort); w.u32(1000); w.u32(0)
            w.u8(0x50); w.u8(0x02); w.u16(65535); w.u16(0); w.u16(0)
        } else {
            w.u16(sourcePort); w.u16(destinationPort); w.u16(UInt16(l4Length)); w.u16(0)
        }
        w.raw(payload)
        return w.bytes
    }
}

/// A per-test temporary directory, removed when the value is deinitialised.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("sockeye-pcap-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `bytes` to `name` and returns the path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}
