#!/usr/bin/python3
"""Many UDP flows with known traffic, from one process.

  fault_udp_flows.py SRC SPORT0 DST DPORT FLOWS N LEN [--interleave]

Flow i (0 <= i < FLOWS) goes from SRC:SPORT0+i to DST:DPORT, which must echo
(traffic.py udp-echo). Each flow sends N datagrams of LEN payload bytes, one
at a time, each waiting for its echo: exactly N each way per flow, or exit 1.
By default a flow's N datagrams go before the next flow starts;
--interleave sends round by round (datagram 1 of every flow, then 2 ...),
so that every flow stays in use until the end. Run it inside a test
namespace only.
"""
import resource
import socket
import sys


def main():
    args = sys.argv[1:]
    inter = "--interleave" in args
    if inter:
        args.remove("--interleave")
    if len(args) != 7:
        sys.exit(__doc__)
    src, sport0, dst, dport, flows, n, length = args[0], int(args[1]), \
        args[2], int(args[3]), int(args[4]), int(args[5]), int(args[6])
    fam = socket.AF_INET6 if ":" in src else socket.AF_INET
    payload = bytes(i % 251 for i in range(length))
    # one socket per flow, all open at once
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < flows + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, flows + 64), hard))
    socks = []
    for i in range(flows):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind((src, sport0 + i))
        s.connect((dst, dport))
        s.settimeout(3)
        socks.append(s)

    def one(i, k):
        socks[i].send(payload)
        try:
            if len(socks[i].recv(65535)) != length:
                sys.exit("flow %d: echo of the wrong length" % i)
        except socket.timeout:
            sys.exit("flow %d: no echo for datagram %d of %d" % (i, k + 1, n))

    if inter:
        for k in range(n):
            for i in range(flows):
                one(i, k)
    else:
        for i in range(flows):
            for k in range(n):
                one(i, k)


if __name__ == "__main__":
    main()
