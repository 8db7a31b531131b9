#!/bin/bash
# Flows older than flowtop. A masquerading gateway (client 192.0.2.2 -
# gateway - server 198.51.100.2) with nf_conntrack_acct=1 set before any
# traffic: a TCP transfer of known size and a UDP exchange happen before
# flowtop starts. Their totals in `flowtop --batch` must equal the kernel's
# (conntrack -L -o extended) exactly, both directions, with counted_from
# "start"; packets sent while flowtop runs add on top, none twice. With
# acct off, the totals count from when flowtop began (counted_from is that
# UNIX time) and hold only what was sent since.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop

# acct on before the first packet: the kernel counts these flows from
# their start (the extension is given at creation)
gateway_setup masquerade
serve s $TRAFFIC tcp-server 198.51.100.2 80
serve s $TRAFFIC udp-echo 198.51.100.2 7001

C="orig_packets orig_bytes reply_packets reply_bytes"
TCP1="proto=tcp src=192.0.2.2 sport=42001 dst=198.51.100.2 dport=80"
UDP1="proto=udp src=192.0.2.2 sport=40001 dst=198.51.100.2 dport=7001"

ns c $TRAFFIC tcp-send 192.0.2.2 42001 198.51.100.2 80 2000000 ||
	fail "TCP transfer failed"
ns c $TRAFFIC udp-send 192.0.2.2 40001 198.51.100.2 7001 5 300 ||
	fail "UDP exchange failed"
_tcp_done() { ns r conntrack -L -p tcp --sport 42001 2>/dev/null | grep -q TIME_WAIT; }
wait_for 5 _tcp_done || fail "the TCP flow did not reach TIME_WAIT"

# --- one-shot batch: the idle pre-existing flows carry the kernel's totals
ft r --batch -n -G -T -U --output json -t 0.3 >"$TMPD/one.out" 2>"$TMPD/one.err" ||
	fail "flowtop --batch failed: $(cat "$TMPD/one.err")"
snap=$($FTJSON last "$TMPD/one.out" >"$TMPD/one.last" && echo "$TMPD/one.last") ||
	fail "no JSON snapshot: $(head -c 400 "$TMPD/one.out")"
ct_snap r "$TMPD/ct1.json"
for sel in "$TCP1" "$UDP1"; do
	got=$(json_get "$snap" $sel -- $C)
	ct=$(json_get "$TMPD/ct1.json" $sel -- $C)
	[ "$got" = "$ct" ] || fail "pre-existing flow ($sel): flowtop '$got', conntrack '$ct' ($C)"
	from=$(json_get "$snap" $sel -- counted_from)
	[ "$from" = start ] || fail "pre-existing flow ($sel) with kernel counters: counted_from '$from', want start"
done
set -- $(json_get "$snap" $TCP1 -- orig_bytes reply_packets)
[ "$1" -gt 2000000 ] && [ "$2" -gt 10 ] ||
	fail "the TCP flow's totals ($*) do not hold the 2 MB transfer"
log "idle pre-existing flows equal the kernel's: TCP $(json_get "$snap" $TCP1 -- $C)"

# --- packets while flowtop runs add to the kernel's base, none twice
ft_start r r --batch -n -G -T -U --output json --count 0 -t 0.3
ns c $TRAFFIC udp-send 192.0.2.2 40001 198.51.100.2 7001 4 300 ||
	fail "second UDP exchange failed"
ft_sync r 2
snap=$(ft_last r)
ct_snap r "$TMPD/ct2.json"
ft_stop r INT
[ "$FT_RC" -eq 0 ] || fail "flowtop exited $FT_RC; stderr: $(cat "$TMPD/r.err")"
got=$(json_get "$snap" $UDP1 -- $C)
ct=$(json_get "$TMPD/ct2.json" $UDP1 -- $C)
want="9 $((9 * 328)) 9 $((9 * 328))"
[ "$got" = "$ct" ] && [ "$got" = "$want" ] ||
	fail "UDP flow with 5 datagrams before and 4 during the run: flowtop '$got', conntrack '$ct', sent '$want'"
got=$(json_get "$snap" $TCP1 -- $C)
ct=$(json_get "$TMPD/ct2.json" $TCP1 -- $C)
[ "$got" = "$ct" ] || fail "idle TCP flow in a longer run: flowtop '$got', conntrack '$ct'"

