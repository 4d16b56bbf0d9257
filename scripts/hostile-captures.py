#!/usr/bin/env python3
"""Hostile-input captures for resource tests (stdlib only, deterministic).

  hostile-captures.py syn-flood N OUT.pcap   N SYNs, each from a distinct 5-tuple, 1 µs apart
  hostile-captures.py ooo N OUT.pcap         one connection: handshake, N 100-byte data segments
                                              sent in a scrambled order (blocks of 64 reversed,
                                              every 7th segment repeated), then FIN/ACK both ways

Frames are Ethernet/IPv4/TCP with valid checksums; classic pcap, microsecond timestamps.
"""
import struct
import sys


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def frame(src, dst, sport, dport, seq, ack, flags, payload=b"", ident=0):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = struct.pack("!IIBBH", src, dst, 0, 6, len(tcp))
    c = csum(pseudo + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + len(tcp), ident & 0xFFFF, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"
    f = eth + ip + tcp
    return f + b"\0" * max(0, 60 - len(f))


class Writer:
    def __init__(self, path):
        self.f = open(path, "wb", buffering=1 << 20)
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.t = 1_700_000_000_000_000  # µs

    def write(self, data, step_us=1):
        self.t += step_us
        self.f.write(struct.pack("<IIII", self.t // 1_000_000, self.t % 1_000_000, len(data), len(data)))
        self.f.write(data)

    def close(self):
        self.f.close()


SYN, ACK, FIN, PSH = 0x02, 0x10, 0x01, 0x08


def syn_flood(n, out):
    w = Writer(out)
    dst = 0xC6120001  # 198.18.0.1 (RFC 2544 benchmarking range)
    for i in range(n):
        src = 0x0A000000 | (i >> 14)          # 10.x.y.z
        sport = 1024 + (i & 0x3FFF)
        w.write(frame(src, dst, sport, 80, (i * 2654435761) & 0xFFFFFFFF, 0, SYN, ident=i))
    w.close()


def ooo(n, out):
    w = Writer(out)
    c, s = 0x0A000001, 0xC6120001
    cp, sp = 40000, 80
    isn_c, isn_s = 1000, 5000
    w.write(frame(c, s, cp, sp, isn_c, 0, SYN))
    w.write(frame(s, c, sp, cp, isn_s, isn_c + 1, SYN | ACK))
    w.write(frame(c, s, cp, sp, isn_c + 1, isn_s + 1, ACK))
    payload = bytes(range(100))
    order = []
    for block in range(0, n, 64):
        order.extend(reversed(range(block, min(block + 64, n))))
    for k, i in enumerate(order):
        seq = (isn_c + 1 + 100 * i) & 0xFFFFFFFF
        w.write(frame(c, s, cp, sp, seq, isn_s + 1, PSH | ACK, payload, ident=k))
        if k % 7 == 0:
            w.write(frame(c, s, cp, sp, seq, isn_s + 1, PSH | ACK, payload, ident=k))  # retransmission
        if k % 64 == 63:
            w.write(frame(s, c, sp, cp, isn_s + 1, (isn_c + 1 + 100 * (i + 64)) & 0xFFFFFFFF, ACK))
    end = (isn_c + 1 + 100 * n) & 0xFFFFFFFF
    w.write(frame(c, s, cp, sp, end, isn_s + 1, FIN | ACK))
    w.write(frame(s, c, sp, cp, isn_s + 1, end + 1, FIN | ACK))
    w.write(frame(c, s, cp, sp, end + 1, isn_s + 2, ACK))
    w.close()


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("syn-flood", "ooo"):
        sys.exit(__doc__)
    {"syn-flood": syn_flood, "ooo": ooo}[sys.argv[1]](int(sys.argv[2]), sys.argv[3])
