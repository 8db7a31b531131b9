#!/bin/bash
# IPFIX export end to end: flowtop on a NAT gateway namespace exports to
# Debian's nfcapd (nfdump 1.7.1) on the gateway's 127.0.0.1; after known
# traffic (UDP, TCP, ICMP over IPv4, UDP over IPv6, masqueraded; flows
# deleted with `conntrack -D`, a long flow cut by the active timeout, one
# flow still live when flowtop stops) `nfdump -r` must show every flow with
# the byte and packet totals of the traffic (the kernel's own conntrack
# accounting), the post-NAT addresses and ports, the end reasons, and no
# bytes twice. Then the same over TCP to a plain TCP sink, checked by an
# independent reader (message headers, sequence numbers, totals).
#
#	c (192.0.2.2, 2001:db8:1::2) ── r: flowtop + nfcapd, masquerade ── s (198.51.100.2, 2001:db8:2::2)
. "$(dirname "$0")/lib.sh"

require_root
require_flowtop
command -v nfcapd >/dev/null && command -v nfdump >/dev/null ||
	fail "nfcapd/nfdump not installed: run scripts/install-deps.sh --test"
command -v conntrack >/dev/null || fail "conntrack tool not installed"

PORT=4739

# ft_export TAG NS ARGS...: flowtop in the background like ft_start, but
# with --output none there is no snapshot line to wait for: wait for the
# exporter's start message on stderr instead.
ft_export() {
	local tag=$1 name=$2
	shift 2
	: >"$TMPD/$tag.out"
	: >"$TMPD/$tag.err"
	env --default-signal=INT,QUIT,PIPE ip netns exec "$NS_PREFIX$name" \
		"$FLOWTOP" "$@" >"$TMPD/$tag.out" 2>"$TMPD/$tag.err" &
	FT_PID[$tag]=$!
	_BG_PIDS+=("$!")
	wait_for 15 grep -q "exporting IPFIX" "$TMPD/$tag.err" ||
		fail "flowtop $* did not start exporting: $(cat "$TMPD/$tag.err")"
}

ns_add c
ns_add r
ns_add s
veth c c0 r r0
veth r r1 s s1
addr c c0 192.0.2.2/24
addr c c0 2001:db8:1::2/64
addr r r0 192.0.2.1/24
addr r r0 2001:db8:1::1/64
addr r r1 198.51.100.1/24
addr r r1 2001:db8:2::1/64
addr s s1 198.51.100.2/24
addr s s1 2001:db8:2::2/64
route c default via 192.0.2.1
route c default via 2001:db8:1::1
route s default via 198.51.100.1
route s default via 2001:db8:2::1
sysctl_set r net.ipv4.ip_forward 1
sysctl_set r net.ipv6.conf.all.forwarding 1
ct_enable r acct
ns r nft -f - <<-'EOF' || fail "nft: cannot add the masquerade rule"
table inet ftnat {
	chain post { type nat hook postrouting priority 100; oifname "r1" masquerade; }
}
EOF

# --- collector, exporter ---------------------------------------------------
mkdir -p "$TMPD/nfc"
# not through ns(): its pid must be nfcapd's own, for the signal below
ip netns exec "$(nsname r)" nfcapd -b 127.0.0.1 -p $PORT -w "$TMPD/nfc" -t 3600 >"$TMPD/nfcapd.log" 2>&1 &
NFC_PID=$!
_BG_PIDS+=("$NFC_PID")
wait_port r udp $PORT

ft_export exp r --batch --count 0 --output none -4 -6 -U -T -I -t 0.5 \
	--ipfix 127.0.0.1:$PORT --ipfix-active-timeout 7 --ipfix-domain 77 \
	--ipfix-template-refresh 2
# libfixbuf (and glib) are opened for export only: mapped here, and not by
# a flowtop that does not export
grep -q 'libfixbuf' "/proc/${FT_PID[exp]}/maps" ||
	fail "an exporting flowtop does not map libfixbuf: the check below proves nothing"
ft_start plain r --batch -n -G --output json --count 0 -t 0.5 -U
grep -qE 'libfixbuf|libglib' "/proc/${FT_PID[plain]}/maps" &&
	fail "a flowtop that does not export IPFIX maps libfixbuf or glib"
ft_stop plain TERM

