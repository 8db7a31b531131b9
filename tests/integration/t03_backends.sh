#!/bin/bash
# Counter backends: --acct=netfilter (BPF) and --acct=conntrack (kernel
# accounting over netlink) report the same counts for the same traffic,
# both equal to what was sent; --acct=auto takes netfilter on this kernel
# and says so; fentry and kprobe cannot attach here and must fail with exit
# 1 and a clear message; the kprobe program still passes the verifier.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop

pair_setup	# no accounting preset: the conntrack backend must enable it
[ "$(sysctl_get a net.netfilter.nf_conntrack_acct)" = 0 ] ||
	fail "nf_conntrack_acct is not 0 in a fresh namespace"

for p in 5001 5002; do
	serve b $TRAFFIC udp-echo 192.0.2.2 $p
	serve b $TRAFFIC udp-echo 2001:db8::2 $p
done
serve b $TRAFFIC udp-echo 192.0.2.2 5003 --lite
serve b $TRAFFIC tcp-server 192.0.2.2 80

# Both watch the same packets. The conntrack backend goes first: the kernel
# only accounts flows created after nf_conntrack_acct was turned on.
ft_start ct a --batch -n -G --output json --count 0 -t 0.2 -U -T --acct=conntrack
[ "$(sysctl_get a net.netfilter.nf_conntrack_acct)" = 1 ] ||
	fail "--acct=conntrack runs but nf_conntrack_acct is not 1"
ft_start nf a --batch -n -G --output json --count 0 -t 0.2 -U -T --acct=netfilter

# family client sport server dport N L [--lite]
UDP_FLOWS="
4 192.0.2.1 40001 192.0.2.2 5001 11 64
4 192.0.2.1 40002 192.0.2.2 5002 23 1200
6 2001:db8::1 40001 2001:db8::2 5001 13 64
6 2001:db8::1 40002 2001:db8::2 5002 29 900
4 192.0.2.1 40003 192.0.2.2 5003 6 50 --lite
"
echo "$UDP_FLOWS" | while read -r fam c sp s dp n l lite; do
	[ -n "$fam" ] || continue
	ns a $TRAFFIC udp-send "$c" "$sp" "$s" "$dp" "$n" "$l" $lite ||
		fail "UDP traffic $c:$sp -> $s:$dp failed"
done
ns a $TRAFFIC tcp-send 192.0.2.1 42001 192.0.2.2 80 500000 || fail "TCP transfer failed"
sleep 0.3

ft_sync ct 2
ft_sync nf 2
nf=$(ft_last nf)
ct=$(ft_last ct)
ft_stop nf INT
[ "$FT_RC" -eq 0 ] || fail "flowtop --acct=netfilter exited $FT_RC; stderr: $(cat "$TMPD/nf.err")"
ft_stop ct INT
[ "$FT_RC" -eq 0 ] || fail "flowtop --acct=conntrack exited $FT_RC; stderr: $(cat "$TMPD/ct.err")"

[ "$(json_top "$nf" acct)" = netfilter ] || fail "--acct=netfilter: JSON says acct $(json_top "$nf" acct)"
[ "$(json_top "$ct" acct)" = conntrack ] || fail "--acct=conntrack: JSON says acct $(json_top "$ct" acct)"

C="orig_packets orig_bytes reply_packets reply_bytes"
echo "$UDP_FLOWS" | {
	while read -r fam c sp s dp n l lite; do
		[ -n "$fam" ] || continue
		hdr=28
		[ "$fam" = 6 ] && hdr=48
		proto=udp
		[ -n "$lite" ] && proto=udplite
		want="$n $((n * (l + hdr))) $n $((n * (l + hdr)))"
		sel="proto=$proto src=$c sport=$sp dst=$s dport=$dp"
		a=$(json_get "$nf" $sel -- $C)
		b=$(json_get "$ct" $sel -- $C)
		[ "$b" = "$want" ] || fail "--acct=conntrack counts '$b' for $sel, want '$want'"
		[ "$a" = "$want" ] || fail "--acct=netfilter counts '$a' for $sel, want '$want'"
	done
}
sel="proto=tcp src=192.0.2.1 sport=42001 dst=192.0.2.2 dport=80"
a=$(json_get "$nf" $sel -- $C)
b=$(json_get "$ct" $sel -- $C)
[ "$a" = "$b" ] || fail "TCP counts differ: netfilter '$a', conntrack '$b' ($C)"
set -- $a
[ "$2" -gt 500000 ] || fail "TCP orig bytes $2 < 500000 payload sent"

# Same flow set, same counters, flow by flow.
$PY - "$nf" "$ct" <<'EOF' || fail "netfilter and conntrack backends disagree (above)"
import json, sys
def load(p):
    s = json.load(open(p))
    return {(f["family"], f["proto"], f["src"], f["dst"], f.get("sport"), f.get("dport")):
            tuple(f[k] for k in ("orig_packets", "orig_bytes", "reply_packets", "reply_bytes"))
            for f in s["flows"]}
a, b = load(sys.argv[1]), load(sys.argv[2])
bad = [k for k in set(a) | set(b) if a.get(k) != b.get(k)]
for k in bad:
    print("flow %s: netfilter %s, conntrack %s" % (k, a.get(k), b.get(k)), file=sys.stderr)
sys.exit(1 if bad else 0)
EOF

# auto takes netfilter here and says so on stderr
rc=0
ft a --batch -n -G --output json --count 1 -t 0.2 >"$TMPD/auto.out" 2>"$TMPD/auto.err" || rc=$?
[ "$rc" -eq 0 ] || fail "--acct=auto: exit $rc; stderr: $(cat "$TMPD/auto.err")"
[ "$(json_top "$TMPD/auto.out" acct)" = netfilter ] ||
	fail "--acct=auto chose '$(json_top "$TMPD/auto.out" acct)', want netfilter on this kernel"
grep -q '^flowtop: .*netfilter' "$TMPD/auto.err" ||
	fail "--acct=auto does not say on stderr which backend it took: $(cat "$TMPD/auto.err")"

# fentry (refused at load: EPERM) and kprobe (CONFIG_KPROBES unset) fail
for k in fentry kprobe; do
	rc=0
	ft a --batch --output json --count 1 -t 0.2 --acct=$k \
		>"$TMPD/$k.out" 2>"$TMPD/$k.err" || rc=$?
	[ "$rc" -eq 1 ] || fail "--acct=$k: exit $rc, want 1; stderr: $(cat "$TMPD/$k.err")"
	[ ! -s "$TMPD/$k.out" ] || fail "--acct=$k printed a snapshot: $(head -c 200 "$TMPD/$k.out")"
	grep -q "^flowtop: .*$k" "$TMPD/$k.err" ||
		fail "--acct=$k: no 'flowtop: ' line naming $k on stderr: $(cat "$TMPD/$k.err")"
	log "--acct=$k: $(head -n1 "$TMPD/$k.err")"
done

# The kprobe program passes the verifier even though it cannot attach.
require_tool acct_loadcheck
rc=0
"$TOOLS/acct_loadcheck" kprobe >"$TMPD/lc.out" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || fail "acct_loadcheck kprobe: exit $rc: $(cat "$TMPD/lc.out")"

pass "netfilter = conntrack = sent on 6 flows; auto = netfilter; fentry/kprobe fail cleanly; kprobe loads"
