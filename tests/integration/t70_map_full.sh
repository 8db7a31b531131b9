#!/bin/bash
# Fault: the BPF counter map is full. flowtop runs with --max-flows 16 and
# sees 8 early flows, then 1500 more (one datagram and its echo each): far
# more than the map holds. It must keep listing every flow (its set equals
# `conntrack -L`), count the losses in the "evictions" field and show them
# in the interactive view's header, and never show a wrong count: every
# flow's counters either equal the kernel's accounting (`conntrack -L -o
# extended`) or are all zero (the flow got no counters). Per layout:
#
#  slots (default): the map holds a fixed number of slots (--max-flows plus
#    headroom for churn); a new flow that finds every slot taken is not
#    counted at all, and each of its packets adds one to "evictions". So
#    "evictions" = the packets of the flows shown with zero counters, and
#    the flows that do have a slot (the early ones among them) are exact.
#  lru: a per-CPU LRU hash; a new key evicts the least recently used one,
#    and each evicted key adds one to "evictions". A flow read before its
#    key was evicted keeps the counts last read (exact here: no traffic
#    after); one evicted before any read shows zero. A read can also fall
#    between a flow's datagram and its echo: if the key is evicted after
#    that read, the echo's counts go with it, and the flow shows its
#    datagram only (rare: needs a slow reader, seen under the sanitizers).
#    So "evictions" >= the flows shown with zero counters plus those shown
#    with the datagram only. (Traffic on a flow after its key was evicted
#    restarts its count from zero: not exact, not done here.)
#
# Both layouts when this flowtop has --counter-map; otherwise the default.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
command -v conntrack >/dev/null || skip "conntrack (conntrack-tools) is not installed"
command -v tmux >/dev/null || fail "tmux not installed (scripts/install-deps.sh --test)"

TM_SOCK="ft70-$$"
tm() { tmux -L "$TM_SOCK" "$@"; }
trap 'rc=$?; set +e; tmux -L "$TM_SOCK" kill-server 2>/dev/null; (exit $rc); _cleanup' EXIT

EARLY=8
FLOOD=1500
FLOWS=$TOP/tests/tools/fault_udp_flows.py

pair_setup acct
serve b $TRAFFIC udp-echo 192.0.2.2 5001

LAYOUTS=default
"$FLOWTOP" --help 2>&1 | grep -q -- '--counter-map' && LAYOUTS="slots lru"
LAYOUTS=${T70_LAYOUTS:-$LAYOUTS}

