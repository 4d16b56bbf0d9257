import socket, time
for i in range(3):
    c = socket.create_connection(("10.42.0.2", 8080)); c.sendall(b"GET /%d HTTP/1.0\r\n\r\n" % i)
    while c.recv(4096): pass
    c.close()
c = socket.create_connection(("fd42::2", 8080)); c.sendall(b"GET /v6 HTTP/1.0\r\n\r\n")
while c.recv(4096): pass
c.close()
for fam, addr in ((socket.AF_INET, "10.42.0.2"), (socket.AF_INET6, "fd42::2")):
    u = socket.socket(fam, socket.SOCK_DGRAM); u.settimeout(2)
    for i in range(3):
        u.sendto(b"ping %d" % i, (addr, 5353)); u.recvfrom(2048)
time.sleep(0.5)
