#!/usr/bin/env python3
"""Writes packets/verbose-fields.pcap: one Ethernet frame per header field that `packets -v`
prints differently from the default line (compared with `tcpdump -v` in PacketsCommandTests).

    python3 Fixtures/scripts/craft-verbose.py --out Fixtures

Uses craft.py's builders (struct only, deterministic). Timestamps and addresses as craft.py.
"""
import argparse
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from craft import (CLI4, SRV4, CLI6, SRV6, ETH_IPV6, LINKTYPE_ETHERNET, SYN, RST, ACK, PSH, URG,  # noqa: E402
                   csum, ip4, ip6, pseudo4, pseudo6, tcp_seg, udp_dgram, eth, pcap_bytes, write)


def ipv4(src, dst, proto, payload, tos=0, ttl=64, ident=1, frag=0x4000, opts=b"", bad_csum=False):
    hl = 20 + len(opts)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | hl // 4, tos, hl + len(payload), ident, frag, ttl, proto, 0,
                    ip4(src), ip4(dst)) + opts
    c = csum(h) ^ (0x1111 if bad_csum else 0)
    return h[:10] + struct.pack("!H", c) + h[12:] + payload


def ipv6(src, dst, nxt, payload, tclass=0, flow=0, hlim=64):
    return struct.pack("!IHBB", 0x60000000 | tclass << 20 | flow, len(payload), nxt, hlim) + ip6(src) + ip6(dst) + payload


def tcp(src, dst, flags, payload=b"", bad=False, urg=0, **ip):
    seg = tcp_seg(40100, 7000, 1000, 2000 if flags & ACK else 0, flags, payload,
                  pseudo=lambda n: pseudo4(src, dst, 6, n), bad_csum=bad)
    if urg:
        seg = seg[:18] + struct.pack("!H", urg) + seg[20:]
        seg = seg[:16] + b"\0\0" + seg[18:]
        c = csum(pseudo4(src, dst, 6, len(seg)) + seg)
        seg = seg[:16] + struct.pack("!H", c) + seg[18:]
    return ipv4(src, dst, 6, seg, **ip)


def icmp_echo(ident, seq, bad=False):
    m = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"ping"
    c = csum(m) ^ (0x0f0f if bad else 0)
    return m[:2] + struct.pack("!H", c) + m[4:]


