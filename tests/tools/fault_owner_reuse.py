#!/usr/bin/python3
"""A tuple whose old connection's first packet stays alone on one CPU.

  fault_owner_reuse.py SRC SPORT DST DPORT CPU_A CPU_B

Run inside a test namespace whose DST:DPORT echoes UDP (traffic.py
udp-echo) from CPU_B, so that every echo is counted on CPU_B. The old
connection sends its first datagram (50 bytes) from CPU_A and its second
from CPU_B: CPU_A's share of the per-CPU counters then holds only that
first, unconfirmed packet. Then `conntrack -F` runs on CPU_A and the new
connection's first datagram (of 3, 77 bytes each) follows from CPU_A at
once: the kernel tends to give it the object just freed there, so without
conntrack timestamps its first packet looks exactly like the old one's
(same object, unconfirmed). Each datagram waits for its echo.

Prints "same-object" when the conntrack id of the two connections is the
same (the same object for the same tuple), else "other-object".
"""
import os
import re
import socket
import subprocess
import sys


def ct_id(sport):
    r = subprocess.run(["conntrack", "-L", "-p", "udp", "--sport", str(sport),
                        "-o", "id"], capture_output=True, text=True)
    m = re.search(r"id=(\d+)", r.stdout)
    if not m:
        sys.exit("no conntrack entry for sport %d: %s" % (sport, r.stderr))
    return m.group(1)


def echo(s, payload, what):
    s.send(payload)
    try:
        if len(s.recv(65535)) != len(payload):
            sys.exit("echo of the wrong length")
    except socket.timeout:
        sys.exit("no echo for " + what)


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    src, sport, dst, dport = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
        int(sys.argv[4])
    cpu_a, cpu_b = int(sys.argv[5]), int(sys.argv[6])
    fam = socket.AF_INET6 if ":" in src else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((src, sport))
    s.connect((dst, dport))
    s.settimeout(3)

    os.sched_setaffinity(0, {cpu_a})
    echo(s, bytes(50), "the old connection's first datagram")
    os.sched_setaffinity(0, {cpu_b})
    echo(s, bytes(50), "the old connection's second datagram")
    old = ct_id(sport)

    os.sched_setaffinity(0, {cpu_a})
    r = subprocess.run(["conntrack", "-F"], capture_output=True)
    if r.returncode:
        sys.exit("conntrack -F failed: %s" % r.stderr.decode().strip())
    for i in range(3):
        echo(s, bytes(i % 251 for i in range(77)),
             "the new connection's datagram %d" % (i + 1))
    print("same-object" if ct_id(sport) == old else "other-object")


if __name__ == "__main__":
    main()