# --- traffic ----------------------------------------------------------------
serve s $TRAFFIC udp-echo 198.51.100.2 5001
serve s $TRAFFIC udp-echo 2001:db8:2::2 5001
serve s $TRAFFIC tcp-server 198.51.100.2 8080
: >"$TMPD/truth.txt"
# truth: the kernel's own accounting for the flows in the gateway
truth() {
	ns r conntrack -L -o extended >>"$TMPD/truth.txt" 2>/dev/null ||
		fail "conntrack -L failed in the gateway namespace"
}
# end_flow PROTO [SPORT]: conntrack destroys the flow, as at its end
end_flow() {
	ns r conntrack -D -p "$1" ${2:+--orig-port-src "$2"} >/dev/null 2>&1 ||
		fail "conntrack -D found no $1 flow ${2:+from port $2}"
}

# short flows, ended well within the 7 s active timeout: one record each
ns c $TRAFFIC udp-send 192.0.2.2 7001 198.51.100.2 5001 10 200 || fail "udp v4 traffic"
ns c $TRAFFIC tcp-send 192.0.2.2 7002 198.51.100.2 8080 20000 || fail "tcp traffic"
ns c $TRAFFIC udp-send 2001:db8:1::2 7003 2001:db8:2::2 5001 5 300 || fail "udp v6 traffic"
ns c $TRAFFIC icmp-echo 192.0.2.2 198.51.100.2 4242 --count 3 || fail "icmp traffic"
sleep 1		# a counter read after the last packet
truth
end_flow udp 7001
end_flow tcp 7002
end_flow udp 7003
end_flow icmp

# a long flow: one datagram a second for 10 s; the active timeout cuts it
ns c $TRAFFIC udp-send 192.0.2.2 7004 198.51.100.2 5001 10 100 --gap 1 || fail "long flow"
sleep 1
truth
end_flow udp 7004
sleep 1.5	# its end record goes out with the next snapshots

# still live when flowtop stops: its record comes at exit
ns c $TRAFFIC udp-send 192.0.2.2 7005 198.51.100.2 5001 3 50 || fail "udp live-flow traffic"
sleep 1
truth
ft_stop exp TERM
[ "$FT_RC" = 0 ] || fail "flowtop exited with $FT_RC: $(cat "$TMPD/exp.err")"
[ -s "$TMPD/exp.out" ] && fail "--output none printed something: $(head -c 300 "$TMPD/exp.out")"
grep -q "records sent to 127.0.0.1:$PORT" "$TMPD/exp.err" ||
	fail "no export summary on stderr: $(cat "$TMPD/exp.err")"
sleep 0.5
kill -TERM "$NFC_PID"
wait "$NFC_PID" 2>/dev/null || true
# nfcapd writes its summary and renames its file while terminating
wait_for 10 grep -q "Terminating nfcapd" "$TMPD/nfcapd.log" ||
	fail "nfcapd did not terminate: $(cat "$TMPD/nfcapd.log")"
grep -q "Sequence Errors: 0" "$TMPD/nfcapd.log" ||
	fail "nfcapd saw sequence errors or no data: $(cat "$TMPD/nfcapd.log")"
grep -q "Observation domain 77" "$TMPD/nfcapd.log" ||
	fail "nfcapd did not see observation domain 77: $(cat "$TMPD/nfcapd.log")"

files=$(ls "$TMPD"/nfc/nfcapd.2* 2>/dev/null) || fail "nfcapd wrote no file: $(cat "$TMPD/nfcapd.log")"
# shellcheck disable=SC2086
nfdump -q -N -6 -o 'fmt:%pr|%sa|%sp|%da|%dp|%ipkt|%ibyt|%opkt|%obyt|%xsa|%xsp|%xda|%xdp|%end|%ts|%te' \
	$(printf -- '-r %s ' $files) >"$TMPD/nfdump.txt" 2>"$TMPD/nfdump.err" ||
	fail "nfdump -r failed: $(cat "$TMPD/nfdump.err")"
log "nfdump: $(wc -l <"$TMPD/nfdump.txt") records"

$PY - "$TMPD/truth.txt" "$TMPD/nfdump.txt" <<'EOF' || fail "collected records do not match the traffic (see above)"
import re, sys
from collections import defaultdict

