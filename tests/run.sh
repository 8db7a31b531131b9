#!/bin/bash
# Runs flowtop's tests: every cmocka unit binary $BUILD/tests/test_*, then
# every integration script tests/integration/t*.sh (as root; exit 0 pass,
# 77 skip, anything else fail). One line per test, then one summary line:
#
#	N passed, M failed, K skipped
#
# Unit binaries count each cmocka test (passed, failed or skipped);
# integration scripts count one each. A part of a script that cannot run
# here while the rest can (skip_section in lib.sh) is listed as "section
# not run" above the summary; the script passes if everything that ran did.
#
#	tests/run.sh [FILTER...]     only tests whose name contains a FILTER
#
# Environment: BUILD (default build), FLOWTOP (default $BUILD/flowtop),
# TEST_TIMEOUT seconds per test (default 300), UNIT_JOBS unit binaries at
# once (default: the CPUs), VERBOSE=1 prints every log,
# TEST_SKIP="NAME..." integration tests reported as skipped, not run (e.g.
# t90_fuzz in the sanitized pass of .ci/run: the fuzzers carry their own
# sanitizers, so a second run would repeat the first).
# Logs are kept in $BUILD/test-logs/ (NAME.log, and NAME.failed.log for
# the last failure of an integration test).
set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
BUILD=${BUILD:-build}
export BUILD TOP
export FLOWTOP=${FLOWTOP:-$TOP/$BUILD/flowtop}
TIMEOUT=${TEST_TIMEOUT:-300}
LOGS=$BUILD/test-logs
mkdir -p "$LOGS"

# Namespaces of lib.sh are named ft-PID-*; one whose test process is gone
# was left by a run killed with SIGKILL. Say so; deleting them is the
# owner's call (they may hold processes of another session).
stale=$(ip netns list 2>/dev/null | awk '{ print $1 }' | while read -r n; do
	p=${n#ft-}
	p=${p%%-*}
	case "$n" in ft-[0-9]*-*) kill -0 "$p" 2>/dev/null || echo "$n" ;; esac
done | tr '\n' ' ')
[ -z "$stale" ] || echo "note: stale test namespaces from killed runs: $stale(ip netns del NAME)"

passed=0
failed=0
skipped=0
sections=()	# integration sections that skipped alone (skip_section)
failures=()

selected() {
	local f
	[ $# -gt 1 ] || return 0
	for f in "${@:2}"; do
		case "$1" in *"$f"*) return 0 ;; esac
	done
	return 1
}

show_log() {
	[ "${VERBOSE:-0}" = 1 ] && { sed 's/^/    /' "$1"; return; }
	tail -n 15 "$1" | sed 's/^/    /'
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# cmocka prints "[  PASSED  ] N test(s).", "[  FAILED  ] N test(s)..." and
# "[  SKIPPED ] N test(s), listed below:"; a skipped test is in neither of
# the first two, and is counted as skipped here.
run_unit() {
	local bin=$1 name log rc p f s t0
	name=$(basename "$bin")
	log=$LOGS/$name.log
	t0=$(now)
	# the shell's "Segmentation fault" report goes to the log as well
	{ timeout -k 10 "$TIMEOUT" "$bin" >"$log" 2>&1; rc=$?; } 2>>"$log"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]\+\) test.*/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]\+\) test.*/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]\+\) test.*/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
	# A crash or timeout before the summary still has to count as a failure.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	if [ "$f" -eq 0 ] && [ "$s" -gt 0 ]; then
		printf 'PASS  unit/%s (%d tests, %d skipped: %s, %ss)\n' "$name" "$p" "$s" \
			"$(sed -n 's/^\[  SKIPPED \] \([^0-9].*\)/\1/p' "$log" | awk '!seen[$0]++' |
			tr '\n' ' ' | sed 's/ $//')" \
			"$(elapsed "$t0")"
	elif [ "$f" -eq 0 ]; then
		printf 'PASS  unit/%s (%d tests, %ss)\n' "$name" "$p" "$(elapsed "$t0")"
	else
		case $rc in
		124|137) why="timed out after ${TIMEOUT}s" ;;
		*) why="exit $rc" ;;
		esac
		printf 'FAIL  unit/%s (%d passed, %d failed, %s, log %s)\n' \
			"$name" "$p" "$f" "$why" "$log"
		# the failing tests' names and assertion messages, else the tail
		grep -E '^\[  FAILED  \] [^0-9]|^\[  ERROR   \]|^\[   LINE   \]' "$log" |
			awk '!seen[$0]++ { print "    " $0 }' | grep . || show_log "$log"
		failures+=("unit/$name")
	fi
}

