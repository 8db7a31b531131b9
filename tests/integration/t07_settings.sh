#!/bin/bash
# System settings: flowtop turns on nf_conntrack_timestamp (and, for the
# conntrack backend, nf_conntrack_acct) in its namespace while it runs, and
# puts back the values it found on every way out: normal end of --count,
# SIGINT, SIGTERM, SIGHUP, SIGQUIT (also when started with SIGQUIT
# ignored, as a shell starts background jobs), a backend that cannot attach (fentry, kprobe),
# stdout closed at start, and stdout going away mid-run (EPIPE). Done with
# both sysctls starting at 0 and at 1 (restored, not forced to 0).
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop

ns_add a
ct_enable a
TS=net.netfilter.nf_conntrack_timestamp
ACCT=net.netfilter.nf_conntrack_acct

values() { echo "ts=$(sysctl_get a $TS) acct=$(sysctl_get a $ACCT)"; }

# expect_restored HOW: both sysctls hold the value they started with.
expect_restored() {
	local now
	now=$(values)
	[ "$now" = "ts=$start acct=$start" ] ||
		fail "after $1 (values started at $start): $now, want ts=$start acct=$start"
	checks=$((checks + 1))
}

# expect_running WHAT ACCT: values while flowtop runs.
expect_running() {
	local now want="ts=1 acct=$2"
	now=$(values)
	[ "$now" = "$want" ] || fail "while flowtop $1 runs (started at $start): $now, want $want"
}

checks=0
for start in 0 1; do
	sysctl_set a $TS $start
	sysctl_set a $ACCT $start
	[ "$(values)" = "ts=$start acct=$start" ] || fail "cannot set the sysctls to $start"

	# normal end after --count snapshots
	for backend in netfilter conntrack; do
		rc=0
		ft a --batch --count 2 -t 0.1 --acct=$backend >/dev/null 2>"$TMPD/err" || rc=$?
		[ "$rc" -eq 0 ] || fail "--count 2 --acct=$backend: exit $rc; $(cat "$TMPD/err")"
		expect_restored "--count 2 --acct=$backend"
	done

	# signals; the values while running are checked too
	for sig in INT TERM HUP QUIT; do
		for backend in netfilter conntrack; do
			ft_start run a --batch --count 0 -t 0.1 --acct=$backend
			want_acct=$start
			[ $backend = conntrack ] && want_acct=1
			expect_running "--acct=$backend" $want_acct
			ft_stop run $sig
			[ "$FT_RC" -lt 128 ] ||
				fail "flowtop --acct=$backend died of SIG$sig (exit $FT_RC) instead of cleaning up"
			expect_restored "SIG$sig with --acct=$backend"
		done
	done

	# SIGQUIT ignored by the parent (a script's background job): the
	# signal must still end the run, not be lost
	: >"$TMPD/ign.out"
	ns a env --ignore-signal=QUIT "$FLOWTOP" --batch --count 0 -t 0.1 \
		>"$TMPD/ign.out" 2>"$TMPD/ign.err" &
	ipid=$!
	_BG_PIDS+=("$ipid")
	wait_for 15 eval '[ -s "$TMPD/ign.out" ]' ||
		fail "flowtop with SIGQUIT ignored printed nothing: $(cat "$TMPD/ign.err")"
	# the pid of ns (a function in this shell) is a subshell's: signal
	# flowtop itself
	fpid=$(ip netns pids "$(nsname a)" | while read -r p; do
		[ "$(cat /proc/"$p"/comm 2>/dev/null)" = flowtop ] && echo "$p"
	done | head -1)
	[ -n "$fpid" ] || fail "flowtop's pid not found"
	kill -QUIT "$fpid"
	wait_for 5 eval '! kill -0 '"$fpid"' 2>/dev/null' ||
		fail "flowtop started with SIGQUIT ignored runs on after SIGQUIT"
	rc=0
	wait $ipid || rc=$?
	[ "$rc" -eq 0 ] || fail "SIGQUIT (ignored at start): exit $rc, want 0"
	expect_restored "SIGQUIT (ignored at start)"

	# a backend that cannot attach here is a fatal error after the
	# settings were made
	for backend in kprobe fentry; do
		rc=0
		ft a --batch --count 1 -t 0.1 --acct=$backend >/dev/null 2>"$TMPD/err" || rc=$?
		[ "$rc" -eq 1 ] || fail "--acct=$backend: exit $rc, want 1; $(cat "$TMPD/err")"
		expect_restored "the fatal --acct=$backend error"
	done

	# stdout closed from the start
	rc=0
	ns a env --default-signal=PIPE timeout -k 5 20 "$FLOWTOP" --batch --count 0 -t 0.1 \
		>&- 2>"$TMPD/err" || rc=$?
	[ "$rc" -eq 1 ] || fail "flowtop with stdout closed: exit $rc, want 1; $(cat "$TMPD/err")"
	expect_restored "a closed stdout"

	# stdout goes away after the first byte: EPIPE (with SIGPIPE at its
	# default action, as in a shell pipeline)
	for out in text json; do
		set +e
		ns a env --default-signal=PIPE timeout -k 5 20 "$FLOWTOP" --batch --count 0 -t 0.1 \
			--output $out 2>"$TMPD/err" | head -c 1 >/dev/null
		rc=${PIPESTATUS[0]}
		set -e
		[ "$rc" -eq 1 ] ||
			fail "flowtop --output $out | head -c 1: exit $rc, want 1 (write error); $(cat "$TMPD/err")"
		expect_restored "EPIPE on stdout (--output $out)"
	done
done

pass "$checks exits restored the settings (started at 0 and at 1)"
