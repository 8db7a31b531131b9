#!/usr/bin/python3
"""First packets of one UDP tuple from two CPUs at once.

  race_udp_first.py SRC DST DPORT SPORT0 FLOWS

For each flow i (0 <= i < FLOWS), two processes, one pinned to CPU 0 and
one to CPU 1, each send one 32-byte datagram from SRC:SPORT0+i to
DST:DPORT (two sockets bound with SO_REUSEPORT) at the same moment: both
spin on the monotonic clock (one clock for all CPUs) until the flow's
turn, T0 + i * 200 us, with T0 set once both have their sockets. No
third process takes part in the release, so none competes with the two
senders for the two CPUs. Sometimes both packets get a conntrack entry of
their own before either is confirmed; conntrack then merges the loser
into the winner (its clash_resolve statistic counts it). Every flow ends
with 2 packets in the kernel's accounting either way (a sender held up
past a turn sends late: that flow just has no race). DST:DPORT should
have a listener (no ICMP errors back). Run it inside a test namespace
only; needs 2 CPUs.
"""
import mmap
import os
import socket
import struct
import sys
import time

GAP_NS = 200000


def main():
    src, dst, dport = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sport0, n = int(sys.argv[4]), int(sys.argv[5])
    shm = mmap.mmap(-1, 64)

    def get(i):
        return struct.unpack_from("q", shm, i * 8)[0]

    def put(i, v):
        struct.pack_into("q", shm, i * 8, v)

    # 0: T0 (0 until set); 1, 2: each sender's state (-2 busy, -1 ready)
    put(0, 0)
    put(1, -2)
    put(2, -2)
    kids = []
    for cpu in (0, 1):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                os.sched_setaffinity(0, {cpu})
                socks = []
                for i in range(n):
                    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                    s.bind((src, sport0 + i))
                    s.connect((dst, dport))
                    socks.append(s)
                put(1 + cpu, -1)
                while get(0) == 0:
                    time.sleep(0.001)
                t0 = get(0)
                now = time.monotonic_ns
                for i in range(n):
                    turn = t0 + i * GAP_NS
                    while now() < turn:
                        pass
                    try:
                        socks[i].send(b"r" * 32)
                    except OSError:
                        pass	# an error queued by the other's socket
            except Exception as e:
                print("race_udp_first.py: sender %d: %s" % (cpu, e), file=sys.stderr)
                code = 1
            os._exit(code)
        kids.append(pid)
    while get(1) == -2 or get(2) == -2:
        time.sleep(0.001)
    put(0, time.monotonic_ns() + 20000000)
    rc = 0
    for k in kids:
        _, st = os.waitpid(k, 0)
        rc |= st != 0
    sys.exit(rc)


if __name__ == "__main__":
    main()
