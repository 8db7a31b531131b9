#!/bin/bash
# Counts stay exact when events are lost and slots run out. flowtop
# (--max-flows 16: 1040 counter slots; a 4 KiB event socket) is stopped
# while 1500 UDP flows come and go through their traffic (2 datagrams and
# their echoes each): their NEW events overflow the socket, and the flows
# past the 1040th find no free slot, so BPF counts none of their packets
# (evictions). Once flowtop runs again it lists the table anew (a resync),
# and the kernel's counters in that dump (nf_conntrack_acct) must make up
# what BPF missed: every flow's counters equal `conntrack -L -o extended`.
# 200000 idle flows made before flowtop starts make that listing last
# several intervals (-t 0.1), so counter reads fall inside it: a test
# flow's slot is then read (and kept, its flow may come further on) before
# its line, and must still be weighed at the next read, or its packets
# count twice once it moves again: 500 of the flows send 2 datagrams more
# after the resync, and they too must equal the kernel's.
# (Before, a flow first heard of in a resync and younger than flowtop was
# taken as counted from its start by BPF alone: those without a slot
# showed no traffic at all, and flows whose slot had been let go as an
# orphan's before the dump reached them lost what it had counted.)
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
command -v conntrack >/dev/null || skip "conntrack (conntrack-tools) is not installed"
require_loadgen

FLOWS_N=1500
AGAIN=500
IDLE=200000
FLOWS=$TOP/tests/tools/fault_udp_flows.py

pair_setup acct
ct_max_at_least $((IDLE + FLOWS_N + 50000))
serve b $TRAFFIC udp-echo 192.0.2.2 5001
ns a conntrack -F >/dev/null 2>&1 || true
# nothing expires during the test: the counts compare exactly
sysctl_set a net.netfilter.nf_conntrack_udp_timeout 600
sysctl_set a net.netfilter.nf_conntrack_udp_timeout_stream 600
lg=$(ns a "$LOADGEN" --rate 150000 --count $IDLE --flows $IDLE \
	--dst 192.0.2.2 --dport 9 --quiet 2>&1) || fail "loadgen ($IDLE idle flows) failed: $lg"
[ "$(ns a conntrack -C)" -ge $IDLE ] || fail "only $(ns a conntrack -C) conntrack entries after $IDLE flows: $lg"

# (the test flows only in the output: not 200000 flows ten times a second)
ft_start rc a --batch -n --output json --count 0 -t 0.1 -U --max-flows 16 \
	--filter 'dport 5001' \
	--netlink-buffer 4096
kill -STOP "${FT_PID[rc]}"
ns a $PY "$FLOWS" 192.0.2.1 30000 192.0.2.2 5001 $FLOWS_N 2 60 || {
	kill -CONT "${FT_PID[rc]}"
	fail "traffic of the flows failed"
}
kill -CONT "${FT_PID[rc]}"

# a resync done and past: the snapshot's flow count equals the kernel's
_ct_n() { ns a conntrack -C 2>/dev/null; }
# (past a resync, not in one: its flow count, else -1)
_settled() {
	$FTJSON last "$TMPD/rc.out" >"$TMPD/rc.cur" 2>/dev/null || return 1
	[ "$($PY -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["flows_total"] if s["resyncs"] >= 1 and not s.get("resyncing") else -1)' "$TMPD/rc.cur")" = "$(_ct_n)" ]
}
wait_for 30 _settled || fail "no resync settled: last snapshot $(head -c 300 "$TMPD/rc.cur"), conntrack $(_ct_n); stderr: $(tail -c 300 "$TMPD/rc.err")"
ft_sync rc 3
# the first 500 flows again (they have slots: the first 1040 took them)
ns a $PY "$FLOWS" 192.0.2.1 30000 192.0.2.2 5001 $AGAIN 2 60 ||
	fail "the second traffic of $AGAIN flows failed"
ft_sync rc 3
kill -0 "${FT_PID[rc]}" 2>/dev/null || fail "flowtop died: $(tail -c 600 "$TMPD/rc.err")"
snap=$(ft_last rc)
counts_match "$snap" a $FLOWS_N proto=udp dport=5001
# the traffic as meant: 500 flows with 4 datagrams each way (88 bytes each)
again=$(grep -c ' 4 352 4 352$' "$TMPD/ct.counts")
[ "$again" -eq $AGAIN ] || fail "$again flows with 4 datagrams in conntrack, want $AGAIN"
rs=$(json_top "$snap" resyncs)
ev=$(json_top "$snap" evictions)
[ "$rs" -ge 1 ] || fail "no resync: the events were not lost"
[ "$ev" -gt 0 ] || fail "evictions $ev: every flow found a slot, nothing to make up"
log "$FLOWS_N flows exact; resyncs $rs, evictions $ev, lost events $(json_top "$snap" lost_events)"
ft_stop rc TERM
[ "$FT_RC" -eq 0 ] || fail "flowtop exited $FT_RC; stderr: $(cat "$TMPD/rc.err")"
pass "events lost and slots out: after the resync every flow's counts equal the kernel's"
