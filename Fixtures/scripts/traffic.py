#!/usr/bin/env python3
"""Traffic generators for the Sockeye fixture captures (Python 3 stdlib only).

Run one side per network namespace, e.g.
    ip netns exec sk-s python3 traffic.py server fin-client --ctl DIR
    ip netns exec sk-c python3 traffic.py client fin-client --ctl DIR --addr 10.77.0.2

The server touches DIR/ready once it listens; some scenarios use further marker files in DIR
(established / release / connected / go) so that make-fixtures.sh can start or stop tcpdump at the
right moment.  Every wait is bounded; every socket has a timeout.
"""
import argparse
import os
import selectors
import socket
import struct
import sys
import time

TCP_PORT = 7777          # TCP service port (not a Zeek "likely server port")
UDP_PORT = 7778          # UDP request/response port
UDP_SINK_PORT = 7779     # UDP one-way sink (bound but never answers: no ICMP unreachable)
CLOSED_PORT = 7999       # nothing listens here -> RST/ACK
REUSE_CLIENT_PORT = 40000
TIMEOUT = 10.0

SO_NO_CHECK = 11         # Linux: send IPv4 UDP datagrams with checksum 0


def log(*a):
    print(f"[{os.getpid()}]", *a, file=sys.stderr, flush=True)


def touch(ctl, name):
    with open(os.path.join(ctl, name), "w") as f:
        f.write(str(time.time()))


def wait_file(ctl, name, limit=10.0):
    deadline = time.monotonic() + limit
    path = os.path.join(ctl, name)
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        time.sleep(0.02)
    log("timeout waiting for", path)
    return False


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


def recv_until_eof(s, limit=1 << 20):
    buf = b""
    while len(buf) < limit:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        buf += chunk
    return buf


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def listener(addr, port, fam, backlog=128, fastopen=False):
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fastopen:
        ls.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
    ls.bind((addr, port))
    ls.listen(backlog)
    ls.settimeout(TIMEOUT)
    return ls


def connect(addr, port, bind_port=None, timeout=TIMEOUT, ipopts=None):
    s = socket.socket(family_of(addr), socket.SOCK_STREAM)
    s.settimeout(timeout)
    if ipopts:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, ipopts)
    if bind_port is not None:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("", bind_port))
    s.connect((addr, port))
    return s


def abort(s):
    """SO_LINGER {1, 0} + close() -> RST instead of FIN."""
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


REQ = b"GET /sockeye HTTP/1.0\r\n\r\n"          # 25 bytes
REPLY = b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nfixed\n"   # 45 bytes


# ----------------------------------------------------------------------------- servers

def serve(args):
    scen = args.scenario
    fam = socket.AF_INET6 if args.v6 else socket.AF_INET
    bind = "::" if args.v6 else "0.0.0.0"
    if scen in ("udp", "ipv6", "vlan", "lo", "ipopts", "snaplen"):
        return serve_mixed(args, fam, bind)
    nconn = {"port-reuse": 2, "many": 50, "open-at-end": 3, "ecn-tfo": 2}.get(scen, 1)
    ls = listener(bind, TCP_PORT, fam, fastopen=(scen == "ecn-tfo"))
    touch(args.ctl, "ready")
    if scen == "many":
        return serve_many(ls, nconn)
    conns = []
    for _ in range(nconn):
        c, peer = ls.accept()
        c.settimeout(TIMEOUT)
        log("accepted", peer)
        if scen == "open-at-end":
            recv_exact(c, len(REQ))
            c.sendall(REPLY)
            conns.append(c)
            continue
        handle(scen, c)
    for c in conns:               # open-at-end: close after the client does (outside the capture)
        recv_until_eof(c)
        c.close()
    ls.close()


def handle(scen, c):
    if scen in ("fin-client", "midstream", "ecn-tfo", "pcapng", "nano", "fin-plain"):
        recv_exact(c, len(REQ))
        c.sendall(REPLY)
        recv_until_eof(c)
        c.close()
    elif scen in ("fin-server", "port-reuse"):
        recv_exact(c, len(REQ))
        c.sendall(REPLY)
        c.close()
    elif scen == "abort-client":
        recv_exact(c, len(REQ))
        c.sendall(REPLY)
        try:
            recv_until_eof(c)
        finally:
            c.close()
    elif scen == "abort-server":
        recv_exact(c, len(REQ))
        c.sendall(REPLY)
        time.sleep(0.2)           # let the client ACK the reply first
        abort(c)
    elif scen == "half-close":
        req = recv_until_eof(c)   # client has shut down its sending side
        log("half-close request", len(req))
        for i in range(5):        # keep sending for a while after the client's FIN
            c.sendall(b"chunk %d of the half-closed reply\n" % i)
            time.sleep(0.1)
        c.close()
    elif scen == "simclose":
        req = recv_exact(c, len(REQ) + 20)
        barrier = float(req[len(REQ):].decode())
        c.sendall(REPLY)
        sleep_until(barrier)
        c.shutdown(socket.SHUT_WR)
        recv_until_eof(c)
        c.close()
    else:
        raise SystemExit("unknown server scenario " + scen)