# --- acct off: totals since flowtop began counting, and it says when
sysctl_set r net.netfilter.nf_conntrack_acct 0
TCP2="proto=tcp src=192.0.2.2 sport=42002 dst=198.51.100.2 dport=80"
UDP2="proto=udp src=192.0.2.2 sport=40002 dst=198.51.100.2 dport=7001"
ns c $TRAFFIC tcp-send 192.0.2.2 42002 198.51.100.2 80 500000 ||
	fail "TCP transfer (acct off) failed"
ns c $TRAFFIC udp-send 192.0.2.2 40002 198.51.100.2 7001 5 300 ||
	fail "UDP exchange (acct off) failed"
before=$(date +%s.%N)
ft_start r2 r --batch -n -G -T -U --output json --count 0 -t 0.3
ns c $TRAFFIC udp-send 192.0.2.2 40002 198.51.100.2 7001 4 300 ||
	fail "second UDP exchange (acct off) failed"
ft_sync r2 2
snap=$(ft_last r2)
ft_stop r2 INT
[ "$FT_RC" -eq 0 ] || fail "flowtop exited $FT_RC; stderr: $(cat "$TMPD/r2.err")"
[ "$(sysctl_get r net.netfilter.nf_conntrack_acct)" = 0 ] ||
	fail "nf_conntrack_acct was turned on without any offloaded flow"
got=$(json_get "$snap" $UDP2 -- $C)
[ "$got" = "4 $((4 * 328)) 4 $((4 * 328))" ] ||
	fail "UDP flow without kernel counters: totals '$got', want only the 4 datagrams sent while flowtop ran"
got=$(json_get "$snap" $TCP2 -- $C)
[ "$got" = "0 0 0 0" ] || fail "idle TCP flow without kernel counters: totals '$got', want 0 since flowtop began"
stime=$($FTJSON top "$snap" time)
for sel in "$TCP2" "$UDP2"; do
	from=$(json_get "$snap" $sel -- counted_from)
	$PY -c 'import sys
f, b, t = (float(x) for x in sys.argv[1:])
sys.exit(0 if b <= f <= t else 1)' "$from" "$before" "$stime" ||
		fail "flow without kernel counters ($sel): counted_from '$from', want the UNIX time flowtop began (between $before and $stime)"
done

# --- the view: '>' before totals counted since flowtop began, explained
# in the help screen; the flows with kernel counters carry no mark
if command -v tmux >/dev/null; then
	TM_SOCK="ft-$$"
	tm() { tmux -L "$TM_SOCK" "$@"; }
	trap 'rc=$?; set +e; tmux -L "$TM_SOCK" kill-server 2>/dev/null; (exit $rc); _cleanup' EXIT
	screen() { tm capture-pane -p -t ft; }
	wait_screen() {
		local i=0
		while ! screen | grep -qE -- "$1"; do
			i=$((i + 1))
			if [ "$i" -gt 200 ]; then
				screen | sed 's/^/    | /' >&2
				return 1
			fi
			sleep 0.05
		done
	}
	tm new-session -d -s ft -x 140 -y 30 \
		"env LANG=C.UTF-8 TERM=screen ip netns exec $(nsname r) $FLOWTOP -n -G -t 0.3; sleep 600" ||
		fail "cannot start tmux"
	# the 2 MB flow (kernel counters): its total, no mark
	wait_screen " tcp .* 2\.[01]M " || fail "the view does not show the 2 MB flow's total"
	screen | grep -E " tcp .* 2\.[01]M " | grep -q ">" &&
		fail "a total with kernel counters is marked: $(screen | grep -E ' tcp .* 2\.[01]M ')"
	# the 500 kB flow of the acct-off phase: counted since flowtop began
	wait_screen " tcp .* >0 " || fail "the older flow without kernel counters has no '>' mark"
	tm send-keys -t ft "?"
	wait_screen ">12k +a total since flowtop began counting" ||
		fail "the help screen does not explain the '>' mark"
	wait_screen "o offloaded" || fail "the help screen does not explain the offload mark"
fi
pass "pre-existing flows: kernel totals with acct on (counted_from start), since flowtop began with it off"
