# shellcheck shell=bash
# Helpers for flowtop's integration tests. Source it from a bash script:
#
#	. "$(dirname "$0")/lib.sh"
#
# Safe under `set -eu`. Every namespace made with ns_add and every
# background job is removed on every exit path (EXIT, INT, TERM), so a
# failing or interrupted test leaves nothing behind.
#
# Exit protocol (tests/run.sh): 0 pass, 77 skip, anything else fail.
#
# Environment: BUILD (build dir, default build; build-san for make test
# SANITIZE=1), FLOWTOP (binary, default $TOP/$BUILD/flowtop, so that a
# sanitized run tests the sanitized flowtop), TOOLS ($TOP/$BUILD/tests/tools),
# KEEP_TMP=1 keeps the per-test scratch directory $TMPD for a post-mortem.
# With ASAN_OPTIONS or UBSAN_OPTIONS set (make test SANITIZE=1 sets both),
# every sanitizer report of any process the test runs fails the test.

set -eu

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-build}
FLOWTOP=${FLOWTOP:-$TOP/$BUILD/flowtop}
TOOLS=${TOOLS:-$TOP/$BUILD/tests/tools}
ITEST=$TOP/tests/integration
# Debian's python has scapy; a python3 earlier on PATH (pyenv) may not.
PY=/usr/bin/python3
FTJSON="$PY $ITEST/ftjson.py"
TRAFFIC="$PY $ITEST/traffic.py"

T_NAME=$(basename "$0" .sh)
# Unique per test run so that tests may run side by side.
NS_PREFIX="ft-$$-"
TMPD=$(mktemp -d "/tmp/ft-$T_NAME.XXXXXX")

# Sanitizer reports go to files here, one per process, and _cleanup fails
# the test if there is any: a report must count even where the test does
# not look at the exit status (a background flowtop, a leak at exit).
# World-writable: flowtop --user and setcap'd copies run as other users.
SAN_DIR=
if [ -n "${ASAN_OPTIONS:-}${UBSAN_OPTIONS:-}" ]; then
	SAN_DIR=$(mktemp -d "/tmp/ft-san-$T_NAME.XXXXXX")
	chmod 1777 "$SAN_DIR"
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$SAN_DIR/report"
	export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$SAN_DIR/report"
fi

_NS_LIST=()
_BG_PIDS=()
declare -A FT_PID=()
FT_RC=0

log() { echo "$T_NAME: $*" >&2; }

fail() {
	echo "FAIL: $T_NAME: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $T_NAME: $*" >&2
	exit 77
}

# skip_section WHAT WHY: one part of a test cannot run here (a missing
# tool or file system feature); the others still run and decide. pass
# names the skipped parts, and tests/run.sh lists them under the summary.
T_SKIPPED_SECTIONS=()
skip_section() {
	T_SKIPPED_SECTIONS+=("$1")
	echo "SKIP-SECTION: $T_NAME: $1: $2"
}

pass() {
	local skipped=""
	[ ${#T_SKIPPED_SECTIONS[@]} -eq 0 ] ||
		skipped=" (sections not run: $(IFS=,; echo "${T_SKIPPED_SECTIONS[*]}"))"
	echo "PASS: $T_NAME${1:+: $1}$skipped"
	exit 0
}

_cleanup() {
	local rc=$? p n pids
	trap - EXIT INT TERM
	set +e
	_ct_max_restore
	_autogroup_restore
	[ -z "$TM_SOCK" ] || tmux -L "$TM_SOCK" kill-server 2>/dev/null
	for p in "${_BG_PIDS[@]}" $(jobs -p); do
		kill -TERM "$p" 2>/dev/null
	done
	# Anything still running inside our namespaces was started by us.
	for n in "${_NS_LIST[@]}"; do
		pids=$(ip netns pids "$n" 2>/dev/null)
		[ -n "$pids" ] && kill -TERM $pids 2>/dev/null
	done
	# 0.1 s to end on SIGTERM (most take a few ms), then SIGKILL
	_poll 10 0.1 _all_ended
	for n in "${_NS_LIST[@]}"; do
		pids=$(ip netns pids "$n" 2>/dev/null)
		[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
	done
	# a job that ignored SIGTERM must not make the wait below hang
	for p in "${_BG_PIDS[@]}" $(jobs -p); do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	for n in "${_NS_LIST[@]}"; do
		ip netns del "$n" 2>/dev/null
		rm -rf "/etc/netns/$n"
	done
	if [ -n "$SAN_DIR" ]; then
		for p in "$SAN_DIR"/report*; do
			[ -s "$p" ] || continue
			echo "FAIL: $T_NAME: sanitizer report ($(basename "$p")):" >&2
			cat "$p" >&2
			case $rc in 0|77) rc=1 ;; esac
		done
		rm -rf "$SAN_DIR"
	fi
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		echo "$T_NAME: scratch files kept in $TMPD" >&2
	else
		rm -rf "$TMPD"
	fi
	exit "$rc"
}
# _all_ended: no background job and nothing in our namespaces runs
_all_ended() {
	local p n
	for p in "${_BG_PIDS[@]}" $(jobs -p); do
		kill -0 "$p" 2>/dev/null && return 1
	done
	for n in "${_NS_LIST[@]}"; do
		[ -z "$(ip netns pids "$n" 2>/dev/null)" ] || return 1
	done
	return 0
}
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

require_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, BPF)"
}

