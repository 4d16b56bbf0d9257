#!/usr/bin/env python3
"""Writes the hand-made Sockeye fixtures with struct (Python 3 stdlib only, deterministic output).

    python3 craft.py --out Fixtures          # writes everything below into Fixtures/

Files: malformed-packets.pcap, tcp-all-options.pcap, linktypes/*, damaged/*, crafted/*, and
byteswapped.pcap (needs the real capture tcp-handshake-data-fin.pcap, also used for the damaged/
truncation files; damaged/pcapng-bad-block-length.pcapng needs tcp-handshake-data-fin.pcapng).
All timestamps start at 2023-11-14 22:13:20 UTC (1700000000) and advance 1 ms per packet.
Addresses are from the documentation ranges 192.0.2.0/24, 198.51.100.0/24 and 2001:db8::/32.
"""
import argparse
import os
import struct

T0 = 1_700_000_000
MAC_A = bytes.fromhex("020000000a01")
MAC_B = bytes.fromhex("020000000b02")
CLI4, SRV4 = "192.0.2.10", "198.51.100.20"
CLI6, SRV6 = "2001:db8::10", "2001:db8::20"

ETH_IPV4, ETH_IPV6, ETH_8021Q, ETH_8021AD = 0x0800, 0x86DD, 0x8100, 0x88A8
LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LOOP = 0, 1, 101, 108
LINKTYPE_IPV4, LINKTYPE_IPV6 = 228, 229

# TCP flags
FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80


# ----------------------------------------------------------------------------- checksums / headers

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def ip6(a):
    import ipaddress
    return ipaddress.IPv6Address(a).packed


def pseudo4(src, dst, proto, length):
    return ip4(src) + ip4(dst) + struct.pack("!BBH", 0, proto, length)


def pseudo6(src, dst, proto, length):
    return ip6(src) + ip6(dst) + struct.pack("!IxxxB", length, proto)


def tcp_seg(sport, dport, seq, ack, flags, payload=b"", opts=b"", win=64240, doff=None,
            pseudo=None, bad_csum=False, csum_value=None):
    """Builds a TCP segment; pseudo = function(length) -> pseudo header bytes for the checksum."""
    if len(opts) % 4:
        opts += b"\0" * (4 - len(opts) % 4)        # pad with EOL
    hl = 20 + len(opts)
    off = (doff if doff is not None else hl // 4)
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      off << 4, flags, win, 0, 0) + opts
    seg = hdr + payload
    c = 0
    if pseudo is not None:
        c = csum(pseudo(len(seg)) + seg)
    if bad_csum:
        c ^= 0x5A5A
    if csum_value is not None:
        c = csum_value
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def udp_dgram(sport, dport, payload, pseudo=None, length=None, bad_csum=False, zero_csum=False):
    ulen = 8 + len(payload) if length is None else length
    d = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    c = 0
    if pseudo is not None and not zero_csum:
        c = csum(pseudo(8 + len(payload)) + struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload)
        if c == 0:
            c = 0xFFFF
    if bad_csum:
        c ^= 0x5A5A
    return d[:6] + struct.pack("!H", c) + d[8:]


