#!/bin/bash
# The interactive view, driven through tmux on a router namespace "r" that
# NATs (masquerade) client a (192.0.2.1) to server b (198.51.100.2): known
# UDP flows of different sizes and a held TCP connection. Asserts on the
# screen: the sort key reorders rows and reverse flips them, the filter
# narrows them and Esc restores them, protocol toggles hide and restore
# flows (UDP flows collected although flowtop started with TCP only, with
# their counts intact), a filter expression narrows them and a wrong one
# is named while the last good one stays, Enter on the NAT'd flow shows
# both tuples, pause freezes numbers and resume shows current ones, a
# 40x10 terminal and a resize work, and keys are answered while the first
# dump is still read.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
require_tmux


# udp_ports: destination ports of the UDP rows, top to bottom
udp_ports() { screen | awk '$0 ~ / udp / { for (i = 1; i <= NF; i++) if ($i ~ /^500[0-9]$/) { print $i; break } }' | tr '\n' ' '; }
# wait_ports WANT: until the UDP rows are WANT ("5001 5002 "), 5 s at most:
# the rows follow a key once the view builder has redone them
ports_are() { [ "$(udp_ports)" = "$1" ]; }
wait_ports() { wait_for 5 ports_are "$1"; }
# no_screen RE: until nothing on the screen matches RE, 5 s at most
no_match() { ! screen | grep -qE -- "$1"; }
no_screen() { wait_for 5 no_match "$1"; }
# row PORT: the screen row of the UDP flow to PORT
row() { screen | grep -E " udp .* $1 " | head -1; }

ns_add a
ns_add r
ns_add b
veth a va r ra
veth r rb b vb
addr a va 192.0.2.1/24
addr r ra 192.0.2.254/24
addr r rb 198.51.100.1/24
addr b vb 198.51.100.2/24
route a default via 192.0.2.254
ns r sysctl -qw net.ipv4.ip_forward=1
ct_enable r
ns r nft -f - <<-'EOF' || fail "nft: cannot add the NAT rule in r"
table ip ftnat {
	chain post { type nat hook postrouting priority 100; oifname "rb" masquerade; }
}
EOF
sysctl_set r net.netfilter.nf_conntrack_timestamp 0
for p in 5001 5002 5003; do
	serve b $TRAFFIC udp-echo 198.51.100.2 $p
done
serve b $TRAFFIC tcp-server 198.51.100.2 80

# default selection (TCP only): the UDP flows are collected anyway
tm new-session -d -s ft -x 120 -y 30 \
	"env LANG=C.UTF-8 TERM=screen ip netns exec $(nsname r) $FLOWTOP -t 0.2; echo FLOWTOP-EXIT=\$?; sleep 600" ||
	fail "cannot start tmux"
wait_screen 15 "flowtop .*flows [0-9]+/[0-9]+" || fail "no header from flowtop"
wait_screen 5 "proto T----" || fail "header does not show the protocol toggles"

# traffic after flowtop started, so its counters saw every packet
ns a $TRAFFIC udp-send 192.0.2.1 40001 198.51.100.2 5001 5 100 || fail "udp 5001"
ns a $TRAFFIC udp-send 192.0.2.1 40002 198.51.100.2 5002 40 1000 || fail "udp 5002"
ns a $TRAFFIC udp-send 192.0.2.1 40003 198.51.100.2 5003 15 500 || fail "udp 5003"
serve a $TRAFFIC tcp-hold 192.0.2.1 42001 198.51.100.2 80

wait_screen 10 " tcp .*ESTABLISHED" || fail "the TCP flow is not shown"
screen | grep -q " udp " && fail "UDP rows shown although only TCP is selected"

# --- protocol toggles: U shows UDP (collected all along), T hides TCP
keys U
wait_screen 5 "proto TU---" || fail "U did not toggle UDP on"
wait_screen 5 " udp .* 5002 " || fail "U did not show the UDP flows"
# 40 datagrams of 1000 bytes + 28 header bytes: 41.1k (SI) out, counted from the start
wait_screen 5 " udp .* 5002 .* 41\.1k " || fail "UDP 5002 lost its counters: $(row 5002)"
keys T
wait_screen 5 "proto -U---" || fail "T did not toggle TCP off"
no_screen " tcp " || fail "T did not hide the TCP flow"
keys T
wait_screen 5 " tcp .*ESTABLISHED" || fail "T did not bring the TCP flow back"

# --- sort: bytes (o once from rate), then reverse
keys o
wait_screen 5 "sort bytes" || fail "o did not switch the sort to bytes"
wait_ports "5002 5003 5001 " || fail "sort by bytes: UDP rows '$(udp_ports)', want 5002 5003 5001"
keys r
wait_screen 5 "sort bytes \(rev\)" || fail "r did not reverse the sort"
wait_ports "5001 5003 5002 " || fail "reversed sort: UDP rows '$(udp_ports)', want 5001 5003 5002"
keys r
# port sort: o o o o o from bytes = packets age proto state destination port
keys o o o o o o
wait_screen 5 "sort port" || fail "o did not reach the port sort"
wait_ports "5001 5002 5003 " || fail "sort by port: '$(udp_ports)'"

# --- filter: narrows to one flow, shown in the header; Esc restores
keys / 5 0 0 3 Enter
wait_screen 5 'filter "5003"' || fail "the filter is not shown in the header"
wait_ports "5003 " || fail "filter 5003: UDP rows '$(udp_ports)'"
screen | grep -q " tcp " && fail "filter 5003 still shows the TCP flow"
flows=$(screen | sed -n 's/.*flows \([0-9]*\)\/.*/\1/p' | head -1)
[ "$flows" = 1 ] || fail "filter 5003: header says $flows flows shown, want 1"

