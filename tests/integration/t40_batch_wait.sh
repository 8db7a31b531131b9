#!/bin/bash
# A one-shot --batch is complete: before printing, flowtop waits (up to
# --wait) for the lookups of the flows it prints, all at once.
#
# Namespace a (192.0.2.1) holds a TCP connection to b (192.0.2.2) and has
# sent one datagram to each of 20 addresses of b; its resolver (in b)
# answers every query 0.4 s late, so asking one query at a time would take
# 8 s for the 20 names and a one-shot that does not wait gets none.
#   - `flowtop --batch --count 1` (default wait, 1 s) prints the owner
#     (pid, name) of the local connection and every name, in JSON and text,
#     also for a selection (--filter), and a filter on the process finds
#     the flow, and --group-by process has its group (the lookups are
#     waited for before filtering and grouping), and --group-by dst names
#     every group (its first flow's lookups, after grouping);
#   - --wait 0 prints pid and names null (what the wait is for);
#   - with a resolver that never answers, names are null, the process is
#     there, and the run took --wait, not the resolver's timeouts (c-ares:
#     2 tries, 2 s then 4 s).
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop

DNSD="$PY $TOP/tests/tools/enrich_dns_server.py"
NETNS_ETC=/etc/netns/$(nsname a)
N=20

pair_setup
route a 198.51.100.0/24 via 192.0.2.2
addr b vb 192.0.2.53/32
addr b vb 192.0.2.54/32
names=()
for i in $(seq 10 $((10 + N - 1))); do
	addr b vb 198.51.100.$i/32
	names+=("198.51.100.$i=h$i.example.test")
done
serve b $DNSD 192.0.2.53 53 --delay 0.4 192.0.2.1=client.example.test \
	192.0.2.2=server.example.test "${names[@]}"
serve b $DNSD 192.0.2.54 53 --silent
echo "nameserver 192.0.2.53" >"$NETNS_ETC/resolv.conf"

serve b $TRAFFIC tcp-server 192.0.2.2 7001
bg a $TRAFFIC tcp-hold 192.0.2.1 43001 192.0.2.2 7001 >/dev/null
holder() {
	ns a ss -Htnp state established "( sport = :43001 )" |
		sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1
}
wait_for 10 eval '[ -n "$(holder)" ]' || fail "the TCP connection did not come up"
hpid=$(holder)
comm=$(cat "/proc/$hpid/comm")
ns a $PY - "$N" <<'EOF' || fail "sending the UDP flows failed"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.1", 45000))
for i in range(int(sys.argv[1])):
    s.sendto(b"x", ("198.51.100.%d" % (10 + i), 7000))
EOF

# run OUT SECONDS-VAR ARGS...: a one-shot flowtop in a, timed
run() {
	local out=$1 t0
	shift
	t0=$(date +%s.%N)
	ft a --batch --count 1 -G -T -U "$@" >"$out" 2>"$out.err" ||
		fail "flowtop $* failed: $(cat "$out.err")"
	ELAPSED=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
	log "flowtop $*: ${ELAPSED}s"
}

# --- default wait: the owner and every name
run "$TMPD/one.json" --output json
got=$(json_get "$TMPD/one.json" proto=tcp sport=43001 -- pid process src_host dst_host)
[ "$got" = "$hpid $comm client.example.test server.example.test" ] ||
	fail "one-shot: TCP flow has '$got', want '$hpid $comm client.example.test server.example.test'"
for i in $(seq 10 $((10 + N - 1))); do
	got=$(json_get "$TMPD/one.json" proto=udp dst=198.51.100.$i -- dst_host)
	[ "$got" = "h$i.example.test" ] ||
		fail "one-shot: the flow to 198.51.100.$i has name '$got' (the $N names were not asked side by side?)"
done

run "$TMPD/one.txt" --output text
grep -E "^tcp +ESTABLISHED +192\.0\.2\.1:43001 .* $comm\[$hpid\] +- +server\.example\.test " "$TMPD/one.txt" >/dev/null ||
	fail "text one-shot: no process and name on the TCP row:
