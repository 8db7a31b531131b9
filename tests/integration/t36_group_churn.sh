#!/bin/bash
# --group-by on a forwarding namespace whose table changes under it: the
# groups of each snapshot are moved on to the next by the flows that came,
# went and changed (group_live.h), not counted afresh, so every kind of
# change must reach them. In DUT (bench/loadgen's sink topology, the
# kernel's accounting on as ground truth), flowtop --group-by src watches
#  1. 6000 forwarded UDP flows from 254 sources, each sent 3 times over
#     about a second (flows come, then their counters move);
#  2. 1524 of them deleted (conntrack -D: DESTROY events), among them
#     every source's first flow, which each group's first row points at;
#  3. 4000 more packets: 2000 of the flows left get one more, 2000 new
#     flows come.
# After each phase the last grouped snapshot must equal the kernel's
# per-source sums (flows, packets and bytes), exactly; and those of a
# second flowtop with --filter 'src 198.51.100.0/25 and dport 9' (a
# filter on what flows keep for life, asked once per flow) the sums of
# the flows from that /25.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
require_loadgen
command -v conntrack >/dev/null || skip "conntrack (conntrack-tools) is not installed"

sink_pair g d
ns d sysctl -qw net.netfilter.nf_conntrack_acct=1 >/dev/null
# nothing expires during the test: the sums compare exactly
sysctl_set d net.netfilter.nf_conntrack_udp_timeout 600
sysctl_set d net.netfilter.nf_conntrack_udp_timeout_stream 600
ft_start gr d --batch -n -G -U --output json --count 0 -t 0.2 --group-by src
# the same with a filter on what flows keep for life, asked once per flow
ft_start grf d --batch -n -G -U --output json --count 0 -t 0.2 --group-by src \
	--filter 'src 198.51.100.0/25 and dport 9'

# groups TAG WHAT [F=V...]: flowtop TAG's last groups equal the kernel's
# sums by source of the flows that match (conntrack -L in $TMPD/ct.json)
groups() {
	local tag=$1 what=$2 got
	shift 2
	$FTJSON sums "$TMPD/ct.json" src proto=udp dport=9 "$@" >"$TMPD/want"
	got=$($FTJSON groups "$TMPD/$tag.out") || fail "$what: $got"
	[ "$got" = "$(cat "$TMPD/want")" ] || {
		echo "$got" >"$TMPD/got"
		fail "$what ($tag): groups differ from the kernel's sums (< kernel, > flowtop): $(diff "$TMPD/want" "$TMPD/got" | head -8)"
	}
}

# same WHAT FLOWS: both flowtops agree with the kernel's table of FLOWS
same() {
	local what=$1 want=$2 n
	ct_snap d "$TMPD/ct.json"
	n=$($FTJSON count "$TMPD/ct.json" proto=udp dport=9)
	[ "$n" -eq "$want" ] || fail "$what: conntrack -L holds $n flows, want $want"
	groups gr "$what"
	groups grf "$what" src=198.51.100.0/25
}

lg() { ns g "$LOADGEN" --rate 20000 --quiet "$@" 2>&1 || fail "loadgen $*: failed"; }

# 1. tuples 0-5999, three rounds
lg --flows 6000 --count 18000 >/dev/null
ft_sync_all 3 gr grf
same "6000 flows, 3 packets each" 6000

# 2. tuple i has source port 1024 + i / 254: ports 1024-1029 are the
# first 1524 tuples, the first flow of every source among them
for p in 1024 1025 1026 1027 1028 1029; do
	ns d conntrack -D -p udp --sport $p >/dev/null 2>&1 ||
		fail "conntrack -D --sport $p deleted nothing"
done
ft_sync_all 3 gr grf
same "1524 flows deleted" 4476

# 3. tuples 4000-7999: 2000 known, 2000 new
lg --flows 8000 --start 4000 --count 4000 >/dev/null
ft_sync_all 3 gr grf
same "2000 flows moved on, 2000 new" 6476

for tag in gr grf; do
	kill -0 "${FT_PID[$tag]}" 2>/dev/null || fail "flowtop ($tag) died: $(tail -c 600 "$TMPD/$tag.err")"
	ft_stop $tag INT
	[ "$FT_RC" -eq 0 ] || fail "flowtop ($tag) exited $FT_RC; stderr: $(cat "$TMPD/$tag.err")"
done
pass "groups moved on through flows that came, went and changed: equal to the kernel's sums"
