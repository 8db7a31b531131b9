#!/bin/bash
# Fault: /proc/sys is not writable (a container, a hardened host). flowtop
# runs in a private mount namespace (unshare -m) where /proc/sys is
# bind-mounted read-only:
#
#  default backend, nf_conntrack_timestamp 0: a clear message naming the
#    setting and the consequence, then it runs on without timestamps: a
#    flow made 3 s before flowtop started is aged from when flowtop first
#    saw it; it ends cleanly on SIGTERM (exit 0) with nothing to restore
#  --acct conntrack, nf_conntrack_acct 0: the backend cannot work without
#    the kernel's accounting: a clear error naming the setting, exit 1
#  --acct conntrack, nf_conntrack_acct already 1: nothing to change, so it
#    runs (no error), exit 0
#
# The sysctls keep their values throughout (they could not change anyway).
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"

pair_setup
serve b $TRAFFIC tcp-server 192.0.2.2 80
TS=net.netfilter.nf_conntrack_timestamp
ACCT=net.netfilter.nf_conntrack_acct
values() { echo "ts=$(sysctl_get a $TS) acct=$(sysctl_get a $ACCT)"; }

# "${RO[@]}" ARGS...: flowtop in a with /proc/sys read-only; every step
# execs the next, so a background job's pid is flowtop's own
RO=(ip netns exec "$(nsname a)" unshare -m --propagation private sh -c '
	mount --bind /proc/sys /proc/sys &&
	mount -o remount,bind,ro /proc/sys /proc/sys || exit 99
	# really read-only here, or the test proves nothing
	(echo 1 >/proc/sys/net/netfilter/nf_conntrack_timestamp) 2>/dev/null && exit 98
	exec env --default-signal=INT,QUIT,PIPE "$0" "$@"' "$FLOWTOP")

# 1. default backend, timestamps off
sysctl_set a $TS 0
sysctl_set a $ACCT 0
bg a $TRAFFIC tcp-hold 192.0.2.1 43000 192.0.2.2 80 >/dev/null
sleep 3		# the flow's real age is now over 3 s
: >"$TMPD/ro.out"
"${RO[@]}" --batch --output json --count 0 -t 0.3 -n -G -T >"$TMPD/ro.out" 2>"$TMPD/ro.err" &
rpid=$!
_BG_PIDS+=("$rpid")
started=$(date +%s.%N)
has_snap() { [ "$(grep -c . "$TMPD/ro.out")" -ge 3 ]; }
wait_for 15 has_snap || {
	kill -0 $rpid 2>/dev/null || { wait $rpid || rc=$?; fail "flowtop exited (${rc:-0}) with /proc/sys read-only; stderr: $(cat "$TMPD/ro.err")"; }
	fail "no snapshot with /proc/sys read-only; stderr: $(cat "$TMPD/ro.err")"
}
grep -q "nf_conntrack_timestamp" "$TMPD/ro.err" && grep -qi "read-only" "$TMPD/ro.err" &&
	grep -qi "first saw" "$TMPD/ro.err" ||
	fail "no clear message about the unwritable nf_conntrack_timestamp: $(cat "$TMPD/ro.err")"
[ "$(values)" = "ts=0 acct=0" ] || fail "sysctls changed through a read-only /proc/sys: $(values)"
snap=$(ft_last ro)
age=$(json_get "$snap" proto=tcp sport=43000 -- age)
since=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
awk -v a="$age" -v s="$since" 'BEGIN { exit !(a >= 0 && a <= s + 0.5 && a < 3) }' ||
	fail "flow age $age s: want it counted from flowtop's first sight (<= $since s), the flow is over 3 s old"
ft_sync_ro() { [ "$(grep -c . "$TMPD/ro.out")" -ge $(($1 + 2)) ]; }
n0=$(grep -c . "$TMPD/ro.out")
wait_for 10 ft_sync_ro "$n0" || fail "flowtop stopped printing snapshots"
age2=$(json_get "$(ft_last ro)" proto=tcp sport=43000 -- age)
awk -v a="$age" -v b="$age2" 'BEGIN { exit !(b > a) }' || fail "flow age does not advance: $age then $age2"
kill -TERM $rpid
rc=0
wait $rpid || rc=$?
[ "$rc" -eq 0 ] || fail "flowtop exited $rc after SIGTERM with /proc/sys read-only; stderr: $(cat "$TMPD/ro.err")"
grep -qiv "nf_conntrack_timestamp\|counters from" "$TMPD/ro.err" &&
	fail "unexpected messages: $(cat "$TMPD/ro.err")"
[ "$(values)" = "ts=0 acct=0" ] || fail "sysctls changed: $(values)"
log "default backend: '$(head -1 "$TMPD/ro.err")'; age $age s then $age2 s (first sight), exit 0"

# 2. --acct conntrack needs nf_conntrack_acct, which cannot be turned on
rc=0
timeout -k 5 30 "${RO[@]}" --batch --count 1 -t 0.3 -n -G --acct conntrack \
	>/dev/null 2>"$TMPD/ct.err" || rc=$?
[ "$rc" -eq 1 ] || fail "--acct conntrack with nf_conntrack_acct unwritable: exit $rc, want 1; stderr: $(cat "$TMPD/ct.err")"
grep -q "nf_conntrack_acct" "$TMPD/ct.err" && grep -qi "read-only" "$TMPD/ct.err" ||
	fail "no clear error about nf_conntrack_acct: $(cat "$TMPD/ct.err")"
[ "$(values)" = "ts=0 acct=0" ] || fail "sysctls changed: $(values)"
log "--acct conntrack, acct 0: exit 1: '$(grep nf_conntrack_acct "$TMPD/ct.err" | head -1)'"

# 3. ... but with nf_conntrack_acct already on there is nothing to change
sysctl_set a $ACCT 1
rc=0
timeout -k 5 30 "${RO[@]}" --batch --output json --count 2 -t 0.3 -n -G -T --acct conntrack \
	>"$TMPD/ct1.out" 2>"$TMPD/ct1.err" || rc=$?
[ "$rc" -eq 0 ] || fail "--acct conntrack with nf_conntrack_acct already 1: exit $rc, want 0; stderr: $(cat "$TMPD/ct1.err")"
[ "$(json_count "$TMPD/ct1.out" proto=tcp sport=43000)" = 1 ] ||
	fail "--acct conntrack (acct already 1): the held flow is not listed"
[ "$(values)" = "ts=0 acct=1" ] || fail "sysctls changed: $(values)"
log "--acct conntrack, acct already 1: runs, exit 0"
pass "read-only /proc/sys: runs on without timestamps (clear message, ages from first sight, exit 0); --acct conntrack: clear error, exit 1 (runs when acct is already on)"
