#!/bin/bash
# NAT where the flow is listed. Router r between an outside client c
# (198.51.100.2) and an inside server s (192.0.2.2, 192.0.2.3):
#   - c connects to 198.51.100.20:8022, DNAT'd to 192.0.2.2:22;
#   - s connects out from 192.0.2.3:34906 to c:7001, masqueraded to
#     198.51.100.1 (r's primary outside address).
# flowtop in r must show the translated side of each: the text table
# ("-> 192.0.2.2:22" after the destination, "via 198.51.100.1:PORT"
# after the source), CSV and JSON (the reply tuple, equal to conntrack's),
# and the interactive view (tmux: "→ 192.0.2.2:22" in the row, "via ..."
# in the -s source row); the view's / filter finds each flow by its
# translated address, and by an "addr:port" end.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
require_tmux

ns_add c
ns_add r
ns_add s
veth c vc r rc
veth r rs s vs
addr c vc 198.51.100.2/24
addr r rc 198.51.100.1/24
addr r rc 198.51.100.20/24	# the public address of the DNAT'd service
addr r rs 192.0.2.1/24
addr s vs 192.0.2.2/24
addr s vs 192.0.2.3/24
route s default via 192.0.2.1
sysctl_set r net.ipv4.ip_forward 1
ct_enable r
ns r nft -f - <<'EOF' || fail "cannot load the NAT rules"
table ip ftnat {
	chain pre {
		type nat hook prerouting priority dstnat;
		ip daddr 198.51.100.20 tcp dport 8022 dnat to 192.0.2.2:22
	}
	chain post {
		type nat hook postrouting priority srcnat;
		oifname "rc" masquerade
	}
}
EOF

serve s $TRAFFIC tcp-server 192.0.2.2 22
serve c $TRAFFIC tcp-server 198.51.100.2 7001
bg c $TRAFFIC tcp-hold 198.51.100.2 43001 198.51.100.20 8022 >/dev/null
bg s $TRAFFIC tcp-hold 192.0.2.3 34906 198.51.100.2 7001 >/dev/null
established() {
	[ "$(ns r conntrack -L -p tcp --state ESTABLISHED 2>/dev/null | grep -c .)" -ge 2 ]
}
wait_for 10 established || fail "the two connections did not come up: $(ns r conntrack -L 2>&1)"

# --- JSON and CSV: the reply tuple, as conntrack has it
ft r --batch -n -G --count 1 --output json >"$TMPD/json" 2>"$TMPD/json.err" ||
	fail "flowtop --output json failed: $(cat "$TMPD/json.err")"
ct_snap r "$TMPD/ct.json"
T="src dst sport dport reply_src reply_dst reply_sport reply_dport"
DN="proto=tcp src=198.51.100.2 sport=43001"
MQ="proto=tcp src=192.0.2.3 sport=34906"
for sel in "$DN" "$MQ"; do
	got=$(json_get "$TMPD/json" $sel -- $T)
	want=$(json_get "$TMPD/ct.json" $sel -- $T)
	[ "$got" = "$want" ] || fail "JSON tuple of $sel: '$got', conntrack '$want' ($T)"
done
[ "$(json_get "$TMPD/json" $DN -- dst dport reply_src reply_sport)" = \
	"198.51.100.20 8022 192.0.2.2 22" ] || fail "DNAT'd flow: $(json_flows "$TMPD/json" $DN)"
read -r mq_addr mq_port <<<"$(json_get "$TMPD/json" $MQ -- reply_dst reply_dport)"
[ "$mq_addr" = 198.51.100.1 ] || fail "masqueraded flow: $(json_flows "$TMPD/json" $MQ)"
log "masqueraded to $mq_addr:$mq_port"

ft r --batch -n -G --count 1 --output csv >"$TMPD/csv" 2>"$TMPD/csv.err" ||
	fail "flowtop --output csv failed: $(cat "$TMPD/csv.err")"
csv_get() {	# csv_get SPORT FIELD...: fields of the row with that sport
	$PY - "$TMPD/csv" "$@" <<'EOF'
import csv, sys
path, sport, fields = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = [r for r in csv.DictReader(open(path)) if r["proto"] == "tcp" and r["sport"] == sport]
if len(rows) != 1:
    sys.exit("%d rows with sport %s" % (len(rows), sport))
print(" ".join(rows[0][f] for f in fields))
EOF
}
[ "$(csv_get 43001 $T)" = "$(json_get "$TMPD/ct.json" $DN -- $T)" ] ||
	fail "CSV tuple of the DNAT'd flow: '$(csv_get 43001 $T)'"
