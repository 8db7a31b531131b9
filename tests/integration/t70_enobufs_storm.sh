#!/bin/bash
# Fault: an ENOBUFS storm. flowtop runs with the smallest netlink receive
# buffer it accepts (4 KiB) while bench/loadgen sends repeated bursts of
# new UDP flows into the namespace under test (topology of t06_churn: gen
# --veth-- dut, dut forwards the flows to 203.0.113.0/24 and drops them at
# egress after conntrack confirmed them), with a `conntrack -F` in the
# middle of the storm. Every burst overruns the event socket: flowtop must
# resync after each one (the "resyncs" count goes up), keep printing
# snapshots through the storm (one after every burst), and once the storm
# is over its flow set must equal `conntrack -L` exactly (nothing lost, no
# ghost of the flushed flows), and it must still end cleanly on SIGTERM.
# A resync drops the overrun queue by replacing the event socket (not by
# reading megabytes of stale events): flowtop's subscribed socket must be
# a new one after the storm, and still only one.
. "$(dirname "$0")/lib.sh"

require_root
require_flowtop
require_loadgen
command -v conntrack >/dev/null || skip "conntrack (conntrack-tools) is not installed"
command -v nft >/dev/null || skip "nft (nftables) is not installed"

BURSTS=6
PER_BURST=4000
FLUSH_AFTER=3
INTERVAL=1

sink_pair gen dut
# no flow may expire while the sets are compared
sysctl_set dut net.netfilter.nf_conntrack_udp_timeout 120

# nf_conntrack_max is global: the flows alive at once must fit
need=$((FLUSH_AFTER * PER_BURST > (BURSTS - FLUSH_AFTER) * PER_BURST ?
	FLUSH_AFTER * PER_BURST : (BURSTS - FLUSH_AFTER) * PER_BURST))
[ "$(cat /proc/sys/net/netfilter/nf_conntrack_max)" -ge $((need + 1000)) ] ||
	skip "nf_conntrack_max below $((need + 1000)); this test does not change it"

ft_start storm dut --batch --output json --count 0 -t "$INTERVAL" -n -G -U \
	--netlink-buffer 4096
pid=${FT_PID[storm]}

# resyncs of the last complete snapshot line (the flows are not parsed)
last_resyncs() {
	$PY - "$TMPD/storm.out" <<-'PY'
	import json, sys
	data = open(sys.argv[1], "rb").read()
	line = data[:data.rfind(b"\n")].rsplit(b"\n", 1)[-1]
	print(json.loads(line[:line.find(b'"flows":')] + b'"flows": []}')["resyncs"])
	PY
}

# inodes of flowtop's netlink sockets subscribed to conntrack's events
# (NETLINK_NETFILTER, groups NEW|UPDATE|DESTROY) in the dut namespace
event_sockets() {
	local fds
	fds=$(for f in /proc/"$pid"/fd/*; do readlink "$f"; done 2>/dev/null |
		sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | sort)
	ns dut cat /proc/net/netlink | awk '$2 == 12 && $4 == "00000007" { print $10 }' |
		sort | comm -12 - <(echo "$fds")
}
sock_before=$(event_sockets)
[ "$(wc -w <<<"$sock_before")" -eq 1 ] ||
	fail "want one event socket in flowtop at start, found: '$sock_before'"

storm_start=$(date +%s.%N)
r_prev=$(last_resyncs)
for b in $(seq 0 $((BURSTS - 1))); do
	lg=$(nice -n -10 ip netns exec "$(nsname gen)" "$LOADGEN" --burst \
		--flows $((BURSTS * PER_BURST)) --start $((b * PER_BURST)) \
		--count $PER_BURST --threads 2 --duration 20 --quiet) ||
		fail "loadgen burst $b failed: $lg"
	sent=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' <<<"$lg")
	[ "${sent:-0}" -eq $PER_BURST ] || fail "burst $b: loadgen sent ${sent:-?} of $PER_BURST: $lg"
	kill -0 "$pid" 2>/dev/null || fail "flowtop died in burst $b; stderr: $(tail -c 600 "$TMPD/storm.err")"
	# responsive: a fresh snapshot after every burst (ft_sync waits 15 s
	# at most), and the overrun was seen
	ft_sync storm 1
	r=$(last_resyncs)
	log "burst $b: $lg; resyncs $r_prev -> $r"
	[ "$r" -gt "$r_prev" ] ||
		fail "burst $b of $PER_BURST new flows into a 4 KiB buffer: no resync (resyncs stays $r)"
	r_prev=$r
	if [ $((b + 1)) -eq $FLUSH_AFTER ]; then
		ns dut conntrack -F >/dev/null 2>&1 || fail "conntrack -F failed"
		log "flushed the table"
	fi
done
storm_end=$(date +%s.%N)
[ "$r_prev" -ge 1 ] || fail "no resync in $BURSTS bursts of $PER_BURST new flows with a 4 KiB buffer"

rc=0
verdict=$($PY "$TOP/tests/tools/fault_settle.py" "$TMPD/storm.out" "$storm_end" "$INTERVAL" \
	"$(nsname dut)" 30 udp) || rc=$?
log "after the storm: $verdict"
[ "$rc" -eq 0 ] || fail "flowtop did not converge to conntrack -L: $verdict"
n=$($PY -c 'import json,sys; print(json.loads(sys.argv[1])["ct"])' "$verdict")
[ "$n" -eq $(((BURSTS - FLUSH_AFTER) * PER_BURST)) ] ||
	fail "conntrack -L holds $n flows, want $(((BURSTS - FLUSH_AFTER) * PER_BURST)) (test set-up?)"

sock_after=$(event_sockets)
[ "$(wc -w <<<"$sock_after")" -eq 1 ] ||
	fail "want one event socket in flowtop after $r_prev resyncs, found: '$sock_after'"
[ "$sock_after" != "$sock_before" ] ||
	fail "after $r_prev resyncs flowtop still reads the event socket it started with (inode $sock_before): the overrun queue was read out, not dropped"
log "event socket: inode $sock_before at start, $sock_after after the storm"

# snapshot pace through the storm, for the log (not asserted: wall clock)
gap=$($PY - "$TMPD/storm.out" "$storm_start" "$storm_end" <<'PY'
import json, sys
ts = []
for l in open(sys.argv[1], "rb"):
    i = l.find(b'"flows":')
    if i < 0 or not l.endswith(b"\n"):
        continue  # the line flowtop is still writing
    ts.append(json.loads(l[:i] + b'"flows": []}')["time"])
a, b = float(sys.argv[2]), float(sys.argv[3])
ts = [t for t in ts if a <= t <= b + 1]
print("%d snapshots, longest gap %.2f s" % (len(ts), max(y - x for x, y in zip(ts, ts[1:])) if len(ts) > 1 else -1))
PY
)
log "during the storm: $gap"

ft_stop storm TERM
[ "$FT_RC" -eq 0 ] || fail "flowtop exited $FT_RC after SIGTERM; stderr: $(tail -c 600 "$TMPD/storm.err")"
pass "$BURSTS bursts of $PER_BURST flows and a flush, $r_prev resyncs; settled set = conntrack -L ($n flows); $gap"
