#!/bin/bash
# Flows older than flowtop, with the BPF counter map out of slots. Once a
# new flow found every slot taken ("evictions"), an idle flow can no
# longer be told from one whose packets went uncounted, but a flow that
# has a slot still has every packet counted, and its end recorded with
# each: that record, not a GET, moves its deadline. 20 one-way UDP flows
# are made before flowtop starts (UDP timeout 6 s in their namespace, no
# event extension), one of them kept alive by a datagram a second;
# flowtop runs with --max-flows 16 (1040 counter slots), and 1500 new
# flows fill the slots. The kept flow must stay in the view past several
# of its deadlines with no GET for it, the 19 idle ones must go (asked
# about: they have no slot, so no record), and the set must equal
# conntrack -L's.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop

pair_setup acct
sysctl_set a net.netfilter.nf_conntrack_udp_timeout 6
IDLE=19

sysctl_set a net.netfilter.nf_conntrack_events 0
ns a $PY - "$IDLE" <<'EOF' || fail "cannot make the UDP flows"
import socket, sys
for port in range(41000, 41000 + int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("192.0.2.1", port))
    s.sendto(b"x" * 20, ("192.0.2.2", 9))
    s.close()
EOF
bg a $PY -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.1", 45000))
while True:
    s.sendto(b"k" * 30, ("192.0.2.2", 9))
    time.sleep(1)'
KEPT_PID=$BG_PID
_kept_there() { ns a conntrack -L -p udp --sport 45000 2>/dev/null | grep -q 45000; }
wait_for 5 _kept_there || fail "the kept flow is not in conntrack"
sysctl_set a net.netfilter.nf_conntrack_events 1

ft_launch s a --batch -n -G -U --output json --count 0 -t 0.5 --max-flows 16
ft_ready s
got=$(json_count "$(ft_last s)" proto=udp dport=9)
[ "$got" -eq $((IDLE + 1)) ] ||
	fail "first snapshot has $got UDP flows to port 9, want $((IDLE + 1))"
# the kept flow takes a slot with its next datagram; then the map fills
ft_sync_all 3 s
ns a $PY - <<'EOF' || fail "cannot make the new flows"
import socket
for port in range(20000, 21500):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("192.0.2.1", port))
    s.sendto(b"n" * 10, ("192.0.2.2", 10))
    s.close()
EOF
started=$(date +%s)
# several of the kept flow's deadlines (6 s each) with the map full
_later() { [ "$(date +%s)" -ge $((started + 15)) ]; }
wait_for 30 _later || fail "clock did not advance"
ft_sync_all 2 s
cp "$(ft_last s)" "$TMPD/snap"
ns a conntrack -L -p udp --dport 9 -o extended 2>/dev/null |
	$FTJSON ct >"$TMPD/ct.json" || fail "cannot read conntrack -L"
ft_stop s INT
[ "$FT_RC" -eq 0 ] || fail "flowtop exited $FT_RC; stderr: $(cat "$TMPD/s.err")"
kill "$KEPT_PID" 2>/dev/null

snap=$TMPD/snap
ev=$(json_top "$snap" evictions)
gets=$(json_top "$snap" gets)
ends=$(json_top "$snap" silent_ends)
rearms=$(json_top "$snap" silent_rearms)
[ "$ev" -gt 0 ] || fail "evictions $ev: the new flows did not fill the counter map"
[ "$(json_count "$snap" proto=udp sport=45000 dport=9)" = 1 ] ||
	fail "the flow kept alive by a datagram a second left the view"
[ "$ends" -ge "$IDLE" ] || fail "silent_ends $ends, want at least $IDLE"
[ "$rearms" -ge 2 ] ||
	fail "silent_rearms $rearms: the kept flow's deadline must have moved on from its record at least twice"
# the idle flows have no slot (no packet since flowtop began): each is
# asked once; the kept one never
[ "$gets" -le "$IDLE" ] ||
	fail "gets $gets: want at most one per idle flow ($IDLE), none for the kept flow"
$FTJSON keys "$snap" proto=udp dport=9 >"$TMPD/ft.keys"
$FTJSON keys "$TMPD/ct.json" proto=udp dport=9 >"$TMPD/ct.keys"
diff "$TMPD/ct.keys" "$TMPD/ft.keys" >"$TMPD/diff" ||
	fail "flowtop's flows to port 9 differ from conntrack -L (< conntrack, > flowtop): $(head "$TMPD/diff")"
pass "counter map full (evictions $ev): the kept flow stayed, $rearms deadlines moved on from its record, $gets GETs for $IDLE idle flows"
