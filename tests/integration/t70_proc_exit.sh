#!/bin/bash
# Fault: processes exit while flowtop looks up who owns their sockets. In
# namespace a, four loops start short-lived processes as fast as they can
# (3000 in all): each opens a TCP connection to b (bash /dev/tcp) or sends
# a UDP datagram (/dev/udp) and exits at once, some after holding the
# socket for a few milliseconds, some after handing it to a child that
# lives on a little longer. flowtop runs with -t 0.1, so its socket-owner
# lookups (sock_diag, then /proc/PID/fd) keep racing with the exits.
#
# flowtop must never crash or stop, every flow must still be listed (once
# the churn ends, its TCP and UDP flow set equals `conntrack -L`), every pid
# it shows must be null or a positive number with a process name, and a
# long-lived connection must still be attributed to its owner.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
command -v conntrack >/dev/null || skip "conntrack (conntrack-tools) is not installed"

pair_setup
serve b $TRAFFIC tcp-server 192.0.2.2 80
serve b $TRAFFIC udp-echo 192.0.2.2 5001
sysctl_set a net.netfilter.nf_conntrack_udp_timeout 120
sysctl_set a net.netfilter.nf_conntrack_tcp_timeout_time_wait 120

ft_start pc a --batch --output json --count 0 -t 0.1 -n -G -T -U
pid=${FT_PID[pc]}

# a long-lived owner, to check that attribution still works under churn
# (its port is outside the ephemeral range the churn draws from)
sysctl_set a net.ipv4.ip_local_port_range "50000 60999"
serve a $TRAFFIC tcp-hold 192.0.2.1 44000 192.0.2.2 80

churners=()
churn_start=$(date +%s.%N)
for w in 1 2 3 4; do
	ns a bash -c '
		w=$1
		for i in $(seq 750); do
			case $((i % 5)) in
			0) ( exec 3<>/dev/tcp/192.0.2.2/80 ) ;;
			1) ( exec 3<>/dev/tcp/192.0.2.2/80; sleep 0.00$((RANDOM % 10)) ) ;;
			2) ( exec 3<>/dev/tcp/192.0.2.2/80; ( sleep 0.02 ) & ) ;;
			3) echo x >/dev/udp/192.0.2.2/5001 ;;
			4) ( exec 3<>/dev/udp/192.0.2.2/5001; echo y >&3 ) ;;
			esac 2>/dev/null
		done' churn "$w" &
	_BG_PIDS+=("$!")
	churners+=("$!")
done
for c in "${churners[@]}"; do
	wait "$c" || fail "a churn loop failed"
	kill -0 "$pid" 2>/dev/null || fail "flowtop died during the churn; stderr: $(tail -c 600 "$TMPD/pc.err")"
done
sleep 0.3	# the children of case 2 and the last FINs
churn_end=$(date +%s.%N)
log "churn of 3000 short-lived processes took $(awk -v a="$churn_start" -v b="$churn_end" 'BEGIN { printf "%.1f", b - a }') s"
kill -0 "$pid" 2>/dev/null || fail "flowtop died; stderr: $(tail -c 600 "$TMPD/pc.err")"

rc=0
verdict=$($PY "$TOP/tests/tools/fault_settle.py" "$TMPD/pc.out" "$churn_end" 0.1 \
	"$(nsname a)" 20 tcp udp) || rc=$?
log "settled: $verdict"
[ "$rc" -eq 0 ] || fail "flowtop's flows differ from conntrack -L after the churn: $verdict"
n=$($PY -c 'import json,sys; print(json.loads(sys.argv[1])["ct"])' "$verdict")
[ "$n" -ge 2000 ] || fail "only $n flows in conntrack -L after 3000 connections (test set-up?)"

owner=$(ns a ss -Htnp state established "( sport = :44000 )" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)
[ -n "$owner" ] || fail "cannot find the pid of the long-lived connection"
# two more snapshots (the owner lookups of the settled set), then stop: at
# -t 0.1 with 3000 flows the output grows by megabytes a second
ft_sync pc 5
ft_stop pc TERM
[ "$FT_RC" -eq 0 ] || fail "flowtop exited $FT_RC; stderr: $(tail -c 600 "$TMPD/pc.err")"

# every pid shown in every 4th snapshot and the last: null, or positive
# with a process name; the long-lived connection attributed in the last
res=$($PY - "$TMPD/pc.out" "$owner" <<'PY'
import json, sys
lines = open(sys.argv[1], "rb").read().splitlines()
bad, owned, checked, last = [], 0, 0, None
for i, line in enumerate(lines):
    if i % 4 and i != len(lines) - 1:
        continue
    try:
        s = json.loads(line)
    except ValueError:
        continue
    checked += 1
    last = s
    for f in s["flows"]:
        p = f.get("pid")
        if p is None:
            continue
        owned += 1
        if not (isinstance(p, int) and p > 0 and f.get("process")):
            bad.append((f.get("sport"), p, f.get("process")))
hold = [f.get("pid") for f in last["flows"] if f.get("proto") == "tcp" and f.get("sport") == 44000]
print("%d of %d snapshots checked, %d rows with an owner, bad %s, long-lived owner %s (want %s)"
      % (checked, len(lines), owned, bad[:5], hold, sys.argv[2]))
sys.exit(1 if bad or hold != [int(sys.argv[2])] else 0)
PY
) || fail "owners: $res"
log "$res"
pass "3000 short-lived processes: flowtop ran on, $n flows equal conntrack -L, owners sane"
