import PacketCodec

/// UDP "connections" as Zeek keeps them (src/packet_analysis/protocol/udp/UDP.cc,
/// scripts/base/protocols/conn/main.zeek):
/// * the first datagram's sender is the originator, unless its source port is a likely server
///   port and its destination port is not (then the roles flip, history starts with `^`), and
///   never when the destination is the broadcast address;
/// * history: `D`/`d` once per direction for any datagram, `C`/`c` (logarithmic) for bad
///   checksums;
/// * size per side Σ(UDP length − 8); a side is *active* once it sent a datagram that counted;
/// * `conn_state` SF / S0 / SHR / OTH from the two sides' activity.
///
/// Sockeye keeps bad-checksum datagrams in the packet counts (Zeek drops them), but they neither
/// make a side active nor add to its size or `D` letter.
/// The side record of a UDP or ICMP flow (`FlowTable` keeps one per such flow): history, sizes,
/// activity and checksum counters per physical side.
struct DatagramFlow: Sendable, BitwiseCopyable {
    var history = FlowHistory()
    /// Σ(length − 8) per side, and whether the side sent anything that counted.
    var size = SidePair<UInt64>(0, 0)
    var active = SidePair<Bool>(false, false)
    /// Anomaly counters that apply to datagrams (the rest stay zero), 32-bit like
    /// `PackedAnomalies`; the bad-checksum count also decides the scaled `C`/`c` letters.
    var badChecksums = SidePair<UInt32>(0, 0)
    var partialChecksums = SidePair<UInt32>(0, 0)

    /// A datagram that passed the checksum test.
    mutating func processUDP(_ u: UDPHeader, fromA: Bool, isOrig: Bool) {
        active[fromA: fromA] = true
        size[fromA: fromA] &+= UInt64(u.payloadLength)
        _ = history.check(HistoryMask.data, UInt8(ascii: "D"), isOrig: isOrig)
    }

    /// A datagram with a bad checksum: letter `C`/`c` on the 1st, 10th, 100th…
    mutating func recordChecksumError(fromA: Bool, isOrig: Bool) {
        badChecksums[fromA: fromA] &+= 1
        if isScaledHistoryStep(UInt64(badChecksums[fromA: fromA])) { history.add(UInt8(ascii: "C"), isOrig: isOrig) }
    }

    /// The anomaly report of side `fromA`.
    func anomalies(fromA: Bool) -> DirectionAnomalies {
        var d = DirectionAnomalies()
        d.badChecksums = UInt64(badChecksums[fromA: fromA])
        d.partialChecksums = UInt64(partialChecksums[fromA: fromA])
        return d
    }
}

/// ICMP "connections" (src/packet_analysis/protocol/icmp/ICMP.cc): the originator's port is the
/// ICMP type; the responder's is the counterpart type for request/reply pairs (echo, timestamp,
/// information, router solicitation/advertisement, address mask; ICMPv6 echo, RS/RA, NS/NA, MLD
/// query/report, node information, home agent and mobile prefix discovery) and otherwise the ICMP
/// code. No role flipping (zeek/zeek#5830), `conn_state` is always OTH, size per side is
/// Σ(ICMP length − 8), no history letters. ICMP checksums are not verified.
enum ICMPPorts {
    /// (orig "port", resp "port") for a message, as Zeek builds its connection tuple.
    static func ports(type: UInt8, code: UInt8, v6: Bool) -> (UInt16, UInt16) {
        if let c = counterpart(type: type, v6: v6) { return (UInt16(type), UInt16(c)) }
        return (UInt16(type), UInt16(code))
    }

    static func counterpart(type: UInt8, v6: Bool) -> UInt8? {
        if v6 {
            switch type {
            case 128: return 129
            case 129: return 128
            case 130: return 131
            case 131: return 130
            case 133: return 134
            case 134: return 133
            case 135: return 136
            case 136: return 135
            case 139: return 140
            case 140: return 139
            case 144: return 145
            case 145: return 144
            case 146: return 147
            case 147: return 146
            default: return nil
            }
        }
        switch type {
        case 8: return 0
        case 0: return 8
        case 13: return 14
        case 14: return 13
        case 15: return 16
        case 16: return 15
        case 10: return 9
        case 9: return 10
        case 17: return 18
        case 18: return 17
        default: return nil
        }
    }
}
