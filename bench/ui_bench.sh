#!/bin/bash
# Interactive view under load: key-to-screen latency (p50/p90/p99 and the
# slowest key of the whole run, start-up included), CPU and RSS of
# flowtop's interactive view while bench/loadgen holds F flows and creates
# R new flows per second (default: 262144 and 20000/s, then 1M, then 4M).
# Prints figures, not pass/fail (issue 3's goals: p99 <= 10 ms, CPU <= 25 %
# of one core, RSS <= 100 MB; issue 14's: the slowest key <= 10 ms at
# 262144; issue 13's table per size).
# bench/ui_stall.sh covers bursts of new flows and a table expiring at once.
#
#   bench/ui_bench.sh            all three sizes (~12 min)
#   UI_BENCH_FLOWS="262144" bench/ui_bench.sh
#
# Environment: BUILD, FLOWTOP, UI_BENCH_FLOWS (list, default "262144
# 1048576"), UI_BENCH_RATE (R, default 20000), UI_BENCH_KEYS (default 300),
# UI_BENCH_SEQ (the keys sent in turn, names as ui_latency --seq takes them,
# default DOWN,b,PGDN,UP,j,k,HOME), UI_BENCH_TRACE (a directory for one
# key trace per size: time, latency and name of every key),
# UI_BENCH_GAP (ms between keys, default 20-300), UI_BENCH_ARGS (extra
# flowtop options, default "-U -t 1"), UI_BENCH_FILL_ABOVE (tables larger
# than this, default 1048576, are filled at once instead of grown at R for
# F/R s: see fill_staggered), UI_BENCH_FILL_BASE (s, default 20),
# UI_BENCH_FILL_RATE (flows/s, default 150000), UI_BENCH_STEADY (0: no steady
# flows at the top of the view, see steady_flows in lib.sh), UI_AUTOGROUP
# (0 or 1: kernel.sched_autogroup_enabled for the run, then put back;
# default: the machine's; see bench/README.md, issue 14).
#
# gen --veth-- dut: dut forwards the load back out of its veth, where a
# netdev egress rule drops it (after POSTROUTING, so conntrack confirmed
# the entry; nothing is answered). nf_conntrack_max is global on this
# kernel: it is raised for the run and put back on every exit path.
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
export TOP BUILD
. "$TOP/tests/integration/lib.sh"

SIZES=${UI_BENCH_FLOWS:-262144 1048576 4194304}
# tables larger than this are filled at once (fill_staggered) rather than
# grown at R for F/R seconds
FILL_ABOVE=${UI_BENCH_FILL_ABOVE:-1048576}
R=${UI_BENCH_RATE:-20000}
KEYS=${UI_BENCH_KEYS:-300}
# The keys users press: arrows, PgDn, Home and letters. Each changes the
# screen: 'b' every rate, a cursor key at least the footer's row number
# (the cursor follows its flow, which a re-sort can bring to the top, where
# Up would change nothing, or to the last row, where PgDn and Down would
# not, and the next refresh would be timed as its answer; the steady flows
# of steady_flows hold the rows the keys visit in place).
SEQ=${UI_BENCH_SEQ:-DOWN,b,PGDN,UP,j,k,HOME}
GAP=${UI_BENCH_GAP:-20-300}
ARGS=${UI_BENCH_ARGS:--U -t 1}
LAT=${UI_LATENCY:-$TOP/$BUILD/bench/ui_latency}

require_root
require_flowtop
require_loadgen
[ -x "$LAT" ] || fail "pty harness not built at $LAT; run 'make $BUILD/bench/ui_latency'"
[ -z "${UI_BENCH_TRACE:-}" ] || mkdir -p "$UI_BENCH_TRACE" ||
	fail "cannot create the trace directory $UI_BENCH_TRACE"

[ -z "${UI_AUTOGROUP:-}" ] || autogroup_set "$UI_AUTOGROUP"
echo "flowtop interactive view benchmark: $(nproc) CPUs, Linux $(uname -r)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
autogroup_state
echo "keys: $KEYS ($SEQ in turn; '?' before the first snapshot) at random gaps of $GAP ms; flowtop $ARGS"

