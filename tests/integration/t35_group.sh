#!/bin/bash
# --group-by and the view's groups tab. Flows of known sizes from several
# loopback sources (127.20.x.y, some with more than one flow) to a UDP
# echo server on 127.0.0.1 port 9, with the kernel's accounting on as
# ground truth (conntrack -L -o extended):
#  - --group-by src, JSON and CSV: one group per source whose flow count,
#    packets and bytes each way equal the kernel's per-source sums, exactly;
#  - --group-by net/24,net6/48 and port: the same sums over the IPv4 /24s
#    and IPv6 /48s (IPv6 sources on lo: two /64s of one /48 and another
#    /48) and the one service (udp/9), with its service name;
#  - with --filter, --sort bytes and --top 2: the two largest groups of the
#    flows the filter keeps (groups_total and flows_matched count all);
#  - a bad --group-by key exits 2 naming it;
#  - the view: TAB TAB shows the groups tab with the same numbers, Enter on
#    a group shows its flows only, G picks the next group key.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
require_tmux
command -v conntrack >/dev/null || fail "conntrack not installed (scripts/install-deps.sh --test)"

no_group_filter() { ! screen | head -2 | grep -q "group 127"; }

# --- bad keys: exit 2, the bad part named --------------------------------
for bad in net/33 net6/129 nets sport ''; do
	out=$("$FLOWTOP" --batch --group-by "$bad" 2>&1) && fail "--group-by '$bad' accepted"
	rc=$?
	[ "$rc" -eq 2 ] || fail "--group-by '$bad' exited $rc, want 2"
	[ -z "$bad" ] || grep -qF "'$bad'" <<<"$out" ||
		fail "--group-by '$bad': message does not name it: $out"
done

ns_add a
ct_enable a acct	# the kernel's counters: ground truth
# the flows must outlive the test (UDP default: 30 s)
sysctl_set a net.netfilter.nf_conntrack_udp_timeout 600
sysctl_set a net.netfilter.nf_conntrack_udp_timeout_stream 600
serve a $TRAFFIC udp-echo 127.0.0.1 9
serve a $TRAFFIC udp-echo ::1 9
# IPv6 sources: two in one /48 (different /64s), one in another /48
for a6 in 2001:db8:1:1::1 2001:db8:1:2::1 2001:db8:2::1; do
	addr a lo "$a6/128"
done

# source sport N LEN: several flows per source, per-source bytes below
# 1024 each way (the view shows smaller byte counts exactly)
FLOWS="
127.20.0.1 40001 2 100
127.20.0.1 40002 3 50
127.20.0.2 40001 4 60
127.20.1.3 40001 1 10
127.20.1.3 40002 2 200
127.20.1.3 40003 3 20
127.20.7.9 40001 6 1
2001:db8:1:1::1 40001 2 100
2001:db8:1:2::1 40001 1 30
2001:db8:1:2::1 40002 3 10
2001:db8:2::1 40001 4 5
"

ft_start js a --batch -n -G -U --output json --count 0 -t 0.2 --group-by src
echo "$FLOWS" | while read -r src sp n len; do
	[ -n "$src" ] || continue
	dst=127.0.0.1
	case "$src" in *:*) dst=::1 ;; esac
	ns a $TRAFFIC udp-send "$src" "$sp" "$dst" 9 "$n" "$len" ||
		fail "UDP traffic from $src:$sp failed"
done
ft_sync js 2
ct_snap a "$TMPD/ct.json"

# kernel sums by KEY (src, net/24,net6/48 or port) of the UDP flows to port 9
sums() { $FTJSON sums "$TMPD/ct.json" "$1" proto=udp dport=9; }
# compare FILE(lines "key flows op ob rp rb") with the kernel's for KEY
compare() {
	local what=$1 got=$2 key=$3 want
	want=$(sums "$key")
	[ "$(sums src | wc -l)" -eq 7 ] || fail "the kernel lists flows from $(sums src | wc -l) sources, want 7: $(sums src)"
	[ "$got" = "$want" ] || fail "$what: groups differ from the kernel's sums
flowtop:
$got
kernel (conntrack -L -o extended):
$want"
}

