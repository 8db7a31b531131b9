#!/bin/bash
# Fuzz smoke: builds the libFuzzer targets (make fuzz-build, into
# build-fuzz/, if not up to date) and runs each for FUZZ_SMOKE_SECONDS
# (default 12) on its seed corpus, which holds the crash-* inputs of every
# bug fuzzing found. Any crash, leak, UB report, timeout or out-of-memory
# fails; each target's executions and executions/s are printed. New inputs
# go to a scratch directory: the committed corpus is not changed.
# Environment: FUZZ_SMOKE_SECONDS, FUZZ_JOBS (targets at once, default 2).
. "$(dirname "$0")/lib.sh"

secs=${FUZZ_SMOKE_SECONDS:-12}
cc=${FUZZ_CC:-clang}
command -v "$cc" >/dev/null || skip "no $cc: the fuzz targets need clang with libFuzzer (libclang-rt-14-dev)"
# libFuzzer's runtime comes with clang's compiler-rt package
rt=$("$cc" -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null || true)
if [ "$(uname -m)" = x86_64 ] && [ ! -f "$rt" ]; then
	skip "libFuzzer runtime missing for $cc (install libclang-rt-14-dev)"
fi

# The build runs without the sanitizer settings of make test SANITIZE=1;
# the fuzzers carry their own. Under build-fuzz/.lock: .ci/run builds
# them ahead, in the background, and this waits for that build to end.
log "building the fuzz targets (make fuzz-build)"
mkdir -p "$TOP/build-fuzz"
lock=$(realpath "$TOP/build-fuzz/.lock")
if ! flock -n "$lock" true; then
	# a build ahead holds it, at SCHED_IDLE: waited for now, it gets
	# the CPUs like anything else (its processes hold the lock file)
	for fd in /proc/[0-9]*/fd/*; do
		[ "$(readlink "$fd" 2>/dev/null)" = "$lock" ] || continue
		p=${fd#/proc/}
		p=${p%%/*}
		chrt -o -p 0 "$p" 2>/dev/null || true
		renice -n 0 -p "$p" >/dev/null 2>&1 || true
	done
	log "waiting for the fuzz build ahead"
fi
env -u ASAN_OPTIONS -u UBSAN_OPTIONS -u MAKEFLAGS flock "$lock" \
	make -C "$TOP" -s -j"$(nproc)" fuzz-build >"$TMPD/build.log" 2>&1 ||
	fail "make fuzz-build failed: $(tail -n 20 "$TMPD/build.log")"

rc=0
FUZZ_BUILD=build-fuzz FUZZ_WORK=$TMPD/work FUZZ_ARTIFACTS=$TMPD/artifacts \
	"$TOP/tests/fuzz/run.sh" "$secs" >"$TMPD/run.out" 2>&1 || rc=$?
cat "$TMPD/run.out"
n=$(grep -c '^PASS  fuzz/' "$TMPD/run.out" || true)
if [ "$rc" -ne 0 ]; then
	# the failing inputs and logs would go with $TMPD: keep them
	mkdir -p "$TOP/build-fuzz/t90-failed"
	cp -r "$TMPD/artifacts" "$TMPD/work"/*.log "$TOP/build-fuzz/t90-failed/" 2>/dev/null || true
	fail "a fuzz target failed (inputs and logs in build-fuzz/t90-failed/)"
fi
want=$(find "$TOP/tests/fuzz" -maxdepth 1 -name 'fuzz_*.c' | wc -l)
[ "$n" -eq "$want" ] || fail "$n fuzz targets passed, want all $want"
pass "$n fuzz targets, ${secs}s each, no crash, leak or UB"
