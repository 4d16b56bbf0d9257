# Probes for make-icmp-errors.sh, run in the client namespace; each is bounded in time.
import socket, time

def tcp(family, addr, port, ttl=None, syncnt=None, timeout=3.0, data=b"ping\n"):
    s = socket.socket(family, socket.SOCK_STREAM)
    if syncnt: s.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, syncnt)
    if ttl:
        if family == socket.AF_INET: s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        else: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ttl)
    s.settimeout(timeout)
    try:
        s.connect((addr, port)); s.sendall(data); s.recv(100)
        print("tcp", addr, port, "ok")
    except OSError as e:
        print("tcp", addr, port, "->", e)
    s.close()
    time.sleep(0.3)

def udp(family, addr, port, ttl=None):
    s = socket.socket(family, socket.SOCK_DGRAM)
    if ttl:
        if family == socket.AF_INET: s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        else: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ttl)
    s.sendto(b"probe", (addr, port))
    time.sleep(0.3)
    s.close()

V4, V6 = socket.AF_INET, socket.AF_INET6
tcp(V4, "10.70.2.1", 8080)                       # a normal connection (control)
tcp(V6, "fd70:2::1", 8080)
udp(V4, "10.70.2.1", 9)                          # closed UDP port: port unreachable from the server
udp(V6, "fd70:2::1", 9)
udp(V4, "10.70.2.1", 7777, ttl=1)                # TTL 1: time exceeded from the router
udp(V6, "fd70:2::1", 7777, ttl=1)
tcp(V4, "10.70.3.5", 80)                         # prohibit route: ICMP 3/13, connect fails at once
tcp(V6, "fd70:3::5", 80)                         # ICMPv6 1/1
tcp(V4, "10.70.4.5", 80, syncnt=1, timeout=2.5)  # unreachable route: ICMP 3/1 for each SYN
tcp(V6, "fd70:4::5", 80, syncnt=1, timeout=2.5)
tcp(V4, "10.70.2.1", 8080, ttl=1, syncnt=1, timeout=2.5)  # SYN with TTL 1: time exceeded, not a refusal
