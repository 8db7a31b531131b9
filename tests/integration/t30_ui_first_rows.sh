#!/bin/bash
# The view shows the table as soon as the first dump is in, before the
# first interval's rates (collector early_first): with -t 60, a flow found
# at start is listed long before the first interval ends.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
require_tmux

ns_add a
ct_enable a acct
serve a $TRAFFIC udp-echo 127.0.0.1 9
ns a $TRAFFIC udp-send 127.30.0.1 40001 127.0.0.1 9 5 300 ||
	fail "the traffic tool failed"
wait_for 10 eval '[ "$(ns a conntrack -L 2>/dev/null | grep -c "sport=40001")" -ge 1 ]' ||
	fail "the flow is not in conntrack"

tm new-session -d -s ft -x 160 -y 30 \
	"env LANG=C.UTF-8 TERM=screen ip netns exec $(nsname a) $FLOWTOP -n -G -U --acct conntrack -t 60; echo FLOWTOP-EXIT=\$?; sleep 600" ||
	fail "cannot start tmux"
wait_screen 15 "flowtop .*flows [0-9]+/[0-9]+" || fail "no header from flowtop"
# one interval is 60 s: rows within 20 s come from the first dump alone
wait_screen 20 "row 1/" || fail "no rows before the first interval ended"
# its totals are there already: 5 datagrams of 328 B (with the IP and
# UDP headers) each way; the rates wait for the first interval
screen | grep -qE " udp .* 127\.0\.0\.1 +discard .* 1\.6k +0B/s +1\.6k +0B/s" ||
	fail "the flow found at start is not listed with its totals:
$(screen)"
keys q
wait_screen 10 "FLOWTOP-EXIT=0" || fail "flowtop did not exit on q"
pass "rows from the first dump, before the first interval"
