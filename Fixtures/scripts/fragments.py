#!/usr/bin/env python3
"""UDP traffic that the sending kernel fragments (ip-fragments.pcap, see make-fixtures.sh).

  fragments.py server ADDR4 ADDR6   # echo server: replies to each datagram with a 2500-byte one
  fragments.py client ADDR4 ADDR6   # 3 IPv4 + 2 IPv6 datagrams of 3000-5000 bytes, waits for replies

Path MTU discovery is off on both sockets (IP_PMTUDISC_DONT / IPV6_PMTUDISC_DONT), so datagrams larger
than the 1280-byte link MTU leave as fragments. Bounded: every socket has a 5 s timeout, the server
stops after 5 datagrams.
"""
import socket, sys

IP_MTU_DISCOVER, IP_PMTUDISC_DONT = 10, 0
IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DONT = 23, 0
PORT = 7788


def sock(fam):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if fam == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT)
    else:
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DONT)
    s.settimeout(5)
    return s


def server(a4, a6):
    s4, s6 = sock(socket.AF_INET), sock(socket.AF_INET6)
    s4.bind((a4, PORT)); s6.bind((a6, PORT))
    open("/tmp/sockeye-fixtures/ctl/ready", "w").close()
    for s, n in ((s4, 3), (s6, 2)):
        for _ in range(n):
            data, peer = s.recvfrom(65535)
            s.sendto(bytes((i * 7) & 0xFF for i in range(2500)), peer)


def client(a4, a6):
    s4, s6 = sock(socket.AF_INET), sock(socket.AF_INET6)
    for size in (3000, 4000, 5000):
        s4.sendto(bytes(i & 0xFF for i in range(size)), (a4, PORT))
        s4.recvfrom(65535)
    for size in (3000, 4500):
        s6.sendto(bytes(i & 0xFF for i in range(size)), (a6, PORT))
        s6.recvfrom(65535)


if __name__ == "__main__":
    {"server": server, "client": client}[sys.argv[1]](sys.argv[2], sys.argv[3])
