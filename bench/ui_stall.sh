#!/bin/bash
# The view under the phases where a key used to wait most of an interval:
# bursts of new flows and a table that expires at once. Each run starts
# flowtop's view on an empty namespace, presses keys from its first screen
# to the end (start-up included) and reports the slowest key beside the
# percentiles. Prints figures, not pass/fail (issue 14's goal: the slowest
# key <= 15 ms during bursts of 100k new flows/s, <= 10 ms at 262144 flows).
#
#   bench/ui_stall.sh                 both scenarios, UI_STALL_RUNS runs each
#   bench/ui_stall.sh burst           one of them
#   bench/ui_stall.sh expiry
#
# burst:  nf_conntrack_max 1310720, UDP timeout 60 s, a trickle of 500 new
#         flows/s from the start (rows to move over), then six bursts of
#         100k new UDP flows/s, 3 s each, 2 s apart; keys for 80 s, so the
#         first bursts' flows also expire during the run.
# expiry: UDP timeout 13 s; 262144 flows loaded as fast as the generator
#         goes (~2 s), then 20000 new flows/s; the loaded table expires at
#         once ~15 s in; keys for 60 s.
#
# Keys: before the first row, "?" (help on, help off); then UI_STALL_SEQ
# (default DOWN,b,PGDN,UP,j,k,HOME: arrows, PgDn and letters, each of which
# moves the cursor or changes every rate on screen) at random gaps of
# 150-300 ms. The footer shows the cursor's row number, so a cursor key
# changes the screen even among rows that look alike.
#
# Environment: BUILD, FLOWTOP, UI_STALL_RUNS (default 10), UI_STALL_SEQ,
# UI_STALL_ARGS (flowtop options, default "-G -n -46TU"), UI_STALL_STEADY
# (0: without the 96 steady flows at the top of the view), UI_STALL_TRACE
# (a directory: one key trace per run is kept there), UI_AUTOGROUP (0 or 1:
# kernel.sched_autogroup_enabled for the run, then put back; default: the
# machine's; see bench/README.md, issue 14).
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
export TOP BUILD
. "$TOP/tests/integration/lib.sh"

RUNS=${UI_STALL_RUNS:-10}
SEQ=${UI_STALL_SEQ:-DOWN,b,PGDN,UP,j,k,HOME}
ARGS=${UI_STALL_ARGS:--G -n -46TU}
LAT=${UI_LATENCY:-$TOP/$BUILD/bench/ui_latency}
SCENARIOS=${*:-burst expiry}

require_root
require_flowtop
require_loadgen
[ -x "$LAT" ] || fail "pty harness not built at $LAT; run 'make $BUILD/bench/ui_latency'"
ct_max_at_least 1310720
[ -z "${UI_AUTOGROUP:-}" ] || autogroup_set "$UI_AUTOGROUP"

# view KEYS_SECONDS NS TRACE: flowtop's view in NS under the harness
view() {
	"$LAT" --startup-seq '?' --seq "$SEQ" --gap-ms 150-300 --warmup 0 \
		--ready "row 1/" --rows 50 --cols 200 --keys 100000 \
		--duration "$1" --trace "$3" -- \
		ip netns exec "$(nsname "$2")" "$FLOWTOP" $ARGS 2>"$TMPD/lat.err" ||
		fail "ui_latency failed: $(tail -c 600 "$TMPD/lat.err")"
}

burst_load() {
	local g=$1 b
	sleep 8
	for b in 1 2 3 4 5 6; do
		ns "$g" "$LOADGEN" --rate 100000 --threads 2 --duration 3 \
			--start $((b * 400000)) --flows 400000 --quiet
		sleep 2
	done
}

expiry_load() {
	local g=$1
	sleep 3
	ns "$g" "$LOADGEN" --burst --flows 262144 --threads 2 --quiet
	ns "$g" "$LOADGEN" --rate 20000 --start 262144 --flows 2000000 \
		--duration 60 --quiet
}

# one SCENARIO RUN: prints the harness's line
one() {
	local sc=$1 run=$2 g=g$1$2 d=d$1$2 pids=() out trace
	trace=${UI_STALL_TRACE:-$TMPD}/$sc-$run.trace
	sink_pair "$g" "$d"
	# rows that stay where the keys move (see steady_flows in lib.sh)
	[ "${UI_STALL_STEADY:-1}" = 0 ] || steady_flows "$g" 90
	if [ "$sc" = burst ]; then
		sysctl_set "$d" net.netfilter.nf_conntrack_udp_timeout 60
		ns "$g" "$LOADGEN" --rate 500 --dport 10 --duration 85 --quiet \
			>/dev/null 2>&1 &
		pids+=($!)
		burst_load "$g" >"$TMPD/lg.out" 2>&1 &
		pids+=($!)
		out=$(view 80 "$d" "$trace")
	else
		sysctl_set "$d" net.netfilter.nf_conntrack_udp_timeout 13
		expiry_load "$g" >"$TMPD/lg.out" 2>&1 &
		pids+=($!)
		out=$(view 60 "$d" "$trace")
	fi
	kill "${pids[@]}" 2>/dev/null || true
	# the generators still sending run inside g
	kill $(ip netns pids "$(nsname "$g")" 2>/dev/null) 2>/dev/null || true
	wait "${pids[@]}" 2>/dev/null || true
	ip netns del "$(nsname "$g")" 2>/dev/null || true
	ip netns del "$(nsname "$d")" 2>/dev/null || true
	echo "$out"
}

echo "flowtop view under bursts and mass expiry: $(nproc) CPUs, Linux $(uname -r)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); flowtop $ARGS; keys $SEQ"
autogroup_state
[ -z "${UI_STALL_TRACE:-}" ] || mkdir -p "$UI_STALL_TRACE"
for sc in $SCENARIOS; do
	case "$sc" in burst|expiry) ;; *) fail "unknown scenario '$sc' (burst, expiry)" ;; esac
	echo
	echo "$sc: $RUNS runs"
	worst=0
	for run in $(seq 1 "$RUNS"); do
		# not in a $(...) subshell: the namespaces must stay known to
		# lib.sh's cleanup
		one "$sc" "$run" >"$TMPD/line"
		line=$(cat "$TMPD/line")
		[ -n "$line" ] || fail "run $run of $sc gave no figures"
		echo "  run $run: $line"
		m=$(sed -n 's/.* max_ms=\([0-9.]*\).*/\1/p' <<<"$line")
		worst=$(awk -v a="$worst" -v b="${m:-0}" 'BEGIN { print (b > a) ? b : a }')
	done
	echo "  $sc: slowest key over all $RUNS runs: $worst ms"
done
