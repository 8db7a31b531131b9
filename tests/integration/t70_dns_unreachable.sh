#!/bin/bash
# Fault: the DNS server cannot be reached. flowtop (reverse DNS on) sees
# UDP flows to 40 distinct addresses while its resolver is broken in one
# of three ways:
#
#  noserver   resolv.conf names an address where nothing listens (ICMP port
#             unreachable: every query is refused at once)
#  dropped    the server exists but an nft rule drops every query (each
#             one times out)
#  noroute    the server's address has no route (sendto fails at once)
#
# In each, snapshots must keep coming at the interval (-t 0.2: no gap of a
# query timeout, 2 s), the names are simply absent (dst_host null), the
# queries stay bounded (at most 2 tries per address: no retry storm),
# flowtop keeps running and ends cleanly. After "dropped", the drop rule
# goes and addresses seen from then on get their names (recovery).
# t40_dns covers a server that reads queries and never answers.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
command -v nft >/dev/null || skip "nft (nftables) is not installed"
command -v conntrack >/dev/null || skip "conntrack (conntrack-tools) is not installed"

DNSD="$PY $TOP/tests/tools/enrich_dns_server.py"
NETNS_ETC=/etc/netns/$(nsname a)
ADDRS=40

pair_setup
addr b vb 192.0.2.53/32
addr b vb 192.0.2.99/32
route a 198.51.100.0/24 via 192.0.2.2
serve b $DNSD 192.0.2.53 53 --ttl 300 198.51.100.200=back1.example.test \
	198.51.100.201=back2.example.test 198.51.100.202=back3.example.test

# queries flowtop sends, counted in a (and the drop rule for "dropped")
ns a nft -f - <<-'EOF' || fail "nft: cannot add the DNS counter in a"
table inet dnsfault {
	counter queries { }
	chain out { type filter hook output priority -10; udp dport 53 counter name queries; }
}
EOF
queries() {
	ns a nft -j list counter inet dnsfault queries |
		$PY -c 'import json,sys; print([o["counter"]["packets"] for o in json.load(sys.stdin)["nftables"] if "counter" in o][0])'
}

# flows to ADDRS addresses 198.51.100.BASE..: one datagram each, no reply
# needed (b does not forward them)
send_flows() {
	ns a $PY - "$1" "$2" <<-'EOF' || fail "sending the test flows failed"
	import socket, sys
	base, n = int(sys.argv[1]), int(sys.argv[2])
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.bind(("192.0.2.1", 45000))
	for i in range(n):
	    s.sendto(b"x" * 10, ("198.51.100.%d" % (base + i), 7000))
	EOF
}

# check_pace TAG: every snapshot at the interval, no test flow named
check_pace() {
	$PY - "$TMPD/$1.out" <<-'EOF'
	import json, sys
	times, named = [], set()
	for line in open(sys.argv[1]):
	    try:
	        s = json.loads(line)
	    except ValueError:
	        continue
	    times.append(s["time"])
	    for f in s["flows"]:
	        if f.get("dport") == 7000 and f.get("dst_host") is not None:
	            named.add((f["dst"], f["dst_host"]))
	gaps = [b - a for a, b in zip(times, times[1:])]
	print("%d snapshots, largest gap %.3f s" % (len(times), max(gaps)))
	# a snapshot held by a query would leave a gap of a query timeout (2 s)
	if len(times) < 15 or max(gaps) >= 1.5:
	    sys.exit("snapshots did not keep their pace: %s" % gaps)
	if named:
	    sys.exit("names shown with no reachable server: %s" % sorted(named)[:3])
	EOF
}

n=0
base=10
for mode in noserver dropped noroute; do
	case $mode in
	noserver) echo "nameserver 192.0.2.99" >"$NETNS_ETC/resolv.conf" ;;
	dropped)
		echo "nameserver 192.0.2.53" >"$NETNS_ETC/resolv.conf"
		ns a nft add rule inet dnsfault out udp dport 53 drop ||
			fail "nft: cannot add the drop rule"
		;;
	noroute) echo "nameserver 203.0.113.53" >"$NETNS_ETC/resolv.conf" ;;
	esac
	ns a conntrack -F >/dev/null 2>&1 || true	# the last mode's flows
	q0=$(queries)
	ft_start $mode a --batch --output json --count 0 -t 0.2 -U -G
	send_flows $base $ADDRS
	# 3 s: the queries' first timeout (2 s) falls inside, and a stall
	# that starts inside holds the wait until it ends (gap seen)
	ft_sync $mode 15
	kill -0 "${FT_PID[$mode]}" 2>/dev/null || fail "$mode: flowtop died; $(cat "$TMPD/$mode.err")"
	snap=$(ft_last $mode)
	listed=$(json_count "$snap" proto=udp dport=7000)
	[ "$listed" -eq $ADDRS ] || fail "$mode: $listed of the $ADDRS test flows listed"
	pace=$(check_pace $mode) || fail "$mode: $pace"
	q=$(($(queries) - q0))
	# (with no route, sendto fails before the output hook: nothing counted)
	[ "$q" -ge 1 ] || [ $mode = noroute ] ||
		fail "$mode: flowtop sent no query at all (is reverse DNS on?)"
	# addresses looked up: the ADDRS destinations, the source 192.0.2.1
	# and the server's own address (flowtop's queries are a flow too)
	[ "$q" -le $(((ADDRS + 2) * 2)) ] ||
		fail "$mode: $q queries for $((ADDRS + 2)) addresses (more than 2 tries each: a retry storm)"

	if [ $mode = dropped ]; then
		# the server is reachable again: new addresses get names
		ns a nft flush chain inet dnsfault out
		ns a nft add rule inet dnsfault out udp dport 53 counter name queries
		send_flows 200 3
		named() {
			$FTJSON last "$TMPD/$mode.out" >"$TMPD/rec.json" 2>/dev/null &&
				[ "$($FTJSON get "$TMPD/rec.json" proto=udp dst=198.51.100.201 -- dst_host)" = back2.example.test ]
		}
		wait_for 15 named || fail "dropped: no name for a new address after the drop rule went"
		pace="$pace; names back once the server is reachable"
	fi
	ft_stop $mode TERM
	[ "$FT_RC" -eq 0 ] || fail "$mode: flowtop exited $FT_RC; $(cat "$TMPD/$mode.err")"
	log "$mode: $ADDRS flows listed without names, $q queries, $pace"
	n=$((n + 1))
	base=$((base + ADDRS))
done
pass "$n broken resolvers (no server, dropped, no route): snapshots at pace, names absent, queries bounded"