# The binary is built by `make flowtop`; a missing one is a failure, not a
# skip, so that `make test` cannot pass without it.
require_flowtop() {
	[ -x "$FLOWTOP" ] ||
		fail "flowtop binary not found at $FLOWTOP; build it with 'make flowtop' (or set FLOWTOP=path)"
}

require_tool() {
	[ -x "$TOOLS/$1" ] ||
		fail "test tool $TOOLS/$1 not built; run 'make $BUILD/tests/tools/$1'"
}

# no_leak_check CMD...: CMD with LeakSanitizer off, for a sanitized flowtop
# run under a tracer (strace, gdb): LSan cannot work under ptrace and would
# report that as an error at exit. Every other check stays on.
no_leak_check() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$@"
}

# --- namespaces -----------------------------------------------------------

nsname() { echo "$NS_PREFIX$1"; }

# ns_add NAME: new namespace, loopback up, no IPv6 DAD (addresses usable at
# once), registered for deletion.
ns_add() {
	local full="$NS_PREFIX$1"
	ip netns add "$full" || fail "cannot create network namespace $full"
	_NS_LIST+=("$full")
	# flowtop looks up names: inside a test namespace its queries must go
	# to the namespace itself, never toward the machine's own resolver
	# (ip netns exec puts this file over /etc/resolv.conf); a test may
	# write its own DNS server here
	mkdir -p "/etc/netns/$full" &&
		echo "nameserver 127.0.0.1" >"/etc/netns/$full/resolv.conf" ||
		fail "cannot write /etc/netns/$full/resolv.conf"
	ip -n "$full" link set lo up
	ip netns exec "$full" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 >/dev/null
}

# ns NAME cmd...: run cmd inside namespace NAME.
ns() {
	local full="$NS_PREFIX$1"
	shift
	ip netns exec "$full" "$@"
}

# ct_enable NAME [acct]: conntrack tracks a namespace only once something
# uses it; a `ct state` rule in each hook does that without changing any
# verdict. With "acct", also turn on the kernel's own byte/packet accounting
# (ground truth) - it must be on before the traffic starts.
ct_enable() {
	local name=$1 what=${2:-}
	ns "$name" nft -f - <<-'EOF' || fail "nft: cannot add conntrack rules in $name"
	table inet fttrack {
		chain input { type filter hook input priority 0; ct state new,established,related,invalid counter; }
		chain output { type filter hook output priority 0; ct state new,established,related,invalid counter; }
		chain forward { type filter hook forward priority 0; ct state new,established,related,invalid counter; }
	}
	EOF
	# Conntrack checks UDP-Lite checksums at PRE_ROUTING with the UDP
	# pseudo-header (protocol 17, not 136: seen up to Linux 6.18), so it
	# calls every real UDP-Lite packet invalid and leaves it untracked.
	# Our veths carry no corrupt packets; checksum checks add nothing.
	ns "$name" sysctl -qw net.netfilter.nf_conntrack_checksum=0 >/dev/null
	if [ "$what" = acct ]; then
		ns "$name" sysctl -qw net.netfilter.nf_conntrack_acct=1 >/dev/null
	fi
}

