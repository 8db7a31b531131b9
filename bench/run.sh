#!/bin/bash
# flowtop benchmarks (`make bench`): prints figures, not pass/fail.
#
#  1. steady   F flows held, R new flows/s (default 262144 and 20000/s):
#              flowtop --batch --count 0 --output json -U, measured over a
#              window once the table is full: CPU, RSS per flow, map read
#              time, events handled and lost, resyncs.
#  2. burst    100k new flows/s for a few seconds with the default netlink
#              buffer: does flowtop keep up, is anything lost for good?
#  3. acct_read_bench -n 262144 (the counter map read alone), if built.
#  4. filter_bench: filter expressions over a 1M-flow snapshot, if built.
#  5. group_bench (--group-by and the groups tab at 1048576 flows), if built.
#  6. sustained  60 s of new flows as fast as loadgen goes (2 threads, UDP
#              timeout 5 s): the rate reached, events handled and lost,
#              resyncs, the longest interval between snapshots, and after
#              the load whether flowtop's table converges to the kernel's
#              (same count while it expires, empty at the end).
#
# Traffic comes from bench/loadgen in a sender namespace over a veth into a
# "dut" namespace where conntrack and flowtop run (see bench/README.md).
# Figures depend on what else the machine is doing: run it on a quiet one.
#
# Environment: BUILD (default build), FLOWTOP (default ./flowtop),
# BENCH_FLOWS (F, default 262144), BENCH_RATE (R, default 20000),
# BENCH_WINDOW (seconds measured, default 10), BENCH_BURST_RATE (default
# 100000), BENCH_BURST_SECONDS (default 2.5), BENCH_THREADS (loadgen threads
# for the burst, default 2), BENCH_SUSTAINED_SECONDS (default 60, 0 to skip),
# BENCH_SUSTAINED_TIMEOUT (the UDP timeout then, default 5), BENCH_ONLY
# (comma-separated cases to run, the others skipped: steady, burst, acct,
# filter, group, sustained; e.g. BENCH_ONLY=sustained; default all).
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
export TOP BUILD
# namespaces, veths, conntrack rules, cleanup of everything on every exit
. "$TOP/tests/integration/lib.sh"

F=${BENCH_FLOWS:-262144}
R=${BENCH_RATE:-20000}
WINDOW=${BENCH_WINDOW:-10}
BURST_RATE=${BENCH_BURST_RATE:-100000}
BURST_SECONDS=${BENCH_BURST_SECONDS:-2.5}
BURST_THREADS=${BENCH_THREADS:-2}
SUST_SECONDS=${BENCH_SUSTAINED_SECONDS:-60}
SUST_TIMEOUT=${BENCH_SUSTAINED_TIMEOUT:-5}
ONLY=${BENCH_ONLY:-}
# want CASE: whether BENCH_ONLY leaves CASE in
want() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }
want sustained || SUST_SECONDS=0
LOADGEN=${LOADGEN:-$TOP/$BUILD/bench/loadgen}
ACCT_BENCH=$TOP/$BUILD/bench/acct_read_bench
GROUP_BENCH=$TOP/$BUILD/bench/group_bench
BENCHPY="$PY $TMPD/bench.py"

require_root
require_flowtop
[ -x "$LOADGEN" ] || fail "load generator not built at $LOADGEN; run 'make $BUILD/bench/loadgen'"
command -v conntrack >/dev/null || fail "conntrack (conntrack-tools) is needed: scripts/install-deps.sh --test"

# A flow timeout below the cycle time F/R makes every packet of the loadgen
# cycle a new flow, so the table holds about R x timeout flows.
UDP_TIMEOUT=$(((F - 1) / R))
[ "$UDP_TIMEOUT" -ge 1 ] || fail "BENCH_FLOWS/BENCH_RATE must be at least 1 second"
BURST_FLOWS=$($PY -c "print(int($BURST_RATE * $BURST_SECONDS))")

