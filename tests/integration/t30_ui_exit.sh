#!/bin/bash
# Leaving the interactive view restores the terminal (normal screen, cursor
# shown, canonical mode and echo back) and the system settings flowtop
# changed (nf_conntrack_timestamp, and nf_conntrack_acct for the conntrack
# backend), whether it ends by q, SIGTERM, SIGHUP, SIGQUIT (sent, or Ctrl-\
# typed in the terminal) or a crash (SIGSEGV).
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
command -v tmux >/dev/null || fail "tmux not installed (scripts/install-deps.sh --test)"

TM_SOCK="ft-$$"
tm() { tmux -L "$TM_SOCK" "$@"; }
trap 'rc=$?; set +e; tmux -L "$TM_SOCK" kill-server 2>/dev/null; (exit $rc); _cleanup' EXIT

screen() { tm capture-pane -p -t "$1"; }
wait_screen() {
	local s=$1 limit=$2 re=$3 i=0
	while ! screen "$s" | grep -qE -- "$re"; do
		i=$((i + 1))
		if [ "$i" -gt $((limit * 20)) ]; then
			screen "$s" | sed 's/^/    | /' >&2
			return 1
		fi
		sleep 0.05
	done
}

# one idle session keeps the tmux server up between the cases: killing
# the last session ends the server, and a new-session racing with that
# end fails ("server exited unexpectedly")
tm new-session -d -s keep "sleep 600" || fail "cannot start tmux"

ns_add a
ct_enable a
sysctl_set a net.netfilter.nf_conntrack_timestamp 0
sysctl_set a net.netfilter.nf_conntrack_acct 0

# run_case NAME HOW WANT_EXIT: start the view, end it by HOW, check
run_case() {
	local s=$1 how=$2 want=$3 pid
	tm new-session -d -s "$s" -x 100 -y 24 \
		"env LANG=C.UTF-8 TERM=screen ip netns exec $(nsname a) $FLOWTOP --acct conntrack -t 0.3; echo FLOWTOP-EXIT=\$?; stty -a | tr '\\n' ' '; echo; echo STTY-DONE; sleep 600" ||
		fail "cannot start tmux"
	wait_screen "$s" 15 "flowtop .*conntrack.*flows [0-9]+/[0-9]+" ||
		fail "$s: the view did not start"
	[ "$(tm display -p -t "$s" '#{alternate_on}')" = 1 ] ||
		fail "$s: the view does not use the alternate screen"
	[ "$(sysctl_get a net.netfilter.nf_conntrack_timestamp)" = 1 ] ||
		fail "$s: nf_conntrack_timestamp not enabled while running"
	[ "$(sysctl_get a net.netfilter.nf_conntrack_acct)" = 1 ] ||
		fail "$s: nf_conntrack_acct not enabled while running (conntrack backend)"
	case $how in
	q) tm send-keys -t "$s" q ;;
	ctrl-backslash) tm send-keys -t "$s" 'C-\' ;;
	*)
		pid=$(ip netns pids "$(nsname a)" | while read -r p; do
			[ "$(cat /proc/"$p"/comm 2>/dev/null)" = flowtop ] && echo "$p"
		done | head -1)
		[ -n "$pid" ] || fail "$s: flowtop's pid not found"
		kill "-$how" "$pid"
		;;
	esac
	wait_screen "$s" 10 "STTY-DONE" || fail "$s: flowtop did not end after $how"
	screen "$s" | grep -q "FLOWTOP-EXIT=$want\$" ||
		fail "$s: exit status after $how: $(screen "$s" | grep FLOWTOP-EXIT), want $want"
	[ "$(tm display -p -t "$s" '#{alternate_on}')" = 0 ] ||
		fail "$s: still on the alternate screen after $how"
	[ "$(tm display -p -t "$s" '#{cursor_flag}')" = 1 ] ||
		fail "$s: cursor still hidden after $how"
	screen "$s" | grep -E -- "(^| )icanon( |$)" | grep -qE -- "(^| )echo( |$)" ||
		fail "$s: terminal not back in canonical mode with echo after $how: $(screen "$s" | grep -o -- '-*icanon\|-*echo ' | tr '\n' ' ')"
	[ "$(sysctl_get a net.netfilter.nf_conntrack_timestamp)" = 0 ] ||
		fail "$s: nf_conntrack_timestamp not restored after $how"
	[ "$(sysctl_get a net.netfilter.nf_conntrack_acct)" = 0 ] ||
		fail "$s: nf_conntrack_acct not restored after $how"
	log "$how: terminal and sysctls restored, exit $want"
	tm kill-session -t "$s"
}

run_case quit q 0
run_case term TERM 0
run_case hup HUP 0
run_case sigquit QUIT 0
run_case ctrlbs ctrl-backslash 0
run_case segv SEGV 139
pass "q, SIGTERM, SIGHUP, SIGQUIT, Ctrl-\\ and SIGSEGV restore the terminal and the sysctls"
