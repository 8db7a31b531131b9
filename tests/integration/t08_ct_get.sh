#!/bin/bash
# The targeted conntrack GETs that read offloaded flows' counters
# (ct_get_entries): asked about every flow of a table of a few hundred
# (IPv4 and IPv6, UDP, TCP, ICMP, a conntrack zone) plus tuples that match
# no connection, in batches, they must answer each real flow with exactly
# the kernel's counters (conntrack -L -o extended), the absent ones not at
# all, and never stall. This kernel has no flowtable: the status bits of
# offloaded entries are covered by test_ct_parse; here every flow must
# say "offloaded": false.
. "$(dirname "$0")/lib.sh"
require_root
require_tool ct_get

pair_setup acct
# one flow in conntrack zone 7 (set before conntrack sees the packet)
ns a nft -f - <<'EOF' || fail "cannot add the zone rule"
table inet ftzone {
	chain out { type filter hook output priority raw; udp dport 7777 ct zone set 7; }
}
EOF
serve b $TRAFFIC udp-echo 192.0.2.2 7001
serve b $TRAFFIC tcp-server 192.0.2.2 80
ns a $TRAFFIC tcp-send 192.0.2.1 42001 192.0.2.2 80 300000 || fail "TCP failed"
ns a $TRAFFIC udp-send 192.0.2.1 40001 192.0.2.2 7001 3 200 || fail "UDP failed"
ns a $TRAFFIC udp-send 2001:db8::1 40002 2001:db8::2 9 2 100 --oneway ||
	fail "IPv6 UDP failed"
ns a $TRAFFIC icmp-echo 192.0.2.1 192.0.2.2 77 --count 2 || fail "ping failed"
# a few hundred one-way UDP flows: several batches of requests
ns a $PY - <<'EOF' || fail "cannot make the UDP flows"
import socket
for port in range(41000, 41300):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("192.0.2.1", port))
    s.sendto(b"x" * (port % 50), ("192.0.2.2", 9 if port != 41299 else 7777))
    s.close()
EOF

ns a "$TOOLS/ct_get" --absent 7 >"$TMPD/get.json" 2>"$TMPD/get.err" ||
	fail "ct_get failed: $(cat "$TMPD/get.err")"
ct_snap a "$TMPD/ct.json"
asked=$($FTJSON top "$TMPD/get.json" asked)
answers=$($FTJSON top "$TMPD/get.json" answers)
n=$($FTJSON count "$TMPD/ct.json")
[ "$n" -ge 304 ] || fail "only $n flows in the table"
[ "$asked" -eq $((n + 7)) ] || fail "asked about $asked tuples, the table has $n (+7 absent)"
[ "$answers" -eq "$n" ] || fail "$answers answers for $n real flows and 7 absent tuples"
$FTJSON counts "$TMPD/get.json" >"$TMPD/get.counts"
$FTJSON counts "$TMPD/ct.json" >"$TMPD/ct.counts"
diff "$TMPD/ct.counts" "$TMPD/get.counts" >"$TMPD/diff" ||
	fail "GET answers differ from conntrack -L (< conntrack, > GET): $(head -20 "$TMPD/diff")"
[ "$($FTJSON count "$TMPD/get.json" zone=7)" = 1 ] || fail "the zone 7 flow got no answer"
[ "$($FTJSON count "$TMPD/get.json" proto=icmp)" = 1 ] || fail "the ICMP flow got no answer"
[ "$($FTJSON count "$TMPD/get.json" has_counters=false)" = 0 ] ||
	fail "answers without counters although acct was on"
[ "$($FTJSON count "$TMPD/get.json" offloaded=true)" = 0 ] ||
	fail "a flow said offloaded on a kernel without flowtables"
pass "$n flows read by GET equal conntrack -L; 7 absent tuples unanswered"