truth_lines = open(sys.argv[1]).read().splitlines()
recs = []
for line in open(sys.argv[2]):
    f = [x.strip() for x in line.rstrip("\n").split("|")]
    if len(f) < 16:
        continue
    recs.append(dict(pr=f[0], sa=f[1], sp=f[2], da=f[3], dp=f[4],
                     ipkt=int(f[5]), ibyt=int(f[6]), opkt=int(f[7]),
                     obyt=int(f[8]), xsa=f[9], xsp=f[10], xda=f[11],
                     xdp=f[12], end=f[13].lower(), ts=f[14], te=f[15]))
bad = []

def truth(pattern):
    """packets/bytes of both directions of the one conntrack line that
    matches pattern, from `conntrack -L -o extended`"""
    m = [l for l in truth_lines if re.search(pattern, l)]
    if len(m) != 1:
        bad.append("ground truth: %d conntrack lines match %r" % (len(m), pattern))
        return None
    pk = [int(x) for x in re.findall(r"packets=(\d+)", m[0])]
    by = [int(x) for x in re.findall(r"bytes=(\d+)", m[0])]
    return pk[0], by[0], pk[1], by[1]

def group(pr, sa, sp, da):
    return [r for r in recs if r["pr"] == pr and r["sa"] == sa and
            (sp is None or r["sp"] == sp) and r["da"] == da]

def check(name, rs, want, ends, nrec=None, xsa=None, xsp=None):
    if not rs:
        bad.append("%s: no record collected" % name)
        return
    got = (sum(r["ipkt"] for r in rs), sum(r["ibyt"] for r in rs),
           sum(r["opkt"] for r in rs), sum(r["obyt"] for r in rs))
    print("%-10s %d record(s): in %d pkts %d bytes, out %d pkts %d bytes; "
          "truth %s; end %s; xlate %s:%s" % (name, len(rs), got[0], got[1],
          got[2], got[3], want, [r["end"] for r in rs], rs[0]["xsa"], rs[0]["xsp"]))
    if want is not None and got != tuple(want):
        bad.append("%s: totals %s, traffic %s" % (name, got, want))
    if nrec is not None and len(rs) != nrec:
        bad.append("%s: %d records, want %d" % (name, len(rs), nrec))
    if nrec is None and len(rs) < 2:
        bad.append("%s: a long flow with one record: no active timeout" % name)
    # flowEndReason: 2 active timeout, 3 end of flow, 4 forced end
    rs_sorted = sorted(rs, key=lambda r: r["ts"])
    last = rs_sorted[-1]["end"]
    if last not in ends:
        bad.append("%s: last end reason %r, want %s" % (name, last, ends))
    for r in rs_sorted[:-1]:
        if r["end"] != "2":
            bad.append("%s: record before the last ends with %r" % (name, r["end"]))
    # no bytes twice: the records' time spans follow each other
    for a, b in zip(rs_sorted, rs_sorted[1:]):
        if b["ts"] < a["te"]:
            bad.append("%s: records overlap (%s-%s, %s-%s)" % (name, a["ts"], a["te"], b["ts"], b["te"]))
    for r in rs:
        if xsa is not None and r["xsa"] != xsa:
            bad.append("%s: post-NAT source %s, want %s" % (name, r["xsa"], xsa))
        if xsp is not None and r["xsp"] != xsp:
            bad.append("%s: post-NAPT source port %s, want %s" % (name, r["xsp"], xsp))

END = ["3"]
t = truth(r"udp .*src=192\.0\.2\.2 dst=198\.51\.100\.2 sport=7001 dport=5001")
if t and t != (10, 2280, 10, 2280):
    bad.append("kernel accounting %s != sent traffic (10, 2280, 10, 2280)" % (t,))
nat_port = None
m = [l for l in truth_lines if "sport=7001" in l]
if m:
    nat_port = re.findall(r"dport=(\d+)", m[0])[1]
check("udp4-nat", group("17", "192.0.2.2", "7001", "198.51.100.2"), t, END,
      1, "198.51.100.1", nat_port)
check("tcp4-nat", group("6", "192.0.2.2", "7002", "198.51.100.2"),
      truth(r"tcp .*src=192\.0\.2\.2 dst=198\.51\.100\.2 sport=7002"), END,
      1, "198.51.100.1")
t6 = truth(r"udp .*src=2001:db8:1::2 dst=2001:db8:2::2 sport=7003")
if t6 and t6 != (5, 1740, 5, 1740):
    bad.append("kernel accounting %s != sent IPv6 traffic (5, 1740, 5, 1740)" % (t6,))
