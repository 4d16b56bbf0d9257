#!/usr/bin/env python3
"""Crafts the pcapng fixtures under Fixtures/pcapng/ (draft-ietf-opsawg-pcapng).

Run from the repository root: python3 Fixtures/scripts/make-pcapng.py
Each fixture exercises what the corpus lacks; see Fixtures/README.md.
"""
import struct, os

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'Tests', 'PcapTests', 'PcapNGFixtures')

def pad(b):
    return b + b'\0' * (-len(b) % 4)

def opt(e, code, value):
    return struct.pack(e + 'HH', code, len(value)) + pad(value)

def opts(e, items):
    if not items:
        return b''
    return b''.join(opt(e, c, v) for c, v in items) + struct.pack(e + 'HH', 0, 0)

def block(e, btype, body):
    body = pad(body)
    n = len(body) + 12
    return struct.pack(e + 'II', btype, n) + body + struct.pack(e + 'I', n)

def shb(e, options=()):
    return block(e, 0x0A0D0D0A, struct.pack(e + 'IHHq', 0x1A2B3C4D, 1, 0, -1) + opts(e, list(options)))

def idb(e, link, snaplen, options=()):
    return block(e, 1, struct.pack(e + 'HHI', link, 0, snaplen) + opts(e, list(options)))

def epb(e, iface, units, data, wire=None, options=()):
    wire = len(data) if wire is None else wire
    return block(e, 6, struct.pack(e + 'IIIII', iface, units >> 32, units & 0xffffffff, len(data), wire)
                 + pad(data) + opts(e, list(options)))

def spb(e, data, wire=None):
    wire = len(data) if wire is None else wire
    return block(e, 3, struct.pack(e + 'I', wire) + data)

def pb(e, iface, drops, units, data):
    return block(e, 2, struct.pack(e + 'HHIIII', iface, drops, units >> 32, units & 0xffffffff, len(data), len(data))
                 + pad(data))

def isb(e, iface, units, recv, drop):
    return block(e, 5, struct.pack(e + 'III', iface, units >> 32, units & 0xffffffff)
                 + opts(e, [(4, struct.pack(e + 'Q', recv)), (5, struct.pack(e + 'Q', drop)), (1, b'stats')]))

def udp_eth(n):
    """An Ethernet/IPv4/UDP frame with a correct IPv4 checksum, payload n bytes."""
    payload = bytes((i * 7 + n) & 0xff for i in range(n))
    udp = struct.pack('!HHHH', 40000 + n, 53, 8 + len(payload), 0) + payload
    ip = bytearray(struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), n, 0, 64, 17, 0,
                               bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])))
    s = sum(struct.unpack('!10H', ip))
    s = (s & 0xffff) + (s >> 16); s = (s & 0xffff) + (s >> 16)
    ip[10:12] = struct.pack('!H', ~s & 0xffff)
    return bytes(ip) + udp

def eth(n):
    return b'\x02\0\0\0\0\x02' + b'\x02\0\0\0\0\x01' + b'\x08\x00' + udp_eth(n)

def raw(n):
    return udp_eth(n)

def sll(n):
    return struct.pack('!HHH8sH', 0, 1, 6, b'\x02\0\0\0\0\x01\0\0', 0x0800) + udp_eth(n)

T = 1_700_000_000  # seconds

def write(name, data):
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(data)

def main():
    os.makedirs(OUT, exist_ok=True)
    L, B = '<', '>'
    # Big-endian section, microsecond default, comments and flags.
    write('big-endian.pcapng', shb(B, [(1, b'big-endian section')]) + idb(B, 1, 65535)
          + b''.join(epb(B, 0, T * 10**6 + i * 1000 + 1, eth(i + 10),
                         options=[(1, b'pkt %d' % i), (2, struct.pack(B + 'I', 1 + (i & 1))),
                                  (4, struct.pack(B + 'Q', i))]) for i in range(4)))
    # libpcap-readable: one interface, nanosecond decimal tsresol, NRB/DSB/custom blocks between packets, ISB.
    nrb = block(L, 4, pad(struct.pack(L + 'HH4s', 1, 17, bytes([10, 0, 0, 1])) + b'host.example\0') + struct.pack(L + 'HH', 0, 0))
    dsb = block(L, 10, struct.pack(L + 'II', 0x544c534b, 4) + b'abcd')
    custom = block(L, 0xBAD, struct.pack(L + 'I', 32473) + b'custom data!')
    unknown = block(L, 0x12345, b'\x01\x02\x03\x04')
    write('blocks-nanosecond.pcapng', shb(L) + idb(L, 1, 262144, [(9, b'\x09'), (2, b'eth0')])
          + epb(L, 0, T * 10**9 + 123456789, eth(20)) + nrb + dsb
          + epb(L, 0, (T + 1) * 10**9 + 5, eth(21)) + custom + unknown
          + epb(L, 0, (T + 2) * 10**9 + 999999999, eth(22)) + isb(L, 0, (T + 3) * 10**9, 3, 0))
    # Two interfaces with different link types and snaplens, binary and decimal tsresol, tsoffset.
    write('multi-linktype.pcapng', shb(L)
          + idb(L, 1, 65535, [(9, b'\x86')])               # Ethernet, 2^-6 s
          + idb(L, 101, 64, [(9, b'\x03'), (14, struct.pack(L + 'q', 1000))])   # raw IP, ms, +1000 s, snaplen 64
          + idb(L, 113, 262144)                              # Linux SLL, default µs
          + epb(L, 0, T * 64 + 33, eth(30))
          + epb(L, 1, T * 1000 + 7, raw(100))               # cut to 64 by snaplen
          + epb(L, 2, T * 10**6 + 42, sll(5))
          + epb(L, 0, (T + 1) * 64 + 63, eth(31))
          + isb(L, 1, T * 1000 + 9, 10, 2))
    # Two sections: the second (big-endian) resets interfaces; SPB and obsolete PB.
    write('two-sections.pcapng', shb(L) + idb(L, 1, 96) + spb(L, eth(100)[:96], wire=len(eth(100))) + pb(L, 0, 7, T * 10**6 + 1, eth(1))
          + shb(B) + idb(B, 228, 0) + epb(B, 0, T * 10**6 + 2, raw(2)) + spb(B, raw(3)))
    # Truncated: a good file cut in the middle of its third packet block.
    good = shb(L) + idb(L, 1, 65535) + b''.join(epb(L, 0, T * 10**6 + i, eth(i)) for i in range(3))
    write('truncated-block.pcapng', good[:-20])
    # A block length that is not a multiple of 4 after one packet.
    bad = bytearray(shb(L) + idb(L, 1, 65535) + epb(L, 0, T * 10**6, eth(1)) + epb(L, 0, T * 10**6 + 1, eth(2)))
    second = len(bad) - len(epb(L, 0, T * 10**6 + 1, eth(2)))
    bad[second + 4:second + 8] = struct.pack(L + 'I', 30)
    write('bad-block-length.pcapng', bytes(bad))

main()
