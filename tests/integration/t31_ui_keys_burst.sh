#!/bin/bash
# Issue 14: the view answers every cursor key from what it already has,
# also while a burst of new flows makes flowtop resync.
#
# flowtop's view runs on a pty (tests/tools/ui_keys_order.py keeps a
# virtual screen of its output) in a namespace that already holds 20000
# UDP flows which all look alike on screen (one destination, one port, one
# age): scrolling among them changed nothing visible before the footer
# showed the cursor's row, so a key looked answered only by the next
# refresh. Meanwhile bursts of new flows overflow a deliberately small
# netlink buffer, so flowtop resyncs. Each of 72 cursor keys (PgDn, Down,
# j, Up, k, Home; most of them scroll the list under a cursor on the bottom
# line) must change the screen before the next snapshot does (the header's
# clock tells which snapshot is shown: no timing threshold, only the order
# of what flowtop printed) and put the cursor on the row the key moves it
# to. A key that lands in the same turn of the view's loop as a refresh is
# indistinguishable from a late one: at most 3 of 72 may (with answers of
# a few ms and a 2 s interval, about one in several hundred does); before
# the fix a key that scrolled among alike rows was late (9 and 11 of 72
# in two runs with the footer's position left out).
. "$(dirname "$0")/lib.sh"

require_root
require_flowtop
require_loadgen
command -v nft >/dev/null || skip "nft (nftables) is not installed"
"$PY" -c 'import pyte' 2>/dev/null || fail "python3-pyte is not installed (make deps-test)"

sink_pair gen dut
sysctl_set dut net.netfilter.nf_conntrack_udp_timeout 120

# rows to move over, in place before flowtop starts (port 10)
lg=$(ns gen "$LOADGEN" --rate 20000 --duration 1 --dport 10 --quiet) ||
	fail "loadgen failed: $lg"

# bursts of 30000 new flows (port 9) as fast as the generator goes, every
# 0.75 s while the keys are pressed (50-150 ms apart): a 64 KiB event
# buffer overflows
bursts() {
	local b
	sleep 1
	for b in 0 1 2 3 4 5 6 7; do
		nice -n -10 ip netns exec "$(nsname gen)" "$LOADGEN" --burst \
			--count 30000 --flows 30000 --start $((b * 30000)) \
			--threads 2 --quiet >/dev/null
		sleep 0.75
	done
}
bursts &
_BG_PIDS+=($!)

out=$("$PY" "$TOP/tests/tools/ui_keys_order.py" --keys 72 --allow 3 \
	--rows 14 --cols 160 --pause 0.05 0.15 -- \
	ip netns exec "$(nsname dut)" "$FLOWTOP" -G -n -U -t 2 \
	--netlink-buffer 65536 2>&1) || rc=$?
echo "$out" >&2
[ "${rc:-0}" -ne 2 ] || fail "the view did not start: $out"
summary=$(tail -n 1 <<<"$out")
resyncs=$(sed -n 's/.*resyncs=\([0-9]*\).*/\1/p' <<<"$summary")
[ "${rc:-0}" -eq 0 ] || fail "keys late or misplaced: $summary"
# the case this test is about: keys during a resync
[ "${resyncs:-0}" -ge 1 ] ||
	fail "no resync happened during the bursts ($summary); the test did not run its case"
log "$summary"
