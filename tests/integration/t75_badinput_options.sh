#!/bin/bash
# Every option of `flowtop --help` with bad values: missing, empty,
# negative, huge, non-numeric, hex/exponent/blank-padded numbers, escape
# sequences, invalid UTF-8 and 100 kB long. A value an option can never
# take gives exit 2 with a message naming the option and the usage, within
# a few lines, with no raw control byte; flag options given a value
# (--batch=1) too. Options that take free text (--conf-dir, --user) may
# accept a value: then flowtop runs (exit 0) or says why not (exit 1);
# --filter runs or refuses the expression (exit 2, with the reason).
# Never a crash, never a hang.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop

ns_add a
ct_enable a
# a private copy: a rebuild in the tree during the ~200 runs must not
# turn into a failed exec
cp "$FLOWTOP" "$TMPD/flowtop" && FLOWTOP=$TMPD/flowtop

HELP=$("$FLOWTOP" --help) || fail "--help failed"
# "  -t, --interval SEC  ..." / "      --count N  ...": options with a value
mapfile -t VOPTS < <(echo "$HELP" | grep -oE '^ +(-[A-Za-z0-9], )?--[a-z0-9-]+ [A-Z]+' |
	sed -E 's/^ +(-[A-Za-z0-9], )?//; s/ .*//')
mapfile -t FLAGS < <(echo "$HELP" | grep -E '^ +(-[A-Za-z0-9], )?--[a-z0-9-]+' |
	grep -vE -- '^ +(-[A-Za-z0-9], )?--[a-z0-9-]+ [A-Z]' |
	sed -E 's/^ +(-[A-Za-z0-9], )?//; s/ .*//')
[ "${#VOPTS[@]}" -ge 12 ] || fail "found only ${#VOPTS[@]} options with values in --help: ${VOPTS[*]}"
[ "${#FLAGS[@]}" -ge 10 ] || fail "found only ${#FLAGS[@]} flag options in --help: ${FLAGS[*]}"
echo "$HELP" | grep -q -- '-t, --interval' || fail "--help lost -t"

LONG=$(head -c 100000 /dev/zero | tr '\0' 7)
LONGA=$(head -c 100000 /dev/zero | tr '\0' a)
VALUES=("" "-1" "-0.5" "99999999999999999999999999" "1e9" "0x10" " 1" "1 "
	"abc" "nan" "inf" $'\e[2J\e]0;pwned\a' $'\xff\xfe\xc0' "$LONG" "$LONGA")
NAMES=(empty negative negative-fraction huge huge-exponent hex leading-blank
	trailing-blank non-numeric nan inf escape bad-utf8 100kB-digits 100kB-letters)

# free-text options: these values are legal there
free_ok() {
	case "$1:$2" in
	--conf-dir:?*) return 0 ;;	# any non-empty path
	--user:abc | --user:0x10 | --user:1e9 | --user:nan | --user:inf) return 0 ;;
	esac
	return 1
}