$(cat "$TMPD/one.txt")"

# --- a selection: the printed flows' lookups (--filter on ports), or
# every flow's before selecting when the filter needs them (process).
# From here on a short interval, the wait given: the default wait is the
# interval's up to 1 s, checked above
FAST=(-t 0.2 --wait 1)
run "$TMPD/sel.json" "${FAST[@]}" --output json --filter "dport 7001"
got=$(json_get "$TMPD/sel.json" proto=tcp sport=43001 -- pid dst_host)
[ "$got" = "$hpid server.example.test" ] || fail "--filter 'dport 7001': TCP flow has '$got'"
run "$TMPD/proc.json" "${FAST[@]}" --output json --filter "process $comm" --top 5
[ "$(json_count "$TMPD/proc.json")" = 1 ] ||
	fail "--filter 'process $comm': want the TCP flow alone, got: $(json_flows "$TMPD/proc.json")"
got=$(json_get "$TMPD/proc.json" proto=tcp sport=43001 -- pid)
[ "$got" = "$hpid" ] || fail "--filter 'process $comm': TCP flow has pid '$got'"

# groups: every flow's lookups before grouping
run "$TMPD/group.json" "${FAST[@]}" --output json --group-by process
$PY - "$TMPD/group.json" "$hpid" "$comm" <<'EOF' || fail "--group-by process: no group of $comm[$hpid]: $(cat "$TMPD/group.json")"
import json, sys
snap = json.loads(open(sys.argv[1]).readline())
sys.exit(not any(g["key"] == sys.argv[2] and g["name"] == sys.argv[3]
                 for g in snap["groups"]))
EOF

# groups by a key of the tuple: grouped first, then only the first flows
# of the groups printed waited for (their names are the groups')
run "$TMPD/gdst.json" "${FAST[@]}" --output json --group-by dst
$PY - "$TMPD/gdst.json" "$N" <<'EOF' || fail "--group-by dst: groups not named as their addresses are: $(cat "$TMPD/gdst.json")"
import json, sys
snap = json.loads(open(sys.argv[1]).readline())
named = {g["key"]: g["name"] for g in snap["groups"]
         if g["key"].startswith("198.51.100.") or g["key"] == "192.0.2.2"}
want = {"198.51.100.%d" % i: "h%d.example.test" % i
        for i in range(10, 10 + int(sys.argv[2]))}
want["192.0.2.2"] = "server.example.test"
sys.exit(named != want)
EOF

# --- no wait: what the snapshot looks like without it
run "$TMPD/nowait.json" -t 0.2 --output json --wait 0
got=$(json_get "$TMPD/nowait.json" proto=tcp sport=43001 -- pid dst_host)
[ "$got" = "null null" ] ||
	fail "--wait 0: TCP flow has '$got': the lookups were answered without waiting?"

# --- a resolver that never answers: null names after --wait, not later
echo "nameserver 192.0.2.54" >"$NETNS_ETC/resolv.conf"
run "$TMPD/silent.json" -t 0.2 --output json --wait 1.5
got=$(json_get "$TMPD/silent.json" proto=tcp sport=43001 -- pid process dst_host)
[ "$got" = "$hpid $comm null" ] ||
	fail "silent resolver: TCP flow has '$got', want '$hpid $comm null'"
[ "$(json_count "$TMPD/silent.json" proto=udp dst_host=null)" -ge "$N" ] ||
	fail "silent resolver: names where no answer can have come"
awk -v t="$ELAPSED" 'BEGIN { exit !(t >= 1.5 && t < 5) }' ||
	fail "silent resolver, --wait 1.5: the run took ${ELAPSED}s (want 1.5 s and the start-up)"
pass "one-shot batch: owner $comm[$hpid] and $N names side by side; --wait 0 none; a silent resolver costs --wait"
