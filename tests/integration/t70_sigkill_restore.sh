#!/bin/bash
# Fault: flowtop killed outright (SIGKILL, as the OOM killer does), where
# no code of its own can run. Its restore helper (a process forked at
# start-up, named flowtop-restore) must put back every sysctl flowtop
# changed within a second, then exit:
#
#  netfilter backend           nf_conntrack_timestamp
#  conntrack backend           nf_conntrack_timestamp and nf_conntrack_acct
#  conntrack, --user nobody    the same, the helper as nobody too
#  process group killed        kill -KILL -- -PGID (a terminal's job): the
#                              helper has left flowtop's group and restores
#  settings already on         nothing was changed, nothing is written, the
#                              helper says nothing
#  someone else's value        the test turns nf_conntrack_acct off while
#                              flowtop runs: the helper leaves it (and says
#                              so), restores nf_conntrack_timestamp
#
# While flowtop runs the helper holds only CAP_NET_ADMIN (every set),
# NoNewPrivs, flowtop's uid after the drop, and is flowtop's child. On a
# normal end (SIGTERM, SIGQUIT) flowtop restores itself and reaps the
# helper: none is left once flowtop's exit status is in, and it says
# nothing.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
getent passwd nobody >/dev/null || skip "no user 'nobody' on this system"
command -v setsid >/dev/null || skip "setsid (util-linux) is not installed"

ns_add a
ct_enable a
TS=net.netfilter.nf_conntrack_timestamp
ACCT=net.netfilter.nf_conntrack_acct
values() { echo "ts=$(sysctl_get a $TS) acct=$(sysctl_get a $ACCT)"; }

# helpers_of PID: the flowtop-restore processes whose parent is PID
helpers_of() {
	ip netns pids "$(nsname a)" | while read -r p; do
		[ "$(cat /proc/"$p"/comm 2>/dev/null)" = flowtop-restore ] || continue
		[ "$(awk '/^PPid:/ { print $2 }' /proc/"$p"/status 2>/dev/null)" = "$1" ] &&
			echo "$p"
	done
}
any_helper() {
	ip netns pids "$(nsname a)" | while read -r p; do
		[ "$(cat /proc/"$p"/comm 2>/dev/null)" = flowtop-restore ] && echo "$p"
	done
}
no_helper() { [ -z "$(any_helper)" ]; }

# check_helper TAG UID: one helper, child of flowtop, with CAP_NET_ADMIN
# only, NoNewPrivs, uid UID
check_helper() {
	local tag=$1 uid=$2 h st
	h=$(helpers_of "${FT_PID[$tag]}")
	[ -n "$h" ] && [ "$(echo "$h" | wc -l)" = 1 ] ||
		fail "$tag: want one flowtop-restore child of flowtop ${FT_PID[$tag]}, found '$h'"
	st=$(awk '/^(CapPrm|CapEff|CapBnd|CapInh|CapAmb|NoNewPrivs):/ { printf "%s%s ", $1, $2 }
		/^Uid:/ { printf "Uid:%s/%s/%s ", $2, $3, $4 }' /proc/"$h"/status)
	[ "$st" = "Uid:$uid/$uid/$uid CapInh:0000000000000000 CapPrm:0000000000001000 CapEff:0000000000001000 CapBnd:0000000000001000 CapAmb:0000000000000000 NoNewPrivs:1 " ] ||
		fail "$tag: helper $h holds '$st', want CAP_NET_ADMIN only, NoNewPrivs 1, uid $uid"
	HELPER=$h
}

# kill_and_check TAG WANT [KILLCMD...]: SIGKILL flowtop (or KILLCMD), then
# the values must be WANT within a second, and the helper gone
kill_and_check() {
	local tag=$1 want=$2 pid=${FT_PID[$1]} t0 t1 el now
	shift 2
	t0=$(date +%s%N)
	if [ $# -gt 0 ]; then "$@"; else kill -KILL "$pid"; fi
	while now=$(values); [ "$now" != "$want" ]; do
		[ $(($(date +%s%N) - t0)) -lt 1000000000 ] ||
			fail "$tag: 1 s after SIGKILL the sysctls are '$now', want '$want'; stderr: $(cat "$TMPD/$tag.err")"
		sleep 0.01
	done
	t1=$(date +%s%N)
	el=$(((t1 - t0) / 1000000))
	FT_RC=0
	wait "$pid" 2>/dev/null || FT_RC=$?
	[ "$FT_RC" = 137 ] || fail "$tag: flowtop's exit status $FT_RC, want 137 (SIGKILL)"
	wait_for 2 no_helper || fail "$tag: the helper $(any_helper) still runs 2 s after restoring"
	log "$tag: '$want' ${el} ms after SIGKILL, helper gone"
}

# 1. each backend, and as nobody
for c in netfilter conntrack nobody; do
	sysctl_set a $TS 0
	sysctl_set a $ACCT 0
	args=(--acct conntrack) uid=0 want_acct=1
	case $c in
	netfilter) args=(--acct netfilter) want_acct=0 ;;
	nobody) args+=(--user nobody) uid=$(id -u nobody) ;;
	esac
	ft_start $c a --batch --count 0 -t 0.3 -n -G -U "${args[@]}"
	[ "$(values)" = "ts=1 acct=$want_acct" ] ||
		fail "$c: while running: $(values), want ts=1 acct=$want_acct"
	check_helper $c "$uid"
	kill_and_check $c "ts=0 acct=0"
	grep -q "without restoring $TS: set back to 0" "$TMPD/$c.err" ||
		fail "$c: the helper did not report restoring $TS: $(cat "$TMPD/$c.err")"
	if [ "$want_acct" = 1 ]; then
		grep -q "without restoring $ACCT: set back to 0" "$TMPD/$c.err" ||
			fail "$c: the helper did not report restoring $ACCT: $(cat "$TMPD/$c.err")"
	fi
