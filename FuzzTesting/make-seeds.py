#!/usr/bin/env python3
"""Builds the seed corpora for the Sockeye fuzz targets from capture files.

    make-seeds.py OUT_DIR CAPTURE_OR_DIR...

Writes OUT_DIR/<target>/<sha1> files (nothing is copied into the repository):
  decode/      [link selector][wire selector][frame]   one per distinct frame
  roundtrip/   [link selector][frame]
  capturefile/ small pcap files (file header + a few records), pcapng files cut to 16 KiB
  checksum/    a few structured inputs covering each mode and flip class
  analyzer/    a few segment-descriptor programs

The link selector is FuzzHarness.linkTypes' index (0 ethernet, 1 null, 2 loop, 3 raw,
4 sll, 5 sll2, 6 ipv4, 7 ipv6; 8 = unsupported). Captures are read with a small pcap/pcapng
parser here (no libpcap), so damaged files simply yield fewer frames.
"""
import hashlib
import os
import struct
import sys

LINK_SELECTOR = {1: 0, 0: 1, 108: 2, 12: 3, 14: 3, 101: 3, 113: 4, 276: 5, 228: 6, 229: 7}
MAX_FRAMES_PER_FILE = 300
MAX_FRAME = 4096


def frames_pcap(data):
    """Yields (linktype, caplen-bytes, origlen) from a classic pcap file."""
    if len(data) < 24:
        return
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
    off = 24
    while off + 16 <= len(data):
        _, _, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        if incl > 262144 or off + incl > len(data):
            return
        yield linktype, data[off:off + incl], orig
        off += incl


def frames_pcapng(data):
    e = "<"
    off = 0
    links = []
    while off + 12 <= len(data):
        btype = struct.unpack(e + "I", data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            bom = data[off + 8:off + 12]
            e = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
        blen = struct.unpack(e + "I", data[off + 4:off + 8])[0]
        if blen < 12 or off + blen > len(data):
            return
        body = data[off + 8:off + blen - 4]
        if btype == 1 and len(body) >= 8:
            links.append(struct.unpack(e + "H", body[:2])[0])
        elif btype == 6 and len(body) >= 20:
            iface, _, _, cap, orig = struct.unpack(e + "IIIII", body[:20])
            if iface < len(links) and cap <= len(body) - 20:
                yield links[iface], body[20:20 + cap], orig
        elif btype == 3 and len(body) >= 4 and links:
            orig = struct.unpack(e + "I", body[:4])[0]
            yield links[0], body[4:4 + min(orig, len(body) - 4)], orig
        elif btype == 2 and len(body) >= 20:
            iface, _, _, _, cap, orig = struct.unpack(e + "HHIIII", body[:20])
            if iface < len(links) and cap <= len(body) - 20:
                yield links[iface], body[20:20 + cap], orig
        off += blen


def small_pcaps(data, path):
    """Cuts a capture into small files a fuzzer can mutate."""
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        yield data[:16384]
        return
    if len(data) < 24:
        yield data
        return
    header = data[:24]
    e = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    off, chunk, count = 24, b"", 0
    while off + 16 <= len(data) and count < 40:
        incl = struct.unpack(e + "I", data[off + 8:off + 12])[0]
        rec = data[off:off + 16 + incl]
        off += 16 + incl
        if len(chunk) + len(rec) > 4096 and chunk:
            yield header + chunk
            count += 1
            chunk = b""
        chunk += rec[:16 + 4096]
    if chunk or count == 0:
        yield header + chunk + data[off:off + 64]


def write(out, target, blob):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(blob).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(blob)


def checksum_seeds(out):
    import random
    rng = random.Random(1)
    for mode in range(0, 24):
        for flip in range(4):
            head = bytes([mode << 2 | (mode & 3), flip, rng.randrange(256), rng.randrange(256), rng.randrange(1, 256)])
            write(out, "checksum", head + bytes(rng.randrange(256) for _ in range(rng.randrange(40, 200))))


def analyzer_seeds(out):
    # See FuzzHarness.runAnalyzer: [config][descriptor…], 8 bytes per descriptor.
    # A handshake, data both ways, FIN/FIN on flow 0; a rejected SYN on flow 1.
    SYN, ACK, FIN, RST, PSH = 0x02, 0x10, 0x01, 0x04, 0x08
    def seg(flow, reverse, flags, length=0, seq=0, ack=0, dt=1, bad=False):
        b0 = flow | (0x04 if reverse else 0) | (0x08 if bad else 0)
        return bytes([b0, flags, seq, ack, length, 0xff, dt, 0])
    prog = [seg(0, 0, SYN), seg(0, 1, SYN | ACK), seg(0, 0, ACK), seg(0, 0, PSH | ACK, 10),
            seg(0, 1, PSH | ACK, 20), seg(0, 0, FIN | ACK), seg(0, 1, FIN | ACK), seg(0, 0, ACK)]
    write(out, "analyzer", bytes([0]) + b"".join(prog))
    write(out, "analyzer", bytes([1]) + seg(1, 0, SYN) + seg(1, 1, RST | ACK) + b"".join(prog[:4]))
    write(out, "analyzer", bytes([2]) + seg(2, 0, SYN) + seg(2, 0, SYN, dt=200) + seg(2, 1, SYN | ACK) +
          seg(2, 0, RST))


def main():
    out = sys.argv[1]
    paths = []
    for p in sys.argv[2:]:
        if os.path.isdir(p):
            for root, _, files in os.walk(p):
                paths += [os.path.join(root, f) for f in files if f.endswith((".pcap", ".pcapng", ".cap"))]
        elif os.path.exists(p):
            paths.append(p)
    seen = set()
    for path in sorted(paths):
        with open(path, "rb") as f:
            data = f.read()
        reader = frames_pcapng if data[:4] == b"\x0a\x0d\x0d\x0a" else frames_pcap
        n = 0
        try:
            for linktype, frame, orig in reader(data):
                frame = frame[:MAX_FRAME]
                sel = LINK_SELECTOR.get(linktype, 8)
                key = (sel, frame)
                if key in seen:
                    continue
                seen.add(key)
                extra = orig - len(frame)
                wire = 0 if extra <= 0 else (extra if extra < 128 else min(254, 127 + (extra + 1023) // 1024))
                write(out, "decode", bytes([sel, wire]) + frame)
                write(out, "roundtrip", bytes([sel]) + frame)
                n += 1
                if n >= MAX_FRAMES_PER_FILE:
                    break
        except struct.error:
            pass
        for blob in small_pcaps(data, path):
            write(out, "capturefile", blob)
    checksum_seeds(out)
    analyzer_seeds(out)
    for t in sorted(os.listdir(out)):
        print(f"{t}: {len(os.listdir(os.path.join(out, t)))} seeds")


if __name__ == "__main__":
    main()
