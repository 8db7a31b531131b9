#!/bin/bash
# Flows older than flowtop end without an event (no event extension), and
# must still leave the view soon after the kernel drops them, found by
# per-flow deadlines and targeted GETs, not by full dumps of the table.
# 200 one-way UDP flows are made before flowtop starts, with the UDP
# timeout at 6 s in their namespace, plus one that a datagram a second
# keeps alive. All 200 must be gone from flowtop's snapshots within 20 s
# of its start (the old refresh dump came after 30 s), with no refresh
# dump counted, GETs counted, the kept flow still there past several of
# its deadlines, and the set equal to conntrack -L's at the end.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop

pair_setup
sysctl_set a net.netfilter.nf_conntrack_udp_timeout 6
# Entries get the event extension (and so send DESTROY) when made while
# any conntrack listener exists: since Linux 6.3 that is one in any
# namespace, e.g. another flowtop. With events off in this namespace while
# they are made, they are silent for sure; on again before flowtop starts.
sysctl_set a net.netfilter.nf_conntrack_events 0
N=200
ns a $PY - "$N" <<'EOF2' || fail "cannot make the UDP flows"
import socket, sys
for port in range(41000, 41000 + int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("192.0.2.1", port))
    s.sendto(b"x" * 20, ("192.0.2.2", 9))
    s.close()
EOF2
# the flow kept alive: a datagram a second for as long as the test runs
bg a $PY -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.1", 45000))
while True:
    s.sendto(b"k" * 30, ("192.0.2.2", 9))
    time.sleep(1)'
_kept_there() { ns a conntrack -L -p udp --sport 45000 2>/dev/null | grep -q 45000; }
wait_for 5 _kept_there || fail "the kept flow is not in conntrack"
sysctl_set a net.netfilter.nf_conntrack_events 1
started=$(date +%s.%N)
ft_start r a --batch -n -G -U --output json --count 0 -t 0.5
snap=$(ft_last r)
first=$(json_count "$snap" proto=udp dport=9)
[ "$first" -eq $((N + 1)) ] ||
	fail "first snapshot has $first UDP flows to port 9, want $((N + 1)) (the $N made before flowtop and the kept one)"

# wall-clock bound (wait_for counts polls, and each poll here parses JSON)
_silent_gone() {
	local s
	[ "$($PY -c 'import time; print(int(time.time()))')" -le "$until" ] ||
		return 2
	s=$(ft_last r)
	[ "$(json_count "$s" proto=udp dport=9)" -le 1 ]
}
until=$($PY -c "import sys; print(int(float(sys.argv[1]) + 20))" "$started")
rc=0
while :; do
	_silent_gone && break
	rc=$?
	[ "$rc" -eq 2 ] && break
	sleep 0.2
done
[ "$rc" -ne 2 ] || {
	s=$(ft_last r)
	fail "after 20 s, $(json_count "$s" proto=udp dport=9) UDP flows to port 9 still shown (6 s timeout; refresh_dumps $(json_top "$s" refresh_dumps), gets $(json_top "$s" gets))"
}
gone=$(date +%s.%N)
# the kept flow outlives several of its deadlines (6 s each)
sleep_until=$($PY -c "import sys; print(float(sys.argv[1]) + 15)" "$started")
_later() { $PY -c "import sys,time; sys.exit(0 if time.time() >= float(sys.argv[1]) else 1)" "$sleep_until"; }
wait_for 30 _later || fail "clock did not advance"
ft_sync r 2
snap=$(ft_last r)
ct_snap a "$TMPD/ct.json"
ft_stop r INT
[ "$FT_RC" -eq 0 ] || fail "flowtop exited $FT_RC; stderr: $(cat "$TMPD/r.err")"

[ "$(json_count "$snap" proto=udp sport=45000 dport=9)" = 1 ] ||
	fail "the flow kept alive by a datagram a second left the view"
got=$(json_get "$snap" proto=udp sport=45000 dport=9 -- orig_packets)
[ "$got" -ge 15 ] || fail "the kept flow shows $got packets, want one a second since before flowtop began"
dumps=$(json_top "$snap" refresh_dumps)
gets=$(json_top "$snap" gets)
ends=$(json_top "$snap" silent_ends)
[ "$dumps" = 0 ] || fail "$dumps full refresh dumps; the silent ends must be found by GETs"
[ "$ends" -ge "$N" ] || fail "silent_ends $ends, want at least $N"
[ "$gets" -ge $((N + 2)) ] ||
	fail "gets $gets: want one per ended flow and more for the kept one"
$FTJSON keys "$snap" proto=udp dport=9 >"$TMPD/ft.keys"
$FTJSON keys "$TMPD/ct.json" proto=udp dport=9 >"$TMPD/ct.keys"
diff "$TMPD/ct.keys" "$TMPD/ft.keys" >"$TMPD/diff" ||
	fail "flowtop's flows to port 9 differ from conntrack -L (< conntrack, > flowtop): $(head "$TMPD/diff")"
took=$($PY -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$started" "$gone")
pass "$N silent flows gone ${took} s after flowtop started (6 s timeout), $gets GETs, no refresh dump; the kept flow stayed"
