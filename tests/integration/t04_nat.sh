#!/bin/bash
# NAT: client (192.0.2.0/24, 2001:db8:1::/64) - router - server
# (198.51.100.0/24, 2001:db8:2::/64). The router masquerades or SNATs the
# client (and DNATs one address); flowtop in the router must show each
# flow's original tuple as the client sent it and the reply tuple exactly
# as the NAT rule made it, equal to conntrack, with exact counters; and
# --filter matches flows by their translated addresses and ports.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop

gateway_setup
addr r rs 198.51.100.100/24	# the SNAT address; the router answers ARP for it
addr c vc 2001:db8:1::2/64
addr r rc 2001:db8:1::1/64
addr r rs 2001:db8:2::1/64
addr s vs 2001:db8:2::2/64
route c default via 2001:db8:1::1
# only DNATed flows keep the client's address; the server answers those
route s 192.0.2.0/24 via 198.51.100.1
sysctl_set r net.ipv6.conf.all.forwarding 1
ns r nft -f - <<'EOF' || fail "cannot load the NAT rules"
table ip ftnat {
	chain pre {
		type nat hook prerouting priority dstnat;
		ip daddr 198.51.100.200 udp dport 8080 dnat to 198.51.100.2:7003
	}
	chain post {
		type nat hook postrouting priority srcnat;
		oifname "rs" udp dport 7001 masquerade
		oifname "rs" udp dport 7002 snat to 198.51.100.100:20000-20010
		oifname "rs" tcp dport 80 snat to 198.51.100.100
	}
}
table ip6 ftnat6 {
	chain post {
		type nat hook postrouting priority srcnat;
		oifname "rs" masquerade
	}
}
EOF

for p in 7001 7002 7003; do
	serve s $TRAFFIC udp-echo 198.51.100.2 $p
done
serve s $TRAFFIC udp-echo 2001:db8:2::2 7001
serve s $TRAFFIC tcp-server 198.51.100.2 80

ft_start r r --batch -n -G --output json --count 0 -t 0.2 -U -T
# filters on the translated ends: the SNAT address, the DNAT target, the
# SNAT port range (none of them is in the original tuple)
ft_start f1 r --batch -n -G --output json --count 0 -t 0.2 -U -T \
	--filter 'src 198.51.100.100/32'
ft_start f2 r --batch -n -G --output json --count 0 -t 0.2 -U -T \
	--filter 'dst 198.51.100.2 and dport 7003'
ft_start f3 r --batch -n -G --output json --count 0 -t 0.2 -U -T \
	--filter 'sport 20000-20010'

ns c $TRAFFIC udp-send 192.0.2.2 40001 198.51.100.2 7001 5 100 || fail "masqueraded UDP failed"
ns c $TRAFFIC udp-send 192.0.2.2 40002 198.51.100.2 7002 6 200 || fail "SNAT UDP failed"
ns c $TRAFFIC udp-send 192.0.2.2 40003 198.51.100.200 8080 7 300 || fail "DNAT UDP failed"
ns c $TRAFFIC udp-send 2001:db8:1::2 40004 2001:db8:2::2 7001 8 400 || fail "IPv6 masqueraded UDP failed"
ns c $TRAFFIC tcp-send 192.0.2.2 42001 198.51.100.2 80 100000 || fail "SNAT TCP failed"
sleep 0.3

ft_sync_all 2 r f1 f2 f3
snap=$(ft_last r)
ct_snap r "$TMPD/ct.json"
for t in r f1 f2 f3; do
	ft_stop $t INT
	[ "$FT_RC" -eq 0 ] || fail "flowtop ($t) exited $FT_RC; stderr: $(cat "$TMPD/$t.err")"
done

# filtered NAME WANT: the original source ports of the flows --filter kept
filtered() {
	local got
	got=$($PY -c 'import json,sys
s=json.load(open(sys.argv[1]))
print(" ".join(sorted("%s/%s" % (f["proto"], f["sport"]) for f in s["flows"])), s["flows_matched"])' "$(ft_last "$1")")
	[ "$got" = "$2" ] || fail "--filter $(sed 's/.*--filter //' "$TMPD/$1.args"): flows '$got', want '$2'"
}
filtered f1 "tcp/42001 udp/40002 2"
filtered f2 "udp/40003 1"
filtered f3 "udp/40002 1"

T="src dst sport dport reply_src reply_dst reply_sport reply_dport"
C="orig_packets orig_bytes reply_packets reply_bytes"

# check NAME SELECTOR-ON-ORIGINAL-TUPLE -- EXPECTED REPLY FIELDS...
check() {
	local name=$1 sel=$2 want=$3 n=$4 len=$5 hdr=$6 got ct k v
	got=$(json_get "$snap" $sel -- $T)
	ct=$(json_get "$TMPD/ct.json" $sel -- $T)
	[ "$got" = "$ct" ] || fail "$name: flowtop tuple '$got', conntrack '$ct' ($T)"
	for kv in $want; do
		k=${kv%%=*}
		v=${kv#*=}
		got=$(json_get "$snap" $sel -- "$k")
		case "$v" in
		*-*) [ "$got" -ge "${v%-*}" ] && [ "$got" -le "${v#*-}" ] ||
			fail "$name: $k is $got, the rule says $v" ;;
		*) [ "$($PY -c 'import ipaddress,sys
a,b=sys.argv[1:]
try: print(ipaddress.ip_address(a)==ipaddress.ip_address(b))
except ValueError: print(a==b)' "$got" "$v")" = True ] ||
			fail "$name: $k is $got, the rule says $v" ;;
		esac
	done
	if [ -n "$n" ]; then
		got=$(json_get "$snap" $sel -- $C)
		local b=$((n * (len + hdr)))
		[ "$got" = "$n $b $n $b" ] ||
			fail "$name: counters '$got', sent '$n $b $n $b' ($C)"
	fi
	got=$(json_get "$snap" $sel -- $C)
	ct=$(json_get "$TMPD/ct.json" $sel -- $C)
	[ "$got" = "$ct" ] || fail "$name: counters '$got', conntrack '$ct' ($C)"
}

check masquerade "proto=udp src=192.0.2.2 sport=40001 dst=198.51.100.2 dport=7001" \
	"reply_src=198.51.100.2 reply_sport=7001 reply_dst=198.51.100.1" 5 100 28
check "snat to 198.51.100.100:20000-20010" \
	"proto=udp src=192.0.2.2 sport=40002 dst=198.51.100.2 dport=7002" \
	"reply_src=198.51.100.2 reply_sport=7002 reply_dst=198.51.100.100 reply_dport=20000-20010" 6 200 28
check "dnat to 198.51.100.2:7003" \
	"proto=udp src=192.0.2.2 sport=40003 dst=198.51.100.200 dport=8080" \
	"reply_src=198.51.100.2 reply_sport=7003 reply_dst=192.0.2.2 reply_dport=40003" 7 300 28
check "IPv6 masquerade" \
	"proto=udp src=2001:db8:1::2 sport=40004 dst=2001:db8:2::2 dport=7001" \
	"family=ipv6 reply_src=2001:db8:2::2 reply_sport=7001 reply_dst=2001:db8:2::1" 8 400 48
check "TCP snat to 198.51.100.100" \
	"proto=tcp src=192.0.2.2 sport=42001 dst=198.51.100.2 dport=80" \
	"reply_src=198.51.100.2 reply_sport=80 reply_dst=198.51.100.100 state=TIME_WAIT" "" 0 0

pass "masquerade, SNAT (address and port range), DNAT and IPv6 masquerade tuples and counters"
