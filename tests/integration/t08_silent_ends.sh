#!/bin/bash
# Flows older than flowtop end without an event (no event extension), and
# must still leave the view soon after the kernel drops them, found by
# per-flow deadlines, not by full dumps of the table. 200 one-way UDP flows are made before
# flowtop starts, with the UDP timeout at 6 s in their namespace, plus one
# that a datagram a second keeps alive. All 200 must be gone from flowtop's
# snapshots within 20 s of its start (the old refresh dump came after 30 s),
# with no refresh dump counted, the kept flow still there past several of
# its deadlines, and the set equal to conntrack -L's at the end. Two
# flowtops at once, each judged on the flows of a port of its own: the BPF
# backend (idle flows need no GET: no packet seen, so their timer ran out;
# the kept flow's end moves with what the program recorded of its last
# packet, no GET either) and --acct conntrack (every due flow is asked about; the ended ones get
# ENOENT).
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop

pair_setup acct
sysctl_set a net.netfilter.nf_conntrack_udp_timeout 6
N=200

# The two cases run side by side, each flowtop with its own port's flows
# to judge (each also sees the other's, which only adds silent ends and
# GETs on both sides): the kept flow must outlive 15 s, once for both.
# Entries get the event extension (and so send DESTROY) when made while
# any conntrack listener exists: since Linux 6.3 that is one in any
# namespace, e.g. another flowtop. With events off in this namespace while
# they are made, they are silent for sure; on again before flowtop starts.
sysctl_set a net.netfilter.nf_conntrack_events 0
for dport in 9 10; do
	ns a $PY - "$N" "$dport" <<'EOF2' || fail "cannot make the UDP flows"
import socket, sys
for port in range(41000, 41000 + int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("192.0.2.1", port))
    s.sendto(b"x" * 20, ("192.0.2.2", int(sys.argv[2])))
    s.close()
EOF2
done
# the flows kept alive: a datagram a second to each port for as long as
# the test runs
bg a $PY -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.1", 45000))
while True:
    for p in sys.argv[1:]:
        s.sendto(b"k" * 30, ("192.0.2.2", int(p)))
    time.sleep(1)' 9 10
KEPT_PID=$BG_PID
_kept_there() { ns a conntrack -L -p udp --sport 45000 --dport "$1" 2>/dev/null | grep -q 45000; }
wait_for 5 _kept_there 9 || fail "the kept flow to port 9 is not in conntrack"
wait_for 5 _kept_there 10 || fail "the kept flow to port 10 is not in conntrack"
sysctl_set a net.netfilter.nf_conntrack_events 1

CASES="bpf ct"
declare -A DPORT=([bpf]=9 [ct]=10) GONE=()
started=$(date +%s.%N)
ft_launch bpf a --batch -n -G -U --output json --count 0 -t 0.5
ft_launch ct a --batch -n -G -U --output json --count 0 -t 0.5 --acct conntrack
for tag in $CASES; do
	ft_ready "$tag"
	dport=${DPORT[$tag]}
	got=$(json_count "$(ft_last "$tag")" proto=udp dport="$dport")
	[ "$got" -eq $((N + 1)) ] ||
		fail "$tag: first snapshot has $got UDP flows to port $dport, want $((N + 1)) (the $N made before flowtop and the kept one)"
done

# wall-clock bound (wait_for counts polls, and each poll parses JSON)
until=$($PY -c "import sys; print(int(float(sys.argv[1]) + 20))" "$started")
while [ "$(date +%s)" -le "$until" ]; do
	for tag in $CASES; do
		[ -z "${GONE[$tag]:-}" ] || continue
		snap=$(ft_last "$tag")
		[ "$(json_count "$snap" proto=udp dport="${DPORT[$tag]}")" -le 1 ] &&
			GONE[$tag]=$(date +%s.%N)
	done
	[ ${#GONE[@]} -lt 2 ] || break
	sleep 0.2
done
for tag in $CASES; do
	[ -n "${GONE[$tag]:-}" ] || {
		snap=$(ft_last "$tag")
		fail "$tag: after 20 s, $(json_count "$snap" proto=udp dport="${DPORT[$tag]}") UDP flows to port ${DPORT[$tag]} still shown (6 s timeout; refresh_dumps $(json_top "$snap" refresh_dumps), gets $(json_top "$snap" gets))"
	}
done
# the kept flows outlive several of their deadlines (6 s each)
_later() { $PY -c "import sys,time; sys.exit(0 if time.time() >= float(sys.argv[1]) + 15 else 1)" "$started"; }
wait_for 30 _later || fail "clock did not advance"
ft_sync_all 2 $CASES
for tag in $CASES; do
	cp "$(ft_last "$tag")" "$TMPD/$tag.snap"
	ns a conntrack -L -p udp --dport "${DPORT[$tag]}" -o extended 2>/dev/null |
		$FTJSON ct >"$TMPD/$tag.ct.json" || fail "cannot read conntrack -L"
done
for tag in $CASES; do
	ft_stop "$tag" INT
	[ "$FT_RC" -eq 0 ] || fail "$tag: flowtop exited $FT_RC; stderr: $(cat "$TMPD/$tag.err")"
done
kill "$KEPT_PID" 2>/dev/null

RESULT=
for tag in $CASES; do
	dport=${DPORT[$tag]}
	snap=$TMPD/$tag.snap
	[ "$(json_count "$snap" proto=udp sport=45000 dport="$dport")" = 1 ] ||
		fail "$tag: the flow kept alive by a datagram a second left the view"
	got=$(json_get "$snap" proto=udp sport=45000 dport="$dport" -- orig_packets)
	[ "$got" -ge 15 ] || fail "$tag: the kept flow shows $got packets, want one a second since before flowtop began"
	dumps=$(json_top "$snap" refresh_dumps)
	gets=$(json_top "$snap" gets)
	ends=$(json_top "$snap" silent_ends)
	[ "$dumps" = 0 ] || fail "$tag: $dumps full refresh dumps; the silent ends must be found without"
	[ "$ends" -ge "$N" ] || fail "$tag: silent_ends $ends, want at least $N"
	if [ "$tag" = bpf ]; then
		# no packet of the ended ones after the dump: their timers
		# ran out untouched, no need to ask; the kept ones' ends are
		# moved on from what the program recorded of them, no GET
		rearms=$(json_top "$snap" silent_rearms)
		[ "$gets" = 0 ] ||
			fail "$tag: gets $gets: want none (the idle flows' timers ran out, the kept flows' ends are the program's record)"
		[ "$rearms" -ge 2 ] ||
			fail "$tag: silent_rearms $rearms: the kept flows' deadlines (6 s) must have moved on at least twice"
	else
		[ "$gets" -ge $((N + 2)) ] ||
			fail "$tag: gets $gets: want one per ended flow and more for the kept one"
	fi
	$FTJSON keys "$snap" proto=udp dport="$dport" >"$TMPD/$tag.ft.keys"
	$FTJSON keys "$TMPD/$tag.ct.json" proto=udp dport="$dport" >"$TMPD/$tag.ct.keys"
	diff "$TMPD/$tag.ct.keys" "$TMPD/$tag.ft.keys" >"$TMPD/$tag.diff" ||
		fail "$tag: flowtop's flows to port $dport differ from conntrack -L (< conntrack, > flowtop): $(head "$TMPD/$tag.diff")"
	took=$($PY -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$started" "${GONE[$tag]}")
	RESULT="$RESULT; $tag: gone ${took} s after start, $gets GETs"
done
pass "$N silent flows each time (6 s timeout), no refresh dump, the kept flow stayed$RESULT"
