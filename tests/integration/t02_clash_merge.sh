#!/bin/bash
# Two connections of one tuple, unconfirmed at once: the first UDP packet
# of a flow sent from two CPUs together (tests/tools/race_udp_first.py).
# Conntrack gives each packet an entry; only one gets into the table, the
# other is merged into it with its counters (nf_ct_resolve_clash, counted
# in `conntrack -S` clash_resolve). Every flow then has 2 packets in the
# kernel's accounting, and must have 2 in flowtop's (slots counter map; the
# second entry used to restart the counters: 1). The race is not always
# won: rounds of flows are sent until conntrack reports at least 3 merges.
# A window remains (man page, BUGS): 2 of 3000 flows were one packet short
# each way in one CI run, against 10-16 of 500 before the merge was
# counted. Up to 1 flow in 500 (at least 2, as a round or a few may be all
# there is) may be short like that, by exactly the one packet each way of a
# merged entry; any other difference fails.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs for the race"

pair_setup acct
# the rounds can take over 30 s, UDP's default timeout: the first round's
# flows must still be in the table when the last one is compared
sysctl_set a net.netfilter.nf_conntrack_udp_timeout 600
sysctl_set a net.netfilter.nf_conntrack_udp_timeout_stream 600
serve b $TRAFFIC udp-echo 192.0.2.2 7000 --count 1000000
clashes() {
	ns a conntrack -S 2>/dev/null | grep -o 'clash_resolve=[0-9]*' |
		cut -d= -f2 | awk '{ s += $1 } END { print s + 0 }'
}

ft_start m a --batch -n -G --output json --count 0 -t 0.3 -U --counter-map slots
c0=$(clashes)
# rounds of 100 flows (a fraction of a second each), up to 4000 flows
rounds=0 flows=0
while [ $(($(clashes) - c0)) -lt 3 ] && [ $rounds -lt 40 ]; do
	ns a timeout 60 $PY "$TOP/tests/tools/race_udp_first.py" 192.0.2.1 192.0.2.2 7000 \
		$((40000 + rounds * 100)) 100 || fail "race_udp_first.py failed"
	rounds=$((rounds + 1))
	flows=$((flows + 100))
done
merged=$(($(clashes) - c0))
[ "$merged" -gt 0 ] || skip "no clash in $flows flows: the race was never won here"
ft_sync m 2
snap=$(ft_last m)
ct_snap a "$TMPD/ct.json"
$PY - "$snap" "$TMPD/ct.json" "$flows" <<'PY' || fail "flowtop's counts differ from the kernel's (above)"
import json, sys
def flows(path):
    snap = json.loads(open(path).read().strip().splitlines()[-1])
    return {f["sport"]: f for f in snap["flows"]
            if f["proto"] == "udp" and f["dport"] == 7000 and 40000 <= f["sport"] < 44000}
ft, ct, n = flows(sys.argv[1]), flows(sys.argv[2]), int(sys.argv[3])
if len(ct) != n:
    sys.exit("test traffic is off: conntrack holds %d of the %d flows" % (len(ct), n))
F = ("orig_packets", "orig_bytes", "reply_packets", "reply_bytes")
off = [p for p in ct if ct[p]["orig_packets"] != 2]
if off:
    sys.exit("test traffic is off: conntrack counts %s packets for port %d, sent 2"
             % (ct[off[0]]["orig_packets"], off[0]))
def got(p):
    return [ft.get(p, {}).get(k) for k in F]
def want(p):
    return [ct[p][k] for k in F]
bad = [p for p in ct if got(p) != want(p)]
# the remaining window: half of each direction, i.e. one of the two
# packets each way (both entries' first packets carry the same length)
short = [p for p in bad if got(p) == [w // 2 for w in want(p)]]
other = [p for p in bad if p not in short]
if other:
    p = other[0]
    sys.exit("%d of %d flows differ, e.g. port %d: flowtop %s, conntrack %s"
             % (len(other), n, p, got(p), want(p)))
allowed = max(2, n // 500)
if len(short) > allowed:
    p = short[0]
    sys.exit("%d of %d flows are one packet short each way (at most %d may be), "
             "e.g. port %d: flowtop %s, conntrack %s"
             % (len(short), n, allowed, p, got(p), want(p)))
if short:
    print("%d of %d flows one packet short each way (the known window)" % (len(short), n))
PY
log "$flows flows, $merged merged by conntrack: every flow's counts equal the kernel's"
pass "two unconfirmed entries of a tuple ($merged merged of $flows flows): counted like the kernel's merge"
