#!/bin/bash
# Runs the libFuzzer targets built by `make fuzz-build`.
#
#	tests/fuzz/run.sh SECONDS [TARGET...]
#
# Each target (default: every $FUZZ_BUILD/fuzz_*) runs for SECONDS on its
# seed corpus tests/fuzz/corpus/NAME (the crash-* regression seeds run
# first, as every seed does), with a -max_len that fits its input. At most
# FUZZ_JOBS targets run at once (default: 2, or 1 on a single CPU). One
# line per target with executions and executions/s; any crash, leak, UB
# report, timeout or out-of-memory fails the run, and the input is kept.
# Leaks inside a system library we cannot fix are listed, with the reason,
# in tests/fuzz/lsan.supp.
#
# Environment:
#   FUZZ_BUILD   where the targets are (default build-fuzz)
#   FUZZ_WORK    working corpora and logs (default $FUZZ_BUILD/work): new
#                inputs go to WORK/corpus/NAME, so the committed seeds stay
#                as they are and long runs build on earlier ones
#   FUZZ_ARTIFACTS  where failing inputs go (default $FUZZ_BUILD/artifacts)
#   FUZZ_JOBS    targets at a time
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
SECONDS_EACH=${1:?usage: tests/fuzz/run.sh SECONDS [TARGET...]}
shift
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
WORK=${FUZZ_WORK:-$FUZZ_BUILD/work}
ARTIFACTS=${FUZZ_ARTIFACTS:-$FUZZ_BUILD/artifacts}
ncpu=$(nproc 2>/dev/null || echo 1)
JOBS=${FUZZ_JOBS:-$((ncpu >= 2 ? 2 : 1))}

# The largest input worth trying per target: about what the real source
# can deliver, so that time goes to structure rather than size.
max_len() {
	case $1 in
	ct_nlmsg) echo 8192 ;;		# one receive buffer of events
	sock_diag) echo 4096 ;;
	mmdb) echo 16384 ;;
	sanitize) echo 12288 ;;		# 10 kB names included
	dns_ptr) echo 4096 ;;		# EDNS-sized answers
	config) echo 2048 ;;
	*) echo 8192 ;;			# conf and JSON files
	esac
}

targets=()
if [ $# -gt 0 ]; then
	for t in "$@"; do targets+=("${t#fuzz_}"); done
else
	for b in "$FUZZ_BUILD"/fuzz_*; do
		[ -x "$b" ] && [ -f "$b" ] || continue
		case $b in *.d|*.o) continue ;; esac
		targets+=("$(basename "$b" | sed 's/^fuzz_//')")
	done
fi
if [ ${#targets[@]} -eq 0 ]; then
	echo "tests/fuzz/run.sh: no fuzz targets in $FUZZ_BUILD; run 'make fuzz-build'" >&2
	exit 1
fi

# The sanitizers report to the log (not to files an outer harness set up)
# and stop at the first problem; leak detection stays on.
run_one() {
	local name=$1 bin=$FUZZ_BUILD/fuzz_$1 log=$WORK/$1.log rc
	mkdir -p "$WORK/corpus/$name" "$ARTIFACTS/$name"
	if [ ! -x "$bin" ]; then
		echo "FAIL  fuzz/$name: $bin not built (make fuzz-build)" >"$WORK/$name.result"
		return
	fi
	# libmaxminddb has no frame pointers: unwind slowly where it is
	# called, so that lsan.supp can tell its own leak from ours
	local slow=
	[ "$name" = mmdb ] && slow=:fast_unwind_on_malloc=0
	env -u ASAN_OPTIONS -u UBSAN_OPTIONS -u LSAN_OPTIONS \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:symbolize=1$slow \
		LSAN_OPTIONS="suppressions=$TOP/tests/fuzz/lsan.supp:print_suppressions=0" \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$bin" -max_total_time="$SECONDS_EACH" -max_len="$(max_len "$name")" \
		-timeout=10 -rss_limit_mb=2048 -detect_leaks=1 -print_final_stats=1 \
		-artifact_prefix="$ARTIFACTS/$name/" \
		"$WORK/corpus/$name" "tests/fuzz/corpus/$name" >"$log" 2>&1
	rc=$?
	local runs eps why
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
	if [ "$rc" -eq 0 ] && ! grep -qE 'runtime error:|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)' "$log"; then
		printf 'PASS  fuzz/%s: %s runs in %ss, %s exec/s, corpus %s\n' "$name" \
			"${runs:-?}" "$SECONDS_EACH" "${eps:-?}" \
			"$(find "$WORK/corpus/$name" "tests/fuzz/corpus/$name" -type f | wc -l)" \
			>"$WORK/$name.result"
	else
		why=$(grep -m1 -E 'SUMMARY:|runtime error:|ERROR: libFuzzer' "$log")
		{
			printf 'FAIL  fuzz/%s (exit %s): %s\n' "$name" "$rc" "${why:-see log}"
			printf '    log %s, input %s\n' "$log" \
				"$(ls -t "$ARTIFACTS/$name" 2>/dev/null | head -n1 | sed "s|^|$ARTIFACTS/$name/|")"
			grep -E '^ +#[0-9]+ .* in ' "$log" | grep -v -E 'fuzzer::|libc_start|_start |__sanitizer' |
				head -n 6 | sed 's/^/    /'
		} >"$WORK/$name.result"
	fi
}

mkdir -p "$WORK"
running=0
for t in "${targets[@]}"; do
	rm -f "$WORK/$t.result"
	echo "fuzz/$t: running for ${SECONDS_EACH}s"
	run_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

failed=0
for t in "${targets[@]}"; do
	if [ -s "$WORK/$t.result" ]; then
		cat "$WORK/$t.result"
	else
		echo "FAIL  fuzz/$t: no result (interrupted?)"
	fi
	grep -q '^PASS' "$WORK/$t.result" 2>/dev/null || failed=$((failed + 1))
done
echo "${#targets[@]} fuzz targets, $failed failed"
[ "$failed" -eq 0 ]
