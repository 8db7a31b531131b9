#!/bin/bash
# Reverse DNS: a DNS server in namespace b answers PTR queries for the
# documentation addresses of the test, one name carrying terminal escape
# sequences. flowtop in a must show the names, the hostile one sanitized
# (no control character at all in JSON or text output, not even escaped),
# query each address once (cache), keep its own queries to one flow that
# it owns, and still show the user's own DNS flow. Then a server that
# never answers: snapshots keep coming at the interval, names stay null.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop

DNSD="$PY $TOP/tests/tools/enrich_dns_server.py"
# ip netns exec bind-mounts /etc/netns/NAME/resolv.conf over /etc/resolv.conf
# (ns_add writes one, and the cleanup removes it)
NETNS_ETC=/etc/netns/$(nsname a)

pair_setup
addr b vb 198.51.100.7/32
addr b vb 192.0.2.53/32
addr b vb 192.0.2.54/32
route a 198.51.100.7/32 dev va
mkdir -p "$NETNS_ETC"
echo "nameserver 192.0.2.53" >"$NETNS_ETC/resolv.conf"

EVIL='evil\x1b[31mred\x1b]0;pwned\x07\x9b2J.example.test'
serve b $DNSD 192.0.2.53 53 --ttl 300 192.0.2.2=server.example.test \
	"198.51.100.7=$EVIL" 2001:db8::2=v6.example.test \
	192.0.2.1=client.example.test
dns_log=$TMPD/serve.$_SERVE_N
serve b $DNSD 192.0.2.54 53 --silent
silent_log=$TMPD/serve.$_SERVE_N
for a in 192.0.2.2 198.51.100.7 2001:db8::2; do
	serve b $TRAFFIC udp-echo "$a" 5001
done

ft_start main a --batch --output json --count 0 -t 0.3 -U -G
ns a $TRAFFIC udp-send 192.0.2.1 40001 192.0.2.2 5001 2 10 || fail "udp to 192.0.2.2"
ns a $TRAFFIC udp-send 192.0.2.1 40002 198.51.100.7 5001 2 10 || fail "udp to 198.51.100.7"
ns a $TRAFFIC udp-send 2001:db8::1 40003 2001:db8::2 5001 2 10 || fail "udp to 2001:db8::2"
# the user's own DNS query, from a port of its own
ns a $PY -c '
import socket
q = bytes.fromhex("abcd01000001000000000000") + b"".join(
    bytes([len(l)]) + l for l in b"2.2.0.192.in-addr.arpa".split(b".")) + b"\0\0\x0c\0\x01"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.1", 45353))
s.settimeout(3)
s.sendto(q, ("192.0.2.53", 53))
s.recv(512)' || fail "the user's DNS query got no answer"

names_in() {
	$FTJSON last "$TMPD/main.out" >"$TMPD/snap.json" 2>/dev/null || return 1
	[ "$($FTJSON get "$TMPD/snap.json" sport=40001 -- dst_host src_host)" = \
		"server.example.test client.example.test" ] || return 1
	[ "$($FTJSON get "$TMPD/snap.json" sport=40003 -- dst_host)" = v6.example.test ] || return 1
	[ "$($FTJSON get "$TMPD/snap.json" sport=40002 -- dst_host)" != null ]
}
wait_for 10 names_in || fail "names not shown: $($FTJSON flows "$TMPD/snap.json" proto=udp)"
ft_sync main 6	# more snapshots: more chances to query again (must not)
cp "$(ft_last main)" "$TMPD/snap.json"

evil=$($FTJSON get "$TMPD/snap.json" sport=40002 -- dst_host)
log "sanitized name: $evil"
$PY - "$TMPD/snap.json" <<-'EOF2' || fail "hostile name not sanitized: $evil"
import json, sys
snap = json.load(open(sys.argv[1]))
(f,) = [f for f in snap["flows"] if f.get("sport") == 40002]
h = f["dst_host"]
bad = [c for c in h if ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f]
assert not bad, "control characters %r in %r" % (bad, h)
# each escape sequence (CSI, OSC up to BEL) and the raw C1 byte is one '?'
assert h == "evil?red??2J.example.test", h
EOF2
# no escape character reached the output, raw or JSON-escaped
if grep -q $'\x1b' "$TMPD/main.out" || grep -qi 'u001b\|u009b' "$TMPD/main.out"; then
	fail "an escape character reached flowtop's output"
fi

# cache: each address was asked once (TTL 300, answers positive)
for q in 2.2.0.192.in-addr.arpa 7.100.51.198.in-addr.arpa; do
	n=$(grep -c "query $q" "$dns_log")
	# the user's own query above asked 192.0.2.2 once more
	[ "$q" = 2.2.0.192.in-addr.arpa ] && n=$((n - 1))
	[ "$n" -eq 1 ] || fail "$q asked $n times by flowtop, want 1 (cached)"
done

# flowtop's own queries: one flow, owned by flowtop; the user's DNS flow
# (sport 45353) is shown like any other
own=$($FTJSON count "$TMPD/snap.json" proto=udp dst=192.0.2.53 dport=53 process=flowtop)
[ "$own" -eq 1 ] || fail "flowtop's own DNS traffic is $own flows, want 1: $($FTJSON flows "$TMPD/snap.json" dport=53)"
[ "$($FTJSON count "$TMPD/snap.json" proto=udp sport=45353 dport=53)" -eq 1 ] ||
	fail "the user's DNS flow is not shown"
ft_stop main
[ "$FT_RC" -eq 0 ] || fail "flowtop exited $FT_RC; stderr: $(cat "$TMPD/main.err")"

# text output: the same names, no escape character
ft_start text a --batch --count 0 -t 0.3 -U -G
ns a $TRAFFIC udp-send 192.0.2.1 40004 198.51.100.7 5001 1 10 || fail "udp to 198.51.100.7"
has_red() { grep -q 'evil.*red.*example\.test' "$TMPD/text.out"; }
wait_for 10 has_red || fail "text output shows no name for 198.51.100.7"
ft_stop text
! grep -q $'\x1b' "$TMPD/text.out" || fail "an escape character reached the text output"

# a server that never answers: lookups stay pending, snapshots do not wait
echo "nameserver 192.0.2.54" >"$NETNS_ETC/resolv.conf"
ft_start stall a --batch --output json --count 0 -t 0.2 -U -G
for i in 1 2 3 4 5 6; do
	ns a $TRAFFIC udp-send 192.0.2.1 4100$i 192.0.2.2 5001 1 10 || fail "udp"
done
queried() { [ "$(grep -c query "$silent_log")" -ge 3 ]; }
wait_for 10 queried || fail "flowtop sent no queries to the silent server"
ft_sync stall 15
ft_stop stall
$PY - "$TMPD/stall.out" <<-'EOF2' || fail "snapshots were delayed by the silent DNS server"
import json, sys
times, hosts = [], set()
for line in open(sys.argv[1]):
    try:
        s = json.loads(line)
    except ValueError:
        continue
    times.append(s["time"])
    for f in s["flows"]:
        hosts.add(f.get("dst_host"))
gaps = [b - a for a, b in zip(times, times[1:])]
print("snapshots %d, largest gap %.3f s" % (len(times), max(gaps)))
# each query waits 2 s per try: a snapshot waiting on one would leave a
# gap of 2 s or more; the interval is 0.2 s
assert len(times) >= 15 and max(gaps) < 1.5, gaps
assert hosts == {None}, hosts
EOF2
pass "names shown and sanitized, one query per address, own DNS = 1 flow; silent server delays nothing"
