#!/usr/bin/env python3
"""Inner traffic for the crafted tunnel fixtures (Python 3 stdlib only; see Fixtures/README.md, encap/).

    ip netns exec A python3 encap-traffic.py server V4 V6   # serves TCP 7777, UDP echo 7778 (20 s at most)
    ip netns exec B python3 encap-traffic.py client V4 V6   # talks to the server's V4/V6 addresses

Per address family the client makes: one TCP connection (25-byte request, 44-byte reply, the
client closes first: Zeek SF ShADadFf), one SYN to closed port 7999 (RST/ACK: REJ Sr), and UDP
ping/pong pairs to 7778 (3 over IPv4, 2 over IPv6: SF Dd). Every socket has a timeout.
"""
import socket, sys, threading, time

TCP_PORT, UDP_PORT, CLOSED_PORT, TIMEOUT = 7777, 7778, 7999, 5.0


def serve_tcp(fam, addr):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, TCP_PORT)); s.listen(4)
    while True:
        c, _ = s.accept(); c.settimeout(TIMEOUT)
        try:
            req = c.recv(4096)
            c.sendall(b"HTTP/1.0 200 OK\r\nlen: %04d\r\n\r\nhello-tunnel!!" % len(req))
            while c.recv(4096):      # until the client's FIN
                pass
        except OSError:
            pass
        c.close()


def serve_udp(fam, addr):
    s = socket.socket(fam, socket.SOCK_DGRAM); s.bind((addr, UDP_PORT))
    while True:
        d, a = s.recvfrom(2048); s.sendto(b"pong:" + d, a)


def client(v4, v6):
    for fam, addr, pings in ((socket.AF_INET, v4, 3), (socket.AF_INET6, v6, 2)):
        c = socket.create_connection((addr, TCP_PORT), timeout=TIMEOUT)
        c.sendall(b"GET /tunnel HTTP/1.0\r\n\r\n\r")        # 25 bytes
        got = b""
        while len(got) < 44:
            chunk = c.recv(4096)
            if not chunk:
                break
            got += chunk
        time.sleep(0.05)
        c.close()
        time.sleep(0.1)
        r = socket.socket(fam, socket.SOCK_STREAM); r.settimeout(TIMEOUT)
        try:
            r.connect((addr, CLOSED_PORT))
        except ConnectionRefusedError:
            pass
        r.close()
        time.sleep(0.05)
        u = socket.socket(fam, socket.SOCK_DGRAM); u.settimeout(TIMEOUT)
        for i in range(pings):
            u.sendto(b"ping %d from the inner client" % i, (addr, UDP_PORT)); u.recvfrom(2048)
            time.sleep(0.02)
        u.close()
        time.sleep(0.1)


if __name__ == "__main__":
    role, v4, v6 = sys.argv[1:4]
    if role == "server":
        for f in (serve_tcp, serve_udp):
            for fam, a in ((socket.AF_INET, v4), (socket.AF_INET6, v6)):
                threading.Thread(target=f, args=(fam, a), daemon=True).start()
        threading.Event().wait(20)
    else:
        client(v4, v6)
