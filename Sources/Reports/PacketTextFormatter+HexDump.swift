import PacketCodec

/// `sockeye packets -x / -xx / -X / -XX`: the frame in hex (and ASCII) after each line, byte
/// for byte as tcpdump 4.99 prints it (print-ascii.c `hex_print_with_offset`,
/// `hex_and_ascii_print_with_offset`; print.c `pretty_print_packet`):
///
/// ```
/// 	0x0000:  4500 003c 88bb 4000 4006 9d64 0a4d 0001  E..<..@.@..d.M..
/// ```
///
/// A tab, the offset, two spaces, then 16 bytes per line in groups of two bytes; with ASCII the
/// hex part is padded to 40 columns, two spaces, and one character per byte (`.` for anything
/// but a graphic ASCII character, 0x21–0x7e). `-x`/`-X` start at the network layer (after the
/// link header and VLAN tags) and print nothing when nothing follows the link header;
/// `-xx`/`-XX` start at the first captured byte. Only captured bytes are shown. A frame of a
/// link type Sockeye does not decode is dumped whole with any of the four.
extension PacketTextFormatter {
    func writeHexDump(_ p: DecodedPacket, _ f: FrameBytes, _ out: OutputBuffer) {
        var start: Int
        switch options.hexDump {
        case .none: return
        case .hex, .hexASCII:
            // When a header was cut by the end of the captured bytes, tcpdump's printer stops
            // with `[|proto]` and forgets the link-header length: its dump then starts at the
            // first byte (print.c: ndo_ll_hdr_len = 0 on ND_TRUNCATED). Sockeye does the same
            // for the defects that mean "a header ran past the captured bytes".
            // A tunnelled frame's dump starts at its delivery (outermost) network header.
            let network = Self.isEncapsulated(p) ? Self.outermostNetworkOffset(p) ?? p.networkOffset : p.networkOffset
            start = Self.cutShort(p) ? 0 : (network ?? f.end)
        case .hexWithLink, .hexASCIIWithLink: start = 0
        }
        let ascii = options.hexDump == .hexASCII || options.hexDump == .hexASCIIWithLink
        // A link type neither tool decodes has no known link header: the dump starts at the
        // first byte (tcpdump: "UNSUPPORTED", its own hex+ASCII dump, then the -x/-X dump from 0).
        if case .unknown = p.linkType { start = 0 }
        guard start < f.end else { return }
        var offset = 0
        var at = start
        while at < f.end {
            let n = min(16, f.end - at)
            out.append("\n\t0x")
            if offset <= 0xffff { appendHex(UInt32(offset), digits: 4, out) } else { appendHex(UInt32(truncatingIfNeeded: offset), out) }
            out.append(": ")
            var columns = 0
            var i = 0
            while i < n {
                out.append(" ")
                out.appendHexByte(f.b.u8(at + i))
                if i + 1 < n { out.appendHexByte(f.b.u8(at + i + 1)); columns += 5 } else { columns += 3 }
                i += 2
            }
            if ascii {
                for _ in columns..<40 { out.append(" ") }
                out.append("  ")
                for j in 0..<n {
                    let c = f.b.u8(at + j)
                    out.append(byte: c >= 0x21 && c <= 0x7e ? c : UInt8(ascii: "."))
                }
            }
            at += n
            offset += 16
        }
    }

    static func cutShort(_ p: DecodedPacket) -> Bool {
        for d in [Defect.ipv4Truncated, .ipv4HeaderBeyondCapture,
                  .tcpTruncated, .tcpDataOffsetBeyondCapture, .udpTruncated] where p.defects.contains(d) { return true }
        return false
    }
}