# require_tmux: the view tests' terminal, a tmux server of the test's own
# (killed on every exit path) with the view in a session named ft; then
# tm ARGS (tmux on that server), screen (the session's text), keys KEYS
# and wait_screen SECONDS REGEX (until the screen shows REGEX; the screen
# goes to stderr if it never does).
TM_SOCK=
require_tmux() {
	command -v tmux >/dev/null || fail "tmux not installed (scripts/install-deps.sh --test)"
	TM_SOCK="ft-$$"
}
tm() { tmux -L "$TM_SOCK" "$@"; }
screen() { tm capture-pane -p -t ft; }
keys() { tm send-keys -t ft "$@"; }
wait_screen() {
	local limit=$1 re=$2 i=0
	while ! screen | grep -qE -- "$re"; do
		i=$((i + 1))
		if [ "$i" -gt $((limit * 20)) ]; then
			screen | sed 's/^/    | /' >&2
			return 1
		fi
		sleep 0.05
	done
}

# require_loadgen: sets LOADGEN (default $BUILD/bench/loadgen) and fails
# unless it is built.
require_loadgen() {
	LOADGEN=${LOADGEN:-$TOP/$BUILD/bench/loadgen}
	[ -x "$LOADGEN" ] ||
		fail "load generator not built at $LOADGEN; run 'make $BUILD/bench/loadgen'"
}

# ct_max_at_least N: nf_conntrack_max is global on this kernel (read-only
# inside a namespace, though each counts its own entries). Raises it to N
# if it is lower, for this run only: the old value goes back on every exit
# path (_cleanup), unless someone else changed it meanwhile (other tests
# may raise it too: theirs then wins). CT_MAX_OLD is the value found first.
CT_MAX_FILE=/proc/sys/net/netfilter/nf_conntrack_max
CT_MAX_OLD=
_CT_MAX_SET=
ct_max_at_least() {
	local cur
	modprobe nf_conntrack 2>/dev/null || true
	cur=$(cat "$CT_MAX_FILE")
	[ -n "$CT_MAX_OLD" ] || CT_MAX_OLD=$cur
	[ "$cur" -lt "$1" ] || return 0
	_CT_MAX_SET=$1
	echo "$1" >"$CT_MAX_FILE" || fail "cannot raise $CT_MAX_FILE to $1"
	log "raised nf_conntrack_max from $cur to $1 for this run"
}
_ct_max_restore() {
	[ -n "$_CT_MAX_SET" ] && [ "$(cat "$CT_MAX_FILE")" = "$_CT_MAX_SET" ] &&
		echo "$CT_MAX_OLD" >"$CT_MAX_FILE"
	_CT_MAX_SET=
}

# autogroup_set 0|1 (benches): kernel.sched_autogroup_enabled for this
# run only, put back on every exit path (_cleanup) unless someone else
# changed it meanwhile. With autogroups each session is scheduled as one
# entity: the pty harness starts flowtop in a session of its own and the
# load generator runs in the script's, so the generator's sending threads
# (which do the packets' receive work in their own system calls) compete
# with flowtop's as two groups; see bench/README.md, issue 14.
AG_FILE=/proc/sys/kernel/sched_autogroup_enabled
AG_OLD=
_AG_SET=
autogroup_set() {
	case "$1" in 0|1) ;; *) fail "autogroup_set: 0 or 1, not '$1'" ;; esac
	[ -e "$AG_FILE" ] || fail "$AG_FILE missing (kernel without CONFIG_SCHED_AUTOGROUP)"
	[ -n "$AG_OLD" ] || AG_OLD=$(cat "$AG_FILE")
	[ "$(cat "$AG_FILE")" = "$1" ] && return 0
	echo "$1" >"$AG_FILE" || fail "cannot write $AG_FILE"
	_AG_SET=$1
	log "kernel.sched_autogroup_enabled $AG_OLD -> $1 for this run"
}
# autogroup_state: one line for a bench's header, the setting in force
autogroup_state() {
	echo "kernel.sched_autogroup_enabled: $(cat "$AG_FILE" 2>/dev/null || echo none)${_AG_SET:+ (set for this run, was $AG_OLD)}"
}
_autogroup_restore() {
	[ -n "$_AG_SET" ] && [ "$(cat "$AG_FILE")" = "$_AG_SET" ] &&
		echo "$AG_OLD" >"$AG_FILE"
	_AG_SET=
}

