import CPcap

/// Conversions between libpcap's `DLT_*` numbers (what `pcap_datalink(3PCAP)`, ``CaptureFile``,
/// ``LiveCapture`` and ``PacketRecord`` report) and the `LINKTYPE_*` numbers written in capture
/// files and listed on tcpdump.org's link-layer header types page.
///
/// They are equal for almost every type (Ethernet 1, BSD loopback 0, Linux SLL 113, SLL2 276,
/// LINKTYPE_IPV4 228, …). The exceptions are a few old types whose DLT value differs between
/// platforms; the one that matters in practice is raw IP: a file with `LINKTYPE_RAW` (101) is
/// reported as `DLT_RAW`, which is 12 on Linux (14 on OpenBSD). See pcap-linktype(7).
public enum DataLink {
    /// The platform's `DLT_RAW`: raw IPv4/IPv6 with no link-layer header.
    public static let rawIP: Int32 = DLT_RAW

    /// The `LINKTYPE_*` value for a `DLT_*` value (the value libpcap writes into files).
    ///
    /// Maps the platform's `DLT_RAW` to 101, `DLT_ATM_RFC1483` to 100, `DLT_SLIP_BSDOS` to 102
    /// and `DLT_PPP_BSDOS` to 103 (libpcap's `dlt_to_linktype`); every other value is returned
    /// unchanged.
    public static func linkType(fromDLT dlt: Int32) -> Int32 {
        switch dlt {
        case DLT_RAW: return 101
        case DLT_ATM_RFC1483: return 100
        case DLT_SLIP_BSDOS: return 102
        case DLT_PPP_BSDOS: return 103
        default: return dlt
        }
    }

    /// The `DLT_*` value for a `LINKTYPE_*` value (the inverse of ``linkType(fromDLT:)``), for
    /// example to pass a file-format number to ``CaptureWriter`` or ``PacketFilter``.
    public static func dlt(fromLinkType linkType: Int32) -> Int32 {
        switch linkType {
        case 101: return DLT_RAW
        case 100: return DLT_ATM_RFC1483
        case 102: return DLT_SLIP_BSDOS
        case 103: return DLT_PPP_BSDOS
        default: return linkType
        }
    }

    /// libpcap's short name for a `DLT_*` value, e.g. `EN10MB`, `RAW`, `LINUX_SLL`
    /// (pcap_datalink_val_to_name(3PCAP)); `nil` if libpcap does not know it.
    public static func name(ofDLT dlt: Int32) -> String? {
        pcap_datalink_val_to_name(dlt).map { String(cString: $0) }
    }
}