# fill_staggered GEN DUT F R: F flows sent as fast as loadgen goes, in 16
# parts whose UDP timeouts grow by the time R new flows/s take to replace
# a part: the table is held near F and expires at about R/s (from
# FILL_BASE s after the fill on) while the load adds R/s, as if it had run
# at R for F/R seconds (209 s at 4M) but in the time of one fill. FILL_S:
# how long the fill took.
FILL_BASE=${UI_BENCH_FILL_BASE:-20}
# paced: an unpaced burst overflows the veth's backlog and loses flows
FILL_RATE=${UI_BENCH_FILL_RATE:-150000}
fill_staggered() {
	local g=$1 d=$2 f=$3 r=$4 parts=16 k t0 t1 part part_s=1
	part=$((f / parts))
	t0=$(date +%s)
	for k in $(seq 0 $((parts - 1))); do
		# expiring FILL_BASE s after the fill's expected end (the parts
		# left take as long as the last one did), then one part per
		# part/r s
		sysctl_set "$d" net.netfilter.nf_conntrack_udp_timeout \
			$((FILL_BASE + (parts - k) * part_s + k * part / r))
		t1=$(date +%s)
		ns "$g" "$LOADGEN" --rate "$FILL_RATE" --count "$part" --start $((k * part)) \
			--flows "$f" --quiet >/dev/null 2>&1 || fail "loadgen could not fill part $k"
		part_s=$(($(date +%s) - t1 + 1))
	done
	# the load's own flows outlive the filled ones
	sysctl_set "$d" net.netfilter.nf_conntrack_udp_timeout $((f / r))
	FILL_S=$(($(date +%s) - t0))
}

# steady flows at the top of the view (steady_flows in lib.sh: without
# them PgDn and Down could land on the last row and change nothing)
STEADY=${UI_BENCH_STEADY:-1}
steady_start() {
	[ "$STEADY" = 1 ] || return 0
	steady_flows "$@"
}

run=0
for F in $SIZES; do
	run=$((run + 1))
	g=gen$run
	d=dut$run
	timeout_s=$((F / R))
	need=$((F + F / 4))
	[ "$F" -le "$FILL_ABOVE" ] || need=$((F + F / 2))
	ct_max_at_least "$need"

	sink_pair "$g" "$d"
	# the keys take about KEYS x (mean gap + answer); leave room
	measure=$(awk -v k="$KEYS" -v g="$GAP" 'BEGIN { split(g, a, "-"); print int(k * (a[1] + a[2]) / 2000) + 15 }')
	if [ "$F" -gt "$FILL_ABOVE" ]; then
		fill_staggered "$g" "$d" "$F" "$R"
		total=$((measure + 60))
		steady_start "$g" "$total"
		echo
		echo "flows $F: filled at once (${FILL_S}s), expiring at ~$R/s from ${FILL_BASE}s after the fill;" \
			"$R new flows/s (nf_conntrack_max $(cat "$CT_MAX_FILE"))"
		ns "$g" "$LOADGEN" --rate "$R" --start "$F" --flows $((F + R * total)) \
			--duration "$total" --quiet >"$TMPD/lg$run.out" 2>&1 &
		lg_pid=$!
		_BG_PIDS+=("$lg_pid")
	else
		sysctl_set "$d" net.netfilter.nf_conntrack_udp_timeout "$timeout_s"
		warm=$((timeout_s + 3))
		total=$((warm + measure + 30))
		steady_start "$g" "$total"
		echo
		echo "flows $F: UDP timeout ${timeout_s}s, $R new flows/s (nf_conntrack_max $(cat "$CT_MAX_FILE"));" \
			"warming up ${warm}s ..."
		ns "$g" "$LOADGEN" --rate "$R" --flows "$F" --duration "$total" --quiet \
			>"$TMPD/lg$run.out" 2>&1 &
		lg_pid=$!
		_BG_PIDS+=("$lg_pid")
		sleep "$warm"
	fi
	held=$(ns "$d" conntrack -C 2>/dev/null || echo "?")
	# flowtop starts on the full table. Keys are pressed from its first
	# screen: '?' (help on, help off) until the first snapshot's rows show
	# ("row 1/" in the footer; the help text names flows too, and before
	# there are rows a cursor key changes nothing), then the sequence;
	# max_ms is the slowest
	# key of the whole run, start-up included. CPU and memory are from the
	# first snapshot on; the first dump is reported apart (ready_s,
	# ready_cpu_s).
	out=$("$LAT" --keys "$KEYS" --seq "$SEQ" --startup-seq '?' --gap-ms "$GAP" \
		${UI_BENCH_TRACE:+--trace "$UI_BENCH_TRACE/ui-$F-$run.trace"} \
		--ready "row 1/" --ready-timeout 300 --warmup 0 --rows 40 --cols 160 -- \
		ip netns exec "$(nsname "$d")" "$FLOWTOP" $ARGS 2>"$TMPD/lat$run.err") ||
		fail "ui_latency failed: $(tail -c 600 "$TMPD/lat$run.err")"
	held2=$(ns "$d" conntrack -C 2>/dev/null || echo "?")
	kill "$lg_pid" "${STEADY_PIDS[@]}" 2>/dev/null || true
	wait "$lg_pid" "${STEADY_PIDS[@]}" 2>/dev/null || true
	STEADY_PIDS=()
	echo "  conntrack entries: $held at start, $held2 at end; loadgen: $(cat "$TMPD/lg$run.out")"
	echo "  $out"
	ip netns del "$(nsname "$g")" 2>/dev/null || true
	ip netns del "$(nsname "$d")" 2>/dev/null || true
done