# --- JSON --group-by src ------------------------------------------------------
snap=$TMPD/js.out
got=$($PY - "$snap" <<'PY'
import json, sys
def parsed(l):
    try:
        return json.loads(l)
    except ValueError:
        return None     # a line still being written
s = [x for x in map(parsed, open(sys.argv[1])) if x and "groups" in x][-1]
assert s["group_by"] == "src", s["group_by"]
assert s["groups_total"] == len(s["groups"])
assert s["flows_matched"] == s["flows_total"] == sum(g["flows"] for g in s["groups"])
for g in sorted(s["groups"], key=lambda g: g["key"]):
    for k in ("name", "country"):
        assert g[k] is None, (k, g)
    print(g["key"], g["flows"], g["orig_packets"], g["orig_bytes"],
          g["reply_packets"], g["reply_bytes"])
PY
) || fail "JSON group snapshot malformed: $(head -c 600 "$snap")"
compare "JSON --group-by src" "$got" src
ft_stop js INT
[ "$FT_RC" -eq 0 ] || fail "flowtop --group-by exited $FT_RC after SIGINT; stderr: $(cat "$TMPD/js.err")"

# The runs below start after the traffic: the BPF backends count from their
# own start, so these take the kernel's counters (--acct conntrack); the
# grouping is the same whatever the counters' source.
# --- CSV --group-by src ----------------------------------------------------------
ft a --batch -n -G -U --acct conntrack --output csv --count 2 -t 0.2 --group-by src >"$TMPD/csv" 2>"$TMPD/csv.err" ||
	fail "flowtop --output csv --group-by src failed: $(cat "$TMPD/csv.err")"
got=$($PY - "$TMPD/csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert rows, "no rows"
last = rows[-1]["time"]
for r in sorted((r for r in rows if r["time"] == last), key=lambda r: r["key"]):
    assert r["group_by"] == "src" and r["name"] == "" and r["country"] == "", r
    print(r["key"], r["flows"], r["orig_packets"], r["orig_bytes"],
          r["reply_packets"], r["reply_bytes"])
PY
) || fail "CSV group output malformed: $(head -c 600 "$TMPD/csv")"
[ "$(head -1 "$TMPD/csv")" = "time,group_by,key,name,country,flows,orig_packets,orig_bytes,reply_packets,reply_bytes,orig_packet_rate,orig_byte_rate,reply_packet_rate,reply_byte_rate" ] ||
	fail "CSV header: $(head -1 "$TMPD/csv")"
compare "CSV --group-by src" "$got" src

# --- net/24 and port (JSON) ------------------------------------------------------
for key in net/24,net6/48 port; do
	ft a --batch -n -G -U --acct conntrack --output json --count 2 -t 0.2 --group-by "$key" \
		>"$TMPD/k.json" 2>"$TMPD/k.err" || fail "--group-by $key failed: $(cat "$TMPD/k.err")"
	got=$($FTJSON groups "$TMPD/k.json") ||
		fail "--group-by $key: malformed JSON: $(head -c 400 "$TMPD/k.json")"
	# port groups name the service (discard, from the services database)
	[ "$key" != port ] || grep -q '"key": "udp/9", "name": "discard"' "$TMPD/k.json" ||
		fail "--group-by port: no service name: $(head -c 400 "$TMPD/k.json")"
	compare "JSON --group-by $key" "$got" "$key"
done

# --- with --filter, --sort and --top: the groups of the flows the filter
# keeps, in the sort's order, the first N -------------------------------------------
ft a --batch -n -G -U --acct conntrack --output json --count 2 -t 0.2 --group-by src \
	--filter 'dport 9 and src 127.20.0.0/16 and not src 127.20.7.9' --sort bytes --top 2 \
	>"$TMPD/top.json" 2>"$TMPD/top.err" || fail "--group-by with --filter --top failed: $(cat "$TMPD/top.err")"