# sink_pair GEN DUT: the load topology of bench/loadgen.
#   GEN (192.0.2.2) --veth lg0/dut0-- DUT (192.0.2.1), conntrack on in DUT
# DUT forwards 203.0.113.0/24 back out of dut0, where a netdev egress rule
# drops it: after POSTROUTING, so conntrack has confirmed (inserted) the
# entry (a drop in the input or forward hook would come before that), and
# nothing is ever answered (no ICMP, no RST).
sink_pair() {
	local g=$1 d=$2
	ns_add "$g"
	ns_add "$d"
	veth "$g" lg0 "$d" dut0
	addr "$g" lg0 192.0.2.2/24
	addr "$d" dut0 192.0.2.1/24
	route "$g" 203.0.113.0/24 via 192.0.2.1
	route "$d" 198.51.100.0/24 via 192.0.2.2
	route "$d" 203.0.113.0/24 via 192.0.2.2
	ns "$d" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		net.ipv4.conf.dut0.rp_filter=0 net.ipv4.conf.all.send_redirects=0 \
		net.ipv4.conf.dut0.send_redirects=0 >/dev/null
	ct_enable "$d"
	ns "$d" nft -f - <<-'EOF' ||
	table netdev loadsink {
		chain egress { type filter hook egress device "dut0" priority 0; ip daddr 203.0.113.0/24 drop; }
	}
	EOF
		fail "nft: cannot add the egress drop rule in $d (kernel without the netdev egress hook?)"
}

# steady_flows GEN SECONDS (benches, after sink_pair): long flows at
# steady rates through DUT, as a gateway's top rows are its long
# transfers: 32 at 32 packets/s on top of the rate sort (source port 1000),
# 64 at 16 packets/s under them (port 1001; the load's ports are
# 1024-65535). Two loadgen processes only: each wakes every millisecond.
# Their pids go to STEADY_PIDS.
# Why the view's benches want them: a load of one-packet flows has none
# that stays active, so the top rows of the rate sort are flows that go
# idle at the next refresh; the cursor follows its flow (as documented) to
# where the re-sort puts it, often the last row, where PgDn and Down change
# nothing, and the harness timed the next refresh as their answer (traced:
# 416-873 ms "keys" that flowtop had read and handled at once). With these
# a re-sort moves the cursor's flow only within its group: from rows 0-31
# (Home, Down) PgDn of a page of 32 rows or more lands in rows 32-95,
# which never go to the first row (Up) or to the last (PgDn, Down).
STEADY_PIDS=()
steady_flows() {
	local g=$1 secs=$2 i
	for i in 0 1; do
		ns "$g" "$LOADGEN" --rate 1024 --flows $((32 << i)) \
			--sport $((1000 + i)) --duration "$secs" --quiet \
			>/dev/null 2>&1 &
		_BG_PIDS+=("$!")
		STEADY_PIDS+=("$!")
	done
}

# veth NS1 IF1 NS2 IF2: a veth pair with one end in each namespace, both up.
veth() {
	ip link add "$2" netns "$NS_PREFIX$1" type veth peer name "$4" netns "$NS_PREFIX$3" ||
		fail "cannot create veth $2/$4 between $1 and $3"
	ip -n "$NS_PREFIX$1" link set "$2" up
	ip -n "$NS_PREFIX$3" link set "$4" up
}

# addr NS IF ADDR/PREFIX (IPv4 or IPv6; IPv6 without DAD).
addr() {
	case "$3" in
	*:*) ip -n "$NS_PREFIX$1" addr add "$3" dev "$2" nodad ;;
	*) ip -n "$NS_PREFIX$1" addr add "$3" dev "$2" ;;
	esac
}

# route NS ARGS...: ip route in NS (e.g. route c default via 192.0.2.1).
route() {
	local full="$NS_PREFIX$1"
	shift
	case "$*" in
	*:*) ip -n "$full" -6 route add "$@" ;;
	*) ip -n "$full" route add "$@" ;;
	esac
}

# sysctl_get NS KEY / sysctl_set NS KEY VALUE
sysctl_get() { ns "$1" sysctl -n "$2"; }
sysctl_set() { ns "$1" sysctl -qw "$2=$3" >/dev/null; }

# Two namespaces "a" and "b" joined by a veth: a = 192.0.2.1 / 2001:db8::1,
# b = 192.0.2.2 / 2001:db8::2, conntrack on in both (kernel accounting in
# both when $1 is "acct").
pair_setup() {
	ns_add a
	ns_add b
	veth a va b vb
	addr a va 192.0.2.1/24
	addr b vb 192.0.2.2/24
	addr a va 2001:db8::1/64
	addr b vb 2001:db8::2/64
	ct_enable a "${1:-}"
	ct_enable b "${1:-}"
}