for layout in $LAYOUTS; do
	opts=(--max-flows 16)
	[ "$layout" = default ] || opts+=(--counter-map "$layout")
	ns a conntrack -F >/dev/null 2>&1 || true
	ft_start full a --batch -n -G --output json --count 0 -t 0.3 -U "${opts[@]}"
	# the view runs in b, which sees the same flows from the other end:
	# a second BPF netfilter program at flowtop's hook priority in the
	# same namespace is refused by the kernel (EBUSY, Linux >= 6.4)
	ns b conntrack -F >/dev/null 2>&1 || true
	tm new-session -d -s view -x 160 -y 24 \
		"env LANG=C.UTF-8 TERM=screen ip netns exec $(nsname b) $FLOWTOP -n -G -U -t 0.3 --acct netfilter ${opts[*]}; sleep 600" ||
		fail "cannot start tmux"

	i=0
	until tm capture-pane -p -t view | grep -qE "^flowtop .*netfilter"; do
		i=$((i + 1))
		[ $i -le 200 ] || fail "$layout: the interactive view did not start: $(tm capture-pane -p -t view | head -3)"
		sleep 0.05
	done

	# early flows: the map has room
	ns a $PY "$FLOWS" 192.0.2.1 21000 192.0.2.2 5001 $EARLY 4 100 ||
		fail "traffic of the early flows failed"
	ft_sync full 2
	snap=$(ft_last full)
	ev=$(json_top "$snap" evictions)
	[ "$ev" = 0 ] || fail "$layout: evictions $ev with only $EARLY flows in a map for 16"
	ct_snap a "$TMPD/ct.json"
	for i in $(seq 0 $((EARLY - 1))); do
		got=$(json_get "$snap" proto=udp sport=$((21000 + i)) -- orig_packets orig_bytes reply_packets reply_bytes)
		[ "$got" = "4 512 4 512" ] ||
			fail "$layout: early flow $((21000 + i)) counts '$got', want '4 512 4 512'"
	done

	# the flood: the map overflows
	ns a $PY "$FLOWS" 192.0.2.1 30000 192.0.2.2 5001 $FLOOD 1 60 ||
		fail "traffic of the flood failed"
	ft_sync full 3
	kill -0 "${FT_PID[full]}" 2>/dev/null || fail "$layout: flowtop died; $(cat "$TMPD/full.err")"
	snap=$(ft_last full)
	ct_snap a "$TMPD/ct.json"
	res=$($PY - "$snap" "$TMPD/ct.json" "$layout" $EARLY $((EARLY + FLOOD)) <<'PY'
import json, sys
snap, ct, layout, early, total = sys.argv[1], sys.argv[2], sys.argv[3], \
    int(sys.argv[4]), int(sys.argv[5])
ft = json.load(open(snap))
kt = json.load(open(ct))
F = ("orig_packets", "orig_bytes", "reply_packets", "reply_bytes")
key = lambda f: (f["src"], f["sport"], f["dst"], f["dport"])
ctf = {key(f): f for f in kt["flows"] if f["proto"] == "udp"}
ftf = {key(f): f for f in ft["flows"] if f["proto"] == "udp"}
errs = []
if set(ctf) != set(ftf):
    errs.append("flow sets differ: %d missing, %d ghosts (%d in flowtop, %d in conntrack)"
                % (len(set(ctf) - set(ftf)), len(set(ftf) - set(ctf)), len(ftf), len(ctf)))
if len(ctf) != total:
    errs.append("conntrack -L holds %d UDP flows, want %d" % (len(ctf), total))
exact = zero = cut = 0
zero_pkts = 0
for k, f in ftf.items():
    c = ctf.get(k)
    if not c:
        continue
    got = tuple(f[x] for x in F)
    want = tuple(c[x] for x in F)
    if got == want:
        exact += 1
    elif got == (0, 0, 0, 0):
        zero += 1
        zero_pkts += want[0] + want[2]
    elif layout == "lru" and got == want[:2] + (0, 0) and want[2]:
        cut += 1	# read between datagram and echo, then evicted
    else:
        errs.append("flow %s:%s counts %s, kernel %s (neither exact nor none)"
                    % (k[0], k[1], got, want))
early_bad = [k[1] for k, f in ftf.items()
             if 21000 <= k[1] < 21000 + early
             and ctf.get(k) and tuple(f[x] for x in F) != tuple(ctf[k][x] for x in F)]
ev = ft["evictions"]
if ev <= 0:
    errs.append("evictions %d: the overflow was not counted" % ev)
if exact < 16:
    errs.append("only %d flows have counters, --max-flows is 16" % exact)
if layout in ("slots", "default"):
    if early_bad:
        errs.append("early flows lost their counts: %s" % early_bad[:5])
    if ev != zero_pkts:
        errs.append("evictions %d, but the %d flows without a slot had %d packets"
                    % (ev, zero, zero_pkts))
else:
    if ev < zero + cut:
        errs.append("evictions %d < %d flows shown without counters + %d without their echo"
                    % (ev, zero, cut))
print(json.dumps({"exact": exact, "zero": zero, "cut": cut, "zero_packets": zero_pkts,
                  "evictions": ev, "errors": errs[:8]}))
sys.exit(1 if errs else 0)
PY
) || fail "$layout: $res"
	log "$layout: $res"

	# the interactive view says so too
	i=0
	until tm capture-pane -p -t view | grep -qE "evictions [1-9][0-9]*"; do
		i=$((i + 1))
		[ $i -le 100 ] || fail "$layout: the interactive view's header shows no evictions: $(tm capture-pane -p -t view | head -3)"
		sleep 0.05
	done
	tm kill-session -t view
	ft_stop full TERM
	[ "$FT_RC" -eq 0 ] || fail "$layout: flowtop exited $FT_RC; stderr: $(cat "$TMPD/full.err")"
done
pass "layouts $LAYOUTS: every flow listed, counts exact or none, evictions counted and shown"
