#!/usr/bin/env python3
"""Wraps real inner traffic into tunnel headers this kernel cannot make (Fixtures/README.md, encap/).

    python3 wrap.py INNER.pcap OUTDIR

INNER.pcap is the real veth capture made by capture-inner.sh (Ethernet, full checksums): per
family one TCP connection (handshake, data both ways, FINs), one refused SYN (RST/ACK) and UDP
ping/pong pairs. Every inner frame is kept byte for byte (Teredo excepted: its inner IPv6
addresses are rewritten to Teredo/relay addresses and the TCP/UDP checksums recomputed) and
wrapped into outer headers built with scapy: all outer lengths, IPv4 header checksums, UDP
checksums and GRE checksums are computed; the capture timestamps are kept. The output is a
deterministic function of INNER.pcap (fixed addresses, ports, ids; no randomness).

Requires scapy (pip install scapy; made with 2.6/2.8).
"""
import os
import struct
import sys
import zlib

from scapy.all import Ether, IP, IPv6, UDP, TCP, GRE, Raw, rdpcap, raw
from scapy.layers.l2 import GRE_PPTP
from scapy.layers.ppp import PPPoE, PPPoED, PPPoED_Tags, PPPoETag, PPP
from scapy.contrib.mpls import MPLS
from scapy.contrib.erspan import ERSPAN_II, ERSPAN_III, ERSPAN_PlatformSpecific
from scapy.contrib.geneve import GENEVE, GeneveOptions
from scapy.layers.vxlan import VXLAN

MAC_A, MAC_B = "00:00:5e:00:53:01", "00:00:5e:00:53:02"   # RFC 7042 documentation MACs
CLIENT4, CLIENT6 = "10.90.0.1", "fd90::1"


class Inner:
    """One captured inner frame: its bytes, IP datagram, family, direction and flow."""

    def __init__(self, pkt):
        self.time = int(pkt.time * 1000000)   # µs (pcap's resolution), exact
        self.frame = raw(pkt)
        ether_type = struct.unpack("!H", self.frame[12:14])[0]
        self.v6 = ether_type == 0x86DD
        dgram = self.frame[14:]
        n = 40 + struct.unpack("!H", dgram[4:6])[0] if self.v6 else struct.unpack("!H", dgram[2:4])[0]
        self.ip = dgram[:n]
        ip = IPv6(self.ip) if self.v6 else IP(self.ip)
        self.client_to_server = ip.src in (CLIENT4, CLIENT6)
        self.udp = UDP in ip
        l4 = ip[UDP] if self.udp else ip[TCP]
        ports = sorted((l4.sport, l4.dport))
        self.flow = ("6" if self.v6 else "4") + ("u" if self.udp else "t") + "%d-%d" % tuple(ports)

    def entropy_port(self, salt):
        """A fixed UDP source port per (inner flow, direction), as tunnel endpoints hash the inner flow."""
        h = zlib.crc32(("%s/%s/%d" % (salt, self.flow, self.client_to_server)).encode())
        return 49152 + h % 16384


class Writer:
    def __init__(self, outdir, name):
        self.path = os.path.join(outdir, name)
        self.f = open(self.path, "wb")
        # pcap global header: little-endian, v2.4, µs timestamps, snaplen 262144, Ethernet
        self.f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        self.count = 0

    def add(self, frame_bytes, t):
        """One frame at `t` µs since the epoch; short frames padded to Ethernet's 60 bytes."""
        frame_bytes = frame_bytes + b"\x00" * max(0, 60 - len(frame_bytes))
        self.f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(frame_bytes), len(frame_bytes)) + frame_bytes)
        self.count += 1

    def close(self):
        self.f.close()
        print("%-32s %3d packets %6d bytes" % (os.path.basename(self.path), self.count, os.path.getsize(self.path)))


class IPIds:
    """IPv4 identification per outer direction, counting up from a fixed value."""

    def __init__(self, base):
        self.next = {True: base, False: base + 0x4000}

    def __call__(self, forward):
        v = self.next[forward]
        self.next[forward] = (v + 1) & 0xffff
        return v


def eth(forward, ether_type):
    return Ether(src=MAC_A if forward else MAC_B, dst=MAC_B if forward else MAC_A, type=ether_type)


def outer4(forward, a, b, proto, ids, **kw):
    return eth(forward, 0x0800) / IP(src=a if forward else b, dst=b if forward else a, proto=proto, ttl=64,
                                     flags="DF", id=ids(forward), **kw)


def outer6(forward, a, b, nh):
    return eth(forward, 0x86DD) / IPv6(src=a if forward else b, dst=b if forward else a, nh=nh, hlim=64)


