#!/bin/bash
# Exact counters: known UDP traffic (N datagrams of L bytes each way) on
# several IPv4 and IPv6 flows across a veth, a TCP transfer of known size
# and loopback traffic, counted by flowtop (default backend) and by the
# kernel's own conntrack accounting. flowtop must show exactly N packets and
# N*(L+28) bytes (IPv4) / N*(L+48) bytes (IPv6) per direction, equal to
# `conntrack -L -o extended`; TCP byte and packet counts must equal the
# kernel's; loopback packets must be counted once, not twice; ICMP errors
# about a flow (RELATED) are not counted in it, as the kernel does not; a
# destroyed flow is listed once more with its final counters.
# Runs for the default counter map (slots), beside a run of itself with
# T02_COUNTER_MAP=lru for --counter-map lru (namespaces of its own; most
# of each run is waiting for snapshots and the kernel).
LRU_RUN=
if [ -z "${T02_COUNTER_MAP:-}" ]; then
	T02_COUNTER_MAP=lru "$0" "$@" &
	LRU_RUN=$!
fi
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
CM_OPT=()
[ -n "${T02_COUNTER_MAP:-}" ] && CM_OPT=(--counter-map "$T02_COUNTER_MAP")

pair_setup acct	# kernel accounting on before any traffic: ground truth

# UDP flows: family client sport server dport N L
UDP_FLOWS="
4 192.0.2.1 40001 192.0.2.2 5001 5 100
4 192.0.2.1 40002 192.0.2.2 5002 17 1000
4 192.0.2.1 40003 192.0.2.2 5003 33 1
4 192.0.2.1 40004 192.0.2.2 5001 3 1472
6 2001:db8::1 40001 2001:db8::2 5001 4 100
6 2001:db8::1 40002 2001:db8::2 5002 19 1000
6 2001:db8::1 40003 2001:db8::2 5003 31 1
6 2001:db8::1 40004 2001:db8::2 5001 2 1452
4 127.0.0.1 41001 127.0.0.1 6001 7 200
6 ::1 41001 ::1 6001 9 300
"
# TCP transfers: client sport server dport bytes
TCP_FLOWS="
192.0.2.1 42001 192.0.2.2 80 1000000
2001:db8::1 42002 2001:db8::2 80 300000
127.0.0.1 42003 127.0.0.1 81 200000
"

for p in 5001 5002 5003; do
	serve b $TRAFFIC udp-echo 192.0.2.2 $p
	serve b $TRAFFIC udp-echo 2001:db8::2 $p
done
serve a $TRAFFIC udp-echo 127.0.0.1 6001
serve a $TRAFFIC udp-echo ::1 6001
serve b $TRAFFIC tcp-server 192.0.2.2 80
serve b $TRAFFIC tcp-server 2001:db8::2 80
serve a $TRAFFIC tcp-server 127.0.0.1 81

# flowtop first, so that its counters see every packet (the BPF map counts
# from the moment it is attached).
ft_start main a --batch -n -G --output json --count 0 -t 0.2 -T -U "${CM_OPT[@]}"

echo "$UDP_FLOWS" | while read -r fam c sp s dp n l; do
	[ -n "$fam" ] || continue
	ns a $TRAFFIC udp-send "$c" "$sp" "$s" "$dp" "$n" "$l" ||
		fail "UDP traffic $c:$sp -> $s:$dp failed"
done
echo "$TCP_FLOWS" | while read -r c sp s dp bytes; do
	[ -n "$c" ] || continue
	ns a $TRAFFIC tcp-send "$c" "$sp" "$s" "$dp" "$bytes" ||
		fail "TCP transfer $c:$sp -> $s:$dp failed"
done
# Traffic over several intervals, for the rates check at the end (counted
# in the totals compared below like every other flow).
ns a $TRAFFIC udp-send 192.0.2.1 40005 192.0.2.2 5001 30 200 --gap 0.05 ||
	fail "paced UDP traffic failed"