done

# 2. the whole process group, as a terminal kills a job: flowtop leads
# its own group (setsid); the helper is not in it
sysctl_set a $TS 0
sysctl_set a $ACCT 0
: >"$TMPD/pg.out"
: >"$TMPD/pg.err"
echo "(setsid) --acct conntrack" >"$TMPD/pg.args"
setsid ip netns exec "$(nsname a)" "$FLOWTOP" --batch --count 0 -t 0.3 -n -G -U \
	--acct conntrack >"$TMPD/pg.out" 2>"$TMPD/pg.err" &
FT_PID[pg]=$!
_BG_PIDS+=("$!")
ft_ready pg
[ "$(ps -o pgid= -p "${FT_PID[pg]}" | tr -d ' ')" = "${FT_PID[pg]}" ] ||
	fail "pg: flowtop does not lead its process group"
check_helper pg 0
[ "$(ps -o pgid= -p "$HELPER" | tr -d ' ')" != "${FT_PID[pg]}" ] ||
	fail "pg: the helper is in flowtop's process group"
kill_and_check pg "ts=0 acct=0" kill -KILL -- "-${FT_PID[pg]}"

# 3. settings already on: nothing to undo
sysctl_set a $TS 1
sysctl_set a $ACCT 1
ft_start on a --batch --count 0 -t 0.3 -n -G -U --acct conntrack
check_helper on 0
kill_and_check on "ts=1 acct=1"
if grep -q "restor" "$TMPD/on.err"; then
	fail "on: the helper spoke with nothing to undo: $(cat "$TMPD/on.err")"
fi

# 4. someone else changes nf_conntrack_acct while flowtop runs
sysctl_set a $TS 0
sysctl_set a $ACCT 0
ft_start other a --batch --count 0 -t 0.3 -n -G -U --acct conntrack
check_helper other 0
sysctl_set a $ACCT 0	# not flowtop's 1 any more
kill_and_check other "ts=0 acct=0"
grep -q "without restoring $ACCT, which someone else has changed since: left as it is" \
	"$TMPD/other.err" ||
	fail "other: the helper did not leave someone else's $ACCT alone: $(cat "$TMPD/other.err")"
grep -q "without restoring $TS: set back to 0" "$TMPD/other.err" ||
	fail "other: $TS not reported restored: $(cat "$TMPD/other.err")"

# 5. normal ends: flowtop restores and reaps its helper itself
for sig in TERM QUIT; do
	sysctl_set a $TS 0
	sysctl_set a $ACCT 0
	ft_start end$sig a --batch --count 0 -t 0.3 -n -G -U --acct conntrack
	check_helper end$sig 0
	ft_stop end$sig $sig
	[ "$FT_RC" = 0 ] || fail "SIG$sig: exit $FT_RC, want 0; $(cat "$TMPD/end$sig.err")"
	[ "$(values)" = "ts=0 acct=0" ] || fail "SIG$sig: $(values) after the exit, want ts=0 acct=0"
	[ ! -e "/proc/$HELPER" ] || fail "SIG$sig: the helper $HELPER outlives flowtop's exit"
	if grep -q "restor" "$TMPD/end$sig.err"; then
		fail "SIG$sig: unexpected helper message: $(cat "$TMPD/end$sig.err")"
	fi
done

pass "SIGKILL (netfilter, conntrack, --user nobody, the process group): the helper (CAP_NET_ADMIN only) restores within a second; nothing written when nothing changed, someone else's value kept; normal ends reap it"
