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
Prints "ready" once bound and "query QNAME" for every query (flushed), so
a test can count them. Test traffic only: bind to a test namespace address.
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
    print("ready", flush=True)

    def send(pkt, peer):
        if delay > 0:
            threading.Timer(delay, s.sendto, (pkt, peer)).start()
        else:
            s.sendto(pkt, peer)

    while True:
        pkt, peer = s.recvfrom(4096)
        if len(pkt) < 12:
            continue
        qid, flags, qd = struct.unpack("!HHH", pkt[:6])
        if qd != 1:
            continue
        qname, off = parse_qname(pkt, 12)
        qtype, qclass = struct.unpack("!HH", pkt[off:off + 4])
        question = pkt[12:off + 4]
        key = qname.decode("latin-1").lower()
        print("query", key, flush=True)
        if silent:
            continue
        rd = flags & 0x0100
        if key in names and qtype == 12:
            rdata = encode_name(names[key])
            ans = b"\xc0\x0c" + struct.pack("!HHIH", 12, 1, ttl, len(rdata)) + rdata
            hdr = struct.pack("!HHHHHH", qid, 0x8400 | rd, 1, 1, 0, 0)
            send(hdr + question + ans, peer)
            continue
        # NXDOMAIN with the zone's SOA: negative TTL min(60, SOA ttl)
        soa = (encode_name(b"ns.example.test") + encode_name(b"admin.example.test") +
               struct.pack("!IIIII", 1, 3600, 600, 86400, 60))
        auth = (encode_name(b"arpa") + struct.pack("!HHIH", 6, 1, 60, len(soa)) + soa)
        hdr = struct.pack("!HHHHHH", qid, 0x8403 | rd, 1, 0, 1, 0)
        send(hdr + question + auth, peer)


if __name__ == "__main__":
    main()
