#!/usr/bin/python3
"""A minimal authoritative DNS server for flowtop's reverse DNS tests.

  enrich_dns_server.py ADDR PORT [--ttl N] [--silent] [--delay S] [IP=NAME ...]

Answers PTR queries for the given IPs with NAME (Python escapes such as
\\x1b are decoded, so a name may carry raw terminal escape bytes, which
real servers like dnsmasq refuse to serve); any other name gets NXDOMAIN
with an SOA (negative TTL 60). --silent reads queries and never answers.
--delay S sends each answer S seconds after its query came, without holding
up the queries that come meanwhile (a client asking one query at a time
waits S per query; one that asks them side by side, S in all).
Like a real server it answers over UDP and TCP on PORT: an answer too big
for UDP (512 bytes, or the EDNS size the query offers) goes out over UDP
cut to its question with the TC bit set, and whole over TCP, where the
client asks again (c-ares does: a 10 kB name takes that way). A server
without TCP would make c-ares' fallback fail, and c-ares then retries
every query in flight to this server as failed too.
Prints "ready" once bound and "query QNAME" for every query (flushed; a
query asked again over TCP counts twice), so a test can count them. Test
traffic only: bind to a test namespace address.
"""
import codecs
import ipaddress
import socket
import struct
import sys
import threading


def qname_of(ip):
    return ipaddress.ip_address(ip).reverse_pointer.lower()


def encode_name(raw):
    out = b""
    for label in raw.split(b"."):
        if label:
            out += bytes([len(label)]) + label
    return out + b"\x00"


def parse_qname(pkt, off):
    labels = []
    while True:
        n = pkt[off]
        if n == 0:
            return b".".join(labels), off + 1
        labels.append(pkt[off + 1:off + 1 + n])
        off += 1 + n


def main():
    args = sys.argv[1:]
    addr, port = args[0], int(args[1])
    ttl, silent, delay, names = 300, False, 0.0, {}
    i = 2
    while i < len(args):
        a = args[i]
        if a == "--ttl":
            ttl = int(args[i + 1])
            i += 2
            continue
        if a == "--delay":
            delay = float(args[i + 1])
            i += 2
            continue
        if a == "--silent":
            silent = True
        else:
            ip, name = a.split("=", 1)
            raw = codecs.decode(name, "unicode_escape").encode("latin-1")
            names[qname_of(ip)] = raw
        i += 1
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((addr, port))
    t = socket.socket(fam, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, port))
    t.listen(16)
    lock = threading.Lock()	# one "query" line at a time

    def answer(pkt):
        """The answer to query pkt (None: none to give) and the UDP size
        the query offers (512, or its EDNS OPT record's)."""
        if len(pkt) < 12:
            return None, 512
        qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", pkt[:12])
        if qd != 1:
            return None, 512
        qname, off = parse_qname(pkt, 12)
        qtype, qclass = struct.unpack("!HH", pkt[off:off + 4])
        question = pkt[12:off + 4]
        udp_max = 512
        opt = pkt[off + 4:]
        if ar and len(opt) >= 11 and opt[0] == 0 and struct.unpack("!H", opt[1:3])[0] == 41:
            udp_max = max(512, struct.unpack("!H", opt[3:5])[0])
        key = qname.decode("latin-1").lower()
        with lock:
            print("query", key, flush=True)
        if silent:
            return None, udp_max
        rd = flags & 0x0100
        if key in names and qtype == 12:
            rdata = encode_name(names[key])
            ans = b"\xc0\x0c" + struct.pack("!HHIH", 12, 1, ttl, len(rdata)) + rdata
            hdr = struct.pack("!HHHHHH", qid, 0x8400 | rd, 1, 1, 0, 0)
            return hdr + question + ans, udp_max
        # NXDOMAIN with the zone's SOA: negative TTL min(60, SOA ttl)
        soa = (encode_name(b"ns.example.test") + encode_name(b"admin.example.test") +
               struct.pack("!IIIII", 1, 3600, 600, 86400, 60))
        auth = (encode_name(b"arpa") + struct.pack("!HHIH", 6, 1, 60, len(soa)) + soa)
        hdr = struct.pack("!HHHHHH", qid, 0x8403 | rd, 1, 0, 1, 0)
        return hdr + question + auth, udp_max

    def later(fn, *a):
        if delay > 0:
            threading.Timer(delay, fn, a).start()
        else:
            fn(*a)

    def recv_all(c, n):
        buf = b""
        while len(buf) < n:
            more = c.recv(n - len(buf))
            if not more:
                return None
            buf += more
        return buf

    def tcp_client(c):
        with c:
            while True:
                n = recv_all(c, 2)
                pkt = n and recv_all(c, struct.unpack("!H", n)[0])
                if not pkt:
                    return
                out, _ = answer(pkt)
                if out is not None:
                    later(c.sendall, struct.pack("!H", len(out)) + out)

    def tcp_server():
        while True:
            c, _ = t.accept()
            threading.Thread(target=tcp_client, args=(c,), daemon=True).start()

    threading.Thread(target=tcp_server, daemon=True).start()
    print("ready", flush=True)
    while True:
        pkt, peer = s.recvfrom(4096)
        out, udp_max = answer(pkt)
        if out is None:
            continue
        if len(out) > udp_max:
            # the header with TC and the question only: ask over TCP
            qlen = parse_qname(out, 12)[1] + 4
            out = (out[:2] + struct.pack("!H", struct.unpack("!H", out[2:4])[0] | 0x0200) +
                   struct.pack("!HHHH", 1, 0, 0, 0) + out[12:qlen])
        later(s.sendto, out, peer)


if __name__ == "__main__":
    main()
