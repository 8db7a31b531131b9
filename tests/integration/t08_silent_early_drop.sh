#!/bin/bash
# The fallback for flows that end without an event and before their
# deadline: early drops on a full table. 3000 one-way UDP flows (dport 7,
# 600 s timeout) are made before flowtop starts, with conntrack events off
# in the namespace so that none sends DESTROY; then, events still off, a
# burst of 1.5 x nf_conntrack_max more (dport 9) fills the table and the
# kernel drops entries early to make room, some of the 3000 among them.
# flowtop must see the kernel's early_drop count grow, make a full refresh
# dump (refresh_dumps >= 1, no resync: there was no event to lose) and end
# with exactly conntrack -L's dport 7 flows, and its flow count equal to the
# kernel's. nf_conntrack_max is global and left as it is: the namespace's
# own count reaches it.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
require_loadgen

max=$(cat /proc/sys/net/netfilter/nf_conntrack_max)
[ "$max" -le 1100000 ] ||
	skip "nf_conntrack_max is $max (raised by another run): filling the table would take too long"
sink_pair gen dut
sysctl_set dut net.netfilter.nf_conntrack_udp_timeout 600
sysctl_set dut net.netfilter.nf_conntrack_events 0
lg=$(ns gen "$LOADGEN" --burst --count 3000 --flows 3000 --dport 7 --quiet 2>&1) ||
	fail "loadgen (3000 flows) failed: $lg"
_ct_n() { ns dut cat /proc/sys/net/netfilter/nf_conntrack_count; }
[ "$(_ct_n)" -ge 3000 ] || fail "only $(_ct_n) conntrack entries after 3000 flows: $lg"
sysctl_set dut net.netfilter.nf_conntrack_events 1
ft_start r dut --batch --output json --count 0 -U -t 1 --filter 'dport 7' \
	--max-flows $((max * 2))
snap=$(ft_last r)
[ "$(json_top "$snap" flows_matched)" = 3000 ] ||
	fail "first snapshot shows $(json_top "$snap" flows_matched) dport 7 flows, want 3000"

_drops() { ns dut cat /proc/net/stat/nf_conntrack | $PY -c '
import sys
lines = sys.stdin.read().split("\n")
c = lines[0].split().index("early_drop")
print(sum(int(l.split()[c], 16) for l in lines[1:] if l.strip()))'; }
d0=$(_drops)
# events off again: the filling flows send none either (and so cannot
# overrun flowtop's socket, which would resync instead)
sysctl_set dut net.netfilter.nf_conntrack_events 0
fill=$((max + max / 2))
lg=$(ns gen "$LOADGEN" --burst --count "$fill" --flows "$fill" --threads 2 --quiet 2>&1) ||
	fail "loadgen ($fill flows) failed: $lg"
d1=$(_drops)
left7=$(ns dut conntrack -L -p udp --dport 7 2>/dev/null | grep -c 'dport=7 ')
log "early drops: $((d1 - d0)); dport 7 flows left in conntrack: $left7 of 3000; $lg"
[ $((d1 - d0)) -gt 0 ] || fail "no early drop after $fill flows with nf_conntrack_max $max"
[ "$left7" -lt 3000 ] || fail "no dport 7 flow was dropped early (test setup)"

# wall-clock bound: the refresh dump is spaced 10 s from flowtop's start
_converged() {
	local s
	s=$(ft_last r)
	[ "$(json_top "$s" flows_matched)" = "$left7" ] &&
		[ "$(json_top "$s" refresh_dumps)" -ge 1 ] &&
		[ "$(json_top "$s" flows_total)" = "$(_ct_n)" ]
}
end=$(($(date +%s) + 60))
until _converged; do
	[ "$(date +%s)" -le "$end" ] || {
		s=$(ft_last r)
		fail "after 60 s flowtop shows $(json_top "$s" flows_matched) dport 7 flows (conntrack $left7), $(json_top "$s" flows_total) flows in all (conntrack $(_ct_n)), refresh_dumps $(json_top "$s" refresh_dumps)"
	}
	sleep 0.5
done
snap=$(ft_last r)
ns dut conntrack -L -p udp --dport 7 -o extended 2>/dev/null | $FTJSON ct >"$TMPD/ct7.json" ||
	fail "cannot read conntrack -L"
ft_stop r INT
[ "$FT_RC" -eq 0 ] || fail "flowtop exited $FT_RC; stderr: $(cat "$TMPD/r.err")"
[ "$(json_top "$snap" resyncs)" = 0 ] ||
	fail "$(json_top "$snap" resyncs) resyncs: the refresh must come from the early drops, not a lost event"
$FTJSON keys "$snap" >"$TMPD/ft.keys"
$FTJSON keys "$TMPD/ct7.json" >"$TMPD/ct.keys"
diff "$TMPD/ct.keys" "$TMPD/ft.keys" >"$TMPD/diff" ||
	fail "dport 7 flows differ from conntrack -L (< conntrack, > flowtop): $(head "$TMPD/diff")"
pass "$((d1 - d0)) early drops: a refresh dump ($(json_top "$snap" refresh_dumps)), $left7 dport 7 flows and $(json_top "$snap" flows_total) in all, as conntrack"