want=$(sums src | awk '$1 ~ /^127\.20\./ && $1 != "127.20.7.9" { print $0, $4 + $6 }' | sort -k7,7nr | head -2 | cut -d' ' -f1-6)
got=$($PY - "$TMPD/top.json" <<'PY'
import json, sys
s = json.loads(open(sys.argv[1]).read().splitlines()[-1])
# every group of the filter counted, the first two printed
assert s["groups_total"] == 3 and len(s["groups"]) == 2, (s["groups_total"], len(s["groups"]))
assert s["flows_matched"] == 6, s["flows_matched"]
for g in s["groups"]:
    print(g["key"], g["flows"], g["orig_packets"], g["orig_bytes"],
          g["reply_packets"], g["reply_bytes"])
PY
) || fail "--group-by src --filter --sort bytes --top 2: $(head -c 600 "$TMPD/top.json")"
[ "$got" = "$want" ] || fail "--top 2 by bytes of the filtered groups:
flowtop:
$got
kernel:
$want"
# --sort +bytes: the smallest first
ft a --batch -n -G -U --acct conntrack --output csv --count 1 --group-by src \
	--sort +bytes --top 1 >"$TMPD/small.csv" 2>"$TMPD/small.err" ||
	fail "--sort +bytes --top 1: $(cat "$TMPD/small.err")"
small=$(sums src | awk '{ print $1, $4 + $6 }' | sort -k2,2n | head -1 | cut -d' ' -f1)
[ "$(tail -n +2 "$TMPD/small.csv" | cut -d, -f3)" = "$small" ] ||
	fail "--sort +bytes --top 1: '$(cat "$TMPD/small.csv")', want the group of $small"

# --- the view's groups tab ---------------------------------------------------------
tm new-session -d -s ft -x 150 -y 30 \
	"env LANG=C.UTF-8 TERM=screen ip netns exec $(nsname a) $FLOWTOP -n -G -U --acct conntrack -t 0.2; echo FLOWTOP-EXIT=\$?; sleep 600" ||
	fail "cannot start tmux"
wait_screen 15 "flowtop .*flows [0-9]+/[0-9]+" || fail "no header from flowtop"
keys Tab
wait_screen 5 "USER +PROCESS" || fail "TAB did not show the processes tab"
keys Tab
wait_screen 5 "GROUP +NAME +CC +FLOWS" || fail "the second TAB did not show the groups tab"
wait_screen 5 "sort rate .* by src" || fail "the groups tab does not say its key"
sums src | while read -r k n op ob rp rb; do
	re="^ +${k//./\\.} +- +- +$n +$op +$ob +[^ ]+ +$rp +$rb "
	wait_screen 5 "$re" || fail "groups tab: no row '$k $n flows $op/$ob out $rp/$rb in'"
done
# Enter on the group under the cursor: its flows only
first=$(screen | awk '/GROUP +NAME/ { getline; print $1, $4; exit }')
gkey=${first% *}
gflows=${first#* }
case "$gkey" in 127.20.* | 2001:db8:*) ;; *) fail "no group row under the title: '$first'" ;; esac
keys Enter
wait_screen 5 "group ${gkey//./\\.}" || fail "Enter: the header does not name the group $gkey"
wait_screen 5 "flows $gflows/" || fail "Enter on $gkey: not its $gflows flows"
wait_screen 5 "DESTINATION" || fail "Enter did not show the flows tab"
keys Escape
wait_for 5 no_group_filter || fail "Esc did not clear the group filter: $(screen | head -2)"
# G: to the groups tab, then the next key
keys G
wait_screen 5 "by src" || fail "G did not show the groups tab"
keys G
wait_screen 5 "by dst" || fail "G did not pick the next group key"
wait_screen 5 "^ +127\.0\.0\.1 " || fail "by dst: no 127.0.0.1 group"
wait_screen 5 "^ +::1 " || fail "by dst: no ::1 group"
keys q
wait_screen 5 "FLOWTOP-EXIT=0" || fail "flowtop did not exit 0 on q"
pass