# nfdump 1.7.1 does not decode postNATSourceIPv6Address (281): checked in
# the TCP stream below instead
check("udp6-nat", group("17", "2001:db8:1::2", "7003", "2001:db8:2::2"), t6,
      END, 1)
check("icmp4-nat", group("1", "192.0.2.2", None, "198.51.100.2"),
      truth(r"icmp .*src=192\.0\.2\.2 dst=198\.51\.100\.2 .*id=4242"), END,
      1, "198.51.100.1")
check("udp4-long", group("17", "192.0.2.2", "7004", "198.51.100.2"),
      truth(r"udp .*src=192\.0\.2\.2 dst=198\.51\.100\.2 sport=7004"), END,
      None, "198.51.100.1")
check("udp4-live", group("17", "192.0.2.2", "7005", "198.51.100.2"),
      (3, 234, 3, 234), ["4"], 1, "198.51.100.1")

# nothing twice anywhere: at most one final record per flow
final = defaultdict(int)
for r in recs:
    if r["end"] != "2":
        final[(r["pr"], r["sa"], r["sp"], r["da"], r["dp"])] += 1
for k, n in final.items():
    if n > 1:
        bad.append("flow %s ended %d times" % (k, n))
for b in bad:
    print("MISMATCH: " + b)
sys.exit(1 if bad else 0)
EOF

# --- TCP transport: a plain TCP sink, an independent reader ------------------
serve r $PY -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 4740)); s.listen(1); print("ready", flush=True)
c, _ = s.accept()
with open(sys.argv[1], "wb") as f:
    while True:
        d = c.recv(65536)
        if not d: break
        f.write(d); f.flush()
' "$TMPD/tcp.ipfix"
SINK_PID=$BG_PID
# sink_done: the sink has read the stream's end (flowtop closed it) and quit
sink_done() {
	local st
	st=$(ps -o stat= -p "$SINK_PID" 2>/dev/null)
	[ -z "$st" ] || [ "${st#Z}" != "$st" ]
}
ft_export tcpexp r --batch --count 0 --output none -4 -6 -U -t 0.5 \
	--ipfix 127.0.0.1:4740 --ipfix-proto tcp --ipfix-domain 9
wait_for 15 grep -q "exporting IPFIX over TCP" "$TMPD/tcpexp.err" ||
	fail "TCP export did not start: $(cat "$TMPD/tcpexp.err")"
ns c $TRAFFIC udp-send 192.0.2.2 7101 198.51.100.2 5001 4 100 || fail "udp traffic"
ns c $TRAFFIC udp-send 192.0.2.2 7102 198.51.100.2 5001 6 10 || fail "udp traffic"
ns c $TRAFFIC udp-send 2001:db8:1::2 7103 2001:db8:2::2 5001 2 100 || fail "udp v6 traffic"
sleep 1
ns r conntrack -D -p udp --orig-port-src 7101 >/dev/null 2>&1 || fail "conntrack -D 7101"
sleep 1.5
ft_stop tcpexp TERM
[ "$FT_RC" = 0 ] || fail "flowtop (TCP export) exited with $FT_RC: $(cat "$TMPD/tcpexp.err")"
wait_for 5 sink_done || fail "the TCP sink did not see the stream end"

