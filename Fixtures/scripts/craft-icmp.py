#!/usr/bin/env python3
"""Writes Fixtures/crafted/icmp-arp-igmp.pcap: ICMP, ICMPv6, IGMP and ARP frames for the
`sockeye packets` tcpdump comparison (one frame per message kind tcpdump names).

Deterministic: Ethernet (DLT 1), timestamps from 1700000000 s, 1 ms apart, valid checksums.
Usage: python3 Fixtures/scripts/craft-icmp.py [OUTPUT]"""
import struct, sys

A = bytes.fromhex("020000000001")   # 10.0.0.1 / fe80::1
B = bytes.fromhex("020000000002")   # 10.0.0.2 / fe80::2

def csum(data):
    if len(data) % 2: data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def ip4(a): return bytes(int(x) for x in a.split("."))

def ipv4(src, dst, proto, payload, ttl=64, ident=0x1234, options=b"", df=True):
    ihl = 5 + len(options) // 4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 4 * ihl + len(payload), ident, 0x4000 if df else 0,
                    ttl, proto, 0, ip4(src), ip4(dst)) + options
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload

def ip6addr(s):
    import ipaddress
    return ipaddress.IPv6Address(s).packed

def ipv6(src, dst, nh, payload, hlim=64, hbh=None):
    if hbh is not None:   # hop-by-hop header with a router alert option (RFC 2711), then `nh`
        payload = bytes([nh, 0, 5, 2, 0, 0, 1, 0]) + payload
        nh = 0
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, hlim, ip6addr(src), ip6addr(dst)) + payload

def icmp(t, c, rest, body=b""):
    m = struct.pack("!BBH", t, c, 0) + rest + body
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]

def icmp6(src, dst, t, c, body):
    m = struct.pack("!BBH", t, c, 0) + body
    pseudo = ip6addr(src) + ip6addr(dst) + struct.pack("!IxxxB", len(m), 58)
    return m[:2] + struct.pack("!H", csum(pseudo + m)) + m[4:]

def udp4(src, dst, sport, dport, data):
    u = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    pseudo = ip4(src) + ip4(dst) + struct.pack("!xBH", 17, len(u))
    return u[:6] + struct.pack("!H", csum(pseudo + u) or 0xffff) + u[8:]

def eth(dst, src, etype, payload):
    f = dst + src + struct.pack("!H", etype) + payload
    return f + b"\0" * max(0, 60 - len(f))

def v4(dst, src, p): return eth(dst, src, 0x0800, p)
def v6(dst, src, p): return eth(dst, src, 0x86dd, p)

frames = []
ping = bytes(range(56))
frames.append(v4(B, A, ipv4("10.0.0.1", "10.0.0.2", 1, icmp(8, 0, struct.pack("!HH", 1, 1), ping))))
frames.append(v4(A, B, ipv4("10.0.0.2", "10.0.0.1", 1, icmp(0, 0, struct.pack("!HH", 1, 1), ping), ident=0x4321, df=False)))
# Destination unreachable, quoting the offending datagram (IP header + 8 bytes, RFC 792).
q_udp = ipv4("10.0.0.1", "10.0.0.2", 17, udp4("10.0.0.1", "10.0.0.2", 5353, 53, b"abcd"))[:28]
q_tcp = ipv4("10.0.0.1", "10.0.0.2", 6, struct.pack("!HHII", 40000, 8080, 1, 0))[:28]
q_other = ipv4("10.0.0.1", "192.0.2.99", 47, b"\0" * 8)[:28]
for code, quoted in [(3, q_udp), (3, q_tcp), (0, q_other), (1, q_other), (2, q_other), (13, q_other), (10, q_other)]:
    frames.append(v4(A, B, ipv4("10.0.0.2", "10.0.0.1", 1, icmp(3, code, b"\0\0\0\0", quoted), ttl=255)))