def inner_ethertype(i):
    return 0x86DD if i.v6 else 0x0800


# ---------------------------------------------------------------------------------------------

def gre_ipv4(inner, w):
    """GRE v0 without options (RFC 2784), IPv4 in IPv4."""
    ids = IPIds(0x1000)
    for i in inner:
        if i.v6:
            continue
        f = i.client_to_server
        w.add(raw(outer4(f, "192.0.2.1", "192.0.2.2", 47, ids) / GRE(proto=0x0800) / Raw(i.ip)), i.time)


def gre_key_seq_ipv6inner(inner, w):
    """GRE v0 with checksum, key 0x00c0ffee and per-direction sequence numbers (RFC 2890), IPv6 in IPv6."""
    seq = {True: 1, False: 1}
    for i in inner:
        if not i.v6:
            continue
        f = i.client_to_server
        g = GRE(chksum_present=1, key_present=1, seqnum_present=1, key=0x00c0ffee, sequence_number=seq[f], proto=0x86DD)
        seq[f] += 1
        w.add(raw(outer6(f, "2001:db8:47::1", "2001:db8:47::2", 47) / g / Raw(i.ip)), i.time)


def gretap_ethernet(inner, w):
    """Transparent Ethernet bridging over GRE (protocol 0x6558, key 42): the whole inner frames."""
    ids = IPIds(0x2000)
    for i in inner:
        f = i.client_to_server
        w.add(raw(outer4(f, "192.0.2.1", "192.0.2.2", 47, ids) / GRE(key_present=1, key=42, proto=0x6558)
                  / Raw(i.frame)), i.time)


def erspan2(inner, w):
    """ERSPAN type II (GRE 0x88BE with sequence numbers), session 100: a switch mirrors both
    directions of the inner traffic to a collector, so every outer packet goes one way."""
    ids = IPIds(0x3000)
    for n, i in enumerate(inner):
        g = GRE(seqnum_present=1, sequence_number=n, proto=0x88BE)
        e = ERSPAN_II(ver=1, vlan=0, cos=0, en=3, t=0, session_id=100, index=7)
        w.add(raw(outer4(True, "192.0.2.10", "192.0.2.100", 47, ids) / g / e / Raw(i.frame)), i.time)