$PY - "$TMPD/tcp.ipfix" <<'EOF' || fail "the TCP IPFIX stream is wrong (see above)"
import ipaddress, struct, sys
data = open(sys.argv[1], "rb").read()
off, nrec, tmpl, flows, nat, bad = 0, 0, {}, {}, {}, []
while off + 16 <= len(data):
    ver, ln, _, seq, dom = struct.unpack("!HHIII", data[off:off + 16])
    if ver != 10 or ln < 16 or off + ln > len(data):
        bad.append("bad message header at %d" % off); break
    if seq != nrec:
        bad.append("sequence %d, want %d (data records before)" % (seq, nrec))
    if dom != 9:
        bad.append("observation domain %d, want 9" % dom)
    p, end = off + 16, off + ln
    while p + 4 <= end:
        sid, sl = struct.unpack("!HH", data[p:p + 4])
        q, se = p + 4, p + sl
        if sid == 2:
            while q + 4 <= se:
                tid, n = struct.unpack("!HH", data[q:q + 4]); q += 4
                fl = []
                for _ in range(n):
                    ie, l = struct.unpack("!HH", data[q:q + 4]); q += 4
                    pen = 0
                    if ie & 0x8000:
                        pen = struct.unpack("!I", data[q:q + 4])[0]; q += 4
                    fl.append((pen, ie & 0x7fff, l))
                tmpl[tid] = fl
        elif sid >= 256:
            fl = tmpl.get(sid)
            if fl is None:
                bad.append("data set %d before its template" % sid); break
            rl = sum(l for _, _, l in fl)
            while q + rl <= se:
                v = {}
                for pen, ie, l in fl:
                    v[(pen, ie)] = int.from_bytes(data[q:q + l], "big"); q += l
                nrec += 1
                sp = v.get((0, 7))
                c = flows.setdefault(sp, [0, 0, 0, 0, []])
                c[0] += v[(0, 2)]; c[1] += v[(0, 1)]
                c[2] += v[(29305, 2)]; c[3] += v[(29305, 1)]
                c[4].append(v[(0, 136)])
                if (0, 225) in v:
                    nat[sp] = str(ipaddress.IPv4Address(v[(0, 225)]))
                if (0, 281) in v:
                    nat[sp] = str(ipaddress.IPv6Address(v[(0, 281)]))
        p = se
    off += ln
print("TCP stream: %d bytes, %d data records, flows %s, post-NAT sources %s" %
      (len(data), nrec, {k: v for k, v in flows.items() if k in (7101, 7102, 7103)},
       {k: v for k, v in nat.items() if k in (7101, 7102, 7103)}))
# 7101 ended by conntrack -D (3), 7102 and 7103 live at exit (4)
want = {7101: [4, 512, 4, 512, [3]], 7102: [6, 228, 6, 228, [4]],
        7103: [2, 296, 2, 296, [4]]}
for sp, w in want.items():
    if flows.get(sp) != w:
        bad.append("flow from port %d: %s, want %s" % (sp, flows.get(sp), w))
want_nat = {7101: "198.51.100.1", 7102: "198.51.100.1", 7103: "2001:db8:2::1"}
for sp, w in want_nat.items():
    if nat.get(sp) != w:
        bad.append("flow from port %d: post-NAT source %s, want %s" % (sp, nat.get(sp), w))
for b in bad:
    print("MISMATCH: " + b)
sys.exit(1 if bad else 0)
EOF

# a collector that is not there: a clear error, exit 1
if ns r "$FLOWTOP" --batch --count 1 --output none --ipfix 127.0.0.1:4741 \
	--ipfix-proto tcp >/dev/null 2>"$TMPD/refused.err"; then
	fail "flowtop started although the TCP collector refused the connection"
fi
grep -q "is the collector running" "$TMPD/refused.err" ||
	fail "no clear message for a refused collector: $(cat "$TMPD/refused.err")"

# no libfixbuf (hidden by a bind mount in a private mount namespace of
# this command only): a clear error, exit 1, before anything is exported
# (libfixbuf is a dependency: a machine without it cannot run this case,
# and must not pass it unrun)
fb_lib=$(readlink -f "$(ldconfig -p | sed -n 's/^[[:space:]]*libfixbuf\.so\.9 (.*x86-64.*) => //p' | head -1)")
[ -f "$fb_lib" ] || fail "libfixbuf.so.9 not found through ldconfig (make deps): the no-libfixbuf case cannot run"
command -v unshare >/dev/null || fail "unshare (util-linux) not installed: the no-libfixbuf case cannot run"
rc=0
unshare -m --propagation private sh -c \
	'mount --bind /dev/null "$1" && shift && exec "$@"' sh "$fb_lib" \
	ip netns exec "$(nsname r)" "$FLOWTOP" --batch --count 1 --output none \
	--ipfix 127.0.0.1:$PORT >/dev/null 2>"$TMPD/nofb.err" || rc=$?
[ "$rc" -eq 1 ] || fail "--ipfix without libfixbuf exited $rc, want 1: $(cat "$TMPD/nofb.err")"
grep -q "IPFIX export needs libfixbuf" "$TMPD/nofb.err" ||
	fail "--ipfix without libfixbuf: no clear error: $(cat "$TMPD/nofb.err")"

pass "nfcapd/nfdump totals, NAT, end reasons, active timeout; TCP stream sequence numbers; libfixbuf only when exporting"
