#!/bin/bash
# Owning process: a helper with a distinctive name (enrich_duplex) in
# namespace a connects out to b and accepts connections from b, directly
# and through a DNAT (REDIRECT) to this host. flowtop in a must show the
# helper's pid, name and user on all three flows, and another process's
# pid (not the helper's) on a fourth flow that process owns.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
require_tool enrich_duplex

pair_setup
# b:7003 → a's own 7002: a flow NAT'd to this host
ns a nft -f - <<-'EOF2' || fail "nft: cannot add the redirect in a"
table ip ftnat {
	chain pre { type nat hook prerouting priority -100; tcp dport 7003 redirect to :7002; }
}
EOF2

serve b $TRAFFIC tcp-server 192.0.2.2 7001
ft_start main a --batch --output json --count 0 -t 0.3 -n -G -T

out=$TMPD/duplex.out
ns a "$TOOLS/enrich_duplex" 192.0.2.1 7002 192.0.2.2 7001 >"$out" &
_BG_PIDS+=("$!")
wait_for 10 grep -q '^ready' "$out" || fail "enrich_duplex did not start"
hpid=$(awk '/^ready/ { print $2 }' "$out")
log "helper pid $hpid"

bg b $TRAFFIC tcp-hold 192.0.2.2 43001 192.0.2.1 7002 >/dev/null	# inbound
bg b $TRAFFIC tcp-hold 192.0.2.2 43002 192.0.2.1 7003 >/dev/null	# REDIRECTed
bg a $TRAFFIC tcp-hold 192.0.2.1 43003 192.0.2.2 7001 >/dev/null	# another process
accepted() { [ "$(grep -c accepted "$out")" -ge 2 ]; }
wait_for 10 accepted ||
	fail "enrich_duplex did not accept both connections: $(cat "$out")"

# the python client of the fourth flow: the one process in a running
# traffic.py tcp-hold from 43003
opid=$(ns a ss -Htnp state established "( sport = :43003 )" |
	sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)
[ -n "$opid" ] || fail "cannot find the pid of the tcp-hold client"

# the lookups are asynchronous: a few snapshots later they are in
check() {
	local snap sel got
	snap=$($FTJSON last "$TMPD/main.out" 2>/dev/null) || return 1
	echo "$snap" >"$TMPD/snap.json"
	for sel in "sport=$(outport) dport=7001" "sport=43001 dport=7002" \
		"sport=43002 dport=7003"; do
		got=$($FTJSON get "$TMPD/snap.json" proto=tcp $sel -- pid process user) || return 1
		[ "$got" = "$hpid enrich_duplex root" ] || return 1
	done
	got=$($FTJSON get "$TMPD/snap.json" proto=tcp sport=43003 dport=7001 -- pid) || return 1
	[ "$got" = "$opid" ]
}
outport() {
	ns a ss -Htn state established "( dport = :7001 )" |
		awk '{ split($3, a, ":"); print a[length(a)] }' | grep -v '^43003$' | head -1
}
if ! wait_for 10 check; then
	for sel in "dport=7001" "sport=43001" "sport=43002"; do
		log "$sel: $($FTJSON flows "$TMPD/snap.json" proto=tcp $sel)"
	done
	fail "flowtop did not show pid $hpid (enrich_duplex) for the outbound, inbound and NAT'd flows, and pid $opid for the other one"
fi
# the NAT'd flow really is NAT'd: its reply source is the redirect target
rp=$(json_get "$TMPD/snap.json" proto=tcp sport=43002 dport=7003 -- reply_sport)
[ "$rp" = 7002 ] || fail "flow to 7003 not redirected (reply_sport $rp)"

ft_stop main
[ "$FT_RC" -eq 0 ] || fail "flowtop exited $FT_RC; stderr: $(cat "$TMPD/main.err")"
pass "pid $hpid enrich_duplex on outbound, inbound and REDIRECTed flows; pid $opid on another"