# To a closed port: each datagram draws an ICMP port unreachable, which
# conntrack attaches to the flow as RELATED but does not count in it.
ns a $TRAFFIC udp-send 192.0.2.1 43001 192.0.2.2 9 4 100 --oneway
ns a $TRAFFIC udp-send 2001:db8::1 43001 2001:db8::2 9 4 100 --oneway
# let the last ACKs of the TCP close pass before the final read
sleep 0.3

ft_sync main 2
snap=$(ft_last main)
ct_snap a "$TMPD/ct.json"

# A destroyed flow: listed once more with its final counters, then gone.
before=$(wc -l <"$TMPD/main.out")
ns a conntrack -D -p udp --sport 40002 --dport 5002 -s 192.0.2.1 >/dev/null 2>&1 ||
	fail "conntrack -D of the 40002 flow failed"
ft_sync main 3
tail -n +$((before + 1)) "$TMPD/main.out" >"$TMPD/after"
$PY - "$TMPD/after" "$(json_top "$snap" destroyed_flows)" <<'PY' || fail "destroyed flow handled wrong (above)"
import json, sys
snaps = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def find(s):
    return [f for f in s["flows"] if f["src"] == "192.0.2.1" and f["sport"] == 40002]
seen = [find(s) for s in snaps]
if not any(seen):
    sys.exit("the destroyed flow is in no snapshot after its DESTROY (want it once, with final counters)")
for fl in seen:
    for f in fl:
        got = (f["orig_packets"], f["orig_bytes"], f["reply_packets"], f["reply_bytes"])
        if got != (17, 17476, 17, 17476):
            sys.exit("destroyed flow shows counters %s, want its final (17, 17476, 17, 17476)" % (got,))
if seen[-1]:
    sys.exit("the destroyed flow is still listed 3 snapshots after its DESTROY")
d0, d1 = int(sys.argv[2]), snaps[-1]["destroyed_flows"]
if d1 != d0 + 1:
    sys.exit("destroyed_flows went from %d to %d, want +1" % (d0, d1))
PY
ft_stop main INT
[ "$FT_RC" -eq 0 ] || fail "flowtop exited $FT_RC after SIGINT, want 0; stderr: $(cat "$TMPD/main.err")"

checked=0
echo "$UDP_FLOWS" | {
	while read -r fam c sp s dp n l; do
		[ -n "$fam" ] || continue
		hdr=28
		[ "$fam" = 6 ] && hdr=48
		want="$n $((n * (l + hdr))) $n $((n * (l + hdr)))"
		sel="proto=udp src=$c sport=$sp dst=$s dport=$dp"
		got=$(json_get "$snap" $sel -- orig_packets orig_bytes reply_packets reply_bytes)
		ct=$(json_get "$TMPD/ct.json" $sel -- orig_packets orig_bytes reply_packets reply_bytes)
		[ "$ct" = "$want" ] ||
			fail "test traffic is off: conntrack counts '$ct' for $sel, sent '$want'"
		[ "$got" = "$want" ] ||
			fail "flowtop counts '$got' (orig pkts, bytes, reply pkts, bytes) for $sel; want '$want' (= conntrack)"
		checked=$((checked + 1))
	done
	[ "$checked" -eq 10 ] || fail "checked $checked UDP flows, want 10"
}

echo "$TCP_FLOWS" | {
	while read -r c sp s dp bytes; do
		[ -n "$c" ] || continue
		sel="proto=tcp src=$c sport=$sp dst=$s dport=$dp"
		got=$(json_get "$snap" $sel -- orig_packets orig_bytes reply_packets reply_bytes)
		ct=$(json_get "$TMPD/ct.json" $sel -- orig_packets orig_bytes reply_packets reply_bytes)
		set -- $ct
		[ "$2" -gt "$bytes" ] ||
			fail "test traffic is off: conntrack saw $2 bytes for $sel, sent $bytes of payload"
		[ "$got" = "$ct" ] ||
			fail "flowtop TCP counts '$got' for $sel; conntrack says '$ct' (orig pkts, bytes, reply pkts, bytes)"
	done
}