# A gateway between two namespaces: client "c" 192.0.2.2 (default route
# via the gateway) - "r" 192.0.2.1 | 198.51.100.1, forwarding, conntrack
# with kernel accounting on before any packet - server "s" 198.51.100.2.
# IPv4 only; the caller adds more addresses, IPv6, NAT rules (with
# "masquerade" as $1: the gateway masquerades what leaves towards s).
gateway_setup() {
	ns_add c
	ns_add r
	ns_add s
	veth c vc r rc
	veth r rs s vs
	addr c vc 192.0.2.2/24
	addr r rc 192.0.2.1/24
	addr r rs 198.51.100.1/24
	addr s vs 198.51.100.2/24
	route c default via 192.0.2.1
	sysctl_set r net.ipv4.ip_forward 1
	ct_enable r acct
	[ "${1:-}" = masquerade ] || return 0
	ns r nft -f - <<'EOF' || fail "cannot load the NAT rules"
table ip ftnat {
	chain post {
		type nat hook postrouting priority srcnat;
		oifname "rs" masquerade
	}
}
EOF
}

# bg NS cmd...: start cmd in NS in the background; its pid is in BG_PID and
# it is killed at exit.
bg() {
	local name=$1
	shift
	# ip netns exec directly (not the ns function): the pid is then the
	# command's own, not a subshell's that would outlive a kill
	ip netns exec "$NS_PREFIX$name" "$@" &
	BG_PID=$!
	_BG_PIDS+=("$BG_PID")
}

# serve NS cmd...: start a traffic.py server in NS in the background and
# wait until it printed "ready" (it listens).
_SERVE_N=0
serve() {
	local name=$1 out
	shift
	_SERVE_N=$((_SERVE_N + 1))
	out=$TMPD/serve.$_SERVE_N
	: >"$out"
	ip netns exec "$NS_PREFIX$name" "$@" >"$out" &
	BG_PID=$!
	_BG_PIDS+=("$BG_PID")
	wait_for 10 grep -q ready "$out" || fail "server did not start in $name: $*"
}

# wait_for SECONDS cmd...: poll cmd every 50 ms until it succeeds.
wait_for() { _poll 50 "$@"; }

# _poll MS SECONDS cmd...: poll cmd every MS milliseconds (1-999) until it
# succeeds, SECONDS at most (a fraction allowed); for a cheap cmd, a wait
# that ends closer to the moment it could.
# (its locals are named so that a cmd that evals "$n" or "$i" sees the
# caller's)
_poll() {
	local _poll_step _poll_max _poll_i=0
	_poll_step=$(printf '0.%03d' "$1")
	_poll_max=$(awk -v s="$2" -v ms="$1" 'BEGIN { printf "%d", s * 1000 / ms }')
	shift 2
	while ! "$@"; do
		_poll_i=$((_poll_i + 1))
		[ "$_poll_i" -le "$_poll_max" ] || return 1
		sleep "$_poll_step"
	done
}

# wait_port NS PROTO PORT: until a socket listens on PORT (tcp|udp).
wait_port() {
	local opt=-ltn
	[ "$2" = udp ] && opt=-lun
	wait_for 5 _port_open "$1" "$opt" "$3" ||
		fail "nothing listens on $2 port $3 in namespace $1"
}
_port_open() { ns "$1" ss -H "$2" "sport = :$3" | grep -q .; }

# --- flowtop --------------------------------------------------------------

# ft NS ARGS...: run flowtop in the foreground in NS (bounded by a timeout).
ft() {
	local name=$1
	shift
	timeout -k 5 60 ip netns exec "$NS_PREFIX$name" "$FLOWTOP" "$@"
}

_ft_lines() { [ -f "$1" ] && wc -l <"$1" || echo 0; }

# ft_start TAG NS ARGS...: flowtop in the background, stdout in
# $TMPD/TAG.out, stderr in $TMPD/TAG.err; returns once the first snapshot
# line is out (so the backend is attached and the dump done). SIGINT and
# SIGQUIT are reset to default: bash would start a background job with
# them ignored, which no user's terminal does.
ft_start() {
	ft_launch "$@"
	ft_ready "$1"
}

# ft_launch TAG NS ARGS...: as ft_start without waiting; ft_ready TAG waits.
ft_launch() {
	local tag=$1 name=$2
	shift 2
	: >"$TMPD/$tag.out"
	: >"$TMPD/$tag.err"
	echo "$*" >"$TMPD/$tag.args"
	env --default-signal=INT,QUIT,PIPE ip netns exec "$NS_PREFIX$name" \
		"$FLOWTOP" "$@" >"$TMPD/$tag.out" 2>"$TMPD/$tag.err" &
	FT_PID[$tag]=$!
	_BG_PIDS+=("$!")
}

