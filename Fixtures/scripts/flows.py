#!/usr/bin/env python3
"""Zeek-style conn.log reference for the Sockeye fixtures (Python 3 stdlib only).

    python3 flows.py FILE...            # one line per connection, human readable
    python3 flows.py --tsv              # regenerate Fixtures/expected-flows.tsv content (stdout)

This is a *re-implementation* of the parts of Zeek's TCP/UDP connection logic that decide
conn_state, history and orig_pkts/resp_pkts (zeek/zeek src/packet_analysis/protocol/tcp/TCP.cc,
TCPSessionAdapter.cc, TCP_Endpoint.cc, scripts/base/protocols/conn/main.zeek; summarised in
shared/reference/flow-semantics.md sections 1.2-1.6).  Zeek itself is not installable here; every
value it prints was cross-checked by hand and the packet counts against tshark (see README).

Deliberate choices, matching Zeek unless stated:
* checksum-offload "partial" TCP/UDP checksums (field == folded pseudo-header sum, as captured on lo)
  count as valid (Zeek would need -C; the brief asks to treat them as valid);
* a packet with a bad TCP/UDP checksum adds c/C (1st, 10th, 100th... per direction) and is not counted;
* a bad IPv4 header checksum, IHL < 5 or total length beyond the wire length drops the packet before
  connection lookup; TCP headers shorter than 20 bytes or cut by the snap length are dropped after the
  connection exists (Zeek: bad_TCP_header_len / truncated_header) -> the connection may have no history;
* history letters S H A D F R T W C I Q and '^' follow update_history()/DidRxmit()/ZeroWindow();
* a connection that starts with a SYN-ACK is flipped when an ACK or data packet follows ("^h", PR 2191);
* a pure SYN with a new ISN on an existing 5-tuple starts a new connection (IsReuse), as does any SYN
  arriving >= 5 s after an unanswered first SYN (tcp_attempt_delay);
* UDP: D/d once per direction, state SF/S0/SHR/OTH; UDP checksum 0 is "no checksum" on IPv4 and bad on IPv6.
* IPv4/IPv6 fragments are reassembled (simple: in any order, no overlaps; `defragment`) and each
  datagram counts once, as in Zeek's FragReassembler.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.dirname(HERE)

# A subset of Zeek's likely_server_ports (ports registered by its default analyzers).
LIKELY_SERVER_PORTS = {("tcp", p) for p in (21, 22, 23, 25, 53, 80, 110, 139, 143, 389, 443, 445, 502, 587, 993,
                                             995, 1080, 1723, 3128, 3306, 3389, 5060, 5222, 6379, 6667, 8000,
                                             8080, 8443, 8888, 20000)}
LIKELY_SERVER_PORTS |= {("udp", p) for p in (53, 67, 68, 69, 123, 137, 138, 161, 162, 443, 500, 514, 1812,
                                             1813, 2152, 3478, 4500, 4789, 5060, 5353, 5355, 6081, 47808)}


# ----------------------------------------------------------------------------- file readers

def read_capture(path):
    """Yields (ts, linktype, data, wire_len)."""
    raw = open(path, "rb").read()
    if len(raw) < 4:
        return
    m_le = struct.unpack("<I", raw[:4])[0]
    if m_le == 0x0A0D0D0A:
        yield from read_pcapng(raw)
        return
    for e in ("<", ">"):
        magic = struct.unpack(e + "I", raw[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            break
    else:
        raise ValueError("not a pcap: " + path)
    div = 1e9 if magic == 0xA1B23C4D else 1e6
    lt = struct.unpack(e + "I", raw[20:24])[0] & 0x0FFFFFFF
    off = 24
    while off + 16 <= len(raw):
        s, f, cl, ol = struct.unpack(e + "IIII", raw[off:off + 16])
        data = raw[off + 16:off + 16 + cl]
        if len(data) < cl:
            return
        yield s + f / div, lt, data, ol
        off += 16 + cl


def read_pcapng(raw):
    off, e, ifaces = 0, "<", []
    while off + 12 <= len(raw):
        btype = struct.unpack("<I", raw[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            e = "<" if raw[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            ifaces = []
        btype, blen = struct.unpack(e + "II", raw[off:off + 8])
        body = raw[off + 8:off + blen - 4]
        if btype == 1:
            lt = struct.unpack(e + "H", body[:2])[0]
            res = 1e-6
            o = 8
            while o + 4 <= len(body):
                code, ln = struct.unpack(e + "HH", body[o:o + 4])
                if code == 0:
                    break
                if code == 9:
                    v = body[o + 4]
                    res = 2.0 ** -(v & 0x7F) if v & 0x80 else 10.0 ** -v
                o += 4 + ((ln + 3) & ~3)
            ifaces.append((lt, res))
        elif btype == 6:
            iid, th, tl, cl, ol = struct.unpack(e + "IIIII", body[:20])
            lt, res = ifaces[iid]
            yield ((th << 32) | tl) * res, lt, body[20:20 + cl], ol
        off += blen


# ----------------------------------------------------------------------------- decoding

def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def sum16(b):
    if len(b) % 2:
        b += b"\0"
    return sum(struct.unpack("!%dH" % (len(b) // 2), b))


def link_to_ip(lt, d):
    """Returns (ethertype-ish 'v4'/'v6'/None, ip_bytes)."""
    if lt == 1:
        if len(d) < 14:
            return None, b""
        et, o = struct.unpack("!H", d[12:14])[0], 14
        while et in (0x8100, 0x88A8, 0x9100) and len(d) >= o + 4:
            et, o = struct.unpack("!H", d[o + 2:o + 4])[0], o + 4
        return {0x0800: "v4", 0x86DD: "v6"}.get(et), d[o:]
    if lt in (0, 108):
        if len(d) < 4:
            return None, b""
        af = struct.unpack("<I" if lt == 0 else "!I", d[:4])[0]
        return ("v4" if af == 2 else "v6" if af in (10, 24, 28, 30) else None), d[4:]
    if lt in (101, 12, 14):
        return ({4: "v4", 6: "v6"}.get(d[0] >> 4) if d else None), d
    if lt == 228:
        return "v4", d
    if lt == 229:
        return "v6", d
    if lt == 113:
        et = struct.unpack("!H", d[14:16])[0]
        return {0x0800: "v4", 0x86DD: "v6"}.get(et), d[16:]
    if lt == 276:
        et = struct.unpack("!H", d[0:2])[0]
        return {0x0800: "v4", 0x86DD: "v6"}.get(et), d[20:]
    return None, b""


class Pkt:
    pass


def decode(ts, lt, data, wire_len):
    """Returns a Pkt with transport info or None when Zeek would drop it before connection lookup."""
    ver, ip = link_to_ip(lt, data)
    missing = wire_len - len(data)          # bytes cut off by the snap length
    p = Pkt()
    p.ts = ts
    if ver == "v4":
        if len(ip) < 20:
            return None
        ihl = (ip[0] & 0x0F) * 4
        if ihl < 20 or len(ip) < ihl:
            return None
        tl = struct.unpack("!H", ip[2:4])[0]
        if tl == 0:                                   # TSO: Zeek derives the length from the packet
            tl = len(ip) + missing
        if tl < ihl or tl > len(ip) + missing:
            return None                               # truncated_IP
        if fold(sum16(ip[:ihl])) != 0xFFFF:
            return None                               # bad_IP_checksum
        if struct.unpack("!H", ip[6:8])[0] & 0x3FFF:
            return None                               # fragments: not used in the fixtures
        p.proto_num, p.src, p.dst = ip[9], ".".join(map(str, ip[12:16])), ".".join(map(str, ip[16:20]))
        payload = ip[ihl:tl]
        p.l4_len = tl - ihl
        p.pseudo = ip[12:20] + struct.pack("!BBH", 0, p.proto_num, p.l4_len)
        p.v6 = False
    elif ver == "v6":
        if len(ip) < 40:
            return None
        import ipaddress
        plen, nxt = struct.unpack("!HB", ip[4:7])
        p.src, p.dst = str(ipaddress.IPv6Address(ip[8:24])), str(ipaddress.IPv6Address(ip[24:40]))
        o = 40
        while nxt in (0, 43, 60):
            if len(ip) < o + 8:
                return None
            nxt, o = ip[o], o + (ip[o + 1] + 1) * 8
        if nxt == 44:
            return None
        p.proto_num = nxt
        end = 40 + plen
        if end > len(ip) + missing or o > end:
            return None
        payload = ip[o:end]
        p.l4_len = end - o
        p.pseudo = ip[8:40] + struct.pack("!IxxxB", p.l4_len, nxt)
        p.v6 = True
    else:
        return None
    p.truncated = len(payload) < p.l4_len
    p.payload = payload
    if p.proto_num == 6:
        if len(payload) < 20:
            return None                               # cannot build the connection tuple
        p.proto = "tcp"
        p.sport, p.dport, p.seq, p.ack, offflags, p.flags, p.win, p.csum = struct.unpack("!HHIIBBHH", payload[:18])
        p.doff = (offflags >> 4) * 4
    elif p.proto_num == 17:
        if len(payload) < 8:
            return None
        p.proto = "udp"
        p.sport, p.dport, p.ulen, p.csum = struct.unpack("!HHHH", payload[:8])
    else:
        return None
    return p


def checksum_state(p):
    """'valid', 'bad', 'partial', 'none' (UDP/IPv4 0) or 'unverifiable' (truncated)."""
    if p.proto == "udp" and p.csum == 0:
        return "bad" if p.v6 else "none"
    if p.truncated:
        return "unverifiable"
    seg = p.payload[:p.l4_len]
    if fold(sum16(p.pseudo) + sum16(seg)) == 0xFFFF:
        return "valid"
    if p.csum == fold(sum16(p.pseudo)):
        return "partial"
    return "bad"


# ----------------------------------------------------------------------------- Zeek emulation

INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED, RESET = range(7)


def seq_delta(a, b):
    d = (a - b) & 0xFFFFFFFF
    return d - (1 << 32) if d >= 1 << 31 else d


class Endpoint:
    def __init__(self, is_orig):
        self.is_orig = is_orig
        self.state = self.prev_state = INACTIVE
        self.start_seq = self.last_seq = self.ack_seq = 0
        self.hist_last = {}
        self.counters = {}
        self.pkts = 0
        self.did_close = False
        self.active = False     # UDP

    def set_state(self, s):
        if s != self.state:
            self.prev_state, self.state = self.state, s


class Conn:
    def __init__(self, p, proto, orig, resp):
        self.proto = proto
        self.orig_h, self.orig_p = orig
        self.resp_h, self.resp_p = resp
        self.history = ""
        self.seen = set()
        self.o, self.r = Endpoint(True), Endpoint(False)
        self.o.peer, self.r.peer = self.r, self.o
        self.first_ts = p.ts
        self.attempt_deadline = None
        self.closed_for_lookup = False

    # history helpers (Session::CheckHistory / ScaledHistoryEntry)
    def check(self, ep, mask, code=None):
        code = code or mask
        key = (ep.is_orig, mask)
        if key in self.seen:
            return True
        self.seen.add(key)
        self.history += code if ep.is_orig else code.lower()
        return False

    def add(self, ep, code):
        self.history += code if ep.is_orig else code.lower()

    def scaled(self, ep, code):
        cnt, thr = ep.counters.get(code, (0, 1))
        cnt += 1
        if cnt == thr:
            self.add(ep, code)
            thr *= 10
        ep.counters[code] = (cnt, thr)

    def flip(self):
        self.orig_h, self.orig_p, self.resp_h, self.resp_p = self.resp_h, self.resp_p, self.orig_h, self.orig_p
        self.o, self.r = self.r, self.o
        self.o.is_orig, self.r.is_orig = True, False
        self.seen = {(not o, c) for (o, c) in self.seen}
        self.history = "^" + self.history.swapcase()

    # ---- TCP
    def tcp(self, p, is_orig):
        ep = self.o if is_orig else self.r
        peer = ep.peer
        if p.doff < 20 or p.doff > len(p.payload):
            return                                   # bad_TCP_header_len / truncated_header
        length = p.l4_len - p.doff
        cs = checksum_state(p)
        if cs == "bad":
            self.scaled(ep, "C")
            return
        F = p.flags
        syn, fin, rst, ack = bool(F & 2), bool(F & 1), bool(F & 4), bool(F & 16)
        # PR 2191: conn began with a SYN-ACK, now an ACK or data -> flip roles
        if self.history == "H" and not (syn or fin or rst) and (length > 0 or ack):
            self.flip()
            is_orig = not is_orig
            ep = self.o if is_orig else self.r
            peer = ep.peer
        seg_len = length + syn + fin - (length if rst else 0)
        last = (p.seq + seg_len) & 0xFFFFFFFF
        # init_endpoint
        if ep.state == INACTIVE:
            if syn:
                ep.start_seq = ep.ack_seq = p.seq
                ep.last_seq = last
            else:
                ep.start_seq = ep.ack_seq = (p.seq - 1) & 0xFFFFFFFF
                ep.last_seq = p.seq                  # "ensure first packet is not marked duplicate"
        elif ep.state in (SYN_SENT, SYN_ACK_SENT, ESTABLISHED, PARTIAL) and syn and p.seq != ep.start_seq:
            ep.start_seq = ep.ack_seq = p.seq
            ep.last_seq = last
        elif ep.state == RESET and syn and ep.prev_state == INACTIVE:
            ep.start_seq = ep.ack_seq = p.seq
            ep.last_seq = last
        rel_seq = seq_delta(p.seq, ep.start_seq)
        # update_history
        bits = syn + fin + rst
        if bits > 1:
            if fin and rst:
                self.check(ep, "I")
            else:
                self.check(ep, "Q")
        elif bits == 1:
            if syn:
                code = "H" if ack else "S"
                if self.check(ep, "SYN", code) and rel_seq != ep.hist_last.get("S"):
                    self.add(ep, code)
                ep.hist_last["S"] = rel_seq
            if fin:
                if self.check(ep, "F") and rel_seq + length != ep.hist_last.get("F"):
                    self.add(ep, "F")
                ep.hist_last["F"] = rel_seq + length
            if rst:
                if self.check(ep, "R") and rel_seq != ep.hist_last.get("R"):
                    self.add(ep, "R")
                ep.hist_last["R"] = rel_seq
        else:
            if length:
                self.check(ep, "D")
            elif ack:
                self.check(ep, "A")
        # update_window: zero window
        if p.win == 0 and not rst and peer.state != CLOSED and ep.state != RESET:
            self.scaled(ep, "W")
        # ACK handling
        if ack and peer.state == INACTIVE:
            peer.start_seq = peer.ack_seq = peer.last_seq = (p.ack - 1) & 0xFFFFFFFF
        # update_last_seq
        dl = seq_delta(last, ep.last_seq)
        if (syn or rst) and abs(dl) > 1048576:
            pass
        elif fin and ep.last_seq == (ep.start_seq + 1) & 0xFFFFFFFF:
            ep.last_seq = last
        elif ep.state == RESET:
            pass
        elif dl > 0:
            ep.last_seq = last
        elif length > 0:
            self.scaled(ep, "T")
        # state machine
        self.state_machine(ep, peer, p, is_orig, syn, fin, rst, ack, length)
        ep.pkts += 1

    def state_machine(self, ep, peer, p, is_orig, syn, fin, rst, ack, length):
        s = ep.state
        if s == INACTIVE:
            if syn:
                if is_orig:
                    ep.set_state(SYN_ACK_SENT if ack else SYN_SENT)
                    if self.attempt_deadline is None:
                        self.attempt_deadline = p.ts + 5.0
                else:
                    if not ack and peer.state == SYN_ACK_SENT and p.seq == ep.start_seq:
                        self.flip()
                        peer.set_state(ESTABLISHED)
                    if peer.state == SYN_SENT:
                        peer.set_state(ESTABLISHED)
                    ep.set_state(ESTABLISHED)
            if fin:
                ep.set_state(CLOSED)
            if rst:
                ep.set_state(RESET)
            if ep.state == INACTIVE:
                if not is_orig and length == 0 and self.o.state == SYN_SENT:
                    pass
                elif ack and peer.state == ESTABLISHED:
                    ep.set_state(ESTABLISHED)
                else:
                    ep.set_state(PARTIAL)
        elif s in (SYN_SENT, SYN_ACK_SENT):
            if fin:
                ep.set_state(CLOSED)
            if rst:
                ep.set_state(RESET)
        elif s in (ESTABLISHED, PARTIAL):
            if syn and s == PARTIAL and peer.state == INACTIVE and not ack:
                ep.set_state(SYN_SENT)
            if fin and not rst:
                ep.set_state(CLOSED)
                if peer.state == RESET and peer.prev_state == CLOSED:
                    peer.set_state(CLOSED)
            if rst:
                ep.set_state(RESET)
        elif s == CLOSED:
            if rst and peer.state != CLOSED:
                ep.set_state(RESET)

    def tcp_state(self):
        o, r = self.o, self.r
        inactive = lambda e: e.state in (INACTIVE, PARTIAL)
        if r.state == RESET:
            if o.state in (SYN_SENT, SYN_ACK_SENT):
                return "REJ"
            return "RSTRH" if inactive(o) else "RSTR"
        if o.state == RESET:
            if inactive(r):
                import re
                return "RSTOS0" if re.match(r"^\^?S[^HAFGIQ]*R.*", self.history) else "OTH"
            return "RSTO"
        if o.state == CLOSED and r.state == CLOSED:
            return "SF"
        if o.state == CLOSED:
            return "SH" if inactive(r) else "S2"
        if r.state == CLOSED:
            return "SHR" if inactive(o) else "S3"
        if o.state == SYN_SENT and r.state == INACTIVE:
            return "S0"
        if o.state == ESTABLISHED and r.state == ESTABLISHED:
            return "S1"
        return "OTH"

    # ---- UDP
    def udp(self, p, is_orig):
        ep = self.o if is_orig else self.r
        cs = checksum_state(p)
        if cs == "bad":
            self.scaled(ep, "C")
            return
        self.check(ep, "D")
        ep.active = True
        ep.pkts += 1

    def udp_state(self):
        if self.o.active:
            return "SF" if self.r.active else "S0"
        return "SHR" if self.r.active else "OTH"

    def state(self):
        return self.tcp_state() if self.proto == "tcp" else self.udp_state()

    def visible_history(self):
        return self.history


FRAGMENTS = {}


def defragment(lt, data, wl):
    """Passes unfragmented packets through; buffers fragments (key src, dst, id) and returns the whole
    datagram as a raw IP packet (link type 101) once its parts cover offset 0 to the last fragment's end.
    A reference for the fixtures only: no overlaps, no timeouts, no bounds (ip-fragments.pcap has none)."""
    ver, ip = link_to_ip(lt, data)
    if ver == "v4" and len(ip) >= 20:
        ihl = (ip[0] & 0x0F) * 4
        fo = struct.unpack("!H", ip[6:8])[0]
        if fo & 0x3FFF == 0:
            return lt, data, wl
        tl = struct.unpack("!H", ip[2:4])[0]
        key, hdr, payload = ("v4", ip[12:20], ip[4:6]), bytearray(ip[:ihl]), ip[ihl:tl]
        off, more = (fo & 0x1FFF) * 8, bool(fo & 0x2000)
    elif ver == "v6" and len(ip) >= 40:
        plen, nxt = struct.unpack("!HB", ip[4:7])
        o, field = 40, 6
        while nxt in (0, 43, 60) and len(ip) >= o + 8:
            field, nxt, o = o, ip[o], o + (ip[o + 1] + 1) * 8
        if nxt != 44 or len(ip) < o + 8:
            return lt, data, wl
        fo = struct.unpack("!H", ip[o + 2:o + 4])[0]
        key, hdr, payload = ("v6", ip[8:40], ip[o + 4:o + 8]), bytearray(ip[:o]), ip[o + 8:40 + plen]
        hdr[field] = ip[o]
        off, more = (fo >> 3) * 8, bool(fo & 1)
    else:
        return lt, data, wl
    e = FRAGMENTS.setdefault(key, {"hdr": None, "parts": {}, "end": None})
    if off == 0:
        e["hdr"] = hdr
    e["parts"][off] = payload
    if not more:
        e["end"] = off + len(payload)
    pos = 0
    while pos in e["parts"] and len(e["parts"][pos]) > 0:
        pos += len(e["parts"][pos])
    if e["hdr"] is None or e["end"] is None or pos < e["end"]:
        return None
    del FRAGMENTS[key]
    body = b"".join(e["parts"][k] for k in sorted(e["parts"]))[:e["end"]]
    h = e["hdr"]
    if key[0] == "v4":
        h[2:4] = struct.pack("!H", len(h) + len(body))
        h[6:8] = struct.pack("!H", struct.unpack("!H", h[6:8])[0] & 0x4000)
        h[10:12] = b"\0\0"
        h[10:12] = struct.pack("!H", 0xFFFF - fold(sum16(bytes(h))))
    else:
        h[4:6] = struct.pack("!H", len(h) - 40 + len(body))
    whole = bytes(h) + body
    return 101, whole, len(whole)


def analyze(path):
    conns, table = [], {}
    FRAGMENTS.clear()
    for ts, lt, data, wl in read_capture(path):
        whole = defragment(lt, data, wl)
        if whole is None:
            continue
        lt, data, wl = whole
        p = decode(ts, lt, data, wl)
        if p is None:
            continue
        a, b = (p.src, p.sport), (p.dst, p.dport)
        key = (p.proto, frozenset((a, b)))
        c = table.get(key)
        if c is not None and p.proto == "tcp":
            syn_only = (p.flags & 0x12) == 0x02
            from_orig = a == (c.orig_h, c.orig_p)
            reuse = False
            if syn_only and from_orig:
                if c.o.state in (SYN_SENT, SYN_ACK_SENT) and c.r.state == INACTIVE and \
                        c.attempt_deadline is not None and ts >= c.attempt_deadline:
                    reuse = True                        # attempt timer expired (S0 logged)
                elif p.seq != c.o.start_seq:
                    reuse = True                        # IsReuse: new ISN
            if reuse:
                c = None
        if c is None:
            orig, resp = a, b
            if p.proto == "tcp":
                first_syn = (p.flags & 0x12) == 0x02
                if not first_syn:
                    if (p.proto, p.sport) in LIKELY_SERVER_PORTS:
                        if (p.proto, p.dport) in LIKELY_SERVER_PORTS:
                            if not (p.flags & 0x02) and p.sport < p.dport:
                                orig, resp = b, a
                        else:
                            orig, resp = b, a
            else:
                if ("udp", p.sport) in LIKELY_SERVER_PORTS and ("udp", p.dport) not in LIKELY_SERVER_PORTS:
                    orig, resp = b, a
            c = Conn(p, p.proto, orig, resp)
            conns.append(c)
            table[key] = c
        is_orig = a == (c.orig_h, c.orig_p)
        if p.proto == "tcp":
            c.tcp(p, is_orig)
        else:
            c.udp(p, is_orig)
    return conns


# ----------------------------------------------------------------------------- output

FLOW_FILES = [
    "tcp-handshake-data-fin.pcap", "tcp-handshake-data-fin.pcapng", "tcp-server-closes-first.pcap",
    "tcp-refused.pcap", "tcp-abort-client.pcap", "tcp-abort-server.pcap", "tcp-half-close.pcap",
    "tcp-simultaneous-close.pcap", "tcp-syn-no-answer.pcap", "tcp-port-reuse.pcap",
    "tcp-many-concurrent.pcap", "tcp-open-at-end.pcap", "tcp-midstream.pcap", "tcp-options-ecn-tfo.pcap",
    "udp-exchange.pcap", "ipv6-tcp-udp.pcap", "vlan-8021q.pcap", "vlan-qinq.pcap", "lo-offload-partial.pcap",
    "any-sll2.pcap", "any-sll.pcap", "nanosecond.pcap", "byteswapped.pcap", "snaplen-truncated.pcap",
    "ipv4-options.pcap", "tcp-all-options.pcap", "reassembly/ip-fragments.pcap",
    "crafted/synack-first.pcap", "crafted/fin-then-rst.pcap", "crafted/syn-retransmit-same-isn.pcap",
    "crafted/bad-checksum-in-handshake.pcap",
    "linktypes/null-ipv4.pcap", "linktypes/null-ipv6-af24.pcap", "linktypes/null-ipv6-af28.pcap",
    "linktypes/null-ipv6-af30.pcap", "linktypes/loop-ipv4.pcap", "linktypes/loop-ipv6.pcap",
    "linktypes/raw-ipv4.pcap", "linktypes/raw-ipv6.pcap", "linktypes/raw-mixed.pcap",
    "linktypes/ipv4-228.pcap", "linktypes/ipv6-229.pcap", "linktypes/qinq.pcap",
]

NOTES = {}   # (file, orig_p, resp_p) -> note; filled from notes.tsv if present


def load_notes():
    path = os.path.join(HERE, "flow-notes.tsv")   # file <TAB> key <TAB> note; key = @N (Nth flow), *PORT (resp port) or *
    if os.path.exists(path):
        for line in open(path):
            if line.startswith("#") or not line.strip():
                continue
            f, key, note = line.rstrip("\n").split("\t", 2)
            NOTES[(f, key)] = note


def note_for(f, c, idx, n):
    for k in (f"@{n}", f"{c.orig_p}-{c.resp_p}#{idx}", f"{c.orig_p}-{c.resp_p}", f"*{c.resp_p}", "*"):
        if (f, k) in NOTES:
            return NOTES[(f, k)]
    return ""


def main():
    args = sys.argv[1:]
    if args and args[0] == "--tsv":
        load_notes()
        print("file\tproto\torig_h\torig_p\tresp_h\tresp_p\tconn_state\thistory\torig_pkts\tresp_pkts\tnote")
        for f in FLOW_FILES:
            path = os.path.join(FIXTURES, f)
            if not os.path.exists(path):
                continue
            seen = {}
            for n, c in enumerate(analyze(path), 1):
                k = (c.orig_p, c.resp_p)
                seen[k] = seen.get(k, 0) + 1
                print("\t".join(map(str, [f, c.proto, c.orig_h, c.orig_p, c.resp_h, c.resp_p, c.state(),
                                          c.history or "-", c.o.pkts, c.r.pkts, note_for(f, c, seen[k], n)])))
        return
    for f in args:
        print(f"# {f}")
        for c in analyze(f):
            print(f"{c.proto} {c.orig_h}:{c.orig_p} -> {c.resp_h}:{c.resp_p} {c.state()} "
                  f"{c.history or '-'} orig_pkts={c.o.pkts} resp_pkts={c.r.pkts}")


if __name__ == "__main__":
    main()
