#!/usr/bin/env python3
"""Delay relay: bridges two interfaces with AF_PACKET sockets, holding every frame for DELAY seconds.

Runs inside a middle namespace between two veth pairs (client <-> m1 | relay | m2 <-> server).
netem is not available on this kernel, so this user-space relay gives the path its delay.
Frames are forwarded verbatim (no MAC rewriting); frames we sent ourselves (PACKET_OUTGOING) are
ignored.  With --tag IF=TPID:VID[,TPID:VID...] the interface IF is a VLAN "trunk": frames sent out of IF
get those tags pushed (outermost first) and frames received on IF have inline 802.1Q/802.1ad tags
popped (the kernel may already have moved the outer tag to packet metadata).  This is how the
802.1Q capture is made, because this kernel lacks the 8021q module and bridge VLAN filtering.  Stops after --duration seconds or when the --stop file appears.  Stdlib only.
"""
import argparse
import heapq
import os
import select
import socket
import struct
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def open_if(name):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((name, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
    return s


def main():
    p = argparse.ArgumentParser()
    p.add_argument("if_a")
    p.add_argument("if_b")
    p.add_argument("--delay", type=float, default=0.020)
    p.add_argument("--duration", type=float, default=30.0)
    p.add_argument("--stop", default=None)
    p.add_argument("--ready", default=None)
    p.add_argument("--pair", action="append", default=[], help="extra pair IF_A:IF_B")
    p.add_argument("--tag", action="append", default=[], help="IF=TPID:VID[,TPID:VID]")
    args = p.parse_args()

    other, names = {}, {}
    for x, y in [(args.if_a, args.if_b)] + [tuple(pp.split(":")) for pp in args.pair]:
        sx, sy = open_if(x), open_if(y)
        other[sx], other[sy] = sy, sx
        names[sx], names[sy] = x, y
    tags = {}
    for t in args.tag:
        ifn, spec = t.split("=")
        hdr = b""
        for item in spec.split(","):
            tpid, vid = item.split(":")
            hdr += struct.pack("!HH", int(tpid, 16), int(vid))
        tags[ifn] = hdr
    socks = list(other)
    queue = []            # (due, seq, out_socket, frame)
    seq = 0
    forwarded = 0
    if args.ready:
        open(args.ready, "w").close()
    end = time.monotonic() + args.duration
    while time.monotonic() < end:
        if args.stop and os.path.exists(args.stop) and not queue:
            break
        now = time.monotonic()
        timeout = 0.05 if not queue else max(0.0, min(0.05, queue[0][0] - now))
        r, _, _ = select.select(socks, [], [], timeout)
        for s in r:
            frame, addr = s.recvfrom(65535)
            if addr[2] == PACKET_OUTGOING:
                continue
            if names[s] in tags:                      # trunk -> access: pop inline tags
                while len(frame) >= 18 and frame[12:14] in (b"\x81\x00", b"\x88\xa8"):
                    frame = frame[:12] + frame[16:]
            out = other[s]
            if names[out] in tags:                    # access -> trunk: push tags
                frame = frame[:12] + tags[names[out]] + frame[12:]
            seq += 1
            heapq.heappush(queue, (time.monotonic() + args.delay, seq, out, frame))
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, out, frame = heapq.heappop(queue)
            out.send(frame)
            forwarded += 1
    print("relay forwarded", forwarded, "frames", flush=True)


if __name__ == "__main__":
    main()