ft_ready() {
	local tag=$1
	if ! _poll 20 15 _ft_has_lines "$tag" 1; then
		kill -0 "${FT_PID[$tag]}" 2>/dev/null ||
			fail "flowtop $(cat "$TMPD/$tag.args") exited early; stderr: $(cat "$TMPD/$tag.err")"
		fail "flowtop $(cat "$TMPD/$tag.args") printed no snapshot within 15 s; stderr: $(cat "$TMPD/$tag.err")"
	fi
}
_ft_has_lines() {
	[ "$(_ft_lines "$TMPD/$1.out")" -ge "$2" ] && return 0
	kill -0 "${FT_PID[$1]}" 2>/dev/null || return 1
	return 1
}

# ft_sync TAG [N]: wait until N (default 2) more snapshots are out, so the
# last one read the counters after everything done before this call.
ft_sync() {
	ft_sync_all "${2:-2}" "$1"
}

# ft_sync_all N TAG...: ft_sync for several flowtops at once.
ft_sync_all() {
	local n=$1 tag
	shift
	declare -A have=()
	for tag in "$@"; do
		have[$tag]=$(_ft_lines "$TMPD/$tag.out")
	done
	for tag in "$@"; do
		_poll 20 15 _ft_has_lines "$tag" $((have[$tag] + n)) ||
			fail "flowtop $(cat "$TMPD/$tag.args") printed no new snapshot within 15 s; stderr: $(cat "$TMPD/$tag.err")"
	done
}

# ft_stop TAG [SIGNAL]: signal (default INT) and reap; exit status in FT_RC.
ft_stop() {
	local tag=$1 sig=${2:-INT} pid=${FT_PID[$1]} i
	kill "-$sig" "$pid" 2>/dev/null || true
	for i in $(seq 500); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		fail "flowtop ($tag) did not exit within 5 s of SIG$sig"
	fi
	FT_RC=0
	wait "$pid" || FT_RC=$?
}

# ft_last TAG: file holding flowtop's last snapshot (one JSON line).
ft_last() {
	$FTJSON last "$TMPD/$1.out" >"$TMPD/$1.last" ||
		fail "no valid JSON snapshot from flowtop ($1): $(tail -c 400 "$TMPD/$1.out")"
	echo "$TMPD/$1.last"
}

# --- JSON and conntrack ground truth ---------------------------------------

# ct_snap NS FILE: the namespace's conntrack table (conntrack -L -o
# extended) as a flowtop-shaped JSON snapshot in FILE.
ct_snap() {
	ns "$1" conntrack -L -o extended 2>/dev/null >"$2.raw" || true
	$FTJSON ct <"$2.raw" >"$2" || fail "cannot parse conntrack -L output: $(head -c 400 "$2.raw")"
}

# counts_match SNAP NS N [FIELD=VALUE...]: flowtop's snapshot SNAP and NS's
# conntrack table (conntrack -L -o extended) hold the same N matching
# flows, each with the same four counters; fails saying how many differ.
# The kernel's side stays in $TMPD/ct.counts (ftjson.py counts).
counts_match() {
	local snap=$1 name=$2 want=$3 n
	shift 3
	ct_snap "$name" "$TMPD/ct.json"
	$FTJSON counts "$snap" "$@" >"$TMPD/ft.counts"
	$FTJSON counts "$TMPD/ct.json" "$@" >"$TMPD/ct.counts"
	n=$(wc -l <"$TMPD/ct.counts")
	[ "$n" -eq "$want" ] || fail "conntrack -L holds $n flows ($*), want $want"
	diff "$TMPD/ct.counts" "$TMPD/ft.counts" >"$TMPD/counts.diff" ||
		fail "$(grep -c '^>' "$TMPD/counts.diff") of $want flows differ from the kernel's counts (< kernel, > flowtop): $(head -6 "$TMPD/counts.diff")"
}

# json_flows FILE [FIELD=VALUE...]: matching flows of the last snapshot in
# FILE, one JSON object a line.
json_flows() { $FTJSON flows "$@"; }

# json_count FILE [FIELD=VALUE...]: how many flows match.
json_count() { $FTJSON count "$@"; }

# json_get FILE FIELD=VALUE... -- FIELD...: the fields of the one flow that
# matches (fails unless exactly one does), space separated.
json_get() {
	local out
	out=$($FTJSON get "$@") || fail "$(basename "$1"): $out"
	echo "$out"
}

# json_top FILE FIELD: a top-level field of the last snapshot.
json_top() { $FTJSON top "$@"; }
