#!/bin/bash
# TCP connections older than flowtop that close while it runs. They send
# no DESTROY (no event extension), and the timeout the dump gave them is
# the established one (5 days), so only a packet can tell that their end
# came much sooner: a RST (CLOSE, 3 s here) or a FIN exchange (TIME_WAIT,
# 40 s here). On a masquerading gateway (client 192.0.2.2 - gateway -
# server 198.51.100.2), three connections are opened with events off in
# the gateway, then flowtop starts there; one is reset, one closed, one
# keeps sending a byte a second. The reset one must leave flowtop's view
# within 45 s of the reset, the closed one show TIME_WAIT while it is
# still in the kernel's table and leave within 60 s (conntrack -L has
# dropped both by then); the third must stay. Two flowtops: the BPF
# backend, which learns each connection's new end and state from what the
# program recorded of it (no GET), and --acct conntrack, whose counter
# reads list the new timeouts and states.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop

gateway_setup masquerade
sysctl_set r net.netfilter.nf_conntrack_tcp_timeout_close 3
sysctl_set r net.netfilter.nf_conntrack_tcp_timeout_time_wait 40

# the server: holds what it accepts, closes a connection when its peer does
bg s $PY -c '
import select, socket
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("198.51.100.2", 7000))
srv.listen(16)
socks = [srv]
while True:
    for s in select.select(socks, [], [])[0]:
        if s is srv:
            socks.append(srv.accept()[0])
            continue
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if not data:
            socks.remove(s)
            s.close()'
_listening() { ns s ss -Htln 'sport = :7000' | grep -q 7000; }
wait_for 5 _listening || fail "the server does not listen"

# Entries made with events off in the gateway have no event extension:
# silent for sure (see t08_silent_ends). On again before flowtop starts.
sysctl_set r net.netfilter.nf_conntrack_events 0
GO=$TMPD/go
bg c $PY -c '
import os, socket, struct, sys, time
conns = []
for port in (46001, 46002, 46003):
    s = socket.socket()
    s.bind(("192.0.2.2", port))
    s.connect(("198.51.100.2", 7000))
    s.sendall(b"hello")
    conns.append(s)
open(sys.argv[1] + ".up", "w").close()
while not os.path.exists(sys.argv[1]):
    time.sleep(0.1)
# 46001: reset (a RST, no FIN)
conns[0].setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
conns[0].close()
# 46002: closed both ways (FIN, FIN, ACK: TIME_WAIT)
conns[1].shutdown(socket.SHUT_WR)
conns[1].recv(16)
conns[1].close()
# 46003: a byte a second for as long as the test runs
while True:
    conns[2].sendall(b"k")
    time.sleep(1)' "$GO"
_up() { [ -e "$GO.up" ]; }
wait_for 5 _up || fail "the client could not connect"
_established() {
	[ "$(ns r conntrack -L -p tcp --dport 7000 2>/dev/null | grep -c ESTABLISHED)" = 3 ]
}
wait_for 5 _established || fail "the gateway does not hold 3 established connections"
sysctl_set r net.netfilter.nf_conntrack_events 1

CASES="bpf ct"
ft_launch bpf r --batch -n -G -T --output json --count 0 -t 0.5
ft_launch ct r --batch -n -G -T --output json --count 0 -t 0.5 --acct conntrack
for tag in $CASES; do
	ft_ready "$tag"
	got=$(json_count "$(ft_last "$tag")" proto=tcp dport=7000)
	[ "$got" = 3 ] || fail "$tag: first snapshot has $got connections to port 7000, want 3"
done
# every read has seen the connections idle before they close
ft_sync_all 2 $CASES

