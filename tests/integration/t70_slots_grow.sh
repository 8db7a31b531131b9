#!/bin/bash
# The slots counter map is mapped into flowtop only as far as slots have
# been handed out, and the mapping grows (in place) as more are: with
# --max-flows 8192 (10240 slots) the first mapping covers 4096 slots, and
# 6000 new flows take slots 0-5999. Every one of them must be counted
# exactly (= conntrack -L -o extended), none lost to the growth, and no
# evictions (the map has room for all).
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
command -v conntrack >/dev/null || skip "conntrack (conntrack-tools) is not installed"

N=6000
pair_setup acct
serve b $TRAFFIC udp-echo 192.0.2.2 5001
ns a conntrack -F >/dev/null 2>&1 || true
ft_start grow a --batch -n -G --output json --count 0 -t 0.3 -U --counter-map slots --max-flows 8192

# 1000 flows at a time: reads happen in between, so the mapping grows in
# several steps while flows are being counted
for base in 20000 21000 22000 23000 24000 25000; do
	ns a $PY "$TOP/tests/tools/fault_udp_flows.py" 192.0.2.1 $base 192.0.2.2 5001 1000 2 60 ||
		fail "traffic failed"
done
ft_sync grow 3
kill -0 "${FT_PID[grow]}" 2>/dev/null || fail "flowtop died: $(cat "$TMPD/grow.err")"
snap=$(ft_last grow)
counts_match "$snap" a $N proto=udp dport=5001
ev=$(json_top "$snap" evictions)
[ "$ev" = 0 ] || fail "evictions $ev with $N flows in a map for 8192"
ft_stop grow TERM
[ "$FT_RC" -eq 0 ] || fail "flowtop exited $FT_RC: $(cat "$TMPD/grow.err")"
pass "$N flows over a slot mapping grown from 4096 slots: all exact, no evictions"
