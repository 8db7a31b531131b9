#!/bin/bash
# Events that come while flowtop dumps a large table are kept, not lost.
# A table of 200000 flows is made before flowtop starts; flowtop (8 MiB
# netlink buffer: well under a second of these events) lists it while 20000 new
# flows/s come in. The dump takes longer than the buffer holds events for:
# before the stash, the loss meant a resync, whose dump overflowed the
# buffer again (here 6 resyncs in 8 s; at a million flows, for ever). Now no event may be
# lost and no resync run, and flowtop's flow count ends equal to the
# kernel's.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
require_loadgen

N=200000
R=20000
S=8
ct_max_at_least $((N + R * S + 50000))
sink_pair gen dut
# nothing expires during the test: the counts compare exactly
sysctl_set dut net.netfilter.nf_conntrack_udp_timeout 600
lg=$(ns gen "$LOADGEN" --rate 150000 --count "$N" --flows $((N + R * S)) --quiet 2>&1) ||
	fail "loadgen ($N flows) failed: $lg"
_ct_n() { ns dut cat /proc/sys/net/netfilter/nf_conntrack_count; }
[ "$(_ct_n)" -ge "$N" ] || fail "only $(_ct_n) conntrack entries after $N flows: $lg"

# the new flows come from before flowtop starts until after its first dump
ns gen "$LOADGEN" --rate "$R" --start "$N" --flows $((N + R * S)) \
	--duration "$S" --quiet >"$TMPD/lg.out" 2>&1 &
lg_pid=$!
_BG_PIDS+=("$lg_pid")
sleep 0.5
ft_start st dut --batch --output json --count 0 -t 0.2 -U -n --top 1 \
	--netlink-buffer 8388608
wait "$lg_pid" 2>/dev/null || true

# every snapshot line: lost events, resyncs, flows_total
_stats() {
	$PY - "$TMPD/st.out" <<-'PY'
	import json, sys
	for line in open(sys.argv[1], "rb"):
	    try:
	        s = json.loads(line)
	    except ValueError:
	        continue
	    print(s["lost_events"], s["resyncs"], s["flows_total"])
	PY
}
_settled() {
	set -- $(_stats | tail -1)
	[ "${3:-0}" = "$(_ct_n)" ]
}
wait_for 30 _settled || true
ft_sync st 3
kill -0 "${FT_PID[st]}" 2>/dev/null || fail "flowtop died: $(tail -c 600 "$TMPD/st.err")"
_stats >"$TMPD/stats"
[ -s "$TMPD/stats" ] || fail "no snapshot: $(tail -c 600 "$TMPD/st.err")"
set -- $(tail -1 "$TMPD/stats")
[ "$1" = 0 ] && [ "$2" = 0 ] ||
	fail "$1 events lost and $2 resyncs while flowtop listed $N flows under $R new flows/s ($(cat "$TMPD/lg.out"))"
[ "$3" = "$(_ct_n)" ] || fail "flowtop shows $3 flows, conntrack $(_ct_n)"
ft_stop st TERM
[ "$FT_RC" -eq 0 ] || fail "flowtop exited $FT_RC: $(cat "$TMPD/st.err")"
pass "$(_ct_n) flows, no event lost while listing $N under $R new flows/s ($(wc -l <"$TMPD/stats") snapshots)"
