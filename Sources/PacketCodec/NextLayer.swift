/// The next-protocol selectors of `PacketDecoder`, all in one place (gopacket's
/// `NextLayerType`: each layer's decoder reads its "next protocol" field and asks one of these
/// tables which decoder runs next).
///
/// Adding a protocol = its file (header struct with parse/emit and a `decodeX` that returns the
/// next kind), its `LayerKind` case, its `case` in `PacketDecoder.decodeLayer`, and one entry
/// here. A `nil` answer ends decoding at that layer; what follows stays payload.
///
/// The `classic` flag (`PacketDecoder.followsEncapsulations == false`) restricts the tables to
/// the link → IPv4/IPv6 → TCP/UDP/ICMP chain Sockeye decoded before it followed tunnels
/// (`PacketRepr(decoding:)` uses it: it can represent only that chain).
enum NextLayer {
    /// EtherType of an Ethernet / VLAN / Linux cooked / Geneve payload (IEEE 802.3, IANA).
    @inline(__always)
    static func etherType(_ t: UInt16, classic: Bool) -> LayerKind? {
        switch t {
        case EtherType.ipv4: return .ipv4
        case EtherType.ipv6: return .ipv6
        default: break
        }
        if classic { return nil }
        switch t {
        case EtherType.mplsUnicast, EtherType.mplsMulticast: return .mpls          // RFC 3032 §5
        case EtherType.pppoeSession: return .pppoe                                 // RFC 2516 §5
        case EtherType.pppoeDiscovery: return .pppoeDiscovery                      // RFC 2516 §5
        case EtherType.transparentEthernet: return .ethernet                       // Geneve / NVGRE
        default: return nil
        }
    }

    /// IPv4 protocol / IPv6 upper-layer next header (IANA "protocol-numbers").
    @inline(__always)
    static func ipProtocol(_ proto: UInt8, classic: Bool) -> LayerKind? {
        switch proto {
        case IPProtocol.tcp: return .tcp
        case IPProtocol.udp: return .udp
        case IPProtocol.icmp: return .icmp
        case IPProtocol.icmpv6: return .icmpv6
        default: break
        }
        if classic { return nil }
        switch proto {
        case IPProtocol.ipv4: return .ipv4                   // RFC 2003 (4in4, 4in6)
        case IPProtocol.ipv6: return .ipv6                   // RFC 4213 (6in4), RFC 2473 (6in6)
        case IPProtocol.gre: return .gre                     // RFC 2784
        default: return nil
        }
    }

    /// UDP port (destination first, then source) of a UDP tunnel (IANA "service-names-port-numbers").
    @inline(__always)
    static func udpPort(source: UInt16, destination: UInt16) -> LayerKind? {
        if let k = udpPort(destination) { return k }
        return udpPort(source)
    }

    @inline(__always)
    static func udpPort(_ port: UInt16) -> LayerKind? {
        switch port {
        case 4789, 8472: return .vxlan       // RFC 7348 §5; 8472 = Linux's pre-IANA default
        case 4790: return .vxlanGPE          // draft-ietf-nvo3-vxlan-gpe
        case 6081: return .geneve            // RFC 8926 §3.3
        case 2152: return .gtpu              // 3GPP TS 29.281 §4.4.2.3
        case 3544: return .teredo            // RFC 4380 §4
        case 6635: return .mpls              // RFC 7510 §3 (MPLS-in-UDP)
        case 4754: return .gre               // RFC 8086 §3 (GRE-in-UDP)
        default: return nil
        }
    }

    /// GRE protocol type (RFC 2784 §2.4: an EtherType; plus the ERSPAN and PPTP values).
    @inline(__always)
    static func greProtocol(_ t: UInt16) -> LayerKind? {
        switch t {
        case EtherType.ipv4: return .ipv4
        case EtherType.ipv6: return .ipv6
        case EtherType.transparentEthernet: return .ethernet   // RFC 1701 / NVGRE RFC 7637
        case EtherType.erspanII, EtherType.erspanIII: return .erspan
        case EtherType.mplsUnicast, EtherType.mplsMulticast: return .mpls   // RFC 4023 §4
        case EtherType.ppp: return .ppp                        // RFC 2637 §4.1 (enhanced GRE)
        default: return nil
        }
    }

    /// PPP protocol field (RFC 1661 §2, IANA "ppp-numbers") of PPPoE session / PPTP payloads.
    @inline(__always)
    static func pppProtocol(_ p: UInt16) -> LayerKind? {
        switch p {
        case 0x0021: return .ipv4          // RFC 1332
        case 0x0057: return .ipv6          // RFC 5072
        case 0x0281: return .mpls          // RFC 3032 §4.3
        default: return nil
        }
    }

    /// A payload that is IPv4 or IPv6 by its first nibble (MPLS RFC 3032 §2.1 has no next-protocol
    /// field; GTP-U T-PDUs and Teredo likewise).
    @inline(__always)
    static func ipByVersion(_ b: UnsafeRawBufferPointer, at o: Int) -> LayerKind? {
        guard o < b.count else { return nil }
        switch b.u8(o) >> 4 {
        case 4: return .ipv4
        case 6: return .ipv6
        default: return nil
        }
    }
}