touch "$GO"
closed=$(date +%s.%N)
# per case: when the reset one left, when the closed one showed TIME_WAIT
# and when it left
declare -A RST_GONE=() FIN_TW=() FIN_GONE=()
RST="proto=tcp sport=46001 dport=7000"
FIN="proto=tcp sport=46002 dport=7000"
until=$($PY -c "import sys; print(int(float(sys.argv[1]) + 60))" "$closed")
while [ "$(date +%s)" -le "$until" ]; do
	for tag in $CASES; do
		snap=$(ft_last "$tag")
		now=$(date +%s.%N)
		[ -n "${RST_GONE[$tag]:-}" ] || [ "$(json_count "$snap" $RST)" != 0 ] ||
			RST_GONE[$tag]=$now
		[ -n "${FIN_TW[$tag]:-}" ] ||
			[ "$(json_count "$snap" $FIN state=TIME_WAIT)" != 1 ] ||
			FIN_TW[$tag]=$now
		[ -n "${FIN_GONE[$tag]:-}" ] || [ "$(json_count "$snap" $FIN)" != 0 ] ||
			FIN_GONE[$tag]=$now
	done
	[ ${#FIN_GONE[@]} -lt 2 ] || [ ${#RST_GONE[@]} -lt 2 ] || break
	sleep 0.5
done
ns r conntrack -L -p tcp --dport 7000 2>/dev/null >"$TMPD/ct.txt"
_after() { $PY -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$closed" "$1"; }
for tag in $CASES; do
	snap=$(ft_last "$tag")
	why="conntrack lists $(grep -c 7000 "$TMPD/ct.txt") (gets $(json_top "$snap" gets), silent_ends $(json_top "$snap" silent_ends))"
	[ -n "${RST_GONE[$tag]:-}" ] ||
		fail "$tag: 60 s after the reset (CLOSE: 3 s) the connection is still shown; $why"
	[ -n "${FIN_GONE[$tag]:-}" ] ||
		fail "$tag: 60 s after the close (TIME_WAIT: 40 s) the connection is still shown; $why"
	[ -n "${FIN_TW[$tag]:-}" ] ||
		fail "$tag: the closed connection never showed TIME_WAIT while in the view"
	# the end within about 30 s of the kernel's
	[ "$($PY -c "import sys; print(int(float(sys.argv[1]) <= 45))" "$(_after "${RST_GONE[$tag]}")")" = 1 ] ||
		fail "$tag: the reset connection left $(_after "${RST_GONE[$tag]}") s after the reset, want <= 45"
done
grep -q 'sport=46001 ' "$TMPD/ct.txt" && fail "conntrack still lists the reset connection"
grep -q 'sport=46002 ' "$TMPD/ct.txt" && fail "conntrack still lists the closed connection"
ft_sync_all 2 $CASES

RESULT=
for tag in $CASES; do
	snap=$(ft_last "$tag")
	[ "$(json_count "$snap" proto=tcp sport=46003 dport=7000)" = 1 ] ||
		fail "$tag: the connection that keeps sending left the view"
	ends=$(json_top "$snap" silent_ends)
	gets=$(json_top "$snap" gets)
	dumps=$(json_top "$snap" refresh_dumps)
	[ "$ends" -ge 2 ] || fail "$tag: silent_ends $ends, want 2"
	[ "$dumps" = 0 ] || fail "$tag: $dumps refresh dumps; the ends must be found without"
	if [ "$tag" = bpf ]; then
		# the program's record of each end: nothing to ask
		[ "$gets" = 0 ] || fail "$tag: $gets GETs, want none"
	fi
	RESULT="$RESULT; $tag: reset gone after $(_after "${RST_GONE[$tag]}") s, closed in TIME_WAIT at $(_after "${FIN_TW[$tag]}") s, gone at $(_after "${FIN_GONE[$tag]}") s, $gets GETs"
done
for tag in $CASES; do
	ft_stop "$tag" INT
	[ "$FT_RC" -eq 0 ] || fail "$tag: flowtop exited $FT_RC; stderr: $(cat "$TMPD/$tag.err")"
done
pass "a reset and a closed connection older than flowtop left the view, the live one stayed$RESULT"