# The ~600 runs are independent: JOBS at a time (most of a run is
# waiting for the kernel: namespace entry, exec, BPF load for the runs that
# go on to a snapshot), each in a subshell with files of its own ($TMPD/
# out.K, err.K); a failed check says why on stderr and leaves
# $TMPD/failed. JOBS: T75_JOBS, default 4.
JOBS=${T75_JOBS:-4}
n=0
k=0
running=0
# spawn CHECK ARGS...: CHECK ARGS in the background, once fewer than JOBS
# run; stops at the first failure seen
spawn() {
	[ ! -e "$TMPD/failed" ] || { wait; fail "a check failed (see above)"; }
	k=$((k + 1))
	n=$((n + 1))
	{ ("$@") || : >"$TMPD/failed"; } &
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then
		wait -n || true
		running=$((running - 1))
	fi
}
# run NAME ARGS...: flowtop bounded in time in namespace a; rc in RC
run() {
	local name=$1
	shift
	RC=0
	timeout -k 5 30 ip netns exec "$(nsname a)" "$FLOWTOP" "$@" \
		>"$TMPD/out.$k" 2>"$TMPD/err.$k" </dev/null || RC=$?
	[ "$RC" -lt 124 ] || fail "$name: crash or hang (exit $RC); stderr: $(head -c 600 "$TMPD/err.$k")"
	LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$TMPD/err.$k" &&
		fail "$name: raw control bytes on stderr: $(head -c 300 "$TMPD/err.$k" | cat -v)"
	[ "$(wc -c <"$TMPD/err.$k")" -lt 8000 ] ||
		fail "$name: $(wc -c <"$TMPD/err.$k") bytes of error output"
	return 0
}
# usage_error NAME OPT: exit 2, the option named, the usage shown
usage_error() {
	[ "$RC" -eq 2 ] || fail "$1: exit $RC, want 2; stderr: $(head -c 400 "$TMPD/err.$k")"
	grep -q "^Usage: flowtop" "$TMPD/err.$k" || fail "$1: no usage on stderr"
	grep -qF -- "${2#--}" "$TMPD/err.$k" || fail "$1: message does not name $2: $(head -2 "$TMPD/err.$k")"
}
# usage NAME OPT ARGS...: a run that must end in a usage error
usage() {
	run "$1" "${@:3}"
	usage_error "$1" "$2"
}
# value NAME OPT V ARGS...: a run giving OPT the value V
value() {
	local name=$1 opt=$2 v=$3
	shift 3
	run "$name" "$@"
	if [ "$opt" = --filter ]; then
		# an expression: most text is one (bare words search); what
		# is not is refused with exit 2 and the reason, without the
		# usage
		[ "$RC" -eq 0 ] || { [ "$RC" -eq 2 ] &&
			grep -q '^flowtop: --filter: ' "$TMPD/err.$k"; } ||
			fail "$name: exit $RC; stderr: $(head -c 400 "$TMPD/err.$k")"
	elif free_ok "$opt" "$v"; then
		[ "$RC" -le 1 ] || fail "$name: exit $RC; stderr: $(head -c 400 "$TMPD/err.$k")"
		[ "$RC" -eq 0 ] || [ -s "$TMPD/err.$k" ] || fail "$name: exit 1 without a word"
	else
		usage_error "$name" "$opt"
	fi
}
# exit2 NAME ARGS...: a run that must exit 2
exit2() {
	run "$@"
	[ "$RC" -eq 2 ] || fail "$1: exit $RC, want 2"
}

# a value that is accepted runs one snapshot: a short interval and no
# wait for lookups keep the 30 such runs (--filter takes most text) quick
FAST=(--batch --count 1 -t 0.01 --wait 0 -n -G)
for opt in "${VOPTS[@]}"; do
	# missing: the option last, nothing after it
	spawn usage "$opt (missing)" "$opt" "${FAST[@]}" "$opt"
	for i in "${!VALUES[@]}"; do
		v=${VALUES[$i]}
		spawn value "$opt ${NAMES[$i]} (sep)" "$opt" "$v" "${FAST[@]}" "$opt" "$v"
		spawn value "$opt=${NAMES[$i]} (eq)" "$opt" "$v" "${FAST[@]}" "$opt=$v"
	done
done
# the short forms of options with a value
for o in -t; do
	spawn usage "$o missing" "$o" --batch --count 1 "$o"
	spawn usage "$o attached" "$o" --batch --count 1 "${o}abc"
done
# flags take no value
for f in "${FLAGS[@]}"; do
	case $f in --help | --version) continue ;; esac
	spawn exit2 "$f=1" --batch --count 1 -n -G "$f=1"
done
# unknown options and stray arguments carrying escape bytes
spawn exit2 "unknown option" $'--\e]0;pwned\a'
spawn exit2 "unknown short option" $'-\e'
spawn exit2 "stray argument" --batch $'\e[2J'"$LONGA"
wait
[ ! -e "$TMPD/failed" ] || fail "a check failed (see above)"
pass "$n runs over ${#VOPTS[@]} options with values and ${#FLAGS[@]} flags: exit 2 with usage (or a clear refusal for free text), no crash, no raw control byte"
