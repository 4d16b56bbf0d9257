import socket, threading
def tcp(fam, addr):
    s = socket.socket(fam, socket.SOCK_STREAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 8080)); s.listen(8)
    while True:
        c, _ = s.accept()
        d = c.recv(4096); c.sendall(b"HTTP/1.0 200 OK\r\n\r\n" + b"x" * 600 + d); c.close()
def udp(fam, addr):
    s = socket.socket(fam, socket.SOCK_DGRAM); s.bind((addr, 5353))
    while True:
        d, a = s.recvfrom(2048); s.sendto(b"pong:" + d, a)
for f in (tcp, udp):
    threading.Thread(target=f, args=(socket.AF_INET, "10.42.0.2"), daemon=True).start()
    threading.Thread(target=f, args=(socket.AF_INET6, "fd42::2"), daemon=True).start()
threading.Event().wait(20)