frames.append(v4(A, B, ipv4("10.0.0.2", "10.0.0.1", 1, icmp(3, 4, struct.pack("!HH", 0, 1400), q_tcp))))   # frag needed, mtu
frames.append(v4(A, B, ipv4("10.0.0.254", "10.0.0.1", 1, icmp(11, 0, b"\0\0\0\0", q_udp))))    # TTL exceeded in transit
frames.append(v4(A, B, ipv4("10.0.0.254", "10.0.0.1", 1, icmp(11, 1, b"\0\0\0\0", q_udp))))    # reassembly time exceeded
frames.append(v4(A, B, ipv4("10.0.0.254", "10.0.0.1", 1, icmp(5, 1, ip4("10.0.0.253"), q_other))))   # redirect host
frames.append(v4(A, B, ipv4("10.0.0.254", "10.0.0.1", 1, icmp(12, 0, b"\x14\0\0\0", q_udp))))   # parameter problem
frames.append(v4(B, A, ipv4("10.0.0.1", "10.0.0.2", 1, icmp(13, 0, struct.pack("!HH", 7, 2), struct.pack("!III", 1000, 0, 0)))))
frames.append(v4(A, B, ipv4("10.0.0.2", "10.0.0.1", 1, icmp(14, 0, struct.pack("!HH", 7, 2), struct.pack("!III", 1000, 1001, 1002)))))
frames.append(v4(B, A, ipv4("10.0.0.1", "10.0.0.2", 1, icmp(42, 0, b"\0\0\0\0"))))   # unknown type
frames.append(v4(B, A, ipv4("10.0.0.1", "10.0.0.2", 1, icmp(8, 0, struct.pack("!HH", 0x1f2e, 65535), b""))))   # empty echo
# IGMP (RFC 2236, RFC 3376), with the router alert IP option as hosts send it.
ra = b"\x94\x04\x00\x00"
def igmp(t, mrt, group, extra=b""):
    m = struct.pack("!BBH4s", t, mrt, 0, ip4(group)) + extra
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]
mc = lambda g: bytes.fromhex("01005e") + bytes([ip4(g)[1] & 0x7f]) + ip4(g)[2:]
frames.append(v4(mc("224.0.0.1"), B, ipv4("10.0.0.2", "224.0.0.1", 2, igmp(0x11, 100, "0.0.0.0"), ttl=1, options=ra)))
frames.append(v4(mc("239.1.1.1"), A, ipv4("10.0.0.1", "239.1.1.1", 2, igmp(0x16, 0, "239.1.1.1"), ttl=1, options=ra)))
frames.append(v4(mc("224.0.0.2"), A, ipv4("10.0.0.1", "224.0.0.2", 2, igmp(0x17, 0, "239.1.1.1"), ttl=1, options=ra)))
frames.append(v4(mc("224.0.0.1"), B, ipv4("10.0.0.2", "224.0.0.1", 2, igmp(0x11, 100, "0.0.0.0", b"\x02\x7d\x00\x00"), ttl=1, options=ra)))   # v3 query
v3rec = struct.pack("!BBH4s", 4, 0, 0, ip4("239.1.1.1"))
m = struct.pack("!BBHHH", 0x22, 0, 0, 0, 1) + v3rec
m = m[:2] + struct.pack("!H", csum(m)) + m[4:]
frames.append(v4(mc("224.0.0.22"), A, ipv4("10.0.0.1", "224.0.0.22", 2, m, ttl=1, options=ra)))
frames.append(v4(mc("239.1.1.1"), A, ipv4("10.0.0.1", "239.1.1.1", 2, igmp(0x12, 0, "239.1.1.1"), ttl=1)))   # v1 report
# ARP (RFC 826), Ethernet/IPv4; padded to the 60-byte minimum frame.
def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sha, ip4(spa), tha, ip4(tpa))
BC = b"\xff" * 6
frames.append(eth(BC, A, 0x0806, arp(1, A, "10.0.0.1", b"\0" * 6, "10.0.0.2")))
frames.append(eth(A, B, 0x0806, arp(2, B, "10.0.0.2", A, "10.0.0.1")))
frames.append(eth(BC, A, 0x0806, arp(1, A, "10.0.0.1", b"\0" * 6, "10.0.0.1")))   # gratuitous / announcement
frames.append(eth(BC, A, 0x0806, arp(1, A, "0.0.0.0", b"\0" * 6, "10.0.0.9")))   # probe (RFC 5227)
frames.append(eth(BC, A, 0x0806, arp(3, A, "0.0.0.0", A, "0.0.0.0")))    # RARP-style op on ARP
# ICMPv6 (RFC 4443, RFC 4861).
L1, L2, G = "fe80::1", "fe80::2", "2001:db8::20"
def i6(dst, src, s, d, t, c, body, hlim=64, hbh=None):
    return v6(dst, src, ipv6(s, d, 58, icmp6(s, d, t, c, body), hlim=hlim, hbh=hbh))
