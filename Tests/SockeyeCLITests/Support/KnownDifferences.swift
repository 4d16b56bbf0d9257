/// Every accepted difference between Sockeye and tshark, with its reason. A difference matches
/// only narrowly (a field, a Sockeye defect, a protocol stack), so anything else still fails.
/// Excused values count as compared-but-not-agreed in the agreement ratio and are printed.
enum KnownDifferences {
    static func defect(_ s: FieldMap, _ name: String) -> Bool {
        (s["_defects"] ?? "").split(separator: " ").contains(Substring(name))
    }

    /// Malformed headers: both tools notice; they stop or carry on at different points.
    static let malformedHeaders: [KnownDifference] = [
        KnownDifference(
            name: "ipv4-header-length-invalid",
            reason: "IHL < 5: tshark stops after the version/IHL byte; Sockeye still reports the 20 captured bytes of the fixed header, does not go on to the transport, and flags ipv4.header_length_invalid",
            matches: { d, s, _ in defect(s, "ipv4.header_length_invalid") && d.field.hasPrefix("ip.") && d.tshark == nil }),
        KnownDifference(
            name: "ipv4-total-length-exceeds-frame",
            reason: "IPv4 total length larger than the frame (caplen == len, so not a snaplen cut): tshark clamps the datagram to the frame and verifies the transport checksum over the bytes present; Sockeye reports `unverified` and flags ipv4.total_length_exceeds_frame",
            matches: { d, s, _ in defect(s, "ipv4.total_length_exceeds_frame") && d.field.hasSuffix("checksum.status") && d.sockeye == "2" }),
        KnownDifference(
            name: "ipv4-total-length-zero-tso",
            reason: "IPv4 total length 0 (captured before TCP segmentation offload): Sockeye reports the header field as it is (0) and flags ipv4.total_length_zero_tso; tshark shows the length it substituted from the frame",
            matches: { d, s, _ in defect(s, "ipv4.total_length_zero_tso") && d.field == "ip.len" && d.sockeye == "0" }),
        KnownDifference(
            name: "tcp-data-offset-invalid",
            reason: "TCP data offset < 5: tshark stops at the bogus header length (no flags, window, checksum); Sockeye reports the captured fixed header and flags tcp.data_offset_invalid",
            matches: { d, s, _ in defect(s, "tcp.data_offset_invalid") && d.field.hasPrefix("tcp.") }),
        KnownDifference(
            name: "tcp-data-offset-beyond-segment",
            reason: "TCP data offset larger than the segment (crafted, or a first fragment ending inside the TCP header): Sockeye flags tcp.data_offset_beyond_segment and neither verifies the checksum (`unverified`), nor reports a payload, nor lists options; tshark verifies the sum anyway and lists the options present",
            matches: { d, s, _ in defect(s, "tcp.data_offset_beyond_segment")
                && ((d.field == "tcp.checksum.status" && d.sockeye == "2") || (d.field == "tcp.len" && d.tshark == nil)
                    || (d.field.hasPrefix("tcp.options.") && d.sockeye == nil)) }),
        KnownDifference(
            name: "udp-length-invalid",
            reason: "UDP length field < 8: tshark stops at the bad length (no checksum shown); Sockeye reports the header, takes the payload from IP and flags udp.length_invalid",
            matches: { d, s, _ in defect(s, "udp.length_invalid") && d.field.hasPrefix("udp.") && d.tshark == nil }),
        KnownDifference(
            name: "tcp-options-in-truncated-header",
            reason: "snaplen cut inside the TCP options: Sockeye lists options only from a completely captured header (defect tcp.data_offset_beyond_capture); tshark lists each option (even a partial timestamp) up to the cut",
            matches: { d, s, _ in defect(s, "tcp.data_offset_beyond_capture") && d.field.hasPrefix("tcp.options.") && d.sockeye == nil }),
    ]

    /// Our own fixtures: only the malformed-header policies above.
    static let fixtures: [KnownDifference] = malformedHeaders

    /// Third-party captures add decoder scope and tshark presentation choices.
    static let corpus: [KnownDifference] = malformedHeaders + [
        KnownDifference(
            name: "first-fragment-tcp-len",
            reason: "first IPv4 fragment of a TCP segment: with reassembly off tshark does not report tcp.len (segment length unknown); Sockeye reports the TCP payload bytes carried in this fragment",
            matches: { d, s, _ in d.field == "tcp.len" && d.tshark == nil && s["ip.flags.mf"] == "1" && s["ip.frag_offset"] == "0" }),
        KnownDifference(
            name: "ipv4-source-route-dst",
            reason: "IPv4 loose/strict source route option: tshark reports the route's final hop as ip.dst; Sockeye reports the header's destination field",
            matches: { d, s, _ in d.field == "ip.dst" && (Int(s["ip.hdr_len"] ?? "20") ?? 20) > 20 }),
        KnownDifference(
            name: "mpls-not-decoded",
            reason: "MPLS (EtherType 0x8847) is outside Sockeye's link layers (DESIGN §1); tshark decodes the IP packet under the label stack",
            matches: { _, s, t in s["ip.version"] == nil && (t["_protocols"] ?? "").contains(":mpls:") }),
        KnownDifference(
            name: "null-loopback-ethertype-heuristic",
            reason: "DLT_NULL header 0x0F000800 (an EtherType in the low 16 bits): tshark's heuristic accepts it as IPv4; Sockeye (and DLT_NULL's definition: an AF_ value) rejects it as loopback.family_unknown",
            matches: { _, s, t in defect(s, "loopback.family_unknown") && (t["_protocols"] ?? "").hasPrefix("null:") }),
        KnownDifference(
            name: "pcapng-simple-packet-block-timestamp",
            reason: "pcapng Simple Packet Blocks carry no timestamp: tshark leaves frame.time_epoch empty; Sockeye (libpcap) reports 0",
            matches: { d, _, _ in d.field == "frame.time_epoch" && d.tshark == nil && d.sockeye == "0.000000000" }),
        KnownDifference(
            name: "ipv6-extension-header-limit",
            reason: "more than 8 IPv6 extension headers: Sockeye stops walking (a bound against crafted chains) and flags ipv6.too_many_extension_headers; tshark walks all of them (one test file has ~70)",
            matches: { d, s, _ in defect(s, "ipv6.too_many_extension_headers") && (d.field.hasPrefix("udp.") || d.field.hasPrefix("tcp.")) && d.sockeye == nil }),
    ]
}