# nf_conntrack_max is global on this kernel (read-only in a namespace); the
# benchmark needs room for F flows plus expired ones not yet reaped, and for
# the burst. Raise it and put the old value back on every exit path.
CT_MAX_FILE=/proc/sys/net/netfilter/nf_conntrack_max
modprobe nf_conntrack 2>/dev/null || true
CT_MAX_OLD=$(cat "$CT_MAX_FILE")
CT_MAX_NEW=$((F + F / 4))
[ $((BURST_FLOWS + BURST_FLOWS / 4)) -gt "$CT_MAX_NEW" ] &&
	CT_MAX_NEW=$((BURST_FLOWS + BURST_FLOWS / 4))
# flowtop's --max-flows in the steady and burst runs: their tables, not the
# sustained one's, so that their figures compare with earlier rounds'
FT_MAX_FLOWS=$CT_MAX_NEW
# the sustained load holds (rate reached) x (UDP timeout): room for 400k/s
[ "$SUST_SECONDS" -gt 0 ] && [ $((400000 * SUST_TIMEOUT)) -gt "$CT_MAX_NEW" ] &&
	CT_MAX_NEW=$((400000 * SUST_TIMEOUT))
# Put the old value back unless someone else changed it meanwhile.
ct_max_restore() {
	[ "$(cat "$CT_MAX_FILE")" = "$CT_MAX_NEW" ] && echo "$CT_MAX_OLD" >"$CT_MAX_FILE"
}
if [ "$CT_MAX_OLD" -lt "$CT_MAX_NEW" ]; then
	# set +e first: under errexit `(exit $rc)` would end the trap before
	# lib.sh's _cleanup (which reads the status from $?) ever ran.
	trap 'rc=$?; set +e; ct_max_restore; (exit $rc); _cleanup' EXIT
	echo "$CT_MAX_NEW" >"$CT_MAX_FILE" || fail "cannot raise $CT_MAX_FILE to $CT_MAX_NEW"
fi
CT_MAX=$(cat "$CT_MAX_FILE")

cat >"$TMPD/bench.py" <<'EOF'
import json, os, sys, time

TICK = os.sysconf("SC_CLK_TCK")


