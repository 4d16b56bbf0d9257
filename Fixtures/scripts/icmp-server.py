# TCP server on 8080 (both families) for make-icmp-errors.sh: reads, answers, closes. Bounded.
import socket, threading, time
def serve(family, addr):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 8080)); s.listen(8); s.settimeout(20)
    for _ in range(4):
        try: c, _ = s.accept()
        except OSError: return
        c.settimeout(5)
        try:
            c.recv(1000); c.sendall(b"pong\n")
        except OSError: pass
        c.close()
for fam, a in ((socket.AF_INET, "10.70.2.1"), (socket.AF_INET6, "fd70:2::1")):
    threading.Thread(target=serve, args=(fam, a), daemon=True).start()
time.sleep(20)
