#!/bin/bash
# Snapshots go on during a resync. A table of 300000 flows is made before
# flowtop starts; flowtop (4 KiB netlink buffer, -t 0.05) lists it, then a
# burst of new flows overruns its event socket and it lists the whole table
# again, which takes well over an interval. Snapshots must keep coming
# while it does, marked "resyncing": true (the flows not listed again yet
# are as they were); once it is done the mark is gone and flowtop's flow
# count equals the kernel's. (Before ct_yield no snapshot came during a
# dump: none could carry the mark.)
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
require_loadgen

N=300000
BURST=20000
ct_max_at_least $((N + BURST + 50000))
sink_pair gen dut
# nothing expires during the test: the counts compare exactly
sysctl_set dut net.netfilter.nf_conntrack_udp_timeout 600
lg=$(ns gen "$LOADGEN" --rate 150000 --count "$N" --flows $((N + BURST)) --quiet 2>&1) ||
	fail "loadgen ($N flows) failed: $lg"
_ct_n() { ns dut cat /proc/sys/net/netfilter/nf_conntrack_count; }
[ "$(_ct_n)" -ge "$N" ] || fail "only $(_ct_n) conntrack entries after $N flows: $lg"

# --top 1: the snapshots' counts are what is read, not 300000 flows each
ft_start rs dut --batch --output json --count 0 -t 0.05 -U -n --top 1 \
	--netlink-buffer 4096
lg=$(nice -n -10 ip netns exec "$(nsname gen)" "$LOADGEN" --burst --count "$BURST" \
	--start "$N" --flows $((N + BURST)) --threads 2 --quiet 2>&1) ||
	fail "loadgen burst failed: $lg"

# every snapshot line: resyncs, resyncing, flows_total
_stats() {
	$PY - "$TMPD/rs.out" <<-'PY'
	import json, sys
	for line in open(sys.argv[1], "rb"):
	    try:
	        s = json.loads(line)
	    except ValueError:
	        continue
	    print(s["resyncs"], str(s.get("resyncing")).lower(), s["flows_total"])
	PY
}
# done: a resync happened, and the last snapshots are past it and agree
# with the kernel
_settled() {
	local last
	last=$(_stats | tail -1)
	set -- $last
	[ "${1:-0}" -ge 1 ] && [ "$2" = false ] && [ "$3" = "$(_ct_n)" ]
}
wait_for 60 _settled || fail "flowtop did not settle after the burst: last snapshot $(_stats | tail -1) (resyncs resyncing flows), conntrack $(_ct_n); stderr: $(tail -c 300 "$TMPD/rs.err")"
ft_sync rs 3
kill -0 "${FT_PID[rs]}" 2>/dev/null || fail "flowtop died: $(tail -c 600 "$TMPD/rs.err")"

_stats >"$TMPD/stats"
marked=$(awk '$2 == "true"' "$TMPD/stats" | wc -l)
unknown=$(awk '$2 != "true" && $2 != "false"' "$TMPD/stats" | wc -l)
[ "$unknown" -eq 0 ] || fail "$unknown snapshots without a resyncing field"
[ "$marked" -ge 1 ] ||
	fail "no snapshot during the resync of $(_ct_n) flows ($(wc -l <"$TMPD/stats") snapshots, resyncs $(tail -1 "$TMPD/stats" | cut -d' ' -f1))"
# the mark is only ever on a snapshot between a resync's start and end:
# the first snapshot (the first dump) never has it
[ "$(head -1 "$TMPD/stats" | cut -d' ' -f2)" = false ] ||
	fail "the first snapshot is marked resyncing: $(head -1 "$TMPD/stats")"
set -- $(tail -1 "$TMPD/stats")
[ "$3" = "$(_ct_n)" ] || fail "flowtop shows $3 flows after the resync, conntrack $(_ct_n)"
ft_stop rs TERM
[ "$FT_RC" -eq 0 ] || fail "flowtop exited $FT_RC: $(cat "$TMPD/rs.err")"
pass "$marked snapshots during the resync of $(_ct_n) flows, then $3 flows as the kernel"
