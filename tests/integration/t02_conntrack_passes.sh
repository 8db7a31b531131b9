#!/bin/bash
# Packets conntrack passes by without counting, and packets it counts that
# look like them. The netfilter backend must count exactly what the
# kernel's own accounting counts (`conntrack -L -o extended`, acct on):
#
#  broadcast looped back  UDP to 192.0.2.255 with a listener on the
#                         sending host: dev_loopback_xmit hands a copy,
#                         entry attached, to PRE_ROUTING of the veth (not
#                         lo); conntrack counted the packet once, at
#                         LOCAL_OUT (this was counted twice)
#  AF_PACKET on lo        frames injected on lo (scapy sendp) to the
#                         host's own IPv4 and IPv6 address: they arrive
#                         on lo without an entry and conntrack counts them
#                         (this was not counted at all)
#  loopback               unicast over lo passes LOCAL_OUT and PRE_ROUTING
#                         with one entry: counted once
#
# For both counter maps (slots, lru).
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
$PY -c 'import scapy' 2>/dev/null || skip "python3-scapy is not installed"

pair_setup acct	# kernel accounting on before any traffic: ground truth
serve a $TRAFFIC udp-echo 127.0.0.1 6001

# bcast SPORT N L: N broadcast datagrams of L bytes from a, received by a
bcast() {
	ns a $PY - "$@" <<'PY' || fail "broadcast traffic failed"
import socket, sys
sport, n, l = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
r.bind(("0.0.0.0", 5500))
r.settimeout(3)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.bind(("192.0.2.1", sport))
for i in range(n):
    s.sendto(bytes(l), ("192.0.2.255", 5500))
for i in range(n):
    r.recv(65535)	# every copy looped back to the listener here
PY
}

# inject SRC DST SPORT N L: N UDP frames of L bytes injected on a's lo
# to DST (a's own address), where a socket listens (no ICMP back)
inject() {
	ns a $PY - "$@" <<'PY' || fail "AF_PACKET injection on lo failed"
import socket, sys
from scapy.all import Ether, IP, IPv6, UDP, Raw, sendp
src, dst, sport, n, l = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
r = socket.socket(fam, socket.SOCK_DGRAM)
r.bind((dst, 5600))
r.settimeout(3)
ip = IPv6(src=src, dst=dst) if fam == socket.AF_INET6 else IP(src=src, dst=dst)
p = Ether(src="00:00:00:00:00:00", dst="00:00:00:00:00:00") / ip / \
    UDP(sport=sport, dport=5600) / Raw(bytes(l))
sendp(p, iface="lo", count=n, verbose=False)
for i in range(n):
    r.recv(65535)	# delivered, so conntrack confirmed their entry
PY
}

run() {
	local cm=$1 b=$2 snap sel got ct n=0
	ft_start $cm a --batch -n -G --output json --count 0 -t 0.3 -U --counter-map $cm
	bcast $((b + 1)) 6 100
	inject 192.0.2.7 192.0.2.1 $((b + 2)) 5 50
	inject 2001:db8::7 2001:db8::1 $((b + 3)) 4 60
	ns a $TRAFFIC udp-send 127.0.0.1 $((b + 4)) 127.0.0.1 6001 7 200 ||
		fail "loopback traffic failed"
	ft_sync $cm 2
	snap=$(ft_last $cm)
	ct_snap a "$TMPD/ct.$cm.json"
	ft_stop $cm INT
	for sel in "sport=$((b + 1)) dst=192.0.2.255 -- 6" \
		"sport=$((b + 2)) dst=192.0.2.1 -- 5" \
		"sport=$((b + 3)) dst=2001:db8::1 -- 4" \
		"sport=$((b + 4)) dst=127.0.0.1 -- 7"; do
		want=${sel##*-- }
		sel="proto=udp ${sel%% --*}"
		# shellcheck disable=SC2086
		ct=$(json_get "$TMPD/ct.$cm.json" $sel -- orig_packets orig_bytes reply_packets reply_bytes)
		[ "${ct%% *}" = "$want" ] ||
			fail "$cm: test traffic is off: conntrack counts '$ct' for $sel, sent $want packets"
		# shellcheck disable=SC2086
		got=$(json_get "$snap" $sel -- orig_packets orig_bytes reply_packets reply_bytes)
		[ "$got" = "$ct" ] ||
			fail "$cm: flowtop counts '$got' for $sel, conntrack '$ct' (orig pkts, bytes, reply pkts, bytes)"
		n=$((n + 1))
	done
	log "$cm: $n flows (broadcast looped back, AF_PACKET on lo IPv4/IPv6, loopback) equal to conntrack's counts"
}

run slots 46000
run lru 47000
pass "looped-back broadcast counted once, AF_PACKET frames on lo counted, loopback once: equal to the kernel's accounting (slots, lru)"