def frames():
    f = []
    # 1. tos 0xb9 (DSCP 46, ECT(1)), ttl 0 (not printed), reserved + DF flags.
    f.append(tcp(CLI4, SRV4, SYN, tos=0xb9, ttl=0, frag=0xC000))
    # 2. tos 0x02 ECT(0); 3. tos 0x03 CE.
    f.append(tcp(CLI4, SRV4, SYN, tos=0x02, ident=2))
    f.append(tcp(CLI4, SRV4, SYN, tos=0x03, ident=3))
    # 4. TCP checksum wrong: "cksum 0x… (incorrect -> 0x…)".
    f.append(tcp(CLI4, SRV4, SYN, bad=True, ident=4))
    # 5. IPv4 header checksum wrong: ", bad cksum … (->…)!".
    f.append(tcp(CLI4, SRV4, SYN, ident=5, bad_csum=True))
    # 6. Timestamp option, timestamps only (RFC 791 §3.1 flag 0), two slots, one used.
    ts_only = struct.pack("!BBBB", 68, 12, 9, 0) + struct.pack("!II", 12345678, 0)
    f.append(tcp(CLI4, SRV4, SYN, opts=ts_only, ident=6))
    # 7. Timestamp option with addresses (flag 1), one slot used, overflow count 2.
    ts_addr = struct.pack("!BBBB", 68, 20, 13, 0x21) + ip4("192.0.2.1") + struct.pack("!I", 777) + ip4("0.0.0.0") + struct.pack("!I", 0)
    f.append(tcp(CLI4, SRV4, SYN, opts=ts_addr, ident=7))
    # 8. Security option (RFC 1108, type 130, 11 bytes) + EOL: tcpdump names it, prints no value.
    f.append(tcp(CLI4, SRV4, SYN, opts=struct.pack("!BB", 130, 11) + bytes(9) + b"\x00", ident=8))
    # 9. Router alert with a value, then NOPs.
    f.append(tcp(CLI4, SRV4, SYN, opts=struct.pack("!BBH", 148, 4, 1) + b"\x01" * 4, ident=9))
    # 10. RST carrying text (RFC 9293 §3.6.1), longer than tcpdump's 30 bytes, with a control
    #     character and a high byte.
    f.append(tcp(CLI4, SRV4, RST | ACK, payload=b"reset\x01by\xe9peer: too many open connections", ident=10))
    # 11. RST with a short reason.
    f.append(tcp(CLI4, SRV4, RST, payload=b"bye", ident=11))
    # 12. Urgent data.
    f.append(tcp(CLI4, SRV4, PSH | ACK | URG, payload=b"!urgent", urg=1, ident=12))
    # 13. First fragment of a UDP datagram (MF): no transport checksum verdict.
    udp_full = udp_dgram(5000, 5001, b"x" * 40, pseudo=lambda n: pseudo4(CLI4, SRV4, 17, n))
    f.append(ipv4(CLI4, SRV4, 17, udp_full[:24], ident=13, frag=0x2000))
    # 14. ICMP echo with a wrong checksum; 15. IGMP v2 report with a wrong checksum.
    f.append(ipv4(CLI4, SRV4, 1, icmp_echo(9, 1, bad=True), ident=14))
    igmp = struct.pack("!BBH", 0x16, 0, 0x1234) + ip4("239.1.1.1")
    f.append(ipv4(CLI4, "239.1.1.1", 2, igmp, ttl=1, ident=15, opts=struct.pack("!BBH", 148, 4, 0)))
    # 16. IPv6 with traffic class 0xb8 and a flow label; UDP with a good checksum.
    u6 = udp_dgram(6000, 6001, b"hello6", pseudo=lambda n: pseudo6(CLI6, SRV6, 17, n))
    f.append(ipv6(CLI6, SRV6, 17, u6, tclass=0xb8, flow=0x12345))
    # 17. IPv6 UDP with a wrong checksum.
    bad6 = u6[:6] + struct.pack("!H", struct.unpack("!H", u6[6:8])[0] ^ 0x00ff) + u6[8:]
    f.append(ipv6(CLI6, SRV6, 17, bad6, flow=0x1))
    # 18. IPv6 TCP with a wrong checksum.
    seg = tcp_seg(40200, 443, 5, 0, SYN, pseudo=lambda n: pseudo6(CLI6, SRV6, 6, n), bad_csum=True)
    f.append(ipv6(CLI6, SRV6, 6, seg, hlim=3))
    # 19. Destination options (pad1, unknown type 0x1e, PadN) before an ICMPv6 echo request
    #     with a wrong checksum.
    echo = struct.pack("!BBHHH", 128, 0, 0, 7, 1) + b"ab"
    c = csum(pseudo6(CLI6, SRV6, 58, len(echo)) + echo) ^ 0x0101
    echo = echo[:2] + struct.pack("!H", c) + echo[4:]
    dst = struct.pack("!BB", 58, 0) + b"\x00" + struct.pack("!BB", 0x1e, 1) + b"\xaa" + b"\x01\x00"
    f.append(ipv6(CLI6, SRV6, 60, dst + echo))
    return [eth(p, ETH_IPV6) if p[0] >> 4 == 6 else eth(p) for p in f]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    a = ap.parse_args()
    write(os.path.join(a.out, "packets", "verbose-fields.pcap"), pcap_bytes(frames(), LINKTYPE_ETHERNET))


if __name__ == "__main__":
    main()