[ "$(csv_get 34906 $T)" = "$(json_get "$TMPD/ct.json" $MQ -- $T)" ] ||
	fail "CSV tuple of the masqueraded flow: '$(csv_get 34906 $T)'"

# --- text: the translated side beside the original
ft r --batch -n -G --count 1 --output text >"$TMPD/text" 2>"$TMPD/text.err" ||
	fail "flowtop --output text failed: $(cat "$TMPD/text.err")"
grep -E "^tcp +ESTABLISHED +198\.51\.100\.2:43001 +198\.51\.100\.20:8022 -> 192\.0\.2\.2:22 " "$TMPD/text" >/dev/null ||
	fail "text: no DNAT'd destination '-> 192.0.2.2:22':
$(cat "$TMPD/text")"
grep -E "^tcp +ESTABLISHED +192\.0\.2\.3:34906 via 198\.51\.100\.1:$mq_port +198\.51\.100\.2:7001 " "$TMPD/text" >/dev/null ||
	fail "text: no masqueraded source 'via 198.51.100.1:$mq_port':
$(cat "$TMPD/text")"
# nothing made up for the sides that were not translated
grep -E "198\.51\.100\.2:43001 via|198\.51\.100\.2:7001 ->" "$TMPD/text" >/dev/null &&
	fail "text: a translation shown where there is none:
$(cat "$TMPD/text")"

# --- the view
shown() { screen | sed -n 's/.*flows \([0-9]*\)\/.*/\1/p' | head -1; }

tm new-session -d -s ft -x 120 -y 30 \
	"env LANG=C.UTF-8 TERM=screen ip netns exec $(nsname r) $FLOWTOP -s -n -G -t 0.5; echo FLOWTOP-EXIT=\$?; sleep 600" ||
	fail "cannot start tmux"
wait_screen 15 "flowtop .*flows [0-9]+/[0-9]+" || fail "no header from flowtop"
wait_screen 5 " 198\.51\.100\.20 → 192\.0\.2\.2:22 +8022 " ||
	fail "view: the DNAT'd row does not show '→ 192.0.2.2:22'"
wait_screen 5 "from +192\.0\.2\.3 port 34906 via 198\.51\.100\.1:$mq_port " ||
	fail "view: the masqueraded source row does not show 'via 198.51.100.1:$mq_port'"
[ "$(shown)" = 2 ] || fail "view: $(shown) flows shown, want 2"

# / finds a flow by its translated address alone
keys / 1 9 2 . 0 . 2 . 2 Enter
wait_screen 5 'filter "192\.0\.2\.2"' || fail "the filter is not shown in the header"
wait_for 5 eval '[ "$(shown)" = 1 ]' || fail "filter 192.0.2.2: $(shown) flows shown, want 1"
screen | grep -q "8022" || fail "filter 192.0.2.2 did not keep the DNAT'd flow"
keys Escape
wait_for 5 eval '[ "$(shown)" = 2 ]' || fail "Esc did not clear the filter"
keys / 1 9 8 . 5 1 . 1 0 0 . 1 Space Enter
wait_screen 5 'filter "198\.51\.100\.1 ?"' || fail "the filter is not shown in the header"
wait_for 5 eval '[ "$(shown)" = 1 ]' || fail "filter 198.51.100.1: $(shown) flows shown, want 1"
screen | grep -q "via 198\.51\.100\.1:" || fail "filter 198.51.100.1 did not keep the masqueraded flow"
keys Escape
wait_for 5 eval '[ "$(shown)" = 2 ]' || fail "Esc did not clear the filter"
# an end written as the row writes it
keys / 1 9 2 . 0 . 2 . 2 : 2 2 Enter
wait_for 5 eval '[ "$(shown)" = 1 ]' || fail "filter 192.0.2.2:22: $(shown) flows shown, want 1"
screen | grep -q "→ 192\.0\.2\.2:22" || fail "filter 192.0.2.2:22 did not keep the DNAT'd flow"
keys Escape
keys q
wait_screen 5 "FLOWTOP-EXIT=0" || fail "q did not end flowtop with status 0"
pass "DNAT'd and masqueraded flows show their translated side in text, CSV, JSON and the view; / finds them by it"
