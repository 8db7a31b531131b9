#!/bin/bash
# Check 6 of issue 2: churn and event loss.
#
# A sender namespace "gen" pushes new UDP flows as fast as it can (>= 100k
# per second on the 2-CPU reference machine) with bench/loadgen over a veth
# into "dut", where conntrack tracks them: dut forwards them back towards
# 203.0.113.0/24 and a netdev egress rule drops them after conntrack has
# confirmed the entry, so nothing replies and no ICMP is sent anywhere.
# flowtop runs in dut with a deliberately small netlink receive buffer, so
# the kernel drops events (ENOBUFS) and flowtop has to resync. Once churn
# has stopped and flowtop's snapshots have settled, its flow set must equal
# `conntrack -L` in dut exactly: nothing lost, no ghosts. The UDP timeout in
# dut is raised to 120 s so that no flow expires while the sets are compared.
#
# Environment: LOADGEN (default $BUILD/bench/loadgen), CHURN_FLOWS (new
# flows to create, default 200000), CHURN_NETLINK_BUFFER (flowtop's
# --netlink-buffer, default 65536; try the 16 MiB default too: then the
# kernel reports ENOBUFS once per congestion episode and later drops only
# show in the socket's drop counter).
. "$(dirname "$0")/lib.sh"

require_root
require_flowtop
require_loadgen
command -v conntrack >/dev/null || skip "conntrack (conntrack-tools) is not installed"
command -v nft >/dev/null || skip "nft (nftables) is not installed"

CHURN=${CHURN_FLOWS:-200000}
NLBUF=${CHURN_NETLINK_BUFFER:-65536}
INTERVAL=1

# only if the churn would not fit; put back on every exit path (lib.sh)
ct_max_at_least $((CHURN + CHURN / 4))

# gen (192.0.2.2) --veth-- dut (192.0.2.1): dut routes the churn destinations
# back out of dut0, where the egress hook (after POSTROUTING, so after the
# conntrack entry is confirmed) drops them. An input-hook drop would not do:
# an entry is only inserted into the table at confirmation.
sink_pair gen dut
sysctl_set dut net.netfilter.nf_conntrack_udp_timeout 120

# -n -G: flowtop's own reverse lookups (to the namespace's 127.0.0.1:53,
# refused and retried by the resolver seconds later) are flows too, and one
# made between the settled snapshot and `conntrack -L` would show as missing.
ft_start churn dut --batch --output json --count 0 -t "$INTERVAL" \
	--netlink-buffer "$NLBUF" -U -n -G

# The generator runs at nice -10: on a real gateway conntrack's work is done
# in softirq, ahead of any process, and flowtop gets what is left. Fairly
# shared, two CPUs would hold the churn well below 100k/s here.
log "churning $CHURN new UDP flows through dut"
lg=$(nice -n -10 ip netns exec "$(nsname gen)" "$LOADGEN" --burst --count "$CHURN" \
	--flows "$CHURN" --threads 2 --duration 30 --quiet) || fail "loadgen failed: $lg"
churn_end=$(date +%s.%N)
log "loadgen: $lg"
rate=$(sed -n 's/.* rate=\([0-9]*\).*/\1/p' <<<"$lg")
sent=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' <<<"$lg")
[ "${sent:-0}" -eq "$CHURN" ] || fail "loadgen sent ${sent:-?} of $CHURN packets: $lg"
if [ "${rate:-0}" -lt 100000 ]; then
	# Not a failure of flowtop: the machine was busy. Loss must still happen.
	log "note: churn reached only ${rate:-?} new flows/s here (target >= 100000)"
fi
kill -0 "${FT_PID[churn]}" 2>/dev/null ||
	fail "flowtop died during churn; stderr: $(tail -c 600 "$TMPD/churn.err")"

# fault_settle.py waits for two consecutive snapshots, both taken at least
# a full interval after churn ended, whose counters (events, new/destroyed
# flows, resyncs, lost events, flows_total) are identical; then compares the
# later one's UDP flow set with `conntrack -L` in dut taken right after it
# (the table must not change meanwhile: conntrack -C before and after, and
# the snapshot after it must carry the same counters).
rc=0
verdict=$($PY "$TOP/tests/tools/fault_settle.py" "$TMPD/churn.out" "$churn_end" "$INTERVAL" \
	"$(nsname dut)" 30) || rc=$?
log "result: $verdict"
[ "$rc" -ne 2 ] || fail "$verdict"
[ "$rc" -ne 0 ] && [ "${verdict#\{}" = "$verdict" ] && fail "$verdict"

field() { $PY -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print("null" if v is None else v)' "$verdict" "$1"; }
resyncs=$(field resyncs)
ct_n=$(field ct)
ft_n=$(field ft)

[ "$(field ct_stable)" = True ] ||
	fail "conntrack -L changed while comparing (flows expiring?): $verdict"
[ "$(field quiet_after)" = True ] ||
	fail "flowtop's counters moved between the compared snapshot and the next (a flow made meanwhile?): $verdict"
# Most of the churn must be in the table, or the comparison proves little.
[ "$ct_n" -ge $((CHURN * 9 / 10)) ] ||
	fail "conntrack -L in dut holds only $ct_n of $CHURN churned flows: $verdict"
[ "$resyncs" != null ] && [ "$resyncs" -gt 0 ] ||
	fail "no resync counted (resyncs=$resyncs) although $CHURN flows arrived at ${rate:-?}/s with a $NLBUF-byte netlink buffer: ENOBUFS not seen or not counted"
[ "$rc" -eq 0 ] ||
	fail "flowtop's settled snapshot differs from conntrack -L: $(field missing) flows missing, $(field ghosts) ghosts ($ft_n in flowtop, $ct_n in conntrack): $verdict"

ft_stop churn INT
[ "$FT_RC" -eq 0 ] || fail "flowtop exited with $FT_RC after SIGINT; stderr: $(tail -c 600 "$TMPD/churn.err")"
pass "$ct_n flows equal after churn at ${rate:-?}/s, $resyncs resyncs, $(field lost_events) lost events"
