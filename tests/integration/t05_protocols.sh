#!/bin/bash
# Protocols and selection. Two generations of flows, each with, for IPv4
# and IPv6: a TCP connection held ESTABLISHED, a TCP connection closed into
# TIME_WAIT, UDP, UDP-Lite, an ICMP/ICMPv6 echo and an SCTP INIT/INIT-ACK
# (crafted with scapy, state COOKIE_WAIT). Generation 1 exists before
# flowtop starts (it comes from the dump), generation 2 is made while it
# runs (it comes from events). One flowtop per selection (-4 -6 -T -U -D
# -I -S and combinations) runs meanwhile; each one's last snapshot must
# hold exactly the flows of conntrack's table that its selection names,
# with conntrack's proto, state and ICMP fields, and every JSON key of the
# documented format. (-n -G: flowtop's own reverse-DNS lookups would be
# flows of this namespace too.)
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop

pair_setup
# Keep every test flow alive for the whole test (SCTP's COOKIE_WAIT times
# out after 3 s by default, UDP and ICMP after 30 s).
for k in sctp_timeout_cookie_wait sctp_timeout_closed udp_timeout \
	udp_timeout_stream icmp_timeout icmpv6_timeout; do
	sysctl_set a "net.netfilter.nf_conntrack_$k" 300
done

serve b $TRAFFIC tcp-server 192.0.2.2 80
serve b $TRAFFIC tcp-server 2001:db8::2 80
serve b $TRAFFIC udp-echo 192.0.2.2 5001
serve b $TRAFFIC udp-echo 2001:db8::2 5001
serve b $TRAFFIC udp-echo 192.0.2.2 5002 --lite
serve b $TRAFFIC udp-echo 2001:db8::2 5002 --lite

# make_flows G: generation G's 12 flows; client ports 4G001..4G006, ICMP id G5.
make_flows() {
	local g=$1 c s
	for fam in 4 6; do
		if [ $fam = 4 ]; then c=192.0.2.1 s=192.0.2.2; else c=2001:db8::1 s=2001:db8::2; fi
		serve a $TRAFFIC tcp-hold $c 4${g}001 $s 80
		ns a $TRAFFIC tcp-send $c 4${g}002 $s 80 1000 || fail "TCP to $s failed"
		ns a $TRAFFIC udp-send $c 4${g}003 $s 5001 2 10 || fail "UDP to $s failed"
		ns a $TRAFFIC udp-send $c 4${g}004 $s 5002 2 10 --lite || fail "UDP-Lite to $s failed"
		ns a $TRAFFIC icmp-echo $c $s ${g}5 || fail "ICMP echo to $s failed"
		ns a $TRAFFIC sctp-init $c 4${g}006 $s 6666 || fail "SCTP INIT to $s failed"
		ns b $TRAFFIC sctp-initack $s 6666 $c 4${g}006 || fail "SCTP INIT-ACK to $c failed"
	done
	sleep 0.2	# the last ACK of each TCP close
}

SELECTIONS=("" -4 -6 -T -U -I -S -D -46UTDIS -4U -6I -TS -4TUIS)

make_flows 1
i=0
for sel in "${SELECTIONS[@]}"; do
	ft_launch "s$i" a --batch -n -G --output json --count 0 -t 0.5 --max-flows 4096 $sel
	i=$((i + 1))
done
for i in "${!SELECTIONS[@]}"; do
	ft_ready "s$i"
done
make_flows 2
tags=()
for i in "${!SELECTIONS[@]}"; do
	tags+=("s$i")
done
ft_sync_all 2 "${tags[@]}"
ct_snap a "$TMPD/ct.json"
for i in "${!SELECTIONS[@]}"; do
	ft_last "s$i" >/dev/null
	ft_stop "s$i" INT
	[ "$FT_RC" -eq 0 ] || fail "flowtop ${SELECTIONS[$i]} exited $FT_RC; stderr: $(cat "$TMPD/s$i.err")"
done

args=()
for i in "${!SELECTIONS[@]}"; do
	args+=("${SELECTIONS[$i]:-default}" "$TMPD/s$i.last")
done
$PY - "$TMPD/ct.json" "${args[@]}" <<'EOF' || fail "selection or protocol fields wrong (above)"
import ipaddress, json, sys

def load(p):
    return json.load(open(p))["flows"]

def key(f):
    k = (f["family"], f["proto"], str(ipaddress.ip_address(f["src"])),
         str(ipaddress.ip_address(f["dst"])))
    if f["proto"] in ("icmp", "icmpv6"):
        return k + (f.get("icmp_type"), f.get("icmp_code"), f.get("icmp_id"))
    return k + (f.get("sport"), f.get("dport"))

ct = load(sys.argv[1])
errors = []

# conntrack must hold exactly the 24 test flows, or the test itself is off
want = {}
for g in (1, 2):
    for fam, c, s in (("ipv4", "192.0.2.1", "192.0.2.2"), ("ipv6", "2001:db8::1", "2001:db8::2")):
        p = 40000 + g * 1000
        want[(fam, "tcp", c, s, p + 1, 80)] = ("ESTABLISHED", "held open")
        want[(fam, "tcp", c, s, p + 2, 80)] = ("TIME_WAIT", "closed")
        want[(fam, "udp", c, s, p + 3, 5001)] = (None, "udp")
        want[(fam, "udplite", c, s, p + 4, 5002)] = (None, "udplite")
        icmp = "icmp" if fam == "ipv4" else "icmpv6"
        want[(fam, icmp, c, s, 8 if fam == "ipv4" else 128, 0, g * 10 + 5)] = (None, "echo")
        want[(fam, "sctp", c, s, p + 6, 6666)] = ("COOKIE_WAIT", "INIT/INIT-ACK")