run_integration() {
	local script=$1 name log rc t0
	name=$(basename "$script" .sh)
	log=$LOGS/$name.log
	t0=$(now)
	{ timeout -k 10 "$TIMEOUT" bash "$script" >"$log" 2>&1; rc=$?; } 2>>"$log"
	case $rc in
	0)
		passed=$((passed + 1))
		printf 'PASS  integration/%s (%ss)\n' "$name" "$(elapsed "$t0")"
		# a section that could not run is no pass: said under the summary
		while IFS= read -r line; do
			printf '      section not run: %s\n' "$line"
			sections+=("$name: $line")
		done < <(sed -n 's/^SKIP-SECTION: [^:]*: //p' "$log")
		[ "${VERBOSE:-0}" = 1 ] && show_log "$log"
		;;
	77)
		skipped=$((skipped + 1))
		printf 'SKIP  integration/%s: %s\n' "$name" \
			"$(grep -m1 '^SKIP' "$log" | sed 's/^SKIP: [^:]*: //')"
		;;
	*)
		failed=$((failed + 1))
		case $rc in
		124|137) why="timed out after ${TIMEOUT}s" ;;
		*) why="exit $rc" ;;
		esac
		# kept apart, so that a later passing run does not overwrite it
		cp "$log" "$LOGS/$name.failed.log"
		printf 'FAIL  integration/%s (%s, %ss, log %s)\n' "$name" "$why" \
			"$(elapsed "$t0")" "$LOGS/$name.failed.log"
		show_log "$log"
		failures+=("integration/$name")
		;;
	esac
}

# The unit binaries are pure computation, apart from each other: UNIT_JOBS
# (default: the CPUs) run at once, each in a subshell that leaves its
# report lines and counts in $LOGS; they are printed and added up in
# their order.
shopt -s nullglob
units=()
for bin in "$BUILD"/tests/test_*; do
	[ -x "$bin" ] && [ -f "$bin" ] || continue
	case "$bin" in *.d|*.o) continue ;; esac
	selected "$(basename "$bin")" "$@" || continue
	units+=("$bin")
done
UNIT_JOBS=${UNIT_JOBS:-$(nproc 2>/dev/null || echo 1)}
running=0
for bin in "${units[@]}"; do
	rm -f "$LOGS/$(basename "$bin").report" "$LOGS/$(basename "$bin").counts"
	(
		passed=0 failed=0 skipped=0 failures=()
		run_unit "$bin" >"$LOGS/$(basename "$bin").report"
		echo "$passed $failed $skipped ${failures[*]}" >"$LOGS/$(basename "$bin").counts"
	) &
	running=$((running + 1))
	if [ "$running" -ge "$UNIT_JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait
for bin in "${units[@]}"; do
	name=$(basename "$bin")
	cat "$LOGS/$name.report" 2>/dev/null
	if read -r p f s fl <"$LOGS/$name.counts"; then
		passed=$((passed + p))
		failed=$((failed + f))
		skipped=$((skipped + s))
		[ -z "$fl" ] || failures+=("$fl")
	else
		echo "FAIL  unit/$name (no result)"
		failed=$((failed + 1))
		failures+=("unit/$name")
	fi
	rm -f "$LOGS/$name.report" "$LOGS/$name.counts"
done

for script in tests/integration/t*.sh; do
	selected "$(basename "$script" .sh)" "$@" || continue
	case " ${TEST_SKIP:-} " in
	*" $(basename "$script" .sh) "*)
		skipped=$((skipped + 1))
		printf 'SKIP  integration/%s: in TEST_SKIP\n' "$(basename "$script" .sh)"
		continue
		;;
	esac
	run_integration "$script"
done

if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]}"
fi
for s in "${sections[@]}"; do
	echo "section not run: $s"
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
