#!/bin/bash
# Fault: SIGTERM while flowtop is still starting. strace holds flowtop at
# a chosen moment of its start-up (an injected delay in one system call),
# the test sends SIGTERM there, and flowtop must end cleanly (exit 0, not
# killed by the signal), put the sysctls back to the values it found and
# leave no BPF link behind. The moments:
#
#  before-attach  nf_conntrack_timestamp is already on, the first bpf()
#                 call (loading the counting program) is held for 2 s
#  first-dump     the BPF links exist and the first dump (in the collector
#                 thread: strace follows threads) of a table of
#                 20000 flows is under way, each netlink read held 10 ms;
#                 with --acct netfilter and with --acct conntrack (which
#                 turned nf_conntrack_acct on before the dump)
#  right-after    the first snapshot has just been printed
#
# (SIGTERM before any setting is changed - while options are parsed - ends
# flowtop by the signal's default action, with nothing to undo.)
#
# The big table comes from bench/loadgen in the topology of t06_churn.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
command -v strace >/dev/null || fail "strace not installed (scripts/install-deps.sh --test)"
command -v bpftool >/dev/null || fail "bpftool not installed (scripts/install-deps.sh)"
command -v nft >/dev/null || skip "nft (nftables) is not installed"
require_loadgen
LINKS="$PY $TOP/tests/tools/fault_bpf_links.py"
TABLE=20000

sink_pair gen dut
sysctl_set dut net.netfilter.nf_conntrack_udp_timeout 300
TS=net.netfilter.nf_conntrack_timestamp
ACCT=net.netfilter.nf_conntrack_acct
sysctl_set dut $TS 0
sysctl_set dut $ACCT 0

lg=$(ip netns exec "$(nsname gen)" "$LOADGEN" --burst --count $TABLE --flows $TABLE \
	--threads 2 --duration 20 --quiet) || fail "loadgen failed: $lg"
n=$(ns dut conntrack -C)
[ "$n" -ge $((TABLE * 9 / 10)) ] || fail "only $n flows in dut's table after loadgen: $lg"
log "dut holds $n flows"

ft_pid() {
	ip netns pids "$(nsname dut)" | while read -r p; do
		[ "$(cat /proc/"$p"/comm 2>/dev/null)" = flowtop ] && echo "$p"
	done | head -1
}
sysctls() { echo "$(sysctl_get dut $TS) $(sysctl_get dut $ACCT)"; }
_sysctl_is() { [ "$(sysctl_get dut "$1")" = "$2" ]; }
_in_log() { grep -q "$1" "$TMPD/strace.log" 2>/dev/null; }
_has_links() { [ -n "$($LINKS held "$1")" ]; }

# start CASE STRACE_ARGS... -- FLOWTOP_ARGS...: flowtop under strace in dut
start() {
	local sargs=()
	while [ "$1" != -- ]; do
		sargs+=("$1")
		shift
	done
	shift
	rm -f "$TMPD/strace.log"
	: >"$TMPD/st.out"
	links_before=$($LINKS list)
	# LeakSanitizer cannot work under ptrace (see no_leak_check in lib.sh)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		ip netns exec "$(nsname dut)" strace -f -o "$TMPD/strace.log" "${sargs[@]}" \
		"$FLOWTOP" --batch --output json --count 0 -t 0.5 -n -G -U "$@" \
		>"$TMPD/st.out" 2>"$TMPD/st.err" &
	spid=$!
	_BG_PIDS+=("$spid")
	wait_for 10 eval '[ -n "$(ft_pid)" ]' || fail "$case: flowtop did not start"
	pid=$(ft_pid)
}

# finish CASE: SIGTERM now, then the checks
finish() {
	local rc=0 t0 t1 held left new
	held=$($LINKS held "$pid")
	t0=$(date +%s.%N)
	kill -TERM "$pid"
	wait_for 30 eval '! kill -0 '"$pid"' 2>/dev/null' ||
		fail "$case: flowtop still runs 30 s after SIGTERM"
	t1=$(date +%s.%N)
	wait "$spid" || rc=$?
	[ "$rc" -eq 0 ] ||
		fail "$case: flowtop's exit status $rc after SIGTERM, want 0; stderr: $(tail -c 500 "$TMPD/st.err")"
	[ "$(sysctls)" = "0 0" ] ||
		fail "$case: sysctls not restored (timestamp acct = $(sysctls), want 0 0)"
	# shellcheck disable=SC2086
	left=$([ -z "$held" ] || $LINKS alive $held)
	[ -z "$left" ] || fail "$case: flowtop's BPF links $left outlive it"
	# links made after the signal too (before-attach): every link that
	# appeared meanwhile must belong to some other live process
	new=$(comm -13 <(tr ' ' '\n' <<<"$links_before" | sort) <(
		$LINKS list | tr ' ' '\n' | sort) | tr '\n' ' ')
	# shellcheck disable=SC2086
	left=$([ -z "${new// /}" ] || $LINKS unheld $new)
	[ -z "$left" ] || fail "$case: BPF links $left appeared and nobody holds them (leaked)"
	log "$case: exit 0 $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s after SIGTERM, sysctls restored, links ${held:-none} gone; $(grep -c . "$TMPD/st.out") snapshots"
}

# 1. before the BPF program is loaded and attached
case=before-attach
start -e trace=bpf -e inject=bpf:delay_enter=2000000:when=1 -- --acct netfilter
wait_for 10 _sysctl_is $TS 1 || fail "$case: nf_conntrack_timestamp never turned on"
_has_links "$pid" && fail "$case: already attached (the delay did not hold it)"
finish

# 2. during the first dump of the big table
for backend in netfilter conntrack; do
	case=first-dump/$backend
	start -e trace=sendto,recvmsg -e inject=recvmsg:delay_exit=10000 -- --acct $backend
	# the dump request is out: strace logs it once sendto returns
	wait_for 20 _in_log 'IPCTNL_MSG_CT_GET, nlmsg_flags=NLM_F_REQUEST|NLM_F_DUMP' ||
		fail "$case: flowtop did not start its dump"
	sleep 0.2	# well inside it: 20000 flows take ~100 reads of 10 ms
	[ -s "$TMPD/st.out" ] && fail "$case: a snapshot is already out (the dump was not held)"
	if [ $backend = netfilter ]; then
		_has_links "$pid" || fail "$case: no BPF link during the dump"
	else
		_sysctl_is $ACCT 1 || fail "$case: nf_conntrack_acct not on during the dump"
	fi
	finish
done

# 3. right after the first snapshot
case=right-after
start -e trace=none -- --acct netfilter
wait_for 20 eval '[ -s "$TMPD/st.out" ]' || fail "$case: no snapshot; $(cat "$TMPD/st.err")"
finish

pass "SIGTERM before the BPF attach, during the first dump of $n flows (netfilter, conntrack) and right after: clean exits, sysctls restored, no BPF link left"