def serve_many(ls, n):
    sel = selectors.DefaultSelector()
    ls.setblocking(False)
    sel.register(ls, selectors.EVENT_READ, None)
    got = {}
    accepted = closed = 0
    deadline = time.monotonic() + 20
    while closed < n and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            if key.data is None:
                try:
                    c, _ = ls.accept()
                except BlockingIOError:
                    continue
                c.setblocking(False)
                got[c] = b""
                accepted += 1
                sel.register(c, selectors.EVENT_READ, "c")
            else:
                c = key.fileobj
                try:
                    data = c.recv(4096)
                except (BlockingIOError, ConnectionResetError):
                    data = None
                if data:
                    got[c] += data
                    if got[c] == REQ:
                        c.sendall(REPLY)
                elif data == b"":
                    sel.unregister(c)
                    c.close()
                    closed += 1
    log("many: accepted", accepted, "closed", closed)
    ls.close()


def serve_mixed(args, fam, bind):
    """TCP (fin-client behaviour) + UDP echo on 7778 + UDP sink on 7779, until ctl/stop."""
    ls = listener(bind, TCP_PORT, fam)
    ls.setblocking(False)
    us = socket.socket(fam, socket.SOCK_DGRAM)
    us.bind((bind, UDP_PORT))
    sink = socket.socket(fam, socket.SOCK_DGRAM)
    sink.bind((bind, UDP_SINK_PORT))
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ, "listen")
    sel.register(us, selectors.EVENT_READ, "udp")
    sel.register(sink, selectors.EVENT_READ, "sink")
    touch(args.ctl, "ready")
    deadline = time.monotonic() + 30
    reply = REPLY * (20 if args.scenario == "snaplen" else 1)
    while time.monotonic() < deadline and not os.path.exists(os.path.join(args.ctl, "stop")):
        for key, _ in sel.select(timeout=0.1):
            if key.data == "listen":
                try:
                    c, _ = ls.accept()
                except BlockingIOError:
                    continue
                c.settimeout(TIMEOUT)
                recv_exact(c, len(REQ))
                c.sendall(reply)
                recv_until_eof(c)
                c.close()
            elif key.data == "udp":
                data, peer = us.recvfrom(2048)
                us.sendto(b"pong:" + data, peer)
            else:
                sink.recvfrom(2048)
    for s in (ls, us, sink):
        s.close()


# ----------------------------------------------------------------------------- clients

def sleep_until(t):
    d = t - time.time()
    if 0 < d < 5:
        time.sleep(d)


