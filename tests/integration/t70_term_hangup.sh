#!/bin/bash
# Fault: the terminal of the interactive view goes away (an ssh connection
# drops, a terminal window or tmux session is closed). flowtop must end by
# itself, quickly and cleanly (not killed by a signal, not left spinning on
# a dead terminal), put back the sysctls it changed and leave no BPF link.
#
#  ctty     the pty is flowtop's controlling terminal and its master side
#           closes: the kernel sends SIGHUP (exit 0, like t30_ui_exit's
#           `kill -HUP`, which also checks the terminal modes are restored
#           while the terminal still exists: not repeated here)
#  noctty   the pty is only flowtop's stdin/stdout, not its controlling
#           terminal: no SIGHUP at all, only EIO on read and write
#  tmux     `tmux kill-session` of the session flowtop runs in
#
# Each with the conntrack backend (which also turns nf_conntrack_acct on)
# and the netfilter backend (a BPF link), sysctls starting at 0.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
command -v tmux >/dev/null || fail "tmux not installed (scripts/install-deps.sh --test)"
command -v bpftool >/dev/null || fail "bpftool not installed (scripts/install-deps.sh)"

TM_SOCK="ft70h-$$"
tm() { tmux -L "$TM_SOCK" "$@"; }
trap 'rc=$?; set +e; tmux -L "$TM_SOCK" kill-server 2>/dev/null; (exit $rc); _cleanup' EXIT
LINKS="$PY $TOP/tests/tools/fault_bpf_links.py"
HANGUP="$PY $TOP/tests/tools/fault_pty_hangup.py"

ns_add a
ct_enable a
TS=net.netfilter.nf_conntrack_timestamp
ACCT=net.netfilter.nf_conntrack_acct
sysctl_set a $TS 0
sysctl_set a $ACCT 0
READY='flows [0-9]+/[0-9]+'

# running_checks CASE BACKEND PID: settings on, BPF link held
running_checks() {
	[ "$(sysctl_get a $TS)" = 1 ] || fail "$1: nf_conntrack_timestamp not on while running"
	held=$($LINKS held "$3")
	if [ "$2" = netfilter ]; then
		[ -n "$held" ] || fail "$1: flowtop ($3) holds no BPF link with --acct netfilter"
	else
		[ -z "$held" ] || fail "$1: flowtop holds BPF links $held with --acct conntrack"
		[ "$(sysctl_get a $ACCT)" = 1 ] || fail "$1: nf_conntrack_acct not on while running"
	fi
}

# ended_checks CASE: settings back, the links flowtop held are gone
ended_checks() {
	local left
	[ "$(sysctl_get a $TS) $(sysctl_get a $ACCT)" = "0 0" ] ||
		fail "$1: sysctls not restored: timestamp=$(sysctl_get a $TS) acct=$(sysctl_get a $ACCT)"
	# shellcheck disable=SC2086
	left=$([ -z "$held" ] || $LINKS alive $held)
	[ -z "$left" ] || fail "$1: BPF links $left of flowtop still exist after it ended"
}

n=0
for backend in conntrack netfilter; do
	for mode in ctty noctty; do
		c="$mode/$backend"
		rm -f "$TMPD/go" "$TMPD/hup.out"
		$HANGUP --go "$TMPD/go" $mode "$READY" 10 \
			ip netns exec "$(nsname a)" "$FLOWTOP" -t 0.3 -n -G --acct $backend \
			>"$TMPD/hup.out" 2>&1 &
		hp=$!
		_BG_PIDS+=("$hp")
		wait_for 15 grep -qs "^ready" "$TMPD/hup.out" ||
			fail "$c: the view did not start: $(cat "$TMPD/hup.out")"
		pid=$(sed -n 's/^pid //p' "$TMPD/hup.out")
		running_checks "$c" $backend "$pid"
		touch "$TMPD/go"
		rc=0
		wait "$hp" || rc=$?
		res=$(tail -n 1 "$TMPD/hup.out")
		[ "$rc" -eq 0 ] || fail "$c: flowtop did not end within 10 s of the hangup ($res)"
		case "$mode:$res" in
		ctty:"exit 0") ;;
		noctty:"exit 0" | noctty:"exit 1") ;;
		*) fail "$c: flowtop ended with '$res' after the hangup (want a clean exit)" ;;
		esac
		ended_checks "$c"
		log "$c: $res, sysctls restored, links ${held:-none} gone"
		n=$((n + 1))
	done

	c="tmux/$backend"
	tm new-session -d -s view -x 100 -y 24 \
		"env LANG=C.UTF-8 TERM=screen ip netns exec $(nsname a) $FLOWTOP -t 0.3 -n -G --acct $backend" ||
		fail "cannot start tmux"
	i=0
	until tm capture-pane -p -t view 2>/dev/null | grep -qE "$READY"; do
		i=$((i + 1))
		[ $i -le 300 ] || fail "$c: the view did not start"
		sleep 0.05
	done
	pid=$(ip netns pids "$(nsname a)" | while read -r p; do
		[ "$(cat /proc/"$p"/comm 2>/dev/null)" = flowtop ] && echo "$p"
	done | head -1)
	[ -n "$pid" ] || fail "$c: flowtop's pid not found"
	running_checks "$c" $backend "$pid"
	tm kill-session -t view
	wait_for 10 eval '! kill -0 '"$pid"' 2>/dev/null' ||
		fail "$c: flowtop ($pid) still runs 10 s after its tmux session was killed"
	ended_checks "$c"
	log "$c: ended, sysctls restored, links ${held:-none} gone"
	n=$((n + 1))
done
pass "$n hangups (ctty SIGHUP, no-ctty EIO, tmux kill-session; conntrack and netfilter): flowtop ended cleanly, settings restored, no BPF link left"