def erspan3(inner, w):
    """ERSPAN type III (GRE 0x22EB), session 200, hardware id 5, 100 µs timestamps; every third
    frame carries the 8-byte platform-specific subheader (O bit)."""
    ids = IPIds(0x3800)
    for n, i in enumerate(inner):
        g = GRE(seqnum_present=1, sequence_number=n, proto=0x22EB)
        ts = (i.time // 100) & 0xffffffff
        o = 1 if n % 3 == 2 else 0
        e = ERSPAN_III(ver=2, vlan=0, cos=0, bso=0, t=0, session_id=200, timestamp=ts, sgt_other=0, p=0, ft=0,
                       hw=5, d=1 if i.client_to_server else 0, gra=0, o=o)
        if o:
            e = e / ERSPAN_PlatformSpecific(platf_id=3, info1=0x1234, info2=0x5678)
        w.add(raw(outer4(True, "192.0.2.10", "192.0.2.100", 47, ids) / g / e / Raw(i.frame)), i.time)


def mpls_two_labels(inner, w):
    """MPLS on Ethernet (0x8847) with two labels (transport label, then the VPN label with S=1)."""
    for i in inner:
        f = i.client_to_server
        labels = (16001, 24001) if f else (16002, 24002)
        p = eth(f, 0x8847) / MPLS(label=labels[0], cos=0, s=0, ttl=63) / MPLS(label=labels[1], cos=0, s=1, ttl=63)
        w.add(raw(p / Raw(i.ip)), i.time)


def mpls_over_udp(inner, w):
    """MPLS-in-UDP (RFC 7510): UDP destination port 6635, the source port an entropy value per
    inner flow and direction, one label (S=1), UDP checksum computed."""
    ids = IPIds(0x4000)
    for i in inner:
        f = i.client_to_server
        p = outer4(f, "203.0.113.1", "203.0.113.2", 17, ids) / UDP(sport=i.entropy_port("mplsudp"), dport=6635)
        w.add(raw(p / MPLS(label=3000 if f else 3001, s=1, ttl=64) / Raw(i.ip)), i.time)


def mpls_over_gre(inner, w):
    """MPLS over GRE (RFC 4023, GRE protocol 0x8847), one label."""
    ids = IPIds(0x4800)
    for i in inner:
        f = i.client_to_server
        p = outer4(f, "192.0.2.1", "192.0.2.2", 47, ids) / GRE(proto=0x8847) / MPLS(label=500, s=1, ttl=64)
        w.add(raw(p / Raw(i.ip)), i.time)


def pppoe_session(inner, w):
    """PPPoE (RFC 2516): discovery PADI/PADO/PADR/PADS (0x8863) before the traffic, the traffic as
    session frames (0x8864, session 0x2a01, PPP protocol 0x0021/0x0057), PADT at the end.
    The client (inner 10.90.0.1) is MAC_A, the access concentrator MAC_B."""
    sid = 0x2a01
    t0, t1 = inner[0].time, inner[-1].time
    tags = lambda *t: PPPoED_Tags(tag_list=[PPPoETag(tag_type=a, tag_value=b) for a, b in t])
    svc, uniq, ac = (0x0101, b""), (0x0103, b"\x00\x00\x00\x2a"), (0x0102, b"bras-doc")
    disc = [
        (Ether(src=MAC_A, dst="ff:ff:ff:ff:ff:ff", type=0x8863) / PPPoED(code=0x09, sessionid=0) / tags(svc, uniq)),
        (Ether(src=MAC_B, dst=MAC_A, type=0x8863) / PPPoED(code=0x07, sessionid=0) / tags(svc, uniq, ac)),
        (Ether(src=MAC_A, dst=MAC_B, type=0x8863) / PPPoED(code=0x19, sessionid=0) / tags(svc, uniq)),
        (Ether(src=MAC_B, dst=MAC_A, type=0x8863) / PPPoED(code=0x65, sessionid=sid) / tags(svc, uniq)),
    ]
    for n, p in enumerate(disc):
        w.add(raw(p), t0 - (len(disc) - n) * 10000)   # 10 ms steps
    for i in inner:
        f = i.client_to_server
        p = eth(f, 0x8864) / PPPoE(sessionid=sid) / PPP(proto=0x0057 if i.v6 else 0x0021) / Raw(i.ip)
        w.add(raw(p), i.time)
    w.add(raw(Ether(src=MAC_A, dst=MAC_B, type=0x8863) / PPPoED(code=0xa7, sessionid=sid) / PPPoED_Tags(tag_list=[])),
          t1 + 10000)


def gtp_header(teid, payload, seq=None, ext=None, msg=255):
    """GTPv1-U (TS 29.281 §5): flags, type, length (after the first 8 bytes), TEID, then the
    optional sequence number / N-PDU / next extension type when S or E is set, then extensions."""
    flags = 0x30
    opt = b""
    if seq is not None or ext is not None:
        flags |= (0x02 if seq is not None else 0) | (0x04 if ext is not None else 0)
        opt = struct.pack("!HBB", seq or 0, 0, 0x85 if ext is not None else 0)
    if ext is not None:   # PDU Session Container (TS 38.415): 4 bytes, then "no more extensions"
        pdu_type, qfi = ext
        opt += struct.pack("!BBBB", 1, pdu_type << 4, qfi & 0x3f, 0)
    body = opt + payload
    return struct.pack("!BBHI", flags, msg, len(body), teid) + body


def gtpu(inner, w):
    """GTP-U on UDP 2152 between an eNB/gNB (192.0.2.10) and a UPF (192.0.2.20). Uplink TEID
    0x00010001, downlink 0x00020002. An echo request/response pair (S bit, no T-PDU) first.
    IPv4 TCP: no optional fields; IPv4 UDP: the S bit with a sequence number; IPv6 TCP: E bit with
    a PDU Session Container (UL type 1 / DL type 0, QFI 9); IPv6 UDP: S and E together."""
    ids = IPIds(0x5000)
    up, down = 0x00010001, 0x00020002
    seq = {True: 100, False: 200}

    def send(f, payload, t):
        p = outer4(f, "192.0.2.10", "192.0.2.20", 17, ids) / UDP(sport=2152, dport=2152) / Raw(payload)
        w.add(raw(p), t)

    t0 = inner[0].time
    send(True, gtp_header(0, struct.pack("!BB", 14, 0), seq=1, msg=1), t0 - 20000)   # echo request + Recovery IE
    send(False, gtp_header(0, struct.pack("!BB", 14, 0), seq=1, msg=2), t0 - 10000)   # echo response
    for i in inner:
        f = i.client_to_server
        teid = up if f else down
        s = e = None
        if i.udp:
            s = seq[f]
            seq[f] += 1
        if i.v6:
            e = (1 if f else 0, 9)
        send(f, gtp_header(teid, i.ip, seq=s, ext=e), i.time)


def geneve_options(inner, w):
    """Geneve (RFC 8926) on UDP 6081, VNI 0x0abcde, source port an entropy value per inner flow
    and direction. TCP as Ethernet frames (protocol 0x6558), UDP as IP directly (0x0800/0x86DD);
    options: IPv4 one TLV (class 0x0102 type 0x80, 4 bytes), IPv6 two TLVs (4 and 8 bytes)."""
    ids = IPIds(0x6000)
    for i in inner:
        f = i.client_to_server
        opts = [GeneveOptions(classid=0x0102, type=0x80, data=b"\x00\x00\x00\x01")]
        if i.v6:
            opts.append(GeneveOptions(classid=0xffff, type=0x11, data=b"sockeye!"))
        g = GENEVE(vni=0x0abcde, proto=inner_ethertype(i) if i.udp else 0x6558, options=opts)
        p = outer4(f, "192.0.2.1", "192.0.2.2", 17, ids) / UDP(sport=i.entropy_port("geneve"), dport=6081) / g
        w.add(raw(p / Raw(i.ip if i.udp else i.frame)), i.time)


def ipip_4in4(inner, w):
    """IPv4 in IPv4 (RFC 2003, protocol 4)."""
    ids = IPIds(0x7000)
    for i in inner:
        if not i.v6:
            w.add(raw(outer4(i.client_to_server, "192.0.2.1", "192.0.2.2", 4, ids) / Raw(i.ip)), i.time)


def sit_6in4(inner, w):
    """IPv6 in IPv4 (RFC 4213 §3.5, protocol 41), as a sit/6in4 tunnel sends it."""
    ids = IPIds(0x7800)
    for i in inner:
        if i.v6:
            w.add(raw(outer4(i.client_to_server, "198.51.100.1", "198.51.100.2", 41, ids) / Raw(i.ip)), i.time)


def ip6tnl_4in6_6in6(inner, w):
    """IPv4 and IPv6 in IPv6 (RFC 2473, next header 4 / 41), as ip6tnl mode any sends them."""
    for i in inner:
        nh = 41 if i.v6 else 4
        w.add(raw(outer6(i.client_to_server, "2001:db8:a::1", "2001:db8:b::1", nh) / Raw(i.ip)), i.time)


def teredo(inner, w):
    """Teredo (RFC 4380) between a client behind a cone NAT (mapped 198.51.100.7:40000) and a relay
    (203.0.113.1:3544). The inner IPv6 traffic is rewritten: fd90::1 becomes the client's Teredo
    address 2001:0:cb00:7135:8000:<~40000>:<~198.51.100.7> (server 203.0.113.53), fd90::2 the
    native host 2001:db8:90::2 behind the relay; TCP/UDP checksums recomputed. A bubble (IPv6 with
    next header 59, no payload) opens the exchange; the client's SYN carries an authentication
    indicator (no id, no auth value, nonce, confirmation 0); the relay's SYN-ACK and UDP replies
    carry an origin indication (port 3544 and 203.0.113.1, obfuscated)."""
    ids = IPIds(0x8000)
    mapped_ip, mapped_port, relay_ip = "198.51.100.7", 40000, "203.0.113.1"
    octets = [int(x) for x in mapped_ip.split(".")]
    obf_ip = (~((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3])) & 0xffffffff
    client6 = "2001:0:cb00:7135:8000:%x:%x:%x" % ((~mapped_port) & 0xffff, obf_ip >> 16, obf_ip & 0xffff)
    server6 = "2001:db8:90::2"
    relay_octets = [int(x) for x in relay_ip.split(".")]
    origin = struct.pack("!HHI", 0, (~3544) & 0xffff,
                         (~((relay_octets[0] << 24) | (relay_octets[1] << 16) | (relay_octets[2] << 8) | relay_octets[3]))
                         & 0xffffffff)
    auth = struct.pack("!HBB", 1, 0, 0) + b"\x5a\x5a\x12\x34\x56\x78\x9a\xbc" + b"\x00"

    def send(f, payload, t):
        p = eth(f, 0x0800) / IP(src=mapped_ip if f else relay_ip, dst=relay_ip if f else mapped_ip, proto=17,
                                ttl=64, id=ids(f)) / UDP(sport=mapped_port if f else 3544, dport=3544 if f else mapped_port)
        w.add(raw(p / Raw(payload)), t)

    v6 = [i for i in inner if i.v6]
    send(True, raw(IPv6(src=client6, dst=server6, nh=59, hlim=21, plen=0)), v6[0].time - 5000)   # bubble
    for i in v6:
        f = i.client_to_server
        ip = IPv6(i.ip)
        ip.src, ip.dst = (client6, server6) if f else (server6, client6)
        l4 = ip[UDP] if i.udp else ip[TCP]
        del l4.chksum
        pre = b""
        if not i.udp and f and l4.flags == "S":
            pre = auth
        if not f and (i.udp or l4.flags == "SA"):
            pre = origin
        send(f, pre + raw(ip), i.time)


def pptp_gre_v1(inner, w):
    """PPTP's enhanced GRE (RFC 2637 §4.1, version 1, protocol 0x880B) between a PAC
    (198.51.100.1, on the inner client's side) and a PNS (203.0.113.5): key field = payload
    length + the peer's call id (the PAC sends call id 0x4001, the PNS 0x8002), a sequence number on every data packet, an
    acknowledgment piggybacked on the first data packet after receiving, and an ack-only packet
    (no S, no payload) after the last UDP datagram of each family. PPP with address/control
    0xFF 0x03 and protocol 0x0021 (IPv4); IPv6 (0x0057)."""
    ids = IPIds(0x9000)
    seq = {True: 0, False: 0}
    last_rx = {True: None, False: None}   # highest sequence number received by that side
    acked = {True: None, False: None}
    pns, pac = "203.0.113.5", "198.51.100.1"

    def send(f, data, t):
        ack = last_rx[f] if last_rx[f] is not None and last_rx[f] != acked[f] else None
        if data is None and ack is None:
            return
        kw = dict(call_id=0x4001 if f else 0x8002)
        if data is not None:
            kw.update(seqnum_present=1, sequence_number=seq[f])
        if ack is not None:
            kw.update(acknum_present=1, ack_number=ack)
            acked[f] = ack
        g = GRE_PPTP(**kw)
        p = outer4(f, pac, pns, 47, ids) / g
        if data is not None:
            p = p / Raw(data)
            last_rx[not f] = seq[f]
            seq[f] += 1
        w.add(raw(p), t)

    prev = None
    for i in inner:
        f = i.client_to_server
        send(f, b"\xff\x03" + struct.pack("!H", 0x0057 if i.v6 else 0x0021) + i.ip, i.time)
        prev = i
        if i.udp and not f:
            nxt = inner.index(i) + 1
            if nxt == len(inner) or inner[nxt].v6 != i.v6:
                send(True, None, i.time + 500)   # ack-only from the PAC side


def vxlan_gpe(inner, w):
    """VXLAN-GPE (draft-ietf-nvo3-vxlan-gpe) on UDP 4790, VNI 77: flags I+P; TCP as IPv4/IPv6
    directly (next protocol 1/2), UDP as Ethernet frames (next protocol 3)."""
    ids = IPIds(0xa000)
    for i in inner:
        f = i.client_to_server
        nxt = 3 if i.udp else (2 if i.v6 else 1)
        body = struct.pack("!BBBB", 0x0c, 0, 0, nxt) + struct.pack("!I", 77 << 8)
        p = outer4(f, "192.0.2.1", "192.0.2.2", 17, ids) / UDP(sport=i.entropy_port("gpe"), dport=4790)
        w.add(raw(p / Raw(body + (i.frame if i.udp else i.ip))), i.time)


FIXTURES = [
    ("gre-ipv4.pcap", gre_ipv4),
    ("gre-key-seq-ipv6inner.pcap", gre_key_seq_ipv6inner),
    ("gretap-ethernet.pcap", gretap_ethernet),
    ("erspan2.pcap", erspan2),
    ("erspan3.pcap", erspan3),
    ("mpls-two-labels.pcap", mpls_two_labels),
    ("mpls-over-udp.pcap", mpls_over_udp),
    ("mpls-over-gre.pcap", mpls_over_gre),
    ("pppoe-session.pcap", pppoe_session),
    ("gtpu.pcap", gtpu),
    ("geneve-options.pcap", geneve_options),
    ("ipip-4in4.pcap", ipip_4in4),
    ("sit-6in4.pcap", sit_6in4),
    ("ip6tnl-4in6-6in6.pcap", ip6tnl_4in6_6in6),
    ("teredo.pcap", teredo),
    ("pptp-gre-v1.pcap", pptp_gre_v1),
    ("vxlan-gpe.pcap", vxlan_gpe),
]

if __name__ == "__main__":
    src, outdir = sys.argv[1], sys.argv[2]
    inner = [Inner(p) for p in rdpcap(src)]
    for name, fn in FIXTURES:
        w = Writer(outdir, name)
        fn(inner, w)
        w.close()