for k in IcmpInDestUnreachs Icmp6InDestUnreachs; do
	n=$(ns a nstat -az "$k" | awk -v k="$k" '$1 == k { print $2 }')
	[ "${n:-0}" -ge 1 ] || fail "test traffic is off: no ICMP destination unreachable came back ($k=$n)"
done
for c in 192.0.2.1 2001:db8::1; do
	sel="proto=udp src=$c sport=43001 dport=9"
	got=$(json_get "$snap" $sel -- orig_packets orig_bytes reply_packets reply_bytes)
	ct=$(json_get "$TMPD/ct.json" $sel -- orig_packets orig_bytes reply_packets reply_bytes)
	set -- $ct
	[ "$1" = 4 ] || fail "test traffic is off: conntrack counts '$ct' for $sel, sent 4 datagrams"
	[ "$got" = "$ct" ] ||
		fail "flowtop counts '$got' for $sel (to a closed port, ICMP errors back); conntrack says '$ct'"
done

# Nothing else was sent, so nothing else may carry counts: flowtop and the
# kernel agree on the whole table.
ft_total=$(json_flows "$snap" | $PY -c '
import json, sys
print(sum(f["orig_bytes"] + f["reply_bytes"] for f in map(json.loads, sys.stdin)))')
ct_total=$(json_flows "$TMPD/ct.json" | $PY -c '
import json, sys
print(sum(f["orig_bytes"] + f["reply_bytes"] for f in map(json.loads, sys.stdin)
          if f["proto"] in ("tcp", "udp", "udplite")))')
[ "$ft_total" = "$ct_total" ] ||
	fail "flowtop's TCP+UDP bytes total $ft_total, conntrack's $ct_total"

# Rates: in every snapshot, each flow's rate is what its counters moved
# since the snapshot before, over the interval that snapshot states (a
# check of the arithmetic and of which flow a rate lands on, not of timing).
# Flows with traffic in the interval must be among them.
$PY - "$TMPD/main.out" <<'PY' || fail "rates do not match the counters (above)"
import json, sys
snaps = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
F = (("orig_packets", "orig_packet_rate"), ("orig_bytes", "orig_byte_rate"),
     ("reply_packets", "reply_packet_rate"), ("reply_bytes", "reply_byte_rate"))
key = lambda f: (f["id"], f["family"], f["proto"], f["src"], f.get("sport"),
                 f["dst"], f.get("dport"))
moved = 0
for prev, cur in zip(snaps, snaps[1:]):
    before = {key(f): f for f in prev["flows"]}
    dt = cur["interval"]
    for f in cur["flows"]:
        p = before.get(key(f))
        if not p or dt <= 0:
            continue
        for total, rate in F:
            delta = f[total] - p[total]
            if delta < 0:
                continue	# a restart: counted from zero
            want = delta / dt
            if abs(f[rate] - want) > 0.002 + want * 1e-5:
                sys.exit("snapshot at %.3f: %s %s is %s, but %s moved by %d in %.6f s (want %.3f)"
                         % (cur["time"], key(f), rate, f[rate], total, delta, dt, want))
            moved += delta > 0
if moved < 8:
    sys.exit("only %d flow directions moved between snapshots: the check proves little" % moved)
print("rates match the counters: %d moving flow directions" % moved)
PY

[ -z "$LRU_RUN" ] || wait "$LRU_RUN" || fail "the run for --counter-map lru failed (above)"
pass "10 UDP flows, 3 TCP transfers, 2 flows with ICMP errors exact, rates match the counters (IPv4, IPv6, loopback; ${T02_COUNTER_MAP:-slots} counter map)"