# --- Enter on the NAT'd flow: both tuples
keys Enter
wait_screen 5 "Flow detail" || fail "Enter did not open the detail view"
wait_screen 5 "original +192\.0\.2\.1:40003 -> 198\.51\.100\.2:5003" ||
	fail "detail: original tuple missing"
wait_screen 5 "reply +198\.51\.100\.2:5003 -> 198\.51\.100\.1:[0-9]+" ||
	fail "detail: reply tuple (NAT) missing"
wait_screen 5 "NAT +source NAT" || fail "detail: SNAT not recognised"
keys Escape
wait_screen 5 "DESTINATION" || fail "Esc did not leave the detail view"
keys Escape
wait_ports "5001 5002 5003 " || fail "Esc did not clear the filter: '$(udp_ports)'"
screen | grep -q 'filter "' && fail "the header still shows a filter after Esc"

# --- a filter expression; a wrong one is named and the last good one stays
keys / && keys -l "dport 5002 or dport 5003" && keys Enter
wait_screen 5 'filter "dport 5002 or dport 5003"' || fail "the expression is not shown in the header"
wait_ports "5002 5003 " || fail "filter 'dport 5002 or dport 5003': UDP rows '$(udp_ports)'"
keys / && keys -l " )"
wait_screen 5 "'\)': '\)' without a '\(' before it" || fail "the edit line does not name the bad word"
keys Enter
wait_screen 5 "bad filter, not applied" || fail "Enter on a bad expression: no notice"
wait_screen 5 'filter "dport 5002 or dport 5003 ?"' || fail "the last good filter is gone"
wait_ports "5002 5003 " || fail "after a bad expression: UDP rows '$(udp_ports)'"
keys Escape
wait_ports "5001 5002 5003 " || fail "Esc did not clear the expression: '$(udp_ports)'"

# --- pause: numbers frozen while traffic goes on, current after resume
keys Space
wait_screen 5 "PAUSED" || fail "space did not pause"
# taken once paused: a refresh just before the key may have moved the age
before=$(row 5001)
ns a $TRAFFIC udp-send 192.0.2.1 40001 198.51.100.2 5001 20 1000 || fail "udp 5001 (2)"
p1=$(screen)
# not a wait for something: the window (three -t 0.2 intervals) in which
# a running view would have redrawn with the new traffic
sleep 0.7
p2=$(screen)
[ "$p1" = "$p2" ] || fail "the paused screen changed: $(diff <(echo "$p1") <(echo "$p2"))"
[ "$(row 5001)" = "$before" ] || fail "paused row changed: '$before' -> '$(row 5001)'"
keys Space
# 5 x 128 bytes before, 20 x 1028 while paused: 21200 bytes, 21.2k (SI)
wait_screen 5 " udp .* 5001 .* 21\.2k " || fail "resume did not show current counters: $(row 5001)"
screen | grep -q PAUSED && fail "still paused after the second space"

# --- a 40x10 terminal, then a resize back
tm resize-window -t ft -x 40 -y 10
# the view redrawn for the new size: its header, titles, nothing wider
redrawn_40() {
	screen | grep -q "^flowtop" && screen | grep -q "PROCESS" &&
		screen | awk 'length($0) > 40 { exit 1 }'
}
wait_for 5 redrawn_40 || fail "40x10: not redrawn: $(screen)"
[ "$(screen | wc -l)" -le 10 ] || fail "40x10: more than 10 lines"
screen | awk 'length($0) > 40 { exit 1 }' || fail "40x10: a line wider than 40 columns"
screen | grep -q "PROCESS" || fail "40x10: no column titles"
keys j Enter
wait_screen 5 "Flow detail" || fail "40x10: Enter did not open the detail"
keys Escape
keys l l l
wait_screen 5 "DESTINATION|PORT|OUT" || fail "40x10: Right did not scroll the columns"
keys '?'
wait_screen 5 "flowtop keys" || fail "40x10: ? did not open the help"
keys x
tm resize-window -t ft -x 150 -y 40
wait_screen 5 "DESTINATION.*PORT.*IN/s" || fail "resize to 150x40: columns missing"
three_udp() { [ "$(screen | grep -c ' udp ')" -ge 3 ]; }
wait_for 5 three_udp || fail "resize to 150x40: flows missing"

keys q
wait_screen 5 "FLOWTOP-EXIT=0" || fail "q did not end flowtop with status 0"
tm kill-session -t ft

# --- keys answered while the first dump is still being read: strace
# holds every netlink read of it (the collector thread's) for 3 s
command -v strace >/dev/null || fail "strace not installed (scripts/install-deps.sh --test)"
tm new-session -d -s ft -x 120 -y 30 \
	"env LANG=C.UTF-8 TERM=screen ASAN_OPTIONS=\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}detect_leaks=0 ip netns exec $(nsname r) strace -f -o /dev/null -e trace=recvmsg -e inject=recvmsg:delay_exit=3000000 $FLOWTOP -t 0.5; echo FLOWTOP-EXIT=\$?; sleep 600" ||
	fail "cannot start tmux"
wait_screen 10 "waiting for the first snapshot" ||
	fail "no header from flowtop under strace"
keys '?'
wait_screen 2 "flowtop keys" || fail "? not answered during the first dump"
keys x
wait_screen 2 "waiting for the first snapshot" ||
	fail "the first snapshot came already: the dump was not held"
wait_screen 30 "flowtop .*flows [0-9]+/[0-9]+" ||
	fail "no flows after the held dump"
keys q
wait_screen 10 "FLOWTOP-EXIT=0" || fail "q did not end flowtop with status 0"
pass "sort, filter, toggles, NAT detail, pause, 40x10, resize, keys during the first dump"
