#!/bin/bash
# Batch selection: UDP flows of known sizes from distinct loopback sources
# (127.20.0.1-8 to port 9, each moving a different number of bytes) plus
# bigger flows that the filter must leave out (another source network,
# another port). `--filter 'dport 9 and src 127.20.0.0/16' --sort bytes
# --top 5` must print exactly the five largest matching flows, largest
# first, with flows_matched 8 and flows_total counting every flow; +bytes
# and --reverse turn the order round; CSV and text print the same top N.
# A malformed filter exits 2, prints nothing on stdout and names the bad
# word on stderr.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop

# --- bad expressions: exit 2 and the offending word named -----------------
# bad_filter EXPR WORD
bad_filter() {
	local rc=0
	timeout 10 "$FLOWTOP" --batch --filter "$1" >"$TMPD/out" 2>"$TMPD/err" || rc=$?
	[ "$rc" -eq 2 ] || fail "--filter '$1': exit $rc, want 2; stderr: $(head -c 300 "$TMPD/err")"
	[ ! -s "$TMPD/out" ] || fail "--filter '$1' wrote to stdout: $(head -c 200 "$TMPD/out")"
	grep -q "^flowtop: --filter: .*'$2'" "$TMPD/err" ||
		fail "--filter '$1': stderr does not name '$2': $(head -c 300 "$TMPD/err")"
}
bad_filter 'dport 9 and src 127.20.0.0/33' '127.20.0.0/33'
bad_filter 'dport 9 and srcx 127.20.0.0/16' 'srcx'
bad_filter 'dport nosuchservice' 'nosuchservice'
bad_filter 'bytes > 1Q' '1Q'
bad_filter 'dport 9 and (src 127.20.0.0/16' '('
bad_filter 'dport 9 and' 'and'
bad_filter 'frobs > 3' 'frobs'
# the view takes the same expressions (and the same check)
rc=0
timeout 10 "$FLOWTOP" --filter 'proto bogus' >/dev/null 2>"$TMPD/err" </dev/null || rc=$?
[ "$rc" -eq 2 ] && grep -q "'bogus'" "$TMPD/err" ||
	fail "interactive --filter 'proto bogus': exit $rc, want 2 naming 'bogus': $(head -c 300 "$TMPD/err")"

# --- flows of known sizes --------------------------------------------------
ns_add a
ct_enable a acct
serve a $TRAFFIC udp-echo 127.0.0.1 9
serve a $TRAFFIC udp-echo 127.0.0.1 10

FILTER='dport 9 and src 127.20.0.0/16'
ft_start sel a --batch -n -G -U --output json --count 0 -t 0.2 \
	--filter "$FILTER" --sort bytes --top 5
ft_start asc a --batch -n -G -U --output json --count 0 -t 0.2 \
	--filter "$FILTER" --sort +bytes --top 2
ft_start rev a --batch -n -G -U --output json --count 0 -t 0.2 \
	--filter "$FILTER" --sort bytes --reverse --top 3
# CSV and text: the same five flows
ft_start csv a --batch -n -G -U --output csv --count 0 -t 0.2 \
	--filter "$FILTER" --sort bytes --top 5
ft_start text a --batch -n -G -U --count 0 -t 0.2 \
	--filter "$FILTER" --sort bytes --top 5

# matching: source 127.20.0.I, I datagrams of 100*I bytes each way (the
# sizes all differ; 6 is the largest, the order is not the send order)
for i in 3 1 6 2 8 5 4 7; do
	n=$i
	l=$((100 * i))
	[ "$i" = 6 ] && n=12
	ns a $TRAFFIC udp-send 127.20.0.$i $((40000 + i)) 127.0.0.1 9 "$n" "$l" ||
		fail "UDP traffic from 127.20.0.$i failed"
done
# bigger, but not matching: another source network, another port
ns a $TRAFFIC udp-send 127.21.0.1 41001 127.0.0.1 9 20 1400 ||
	fail "UDP traffic from 127.21.0.1 failed"
ns a $TRAFFIC udp-send 127.20.0.9 41002 127.0.0.1 10 20 1400 ||
	fail "UDP traffic to port 10 failed"

ft_sync_all 2 sel asc rev csv text
for t in sel asc rev csv text; do
	ft_stop $t
done

# check TAG WANT_SOURCES...: the last snapshot lists exactly these sources
# in this order, flows_matched is 8, flows_total at least 10, and the bytes
# are those sent (orig and reply: n datagrams of l + 28 bytes each).
check() {
	local tag=$1 last
	shift
	last=$(ft_last "$tag")
	$PY - "$last" "$@" <<-'EOF' || fail "$tag: $(cat "$TMPD/$tag.why")"
	import json, sys
	snap = json.load(open(sys.argv[1]))
	want = sys.argv[2:]
	why = []
	got = [f["src"] for f in snap["flows"]]
	if got != want:
	    why.append("sources %s, want %s" % (got, want))
	if snap.get("flows_matched") != 8:
	    why.append("flows_matched %s, want 8" % snap.get("flows_matched"))
	if snap.get("flows_total", 0) < 10:
	    why.append("flows_total %s, want >= 10" % snap.get("flows_total"))
	for f in snap["flows"]:
	    i = int(f["src"].rsplit(".", 1)[1])
	    n = 12 if i == 6 else i
	    b = n * (100 * i + 28)
	    if f["dport"] != 9 or f["orig_bytes"] != b or f["reply_bytes"] != b:
	        why.append("%s: dport %s bytes %s/%s, want 9 and %d each way" %
	                   (f["src"], f["dport"], f["orig_bytes"], f["reply_bytes"], b))
	if why:
	    sys.stderr.write("; ".join(why) + "\n")
	    sys.exit(1)
	EOF
}
check sel 127.20.0.6 127.20.0.8 127.20.0.7 127.20.0.5 127.20.0.4 2>"$TMPD/sel.why"
check asc 127.20.0.1 127.20.0.2 2>"$TMPD/asc.why"
check rev 127.20.0.1 127.20.0.2 127.20.0.3 2>"$TMPD/rev.why"

t_last=$(tail -n 1 "$TMPD/csv.out" | cut -d, -f1)
rows=$(grep "^$t_last," "$TMPD/csv.out" | cut -d, -f6 | tr '\n' ' ')
[ "$rows" = "127.20.0.6 127.20.0.8 127.20.0.7 127.20.0.5 127.20.0.4 " ] ||
	fail "csv --top 5: sources '$rows'"
# the last table: after the last summary line
awk '/ matched /{buf=""} {buf = buf $0 "\n"} END {printf "%s", buf}' \
	"$TMPD/text.out" >"$TMPD/text.last"
grep -q "matched 8" "$TMPD/text.last" ||
	fail "text: no 'matched 8' in the summary: $(head -1 "$TMPD/text.last")"
rows=$(grep -o '127\.20\.0\.[0-9]*:40' "$TMPD/text.last" | tr '\n' ' ')
[ "$rows" = "127.20.0.6:40 127.20.0.8:40 127.20.0.7:40 127.20.0.5:40 127.20.0.4:40 " ] ||
	fail "text --top 5: rows '$rows': $(cat "$TMPD/text.last")"
pass
