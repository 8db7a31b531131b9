#!/usr/bin/python3
"""Known test traffic for flowtop's integration tests (run inside a test
namespace; only ever aimed at addresses of the test's own namespaces).

  udp-echo HOST PORT [--lite] [--count N]
        echo every datagram back to its sender (exit after N, or when killed)
  udp-send SRC SPORT DST DPORT N LEN [--lite] [--oneway] [--gap S]
        send N datagrams of LEN payload bytes, one at a time, each waiting
        for its echo: exactly N each way, or exit 1 (no retries, so the
        kernel's counters stay exact); --oneway: no echo expected;
        --gap: S seconds between datagrams (traffic over several intervals)
  tcp-server HOST PORT
        accept connections; read each to EOF, then close it
  tcp-send SRC SPORT DST DPORT BYTES
        connect, send BYTES, half-close, wait for the peer's close
  tcp-hold SRC SPORT DST DPORT
        connect and keep the connection open until killed (ESTABLISHED)
  icmp-echo SRC DST ID [--count N]
        N ICMP / ICMPv6 echo requests with identifier ID, each answered
  sctp-init SRC SPORT DST DPORT
        one crafted SCTP INIT (scapy, raw socket)
  sctp-initack SRC SPORT DST DPORT
        the INIT-ACK answering sctp-init's INIT (sent from the peer)

SRC/HOST may be an IPv4 or IPv6 address; "ready" goes to stdout once a
server listens.
"""
import os
import socket
import struct
import sys
import time

IPPROTO_UDPLITE = 136


def fam(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def die(msg):
    print("traffic.py: " + msg, file=sys.stderr)
    sys.exit(1)


def opt(args, name, default=None):
    if name in args:
        i = args.index(name)
        if default is None or isinstance(default, bool):
            del args[i]
            return True
        v = args[i + 1]
        del args[i:i + 2]
        return type(default)(v)
    return default


def udp_sock(addr, lite):
    proto = IPPROTO_UDPLITE if lite else 0
    return socket.socket(fam(addr), socket.SOCK_DGRAM, proto)


def udp_echo(args):
    lite = opt(args, "--lite", False)
    count = opt(args, "--count", 0)
    host, port = args[0], int(args[1])
    s = udp_sock(host, lite)
    s.bind((host, port))
    print("ready", flush=True)
    n = 0
    while count == 0 or n < count:
        data, peer = s.recvfrom(65535)
        s.sendto(data, peer)
        n += 1


def udp_send(args):
    lite = opt(args, "--lite", False)
    oneway = opt(args, "--oneway", False)
    gap = opt(args, "--gap", 0.0)
    src, sport, dst, dport, n, length = args[0], int(args[1]), args[2], \
        int(args[3]), int(args[4]), int(args[5])
    s = udp_sock(src, lite)
    s.bind((src, sport))
    payload = bytes((i % 251 for i in range(length)))
    if oneway:
        # unconnected, so that ICMP errors coming back do not fail sendto
        for i in range(n):
            s.sendto(payload, (dst, dport))
            time.sleep(0.01)
        return
    s.connect((dst, dport))
    s.settimeout(3)
    for i in range(n):
        s.send(payload)
        try:
            data = s.recv(65535)
        except socket.timeout:
            die("no echo for datagram %d of %d to %s:%d" % (i + 1, n, dst, dport))
        if len(data) != length:
            die("echo of %d bytes, sent %d" % (len(data), length))
        if gap and i + 1 < n:
            time.sleep(gap)


def tcp_server(args):
    host, port = args[0], int(args[1])
    s = socket.socket(fam(host), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(64)
    print("ready", flush=True)
    while True:
        c, _ = s.accept()
        if os.fork() == 0:
            s.close()
            while c.recv(65536):
                pass
            c.close()
            os._exit(0)
        c.close()
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass


def tcp_connect(src, sport, dst, dport):
    s = socket.socket(fam(src), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, sport))
    s.settimeout(5)
    s.connect((dst, dport))
    return s


def tcp_send(args):
    src, sport, dst, dport, nbytes = args[0], int(args[1]), args[2], \
        int(args[3]), int(args[4])
    s = tcp_connect(src, sport, dst, dport)
    chunk = bytes(65536)
    left = nbytes
    while left:
        left -= s.send(chunk[:min(left, len(chunk))])
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536):
        pass
    s.close()


def tcp_hold(args):
    s = tcp_connect(args[0], int(args[1]), args[2], int(args[3]))
    print("ready", flush=True)
    while True:
        time.sleep(3600)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def icmp_echo(args):
    count = opt(args, "--count", 1)
    src, dst, ident = args[0], args[1], int(args[2])
    v6 = ":" in src
    if v6:
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        req, rep = 128, 129  # the kernel fills in the ICMPv6 checksum
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        req, rep = 8, 0
    s.bind((src, 0))
    s.settimeout(0.2)
    for seq in range(1, count + 1):
        body = b"flowtop-test-%d" % seq
        hdr = struct.pack("!BBHHH", req, 0, 0, ident, seq)
        if not v6:
            hdr = struct.pack("!BBHHH", req, 0, csum(hdr + body), ident, seq)
        s.sendto(hdr + body, (dst, 0))
        deadline = time.time() + 3
        while True:
            if time.time() > deadline:
                die("no echo reply from %s (id %d seq %d)" % (dst, ident, seq))
            try:
                data = s.recv(65535)
            except socket.timeout:
                continue
            if not v6:
                data = data[(data[0] & 0xf) * 4:]
            t, _, _, i, q = struct.unpack("!BBHHH", data[:8])
            if t == rep and i == ident and q == seq:
                break


def sctp_send(args, ack):
    src, sport, dst, dport = args[0], int(args[1]), args[2], int(args[3])
    import logging
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    # only the SCTP layer: scapy.all takes seconds to import
    from scapy.compat import raw
    from scapy.layers.sctp import SCTP, SCTPChunkInit, SCTPChunkInitAck
    # scapy builds the chunk and its CRC32c; the packet goes out through an
    # ordinary raw IP socket so that it passes LOCAL_OUT and this
    # namespace's conntrack (scapy's own send() uses a packet socket, which
    # bypasses netfilter).
    if ack:
        # the answer to sctp-init: its verification tag is the INIT's tag
        pkt = raw(SCTP(sport=sport, dport=dport, tag=0x1234567) /
                  SCTPChunkInitAck(init_tag=0x7654321, a_rwnd=65535,
                                   n_out_streams=1, n_in_streams=1,
                                   init_tsn=1))
    else:
        pkt = raw(SCTP(sport=sport, dport=dport, tag=0) /
                  SCTPChunkInit(init_tag=0x1234567, a_rwnd=65535,
                                n_out_streams=1, n_in_streams=1, init_tsn=1))
    s = socket.socket(fam(src), socket.SOCK_RAW, socket.IPPROTO_SCTP)
    s.bind((src, 0))
    s.sendto(pkt, (dst, 0))


CMDS = {"udp-echo": udp_echo, "udp-send": udp_send, "tcp-server": tcp_server,
        "tcp-send": tcp_send, "tcp-hold": tcp_hold, "icmp-echo": icmp_echo,
        "sctp-init": lambda a: sctp_send(a, False),
        "sctp-initack": lambda a: sctp_send(a, True)}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in CMDS:
        die(__doc__)
    CMDS[sys.argv[1]](sys.argv[2:])
