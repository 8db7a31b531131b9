#!/bin/bash
# A documented limit (BUGS in flowtop(8)): TCP segments that conntrack
# accepts but ignores (tcp_in_window answers NFCT_TCP_IGNORE: a stale
# ACK, as here, or already-acknowledged data sent again) are not in the
# kernel's accounting, and the netfilter backend, which sees them pass
# with their entry, counts them. Segments conntrack finds invalid (on
# this kernel: data beyond the receiver's window, an ACK for data not
# sent yet) lose their entry on the way and neither counts them. scapy
# makes a connection by hand from a to b's TCP server (a's own RSTs
# dropped before conntrack sees them) and sends 3 segments in the window,
# then 3 data segments 10 MB beyond it (invalid) and 2 ACKs 1 MB below
# what b sent (ignored). flowtop's original direction must hold exactly
# the 2 ignored ACKs (2 packets, 80 bytes) more than the kernel's, and
# nothing else may differ: the limit is what the man page says, no more.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
$PY -c 'import scapy' 2>/dev/null || skip "python3-scapy is not installed"

pair_setup acct
serve b $TRAFFIC tcp-server 192.0.2.2 80
# a's kernel knows nothing of scapy's connection and would reset it
ns a nft -f - <<-'EOF' || fail "nft: cannot add the RST filter"
table inet ftraw {
	chain out { type filter hook output priority -300; tcp flags rst drop; }
}
EOF

ft_start m a --batch -n -G --output json --count 0 -t 0.3 -T
ns a $PY - <<'PY' || fail "the hand-made TCP connection failed"
import sys
from scapy.all import IP, TCP, Raw, sr1, send, conf
from scapy.supersocket import L3RawSocket
conf.verb = 0
# through a's IP stack (LOCAL_OUT, conntrack), not a packet socket
conf.L3socket = L3RawSocket
ip = IP(src="192.0.2.1", dst="192.0.2.2")
sp, isn = 44001, 1000
synack = sr1(ip / TCP(sport=sp, dport=80, flags="S", seq=isn), timeout=3)
if synack is None or synack[TCP].flags != "SA":
    sys.exit("no SYN-ACK")
srv = synack[TCP].seq + 1
seq = isn + 1
send(ip / TCP(sport=sp, dport=80, flags="A", seq=seq, ack=srv))
for i in range(3):
    send(ip / TCP(sport=sp, dport=80, flags="PA", seq=seq, ack=srv) / Raw(bytes(100)))
    seq += 100
# beyond the receiver's window (invalid), and stale ACKs (ignored)
for i in range(3):
    send(ip / TCP(sport=sp, dport=80, flags="PA", seq=seq + 10000000 + 100 * i,
                  ack=srv) / Raw(bytes(100)))
for i in range(2):
    send(ip / TCP(sport=sp, dport=80, flags="A", seq=seq, ack=srv - 1000000))
PY
ft_sync m 3
snap=$(ft_last m)
ct_snap a "$TMPD/ct.json"
ft_stop m INT
sel="proto=tcp src=192.0.2.1 sport=44001 dst=192.0.2.2 dport=80"
# shellcheck disable=SC2086
ct=$(json_get "$TMPD/ct.json" $sel -- orig_packets orig_bytes reply_packets reply_bytes)
# shellcheck disable=SC2086
got=$(json_get "$snap" $sel -- orig_packets orig_bytes reply_packets reply_bytes)
set -- $ct
# SYN, ACK, 3 data segments: 5 packets (scapy's SYN has no options: 40 bytes)
[ "$1" -eq 5 ] && [ "$2" -eq $((2 * 40 + 3 * 140)) ] ||
	fail "test traffic is off: conntrack counts '$ct', want 5 packets, 500 bytes out (the rest left out)"
want="$(($1 + 2)) $(($2 + 2 * 40)) $3 $4"
[ "$got" = "$want" ] ||
	fail "flowtop counts '$got', conntrack '$ct': want exactly the 2 ignored ACKs more ('$want')"
log "conntrack '$ct', flowtop '$got': the 2 ignored ACKs, and only they, counted in addition"
pass "TCP segments conntrack ignores: counted by flowtop only (2 stale ACKs), invalid ones by neither, as documented in BUGS"