ctkeys = {key(f): f for f in ct}
if set(ctkeys) != set(want):
    print("test setup is off: conntrack holds %s, want %s" % (
        sorted(set(ctkeys) - set(want)), sorted(set(want) - set(ctkeys))), file=sys.stderr)
    sys.exit(1)
for k, (state, what) in want.items():
    if ctkeys[k]["state"] != state:
        print("test setup is off: conntrack state of %s (%s) is %s, want %s" % (
            k, what, ctkeys[k]["state"], state), file=sys.stderr)
        sys.exit(1)

def selected(flags, f):
    fams = {c for c in flags if c in "46"} or {"4", "6"}
    protos = {c for c in flags if c in "TUDIS"} or {"T"}
    fam = f["family"][-1]
    names = set()
    for p in protos:
        names |= {"T": {"tcp"}, "U": {"udp", "udplite"}, "D": {"dccp"},
                  "S": {"sctp"}, "I": {"icmp", "icmpv6"}}[p]
    return fam in fams and f["proto"] in names

FIELDS = ("family", "proto", "state", "reply_src", "reply_dst", "reply_sport",
          "reply_dport", "icmp_type", "icmp_code", "icmp_id", "reply_icmp_type",
          "reply_icmp_code", "reply_icmp_id")
# the JSON contract (man page / cli brief): every key, with its type
TOP_KEYS = {"time": float, "interval": float, "acct": str, "flows_total": int,
            "lost_events": int, "resyncs": int, "evictions": int, "events": int,
            "new_flows": int, "destroyed_flows": int, "refresh_dumps": int,
            "gets": int, "silent_ends": int, "silent_ms": float,
            "map_read_ms": float,
            "flows": list}
FLOW_KEYS = {"id": int, "family": str, "proto": str, "src": str, "dst": str,
             "reply_src": str, "reply_dst": str, "zone": int, "mark": int,
             "age": float, "orig_packets": int, "orig_bytes": int,
             "reply_packets": int, "reply_bytes": int,
             "orig_packet_rate": float, "orig_byte_rate": float,
             "reply_packet_rate": float, "reply_byte_rate": float}
PORT_KEYS = ("sport", "dport", "reply_sport", "reply_dport")
ICMP_KEYS = ("icmp_type", "icmp_code", "icmp_id", "reply_icmp_type",
             "reply_icmp_code", "reply_icmp_id")

def typed(v, t):
    if t is float:
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return isinstance(v, t) and not isinstance(v, bool)

def check_schema(sel, snap):
    for k, t in TOP_KEYS.items():
        if k not in snap or not typed(snap[k], t):
            errors.append("%s: top-level %r missing or not %s: %r" % (sel, k, t.__name__, snap.get(k)))
    for f in snap.get("flows", []):
        keys = dict(FLOW_KEYS)
        extra = ICMP_KEYS if f.get("proto") in ("icmp", "icmpv6") else PORT_KEYS
        keys.update({k: int for k in extra})
        for k, t in keys.items():
            if k not in f or not typed(f[k], t):
                errors.append("%s: flow %s: %r missing or not %s: %r" % (
                    sel, key(f), k, t.__name__, f.get(k)))
        if "state" not in f or not (f["state"] is None or isinstance(f["state"], str)):
            errors.append("%s: flow %s: state missing or not null/string" % (sel, key(f)))

args = sys.argv[2:]
for sel, path in zip(args[::2], args[1::2]):
    flags = "" if sel == "default" else sel.lstrip("-")
    got = {}
    check_schema(sel, json.load(open(path)))
    for f in load(path):
        k = key(f)
        if k in got:
            errors.append("%s: flow %s listed twice" % (sel, k))
        got[k] = f
    exp = {k for k, f in ctkeys.items() if selected(flags, f)}
    if flags != "D" and not exp:
        errors.append("%s: selection names no test flow (test bug)" % sel)
    for k in sorted(exp - set(got)):
        gen = "dump" if k[-2] in (41001, 41002, 41003, 41004, 41006) or k[-1] == 15 else "events"
        errors.append("%s: missing %s (from %s)" % (sel, k, gen))
    for k in sorted(set(got) - exp):
        errors.append("%s: shows %s, not selected" % (sel, k))
    for k in exp & set(got):
        for fld in FIELDS:
            a, b = got[k].get(fld), ctkeys[k].get(fld)
            if fld.startswith("reply_") and fld.endswith(("src", "dst")) and a and b:
                a, b = str(ipaddress.ip_address(a)), str(ipaddress.ip_address(b))
            if a != b:
                errors.append("%s: %s %s is %r, conntrack says %r" % (sel, k, fld, a, b))
        for fld in ("sport", "dport") if k[1] in ("icmp", "icmpv6") else ("icmp_type", "icmp_id"):
            if fld in got[k]:
                errors.append("%s: %s carries %s" % (sel, k, fld))
for e in errors[:40]:
    print(e, file=sys.stderr)
if len(errors) > 40:
    print("... %d more" % (len(errors) - 40), file=sys.stderr)
sys.exit(1 if errors else 0)
EOF

pass "${#SELECTIONS[@]} selections x 24 flows (dump and events): tcp states, udp, udplite, icmp, icmpv6, sctp"