def proc(pid):
    """utime+stime (ticks) and VmRSS (bytes) of pid, or (None, None)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read().rsplit(")", 1)[1].split()
        ticks = int(st[11]) + int(st[12])
        rss = None
        with open("/proc/%d/status" % pid) as f:
            for l in f:
                if l.startswith("VmRSS:"):
                    rss = int(l.split()[1]) * 1024
        return ticks, rss
    except (OSError, IndexError, ValueError):
        return None, None


def read(pidfile):
    """stdin: flowtop JSON lines; stdout: their top-level fields (the flows
    array dropped) plus receive time, CPU ticks and RSS of flowtop then."""
    pid = None
    inp = sys.stdin.buffer
    try:    # fewer wake-ups for flowtop's writer: 1 MiB pipe (F_SETPIPE_SZ)
        import fcntl
        fcntl.fcntl(0, 1031, 1 << 20)
    except OSError:
        pass
    t_start = time.time()
    while True:
        line = inp.readline()
        if not line:
            t = os.times()
            sys.stderr.write("%.2f %.2f\n" % (t.user + t.system, time.time() - t_start))
            return
        if pid is None:
            with open(pidfile) as f:
                pid = int(f.read())
        ticks, rss = proc(pid)
        i = line.find(b'"flows":')
        j = line.rfind(b"]")
        try:
            st = json.loads(line[:i] + b'"flows": []' + line[j + 1:]) if i >= 0 \
                else json.loads(line)
        except ValueError:
            continue
        st.update(_rx=time.time(), _ticks=ticks, _rss=rss)
        sys.stdout.write(json.dumps(st) + "\n")
        sys.stdout.flush()


def load(path):
    out = []
    with open(path) as f:
        for l in f:
            try:
                out.append(json.loads(l))
            except ValueError:
                pass
    return out


def window(path, t0, t1):
    """Figures between the first and last snapshot received in [t0, t1]."""
    s = [x for x in load(path) if float(t0) <= x["_rx"] <= float(t1)]
    if len(s) < 2:
        print("ok=0 why='fewer than 2 snapshots in the window'")
        return
    a, b = s[0], s[-1]
    dt = b["_rx"] - a["_rx"]
    reads = [x.get("map_read_ms") for x in s[1:] if x.get("map_read_ms") is not None]
    res = dict(
        ok=1, snaps=len(s), seconds="%.1f" % dt,
        cpu="%.1f" % (100.0 * (b["_ticks"] - a["_ticks"]) / TICK / dt),
        rss=b["_rss"], flows=b.get("flows_total"),
        rss_per_flow="%.0f" % (b["_rss"] / b["flows_total"]) if b.get("flows_total") else "n/a",
        read_mean="%.1f" % (sum(reads) / len(reads)) if reads else "n/a",
        read_max="%.1f" % max(reads) if reads else "n/a",
        events_s="%.0f" % ((b["events"] - a["events"]) / dt),
        new_s="%.0f" % ((b["new_flows"] - a["new_flows"]) / dt),
        destroyed_s="%.0f" % ((b["destroyed_flows"] - a["destroyed_flows"]) / dt),
        lost=b["lost_events"] - a["lost_events"], lost_total=b["lost_events"],
        resyncs=b["resyncs"] - a["resyncs"], resyncs_total=b["resyncs"],
        evictions=b.get("evictions", 0) - a.get("evictions", 0),
        interval_max="%.2f" % max(x.get("interval", 0) for x in s[1:]))
    print(" ".join("%s=%s" % kv for kv in res.items()))


def settle(path, t_end, timeout):
    """Waits for three snapshots after t_end with identical counters (two
    intervals without change); returns the first of them."""
    keys = ("events", "new_flows", "destroyed_flows", "resyncs",
            "lost_events", "flows_total")
    t_end = float(t_end)
    deadline = time.time() + float(timeout)
    while True:
        s = load(path)
        late = [x for x in s if x["_rx"] >= t_end]
        if len(late) >= 3 and all(late[-1][k] == late[-2][k] == late[-3][k]
                                  for k in keys):
            break
        if time.time() > deadline:
            print("ok=0 why='flowtop did not settle within %s s after the burst'" % timeout)
            return
        time.sleep(0.2)
    return late[-3]


def burst(path, t0, t_end, timeout):
    first = settle(path, t_end, timeout)
    if first is None:
        return
    s = load(path)
    before = [x for x in s if x["_rx"] <= float(t0)]
    a = before[-1] if before else s[0]
    run = [x for x in s if a["_rx"] <= x["_rx"] <= first["_rx"]]
    peak = 0.0
    for p, q in zip(run, run[1:]):
        if q["_rx"] > p["_rx"]:
            peak = max(peak, (q["events"] - p["events"]) / (q["_rx"] - p["_rx"]))
    dt = first["_rx"] - a["_rx"]
    reads = [x.get("map_read_ms") for x in run[1:] if x.get("map_read_ms") is not None]
    res = dict(
        ok=1, settle="%.1f" % (first["_rx"] - float(t_end)),
        events=first["events"] - a["events"], peak_events_s="%.0f" % peak,
        new=first["new_flows"] - a["new_flows"],
        lost=first["lost_events"] - a["lost_events"],
        resyncs=first["resyncs"] - a["resyncs"], flows=first["flows_total"],
        cpu="%.1f" % (100.0 * (first["_ticks"] - a["_ticks"]) / TICK / dt),
        rss=first["_rss"],
        read_max="%.1f" % max(reads) if reads else "n/a",
        evictions=first.get("evictions", 0) - a.get("evictions", 0),
        slow=sum(1 for x in run[1:] if x.get("interval", 0) > 1.5),
        snaps=len(run) - 1,
        interval_max="%.2f" % max(x.get("interval", 0) for x in run[1:]))
    print(" ".join("%s=%s" % kv for kv in res.items()))


def sample(pid):
    ticks, rss = proc(int(pid))
    print("%.3f %s %s" % (time.time(), ticks, rss))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"read": read, "window": window, "burst": burst, "sample": sample}[cmd](*args)
EOF

# ft_run TAG NS ARGS...: flowtop in NS with stdout through bench.py into
# $TMPD/TAG.stats (one line per snapshot); waits for the first snapshot.
ft_run() {
	local tag=$1 name=$2
	shift 2
	mkfifo "$TMPD/$tag.fifo"
	$BENCHPY read "$TMPD/$tag.pid" <"$TMPD/$tag.fifo" >"$TMPD/$tag.stats" \
		2>"$TMPD/$tag.reader" &
	READER_PID[$tag]=$!
	_BG_PIDS+=("$!")
	env --default-signal=INT,QUIT,PIPE ip netns exec "$(nsname "$name")" \
		"$FLOWTOP" "$@" >"$TMPD/$tag.fifo" 2>"$TMPD/$tag.err" &
	FT_PID[$tag]=$!
	_BG_PIDS+=("$!")
	echo "${FT_PID[$tag]}" >"$TMPD/$tag.pid"
	wait_for 30 _has_stats "$tag" ||
		fail "flowtop $* printed no snapshot within 30 s; stderr: $(cat "$TMPD/$tag.err")"
}
_has_stats() { [ -s "$TMPD/$1.stats" ]; }

# ft_end TAG: SIGINT, reap, and wait for the reader to drain.
ft_end() {
	local pid=${FT_PID[$1]}
	kill -INT "$pid" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	wait "${READER_PID[$1]}" 2>/dev/null || true
}

# reader_cpu TAG: % of one core the JSON reader of this script used (it
# shares the machine with flowtop, so it is part of the picture).
reader_cpu() {
	awk '$2 > 0 { printf "%.0f", 100 * $1 / $2; ok = 1 } END { if (!ok) printf "n/a" }' \
		"$TMPD/$1.reader" 2>/dev/null || echo n/a
}
declare -A READER_PID=()

get() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }
ratio() { $PY -c "import sys; a,b=sys.argv[1:]; print('%.2fx' % (float(a)/float(b)) if a not in ('n/a','') else 'n/a')" "$1" "$2"; }
now() { date +%s.%N; }
mib() { case $1 in '' | *[!0-9]*) echo n/a ;; *) echo $(($1 / 1048576)) ;; esac; }

echo "flowtop benchmark: $(nproc) CPUs, Linux $(uname -r), $("$FLOWTOP" --version 2>/dev/null | head -1)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (figures are only as quiet as the machine)"
echo "nf_conntrack_max $CT_MAX (was $CT_MAX_OLD)"
echo

# --- 1. steady state --------------------------------------------------------
w1=""
if want steady; then
	sink_pair gen1 dut1   # lib.sh: gen --veth-- dut, the load dropped at egress
	sysctl_set dut1 net.netfilter.nf_conntrack_udp_timeout "$UDP_TIMEOUT"
	ft_run s1 dut1 --batch --count 0 --output json -U -t 1 --max-flows "$FT_MAX_FLOWS"
	idle=$(tail -1 "$TMPD/s1.stats")
	idle_rss=$($PY -c 'import json,sys; print(json.loads(sys.argv[1])["_rss"])' "$idle")
	acct=$($PY -c 'import json,sys; print(json.loads(sys.argv[1]).get("acct"))' "$idle")

	warm=$((UDP_TIMEOUT + 3))
	total=$((warm + WINDOW + 1))
	echo "steady: holding ~$((R * UDP_TIMEOUT)) flows (UDP timeout ${UDP_TIMEOUT}s, cycle of $F tuples) at $R new flows/s;"
	echo "        warming up ${warm}s, then measuring ${WINDOW}s ..."
	nice -n -10 ip netns exec "$(nsname gen1)" "$LOADGEN" --rate "$R" --flows "$F" \
		--duration "$total" --quiet >"$TMPD/lg1.out" 2>&1 &
	lg_pid=$!
	_BG_PIDS+=("$lg_pid")
	sleep "$warm"
	t0=$(now)
	sleep "$WINDOW"
	t1=$(now)
	sleep 1.2	# the snapshot that closes the window
	ct_n=$(ns dut1 conntrack -C) || ct_n=0
	w1=$($BENCHPY window "$TMPD/s1.stats" "$t0" "$t1") || w1="ok=0 why=bench.py-failed"
	ft_end s1

	wait "$lg_pid" 2>/dev/null || true
	lg1=$(cat "$TMPD/lg1.out")
	ip netns del "$(nsname gen1)" 2>/dev/null || true
	ip netns del "$(nsname dut1)" 2>/dev/null || true
fi

# --- 2. burst -------------------------------------------------------------------
w2=""
if want burst; then
	sink_pair gen2 dut2
	sysctl_set dut2 net.netfilter.nf_conntrack_udp_timeout 120
	ft_run s2 dut2 --batch --count 0 --output json -U -t 1 --max-flows "$FT_MAX_FLOWS"
	echo "burst:  $BURST_FLOWS new flows at $BURST_RATE/s (default netlink buffer) ..."
	sleep 1.1
	t_b0=$(now)
	# nice -10: on a gateway conntrack's work runs in softirq, ahead of flowtop
	lg2=$(nice -n -10 ip netns exec "$(nsname gen2)" "$LOADGEN" --rate "$BURST_RATE" \
		--flows "$BURST_FLOWS" --duration "$BURST_SECONDS" --threads "$BURST_THREADS" \
		--quiet 2>&1) || true
	t_b1=$(now)
	w2=$($BENCHPY burst "$TMPD/s2.stats" "$t_b0" "$t_b1" 30) || w2="ok=0 why=bench.py-failed"
	ct2=$(ns dut2 conntrack -C) || ct2=0
	ft_end s2
	ip netns del "$(nsname gen2)" 2>/dev/null || true
	ip netns del "$(nsname dut2)" 2>/dev/null || true
fi

# --- 3. counter map read alone ---------------------------------------------------
ab=""
if want acct && [ -x "$ACCT_BENCH" ]; then
	echo "acct_read_bench -n 262144 ..."
	ab=$("$ACCT_BENCH" -n 262144 2>&1) || ab="acct_read_bench failed: $ab"
fi

# --- 4. filter expressions over 1M flows (no root needed) ------------------------
fb=""
FILTER_BENCH=$TOP/$BUILD/bench/filter_bench
if want filter && [ -x "$FILTER_BENCH" ]; then
	echo "filter_bench (1048576 flows) ..."
	fb=$("$FILTER_BENCH" 2>&1) || fb="filter_bench failed: $fb"
fi

# --- 5. grouping ---------------------------------------------------------------------
gb=""
if want group && [ -x "$GROUP_BENCH" ]; then
	echo "group_bench (1048576 flows) ..."
	gb=$("$GROUP_BENCH" 2>&1) || gb="group_bench failed: $gb"
fi

# --- 6. sustained: new flows as fast as the generator goes ---------------------------
w6="" lg6=""
if [ "$SUST_SECONDS" -gt 0 ]; then
	sink_pair gen6 dut6
	sysctl_set dut6 net.netfilter.nf_conntrack_udp_timeout "$SUST_TIMEOUT"
	# --top 1: the JSON of every flow each second would make this script
	# and flowtop's writer the bottleneck; flows_total still counts all
	ft_run s6 dut6 --batch --count 0 --output json -U -t 1 --top 1 --max-flows "$CT_MAX_NEW"
	echo "sustained: ${SUST_SECONDS}s of new flows as fast as loadgen goes (UDP timeout ${SUST_TIMEOUT}s) ..."
	sleep 1.1
	t_s0=$(now)
	lg6=$(nice -n -10 ip netns exec "$(nsname gen6)" "$LOADGEN" --burst --threads 2 \
		--flows 2000000000 --duration "$SUST_SECONDS" --quiet 2>&1) || true
	t_s1=$(now)
	# while the table only expires: flowtop's count beside the kernel's
	conv=""
	for i in 1 2 3; do
		sleep 1
		conv="$conv $(ns dut6 conntrack -C 2>/dev/null)/$($PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]).get("flows_total"))' "$TMPD/s6.stats" 2>/dev/null)"
	done
	w6=$($BENCHPY burst "$TMPD/s6.stats" "$t_s0" "$t_s1" $((SUST_TIMEOUT * 3 + 60))) ||
		w6="ok=0 why=bench.py-failed"
	ct6=$(ns dut6 conntrack -C) || ct6=0
	# what the kernel still holds, to tell a flow flowtop lost from one
	# it does not show (-U) or that came after its count
	ns dut6 conntrack -L >"$TMPD/s6.ct" 2>/dev/null || true
	ft_end s6
	ip netns del "$(nsname gen6)" 2>/dev/null || true
	ip netns del "$(nsname dut6)" 2>/dev/null || true
fi

# --- report ----------------------------------------------------------------------
if [ -n "$w1" ]; then
	echo
	echo "== steady: F=$F held, R=$R new flows/s, backend $acct, --output json -U =="
	if [ "$(get ok "$w1")" = 1 ]; then
		rpf=$(get rss_per_flow "$w1")
		rmean=$(get read_mean "$w1")
		rmax=$(get read_max "$w1")
		flows=$(get flows "$w1")
		marg=$($PY -c "import sys; r,i,f=map(float,sys.argv[1:]); print('%.0f' % ((r-i)/f) if f else 'n/a')" "$(get rss "$w1")" "$idle_rss" "${flows:-0}") || marg=n/a
		printf '  %-30s %s\n' \
			"loadgen" "$lg1" \
			"flows: flowtop / conntrack -C" "$flows / $ct_n" \
			"CPU (% of one core)" "$(get cpu "$w1") %  (window $(get seconds "$w1") s, $(get snaps "$w1") snapshots)" \
			"RSS" "$(mib "$(get rss "$w1")") MiB = $rpf B/flow  (idle $(mib "$idle_rss") MiB, marginal $marg B/flow)   goal <= 400 B/flow: $(ratio "$rpf" 400)" \
			"map read per interval" "mean $rmean ms, max $rmax ms   goal <= 100 ms: $(ratio "$rmax" 100) (max)" \
			"events handled" "$(get events_s "$w1")/s  (new $(get new_s "$w1")/s, destroyed $(get destroyed_s "$w1")/s)" \
			"events lost / resyncs" "$(get lost "$w1") / $(get resyncs "$w1")  (since start: $(get lost_total "$w1") / $(get resyncs_total "$w1"))" \
			"BPF map evictions" "$(get evictions "$w1")" \
			"longest interval" "$(get interval_max "$w1") s (asked: 1 s)" \
			"this script's JSON reader" "$(reader_cpu s1) % of one core over the run"
	else
		echo "  no figures: $(get why "$w1"); stderr: $(tail -c 300 "$TMPD/s1.err")"
	fi
fi

if [ -n "$w2" ]; then
	echo
	echo "== burst: $BURST_RATE new flows/s for ${BURST_SECONDS}s, default --netlink-buffer =="
	if [ "$(get ok "$w2")" = 1 ]; then
		lost=$(get lost "$w2")
		rs=$(get resyncs "$w2")
		ftn=$(get flows "$w2")
		keeps=no
		[ "$lost" = 0 ] && [ "$rs" = 0 ] && [ "$ftn" = "$ct2" ] && keeps=yes
		perm=none
		[ "$ftn" = "$ct2" ] || perm="flowtop $ftn vs conntrack $ct2 flows"
		printf '  %-30s %s\n' \
			"loadgen" "$lg2" \
			"events handled" "$(get events "$w2") (peak $(get peak_events_s "$w2")/s per snapshot)" \
			"events lost / resyncs" "$lost / $rs" \
			"settled after burst" "$(get settle "$w2") s   longest interval $(get interval_max "$w2") s" \
			"flows: flowtop / conntrack -C" "$ftn / $ct2   permanent loss: $perm" \
			"CPU during burst+settle" "$(get cpu "$w2") %, RSS $(mib "$(get rss "$w2")") MiB, max map read $(get read_max "$w2") ms" \
			"keeps up with 100k events/s" "$keeps  (yes = no loss, no resync, same flow count as conntrack)"
	else
		echo "  no figures: $(get why "$w2"); stderr: $(tail -c 300 "$TMPD/s2.err")"
	fi
fi

if [ -n "$ab" ]; then
	echo
	echo "== acct_read_bench -n 262144 (counter map read alone) =="
	sed 's/^/  /' <<<"$ab"
fi
if [ -n "$fb" ]; then
	echo
	echo "== filter_bench: filter expressions over a 1M-flow snapshot (goal <= 30 ms) =="
	sed 's/^/  /' <<<"$fb"
fi
if [ -n "$gb" ]; then
	echo
	echo "== group_bench: grouping 1048576 flows (CPU ms per snapshot; goal <= 50 ms) =="
	sed 's/^/  /' <<<"$gb"
fi

if [ -n "$w6" ]; then
	echo
	echo "== sustained: ${SUST_SECONDS}s of new flows as fast as loadgen goes, UDP timeout ${SUST_TIMEOUT}s =="
	if [ "$(get ok "$w6")" = 1 ]; then
		printf '  %-30s %s\n' \
			"loadgen" "$lg6" \
			"new flows seen by flowtop" "$(get new "$w6") ($($PY -c "import sys; print('%.0f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$(get new "$w6")" "$SUST_SECONDS")/s)" \
			"events handled" "$(get events "$w6") (peak $(get peak_events_s "$w6")/s per snapshot)" \
			"events lost / resyncs" "$(get lost "$w6") / $(get resyncs "$w6")" \
			"longest interval (asked 1 s)" "$(get interval_max "$w6") s ($(get slow "$w6") of $(get snaps "$w6") intervals > 1.5 s)" \
			"packets uncounted" "$(get evictions "$w6") (BPF: no free slot for a new flow)" \
			"after the load: conntrack/flowtop" "$conv (1, 2, 3 s after)" \
			"settled (table expired)" "$(get settle "$w6") s after the load: flowtop $(get flows "$w6") flows, conntrack $ct6" \
			"CPU over the run" "$(get cpu "$w6") %, RSS $(mib "$(get rss "$w6")") MiB, max map read $(get read_max "$w6") ms"
		if [ "$(get flows "$w6")" != "$ct6" ]; then
			# fewer listed than counted: entries out of the table
			# (dying ones whose DESTROY the kernel redelivers)
			echo "  conntrack's entries at the end: $(wc -l <"$TMPD/s6.ct") listed (the first 20):"
			head -n 20 "$TMPD/s6.ct" | sed 's/^/    /'
		fi
	else
		echo "  no figures: $(get why "$w6"); stderr: $(tail -c 300 "$TMPD/s6.err")"
	fi
fi
exit 0