frames.append(i6(B, A, "2001:db8::10", G, 128, 0, struct.pack("!HH", 7, 1) + ping))
frames.append(i6(A, B, G, "2001:db8::10", 129, 0, struct.pack("!HH", 7, 1) + ping))
sn = "ff02::1:ff00:2"
frames.append(i6(bytes.fromhex("3333ff000002"), A, L1, sn, 135, 0, b"\0\0\0\0" + ip6addr(L2) + b"\x01\x01" + A, hlim=255))
frames.append(i6(A, B, L2, L1, 136, 0, b"\x60\0\0\0" + ip6addr(L2) + b"\x02\x01" + B, hlim=255))
frames.append(i6(bytes.fromhex("333300000002"), A, L1, "ff02::2", 133, 0, b"\0\0\0\0" + b"\x01\x01" + A, hlim=255))
frames.append(i6(bytes.fromhex("333300000001"), B, L2, "ff02::1", 134, 0,
                 struct.pack("!BBHII", 64, 0, 1800, 0, 0) + b"\x01\x01" + B + struct.pack("!BBBBIII16s", 3, 4, 64, 0xc0, 86400, 14400, 0, ip6addr("2001:db8::")), hlim=255))
q6 = ipv6("2001:db8::10", G, 17, struct.pack("!HHHH", 5353, 53, 12, 0) + b"abcd")[:48]
frames.append(i6(B, A, G, "2001:db8::10", 1, 4, b"\0\0\0\0" + q6))      # port unreachable
frames.append(i6(B, A, G, "2001:db8::10", 1, 0, b"\0\0\0\0" + q6))      # no route
frames.append(i6(B, A, G, "2001:db8::10", 1, 3, b"\0\0\0\0" + q6))      # address unreachable
frames.append(i6(B, A, G, "2001:db8::10", 2, 0, struct.pack("!I", 1280) + q6))   # packet too big
frames.append(i6(B, A, G, "2001:db8::10", 3, 0, b"\0\0\0\0" + q6))      # hop limit exceeded
frames.append(i6(B, A, G, "2001:db8::10", 4, 0, struct.pack("!I", 6) + q6))   # parameter problem
frames.append(i6(bytes.fromhex("333300000016"), A, L1, "ff02::16", 143, 0,
                 struct.pack("!HH", 0, 1) + struct.pack("!BBH16s", 4, 0, 0, ip6addr("ff05::1:3")), hlim=1, hbh=True))
frames.append(i6(B, A, "2001:db8::10", G, 250, 0, b"\0\0\0\0"))   # unknown type

out = sys.argv[1] if len(sys.argv) > 1 else "Fixtures/crafted/icmp-arp-igmp.pcap"
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, fr in enumerate(frames):
        f.write(struct.pack("<IIII", 1700000000, i * 1000 + 17, len(fr), len(fr)))
        f.write(fr)
print(out, len(frames), "frames")
