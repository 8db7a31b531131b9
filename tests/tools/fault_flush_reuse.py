#!/usr/bin/python3
"""Flush the conntrack table and reuse a flushed tuple at once.

  fault_flush_reuse.py SRC SPORT DST DPORT N LEN

Run inside a test namespace whose DST:DPORT echoes UDP (traffic.py
udp-echo). The socket is bound and connected first, then `conntrack -F`
runs and the N datagrams of LEN bytes follow within a millisecond or so:
the DESTROY of the old entry and the NEW of the one reusing its tuple land
in the same flowtop interval. Each datagram waits for its echo (exactly N
each way, or exit 1).
"""
import socket
import subprocess
import sys


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    src, sport, dst, dport, n, length = sys.argv[1], int(sys.argv[2]), \
        sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    fam = socket.AF_INET6 if ":" in src else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((src, sport))
    s.connect((dst, dport))   # no packet yet: UDP connect is local
    s.settimeout(3)
    payload = bytes(i % 251 for i in range(length))
    r = subprocess.run(["conntrack", "-F"], capture_output=True)
    if r.returncode:
        sys.exit("conntrack -F failed: %s" % r.stderr.decode().strip())
    for i in range(n):
        s.send(payload)
        try:
            if len(s.recv(65535)) != length:
                sys.exit("echo of the wrong length")
        except socket.timeout:
            sys.exit("no echo for datagram %d of %d" % (i + 1, n))


if __name__ == "__main__":
    main()
