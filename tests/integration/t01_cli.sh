#!/bin/bash
# Command line: bad usage exits 2 with a message and the usage on stderr;
# --help and --version exit 0 on stdout; a missing privilege exits 1 with
# one line naming CAP_NET_ADMIN; -t accepts fractions.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop

# bad_usage ARGS...: exit 2, nothing on stdout, a "flowtop: " message and
# the usage text on stderr. Problems are collected so that one run names
# every offending option.
problems=()
bad_usage() {
	local rc=0
	timeout 10 "$FLOWTOP" "$@" >"$TMPD/out" 2>"$TMPD/err" || rc=$?
	if [ "$rc" -ne 2 ]; then
		problems+=("flowtop $*: exit $rc, want 2; stderr: $(head -c 200 "$TMPD/err")")
	elif [ -s "$TMPD/out" ]; then
		problems+=("flowtop $*: wrote to stdout: $(head -c 200 "$TMPD/out")")
	elif ! grep -q '^flowtop: ' "$TMPD/err"; then
		problems+=("flowtop $*: no 'flowtop: ' message on stderr: $(head -c 200 "$TMPD/err")")
	elif ! grep -qi 'usage' "$TMPD/err"; then
		problems+=("flowtop $*: no usage text on stderr (got: $(head -n1 "$TMPD/err"))")
	fi
	return 0
}

bad_usage -t 0
bad_usage -t abc
bad_usage -t -1
bad_usage -t ''
bad_usage -t nan
bad_usage -t 1x
bad_usage --interval=0
bad_usage --count -1
bad_usage --count abc
bad_usage --bogus
bad_usage -Q
bad_usage --output xml
bad_usage --acct foo
bad_usage --acct
bad_usage --max-flows -5
bad_usage --netlink-buffer abc
bad_usage extra-argument
if [ ${#problems[@]} -gt 0 ]; then
	printf '%s\n' "${problems[@]}" >&2
	fail "${#problems[@]} bad-usage cases do not exit 2 with a message and the usage on stderr"
fi

rc=0
"$FLOWTOP" --help >"$TMPD/out" 2>"$TMPD/err" || rc=$?
[ "$rc" -eq 0 ] || fail "flowtop --help: exit $rc, want 0"
grep -qi usage "$TMPD/out" || fail "flowtop --help: no usage on stdout"
for o in --batch --count --output --acct --interval --max-flows --netlink-buffer; do
	grep -q -- "$o" "$TMPD/out" || fail "flowtop --help does not mention $o"
done
rc=0
"$FLOWTOP" -h >"$TMPD/out2" 2>/dev/null || rc=$?
[ "$rc" -eq 0 ] && cmp -s "$TMPD/out" "$TMPD/out2" || fail "flowtop -h differs from --help (exit $rc)"
rc=0
"$FLOWTOP" --version >"$TMPD/out" 2>"$TMPD/err" || rc=$?
[ "$rc" -eq 0 ] && grep -qi flowtop "$TMPD/out" ||
	fail "flowtop --version: exit $rc, stdout '$(cat "$TMPD/out")'"

ns_add a
ct_enable a

# Root without any capability (empty bounding set: execve grants none).
rc=0
ns a setpriv --inh-caps=-all --bounding-set=-all "$FLOWTOP" --batch --count 1 -t 0.5 \
	>"$TMPD/out" 2>"$TMPD/err" || rc=$?
[ "$rc" -eq 1 ] || fail "flowtop without capabilities: exit $rc, want 1; stderr: $(cat "$TMPD/err")"
[ "$(wc -l <"$TMPD/err")" -eq 1 ] ||
	fail "flowtop without capabilities: want one line on stderr, got: $(cat "$TMPD/err")"
grep -q 'CAP_NET_ADMIN' "$TMPD/err" ||
	fail "flowtop without capabilities: message does not name CAP_NET_ADMIN: $(cat "$TMPD/err")"
[ ! -s "$TMPD/out" ] || fail "flowtop without capabilities printed a snapshot"

# Only CAP_NET_ADMIN missing (BPF and the rest kept): still named.
rc=0
ns a capsh --drop=cap_net_admin -- -c "exec $FLOWTOP --batch --count 1 -t 0.5" \
	>"$TMPD/out" 2>"$TMPD/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q CAP_NET_ADMIN "$TMPD/err" ||
	fail "flowtop without CAP_NET_ADMIN only: exit $rc, stderr: $(cat "$TMPD/err")"

# -t takes fractions: two snapshots 0.5 s apart, each reporting it.
rc=0
ft a --batch --output json --count 2 -t 0.5 >"$TMPD/out" 2>"$TMPD/err" || rc=$?
[ "$rc" -eq 0 ] || fail "flowtop -t 0.5 --count 2: exit $rc; stderr: $(cat "$TMPD/err")"
n=$(grep -c . "$TMPD/out")
[ "$n" -eq 2 ] || fail "flowtop --count 2 printed $n lines, want 2: $(cat "$TMPD/out")"
iv=$(json_top "$TMPD/out" interval)
/usr/bin/python3 -c "import sys; sys.exit(abs(float('$iv') - 0.5) > 0.2)" ||
	fail "flowtop -t 0.5: interval $iv in JSON, want about 0.5"

# default text output: one snapshot with a header, exit 0
rc=0
ft a --batch -t 0.5 >"$TMPD/out" 2>"$TMPD/err" || rc=$?
[ "$rc" -eq 0 ] && [ -s "$TMPD/out" ] ||
	fail "flowtop --batch -t 0.5: exit $rc, stdout '$(cat "$TMPD/out")', stderr $(cat "$TMPD/err")"
grep -q '^flowtop: ' "$TMPD/err" || [ ! -s "$TMPD/err" ] ||
	fail "stderr lines must start with 'flowtop: ': $(cat "$TMPD/err")"

pass