def client(args):
    scen = args.scenario
    a = args.addr
    if scen in ("fin-client", "ecn-tfo-plain", "pcapng", "nano", "fin-plain"):
        s = connect(a, TCP_PORT)
        s.sendall(REQ)
        recv_exact(s, len(REPLY))
        time.sleep(0.05)
        s.close()
    elif scen in ("fin-server",):
        s = connect(a, TCP_PORT)
        s.sendall(REQ)
        recv_until_eof(s)
        s.close()
    elif scen == "refused":
        for port in (CLOSED_PORT,):
            try:
                connect(a, port, timeout=3)
                log("unexpected: connected")
            except ConnectionRefusedError:
                log("refused as expected")
    elif scen == "abort-client":
        s = connect(a, TCP_PORT)
        s.sendall(REQ)
        recv_exact(s, len(REPLY))
        time.sleep(0.1)
        abort(s)
    elif scen == "abort-server":
        s = connect(a, TCP_PORT)
        s.sendall(REQ)
        recv_exact(s, len(REPLY))
        try:
            recv_until_eof(s)
        finally:
            s.close()
    elif scen == "half-close":
        s = connect(a, TCP_PORT)
        s.sendall(REQ)
        s.shutdown(socket.SHUT_WR)
        data = recv_until_eof(s)
        log("half-close got", len(data))
        s.close()
    elif scen == "syn-noanswer":
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, 2)
        s.settimeout(3.5)         # keeps every SYN within Zeek's 5 s tcp_attempt_delay
        t0 = time.monotonic()
        try:
            s.connect((a, TCP_PORT))
        except (socket.timeout, TimeoutError, OSError) as e:
            log("syn-noanswer:", type(e).__name__, round(time.monotonic() - t0, 2))
        s.close()
    elif scen == "port-reuse":
        for i in range(2):
            s = connect(a, TCP_PORT, bind_port=REUSE_CLIENT_PORT)
            s.sendall(REQ)
            recv_until_eof(s)     # server closes first -> TIME_WAIT sits on the server
            s.close()
            time.sleep(0.3)
    elif scen == "many":
        socks = []
        for i in range(50):
            socks.append(connect(a, TCP_PORT))
        for s in socks:
            s.sendall(REQ)
        for s in socks:
            recv_exact(s, len(REPLY))
        time.sleep(0.05)
        for s in socks:
            s.close()
        time.sleep(0.3)
    elif scen == "open-at-end":
        socks = [connect(a, TCP_PORT) for _ in range(3)]
        for s in socks:
            s.sendall(REQ)
            recv_exact(s, len(REPLY))
        touch(args.ctl, "established")
        wait_file(args.ctl, "release", 10)
        for s in socks:
            s.close()
    elif scen == "midstream":
        s = connect(a, TCP_PORT)
        time.sleep(0.2)           # handshake done and settled
        touch(args.ctl, "connected")
        wait_file(args.ctl, "go", 10)
        s.sendall(REQ)
        recv_exact(s, len(REPLY))
        time.sleep(0.05)
        s.close()
    elif scen == "ecn-tfo":
        for i in range(2):        # 1st: cookie request, data after handshake; 2nd: data on SYN
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.sendto(REQ, socket.MSG_FASTOPEN, (a, TCP_PORT))   # blocking socket: connect + data
            s.settimeout(TIMEOUT)
            recv_exact(s, len(REPLY))
            time.sleep(0.05)
            s.close()
            time.sleep(0.3)
    elif scen == "simclose":
        s = connect(a, TCP_PORT)
        barrier = time.time() + 0.6
        s.sendall(REQ + (b"%020.6f" % barrier))
        recv_exact(s, len(REPLY))
        sleep_until(barrier)
        s.shutdown(socket.SHUT_WR)
        recv_until_eof(s)
        s.close()
    elif scen in ("udp", "ipv6", "vlan", "lo", "ipopts", "snaplen"):
        mixed_client(args)
    else:
        raise SystemExit("unknown client scenario " + scen)


def udp_exchange(sock, dst, n, tag, expect_reply=True):
    for i in range(n):
        sock.sendto(b"%s-%d" % (tag, i), dst)
        if expect_reply:
            sock.recvfrom(2048)
        time.sleep(0.02)


def mixed_client(args):
    scen = args.scenario
    a = args.addr
    fam = family_of(a)
    ipopts = None
    if scen == "ipopts":
        # NOP + Record Route (len 39, pointer 4, 9 empty slots) = 40 bytes -> IHL 15
        ipopts = b"\x01" + bytes([7, 39, 4]) + bytes(36)
    if scen in ("ipv6", "vlan", "lo", "ipopts", "snaplen"):
        s = connect(a, TCP_PORT, ipopts=ipopts)
        s.sendall(REQ)
        expect = len(REPLY) * (20 if scen == "snaplen" else 1)
        recv_exact(s, expect)
        time.sleep(0.05)
        s.close()
        time.sleep(0.1)
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.settimeout(3)
    if scen == "ipopts":
        # IPv4 timestamp option: type 68, len 12, pointer 5, flags 0 (timestamps only), 2 slots
        u.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, bytes([68, 12, 5, 0]) + bytes(8))
    if scen == "snaplen":
        u.sendto(b"S" * 200, (a, UDP_PORT))
        u.recvfrom(4096)
    else:
        udp_exchange(u, (a, UDP_PORT), 3, b"ping")
    u.close()
    if scen == "udp":
        z = socket.socket(fam, socket.SOCK_DGRAM)
        z.settimeout(3)
        z.setsockopt(socket.SOL_SOCKET, SO_NO_CHECK, 1)   # our datagrams leave with UDP checksum 0
        udp_exchange(z, (a, UDP_PORT), 2, b"nocsum")
        z.close()
        o = socket.socket(fam, socket.SOCK_DGRAM)
        udp_exchange(o, (a, UDP_SINK_PORT), 3, b"oneway", expect_reply=False)
        o.close()
    if scen == "lo":
        try:
            connect(a, CLOSED_PORT, timeout=3)
        except ConnectionRefusedError:
            log("refused as expected")
    time.sleep(0.1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["server", "client"])
    p.add_argument("scenario")
    p.add_argument("--ctl", required=True)
    p.add_argument("--addr", default="10.77.0.2")
    p.add_argument("--v6", action="store_true")
    args = p.parse_args()
    if args.role == "server":
        serve(args)
    else:
        client(args)


if __name__ == "__main__":
    main()