def ipv4_pkt(src, dst, proto, payload, ident=1, ttl=64, opts=b"", total_len=None, ihl=None,
             bad_csum=False, df=True):
    hl = 20 + len(opts)
    tl = hl + len(payload) if total_len is None else total_len
    v_ihl = 0x40 | ((hl // 4) if ihl is None else ihl)
    h = struct.pack("!BBHHHBBH4s4s", v_ihl, 0, tl, ident, 0x4000 if df else 0, ttl, proto, 0,
                    ip4(src), ip4(dst)) + opts
    c = csum(h)
    if bad_csum:
        c ^= 0x1111
    return h[:10] + struct.pack("!H", c) + h[12:] + payload


def ipv6_pkt(src, dst, nxt, payload, hlim=64, plen=None):
    pl = len(payload) if plen is None else plen
    return struct.pack("!IHBB", 0x60000000, pl, nxt, hlim) + ip6(src) + ip6(dst) + payload


def eth(payload, ethertype=ETH_IPV4, src=MAC_A, dst=MAC_B, tags=()):
    hdr = dst + src
    for tpid, vid in tags:
        hdr += struct.pack("!HH", tpid, vid)
    return hdr + struct.pack("!H", ethertype) + payload


def tcp4(src, dst, sport, dport, seq, ack, flags, payload=b"", opts=b"", ident=1, **kw):
    seg = tcp_seg(sport, dport, seq, ack, flags, payload, opts,
                  pseudo=lambda n: pseudo4(src, dst, 6, n), **kw)
    return ipv4_pkt(src, dst, 6, seg, ident=ident)


def tcp6(src, dst, sport, dport, seq, ack, flags, payload=b"", opts=b"", **kw):
    seg = tcp_seg(sport, dport, seq, ack, flags, payload, opts,
                  pseudo=lambda n: pseudo6(src, dst, 6, n), **kw)
    return ipv6_pkt(src, dst, 6, seg)


SYN_OPTS = bytes.fromhex("020405b4") + bytes.fromhex("0402") + struct.pack("!BBII", 8, 10, 1000, 0) \
    + bytes.fromhex("01030307")            # MSS 1460, SACK_PERM, TS, NOP, WS 7 (20 bytes)


# ----------------------------------------------------------------------------- pcap / pcapng writers

def pcap_bytes(packets, linktype, snaplen=262144, big_endian=False, nano=False):
    e = ">" if big_endian else "<"
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)
    for i, p in enumerate(packets):
        if isinstance(p, tuple):
            data, orig_len = p
        else:
            data, orig_len = p, len(p)
        ts_us = i * 1000
        out += struct.pack(e + "IIII", T0 + ts_us // 1_000_000, ts_us % 1_000_000, len(data), orig_len) + data
    return out


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    print(f"wrote {path} ({len(data)} bytes)")


def read_pcap(path):
    """Returns (header_fields, [(ts_sec, ts_frac, caplen, origlen, data)]) of a little-endian pcap."""
    raw = open(path, "rb").read()
    magic, vmaj, vmin, tz, sigfigs, snap, lt = struct.unpack("<IHHiIII", raw[:24])
    assert magic in (0xA1B2C3D4, 0xA1B23C4D), "expected a little-endian pcap"
    recs, off = [], 24
    while off + 16 <= len(raw):
        s, f, cl, ol = struct.unpack("<IIII", raw[off:off + 16])
        recs.append((s, f, cl, ol, raw[off + 16:off + 16 + cl]))
        off += 16 + cl
    return (magic, vmaj, vmin, tz, sigfigs, snap, lt), recs, raw


# ----------------------------------------------------------------------------- fixtures

def malformed():
    """One defect per packet, in the order of the table in Fixtures/README.md."""
    S, D = CLI4, SRV4
    P = []
    good_syn = lambda sport: tcp_seg(sport, 80, 1000, 0, SYN, opts=SYN_OPTS,
                                     pseudo=lambda n: pseudo4(S, D, 6, n))
    # 1 IPv4 IHL < 5 (IHL = 4)
    P.append(eth(ipv4_pkt(S, D, 6, good_syn(40001), ihl=4)))
    # 2 IPv4 total length > captured bytes (claims 200, has 60)
    P.append(eth(ipv4_pkt(S, D, 6, good_syn(40002), total_len=200)))
    # 3 IPv4 total length 0 (TSO style); payload is a valid TCP segment with data
    seg = tcp_seg(40003, 80, 5000, 7000, ACK | PSH, b"TSO-style total length zero",
                  pseudo=lambda n: pseudo4(S, D, 6, n))
    P.append(eth(ipv4_pkt(S, D, 6, seg, total_len=0)))
    # 4 IPv4 bad header checksum (TCP SYN itself is valid)
    P.append(eth(ipv4_pkt(S, D, 6, good_syn(40004), bad_csum=True)))
    # 5 TCP data offset < 5 (doff = 3)
    P.append(eth(ipv4_pkt(S, D, 6, tcp_seg(40005, 80, 1000, 0, SYN, doff=3,
                                           pseudo=lambda n: pseudo4(S, D, 6, n)))))
    # 6 TCP data offset beyond captured bytes (doff 15 = 60 bytes, segment is 20 bytes)
    P.append(eth(ipv4_pkt(S, D, 6, tcp_seg(40006, 80, 1000, 0, SYN, doff=15,
                                           pseudo=lambda n: pseudo4(S, D, 6, n)))))
    # 7 TCP option with length 0 (kind 8 len 0)
    P.append(eth(ipv4_pkt(S, D, 6, tcp_seg(40007, 80, 1000, 0, SYN, opts=bytes.fromhex("020405b4") + bytes([8, 0, 0, 0]),
                                           pseudo=lambda n: pseudo4(S, D, 6, n)))))
    # 8 TCP option with length 1 (kind 4 len 1)
    P.append(eth(ipv4_pkt(S, D, 6, tcp_seg(40008, 80, 1000, 0, SYN, opts=bytes.fromhex("020405b4") + bytes([4, 1, 1, 1]),
                                           pseudo=lambda n: pseudo4(S, D, 6, n)))))
    # 9 TCP option running past the header end (timestamps len 10 starting 4 bytes before the end)
    P.append(eth(ipv4_pkt(S, D, 6, tcp_seg(40009, 80, 1000, 0, SYN, opts=bytes.fromhex("020405b4") + bytes([8, 10, 0, 0]),
                                           pseudo=lambda n: pseudo4(S, D, 6, n)))))
    # 10 MSS option with wrong length 3 (then NOP to pad)
    P.append(eth(ipv4_pkt(S, D, 6, tcp_seg(40010, 80, 1000, 0, SYN, opts=bytes([2, 3, 5, 1]),
                                           pseudo=lambda n: pseudo4(S, D, 6, n)))))
    # 11 UDP length < 8 (length field 4)
    P.append(eth(ipv4_pkt(S, D, 17, udp_dgram(40011, 7778, b"short-len", length=4))))
    # 12 UDP length > IP payload (length field 100, datagram 17 bytes)
    P.append(eth(ipv4_pkt(S, D, 17, udp_dgram(40012, 7778, b"long-len!", length=100))))
    # 13 truncated Ethernet frame: only 10 bytes
    P.append(eth(b"")[:10])
    # 14 unknown EtherType 0x88b5 (IEEE local experimental) with 46 bytes of payload
    P.append(eth(b"unknown ethertype payload".ljust(46, b"."), ethertype=0x88B5))
    # 15 IPv6 with a truncated extension header: Hop-by-Hop (len 2 -> 24 bytes) but only 8 bytes present
    hbh = bytes([6, 2]) + bytes(6)
    P.append(eth(ipv6_pkt(CLI6, SRV6, 0, hbh, plen=24), ethertype=ETH_IPV6))
    # 16 bad TCP checksum (not a partial/offload sum)
    P.append(eth(ipv4_pkt(S, D, 6, tcp_seg(40016, 80, 1000, 0, SYN, opts=SYN_OPTS,
                                           pseudo=lambda n: pseudo4(S, D, 6, n), bad_csum=True))))
    # 17 bad UDP checksum
    P.append(eth(ipv4_pkt(S, D, 17, udp_dgram(40017, 7778, b"bad udp checksum",
                                              pseudo=lambda n: pseudo4(S, D, 17, n), bad_csum=True))))
    # 18 IPv6 UDP with checksum 0 (illegal for IPv6)
    P.append(eth(ipv6_pkt(CLI6, SRV6, 17, udp_dgram(40018, 7778, b"ipv6 zero checksum", zero_csum=True)),
                 ethertype=ETH_IPV6))
    return P


def all_options():
    S, D = CLI4, SRV4
    ps = lambda n: pseudo4(S, D, 6, n)
    mss = bytes.fromhex("020405b4")
    cases = [
        # (label, options)
        ("EOL+NOP", bytes([1, 1, 1, 0])),
        ("MSS", mss),
        ("WS", bytes([1, 3, 3, 14])),
        ("SACK_PERM", bytes([1, 1, 4, 2])),
        ("SACK-1", bytes([1, 1, 5, 10]) + struct.pack("!II", 2001, 3001)),
        ("SACK-2", bytes([1, 1, 5, 18]) + struct.pack("!IIII", 2001, 3001, 4001, 5001)),
        ("SACK-3", bytes([1, 1, 5, 26]) + struct.pack("!6I", 2001, 3001, 4001, 5001, 6001, 7001)),
        ("SACK-4", bytes([5, 34]) + struct.pack("!8I", 2001, 3001, 4001, 5001, 6001, 7001, 8001, 9001)),
        ("TS", bytes([1, 1, 8, 10]) + struct.pack("!II", 123456, 654321)),
        ("MD5", bytes([19, 18]) + bytes(range(16)) + bytes([1, 1])),
        ("UTO", bytes([28, 4]) + struct.pack("!H", 0x8000 | 300)),
        ("TCP-AO", bytes([29, 16, 7, 9]) + bytes(range(0xA0, 0xAC))),
        ("MPTCP", bytes([30, 12, 0x00, 0x81]) + bytes.fromhex("0102030405060708")),
        ("TFO", bytes([34, 10]) + bytes.fromhex("c0ffee0011223344") + bytes([1, 1])),
        ("TFO-request", bytes([34, 2, 1, 1])),
        ("EXP-253", bytes([253, 6, 0xF9, 0x89, 0xAB, 0xCD])),
        ("EXP-254", bytes([254, 4, 0xF9, 0x89])),
        ("unknown-99", bytes([99, 4, 0xDE, 0xAD])),
        ("all-common", mss + bytes([4, 2, 8, 10]) + struct.pack("!II", 1, 0) + bytes([1, 3, 3, 7])),
    ]
    P = []
    for i, (_, opts) in enumerate(cases):
        seg = tcp_seg(41000 + i, 80, 10_000 * (i + 1), 0, SYN, opts=opts, pseudo=ps)
        P.append(eth(ipv4_pkt(S, D, 6, seg, ident=i + 1)))
    return P, [c[0] for c in cases]


def v4_syn(sport=42000):
    return tcp4(CLI4, SRV4, sport, 80, 111111, 0, SYN, opts=SYN_OPTS)


def v6_syn(sport=42001):
    return tcp6(CLI6, SRV6, sport, 80, 222222, 0, SYN, opts=SYN_OPTS)


def linktypes(out):
    d = os.path.join(out, "linktypes")
    write(f"{d}/null-ipv4.pcap", pcap_bytes([struct.pack("<I", 2) + v4_syn()], LINKTYPE_NULL))
    for af in (24, 28, 30):   # AF_INET6 on NetBSD/OpenBSD, FreeBSD, macOS
        write(f"{d}/null-ipv6-af{af}.pcap", pcap_bytes([struct.pack("<I", af) + v6_syn()], LINKTYPE_NULL))
    write(f"{d}/loop-ipv4.pcap", pcap_bytes([struct.pack("!I", 2) + v4_syn()], LINKTYPE_LOOP))
    write(f"{d}/loop-ipv6.pcap", pcap_bytes([struct.pack("!I", 24) + v6_syn()], LINKTYPE_LOOP))
    write(f"{d}/raw-ipv4.pcap", pcap_bytes([v4_syn()], LINKTYPE_RAW))
    write(f"{d}/raw-ipv6.pcap", pcap_bytes([v6_syn()], LINKTYPE_RAW))
    write(f"{d}/raw-mixed.pcap", pcap_bytes([v4_syn(42002), v6_syn(42003)], LINKTYPE_RAW))
    write(f"{d}/ipv4-228.pcap", pcap_bytes([v4_syn()], LINKTYPE_IPV4))
    write(f"{d}/ipv6-229.pcap", pcap_bytes([v6_syn()], LINKTYPE_IPV6))
    write(f"{d}/qinq.pcap", pcap_bytes([
        eth(v4_syn(42004), tags=((ETH_8021AD, 200), (ETH_8021Q, 100))),
        eth(v6_syn(42005), ethertype=ETH_IPV6, tags=((ETH_8021AD, 200), (ETH_8021Q, 100))),
        eth(v4_syn(42006), tags=((ETH_8021Q, 300), (ETH_8021Q, 301))),   # old-style 0x8100/0x8100 double tag
    ], LINKTYPE_ETHERNET))


def conv(c, s, cport, sport, cisn, sisn):
    """Helper for hand-made TCP conversations: returns functions making client->server / server->client packets."""
    state = {"id": 100}

    def mk(src, dst, sp, dp):
        def f(seq, ack, flags, payload=b"", opts=b"", **kw):
            state["id"] += 1
            return eth(tcp4(src, dst, sp, dp, seq, ack, flags, payload, opts, ident=state["id"], **kw),
                       src=MAC_A if src == c else MAC_B, dst=MAC_B if src == c else MAC_A)
        return f
    return mk(c, s, cport, sport), mk(s, c, sport, cport)


def crafted(out):
    d = os.path.join(out, "crafted")
    C, S = CLI4, SRV4
    ci, si = 0x10000000, 0x20000000
    req, rep = b"GET / HTTP/1.0\r\n\r\n", b"HTTP/1.0 200 OK\r\n\r\nhello\n"

    # Server port 7777 is not a Zeek "likely server port", so no port-based flip happens anywhere.
    # synack-first: capture starts with the server's SYN-ACK (client SYN missed)
    c, s = conv(C, S, 50001, 7777, ci, si)
    P = [s(si, ci + 1, SYN | ACK, opts=SYN_OPTS),
         c(ci + 1, si + 1, ACK),
         c(ci + 1, si + 1, PSH | ACK, req),
         s(si + 1, ci + 1 + len(req), ACK),
         s(si + 1, ci + 1 + len(req), PSH | ACK, rep),
         c(ci + 1 + len(req), si + 1 + len(rep), ACK),
         c(ci + 1 + len(req), si + 1 + len(rep), FIN | ACK),
         s(si + 1 + len(rep), ci + 2 + len(req), FIN | ACK),
         c(ci + 2 + len(req), si + 2 + len(rep), ACK)]
    write(f"{d}/synack-first.pcap", pcap_bytes(P, LINKTYPE_ETHERNET))

    # fin-then-rst: complete FIN exchange both ways, then a RST from the client
    c, s = conv(C, S, 50002, 7777, ci, si)
    P = [c(ci, 0, SYN, opts=SYN_OPTS),
         s(si, ci + 1, SYN | ACK, opts=SYN_OPTS),
         c(ci + 1, si + 1, ACK),
         c(ci + 1, si + 1, PSH | ACK, req),
         s(si + 1, ci + 1 + len(req), PSH | ACK, rep),
         c(ci + 1 + len(req), si + 1 + len(rep), ACK),
         c(ci + 1 + len(req), si + 1 + len(rep), FIN | ACK),
         s(si + 1 + len(rep), ci + 2 + len(req), FIN | ACK),
         c(ci + 2 + len(req), si + 2 + len(rep), ACK),
         c(ci + 2 + len(req), 0, RST, win=0)]
    write(f"{d}/fin-then-rst.pcap", pcap_bytes(P, LINKTYPE_ETHERNET))

    # syn-retransmit-same-isn: SYN, SYN (same ISN), SYN (same ISN), then the handshake completes, data, FINs
    c, s = conv(C, S, 50003, 7777, ci, si)
    P = [c(ci, 0, SYN, opts=SYN_OPTS),
         c(ci, 0, SYN, opts=SYN_OPTS),
         c(ci, 0, SYN, opts=SYN_OPTS),
         s(si, ci + 1, SYN | ACK, opts=SYN_OPTS),
         c(ci + 1, si + 1, ACK),
         c(ci + 1, si + 1, PSH | ACK, req),
         s(si + 1, ci + 1 + len(req), PSH | ACK, rep),
         c(ci + 1 + len(req), si + 1 + len(rep), FIN | ACK),
         s(si + 1 + len(rep), ci + 2 + len(req), FIN | ACK),
         c(ci + 2 + len(req), si + 2 + len(rep), ACK)]
    write(f"{d}/syn-retransmit-same-isn.pcap", pcap_bytes(P, LINKTYPE_ETHERNET))

    # bad-checksum-in-handshake: SYN-ACK with wrong TCP checksum, then a valid retransmitted SYN-ACK
    c, s = conv(C, S, 50004, 7777, ci, si)
    P = [c(ci, 0, SYN, opts=SYN_OPTS),
         s(si, ci + 1, SYN | ACK, opts=SYN_OPTS, bad_csum=True),
         s(si, ci + 1, SYN | ACK, opts=SYN_OPTS),
         c(ci + 1, si + 1, ACK),
         c(ci + 1, si + 1, PSH | ACK, req),
         s(si + 1, ci + 1 + len(req), PSH | ACK, rep),
         c(ci + 1 + len(req), si + 1 + len(rep), FIN | ACK),
         s(si + 1 + len(rep), ci + 2 + len(req), FIN | ACK),
         c(ci + 2 + len(req), si + 2 + len(rep), ACK)]
    write(f"{d}/bad-checksum-in-handshake.pcap", pcap_bytes(P, LINKTYPE_ETHERNET))


def from_real(out):
    """Files derived from real captures: byteswapped.pcap and the damaged/ truncations."""
    src = os.path.join(out, "tcp-handshake-data-fin.pcap")
    if not os.path.exists(src):
        print("skip byteswapped/damaged truncations: no", src)
        return
    hdr, recs, raw = read_pcap(src)
    magic, vmaj, vmin, tz, sigfigs, snap, lt = hdr
    be = struct.pack(">IHHiIII", magic, vmaj, vmin, tz, sigfigs, snap, lt)
    for s, f, cl, ol, data in recs:
        be += struct.pack(">IIII", s, f, cl, ol) + data
    write(os.path.join(out, "byteswapped.pcap"), be)

    d = os.path.join(out, "damaged")
    last_len = 16 + recs[-1][2]
    last_start = len(raw) - last_len
    write(f"{d}/truncated-record.pcap", raw[:last_start + 16 + recs[-1][2] // 2])
    write(f"{d}/truncated-record-header.pcap", raw[:last_start + 8])
    write(f"{d}/bad-magic.pcap", b"\xde\xad\xbe\xef" + raw[4:])
    write(f"{d}/empty.pcap", b"")
    write(f"{d}/short-global-header.pcap", raw[:10])
    first = 24 + 16 + recs[0][2]
    huge = raw[:first] + struct.pack("<IIII", recs[1][0], recs[1][1], 0x7FFFFFFF, 0x7FFFFFFF) + recs[1][4]
    write(f"{d}/huge-caplen.pcap", huge)

    ng = os.path.join(out, "tcp-handshake-data-fin.pcapng")
    if os.path.exists(ng):
        b = bytearray(open(ng, "rb").read())
        off = 0
        while off + 12 <= len(b):           # find the first Enhanced Packet Block (type 6)
            btype, blen = struct.unpack("<II", b[off:off + 8])
            if btype == 6:
                # leading block total length no longer a multiple of 4 and != trailing copy
                b[off + 4:off + 8] = struct.pack("<I", blen + 2)
                break
            off += blen
        write(f"{d}/pcapng-bad-block-length.pcapng", bytes(b))
    write(f"{d}/not-a-capture.txt",
          b"This is not a packet capture.\nSockeye must reject it with a format error, not crash.\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    args = p.parse_args()
    out = os.path.abspath(args.out)
    write(os.path.join(out, "malformed-packets.pcap"), pcap_bytes(malformed(), LINKTYPE_ETHERNET))
    pk, _ = all_options()
    write(os.path.join(out, "tcp-all-options.pcap"), pcap_bytes(pk, LINKTYPE_ETHERNET))
    linktypes(out)
    crafted(out)
    from_real(out)


if __name__ == "__main__":
    main()
