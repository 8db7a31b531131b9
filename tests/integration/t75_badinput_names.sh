#!/bin/bash
# Hostile names from outside: PTR answers carrying an OSC title escape,
# invalid UTF-8 and a 10 kB name (a test DNS server serves the raw
# bytes; the 10 kB answer over TCP, after a truncated one over UDP, as a
# real server would), and local processes whose name (prctl PR_SET_NAME) or program
# file name (a symlink named with escape bytes; the kernel's comm, which
# is what flowtop reads, is its first 15 bytes) carries escape bytes and
# invalid UTF-8. JSON, CSV and text output and the interactive view must
# carry none of those bytes: valid UTF-8 only, no C0/C1 control (but the
# view's own terminal sequences), names cut to their field sizes.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
command -v tmux >/dev/null || fail "tmux not installed (scripts/install-deps.sh --test)"
command -v script >/dev/null || fail "script(1) not installed (bsdutils)"

TM_SOCK="ft-$$"
trap 'rc=$?; set +e; tmux -L "$TM_SOCK" kill-server 2>/dev/null; (exit $rc); _cleanup' EXIT

DNSD="$PY $TOP/tests/tools/enrich_dns_server.py"
pair_setup
for a in 198.51.100.7 198.51.100.8 198.51.100.9 192.0.2.53; do
	addr b vb $a/32
	[ $a = 192.0.2.53 ] || route a $a/32 dev va
done
echo "nameserver 192.0.2.53" >"/etc/netns/$(nsname a)/resolv.conf"

OSC='osc\x1b]0;PWNED\x07x\x1b[2Jy\x9b31m.example.test'
UTF='bad\xff\xfe\xc0\xafutf8\xed\xa0\x80.example.test'
LONG=$($PY -c 'print(".".join(["a" * 63] * 160) + ".example.test")')
serve b $DNSD 192.0.2.53 53 --ttl 300 "198.51.100.7=$OSC" "198.51.100.8=$UTF" \
	"198.51.100.9=$LONG" 192.0.2.2=plain.example.test
for a in 198.51.100.7 198.51.100.8 198.51.100.9 192.0.2.2; do
	serve b $TRAFFIC udp-echo $a 5001
done

# processes with hostile names, each holding a UDP flow to b (sport 4100N)
HOLD='
import ctypes, socket, sys, time
name = sys.argv[1].encode("latin-1").decode("unicode_escape").encode("latin-1")
if name:
    ctypes.CDLL(None).prctl(15, ctypes.c_char_p(name), 0, 0, 0)  # PR_SET_NAME
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.1", int(sys.argv[2])))
print("ready", flush=True)
while True:
    s.sendto(b"x" * 10, ("192.0.2.2", 5001))
    time.sleep(0.2)
'
serve a $PY -c "$HOLD" '\x1b]0;PWNED\x07\xff\xfe' 41001
EVILEXE=$TMPD/$'\e[2J\xff\xfeevil\e]0;PWNED\a'
ln -s "$PY" "$EVILEXE"
serve a "$EVILEXE" -c "$HOLD" '' 41002

send() {
	local a
	for a in 198.51.100.7 198.51.100.8 198.51.100.9 192.0.2.2; do
		ns a $TRAFFIC udp-send 192.0.2.1 40001 $a 5001 1 10 >/dev/null ||
			fail "traffic to $a failed"
	done
}

# clean FILE WHAT: valid UTF-8, no control byte but newline (and the
# CSV/text field separators), no escape written out as \u001b either
clean() {
	$PY - "$1" "$2" <<-'EOF2' || fail "$2: hostile bytes reached the output"
	import re, sys
	data = open(sys.argv[1], "rb").read()
	try:
	    text = data.decode("utf-8")
	except UnicodeDecodeError as e:
	    sys.exit("%s: invalid UTF-8 at %d: %r" % (sys.argv[2], e.start, data[e.start - 20:e.start + 20]))
	bad = [c for c in text if (ord(c) < 0x20 and c not in "\n\t") or 0x7f <= ord(c) <= 0x9f]
	if bad:
	    sys.exit("%s: control characters %r" % (sys.argv[2], sorted(set(bad))))
	if re.search(r"\\u00[01][0-9a-fA-F]|\\u007f|\\u009b", text):
	    sys.exit("%s: an escaped control character" % sys.argv[2])
	if "PWNED" in text and "]0;PWNED" in text.replace("?", ""):
	    sys.exit("%s: an OSC sequence survived" % sys.argv[2])
	EOF2
}

ft_start json a --batch --output json --count 0 -t 0.3 -U -G
send
names_in() {
	send
	ft_sync json 2
	$FTJSON last "$TMPD/json.out" >"$TMPD/snap.json" 2>/dev/null || return 1
	[ "$($FTJSON get "$TMPD/snap.json" dst=192.0.2.2 sport=40001 -- dst_host)" = plain.example.test ] || return 1
	[ "$($FTJSON get "$TMPD/snap.json" dst=198.51.100.7 -- dst_host)" != null ] || return 1
	[ "$($FTJSON get "$TMPD/snap.json" dst=198.51.100.8 -- dst_host)" != null ] || return 1
	[ "$($FTJSON get "$TMPD/snap.json" dst=198.51.100.9 -- dst_host)" != null ] || return 1
	[ "$($FTJSON get "$TMPD/snap.json" sport=41001 -- process)" != null ] || return 1
	[ "$($FTJSON get "$TMPD/snap.json" sport=41002 -- process)" != null ]
}
# each try sends and waits two snapshots: bound the tries, not the time
ok=0
for i in $(seq 20); do
	names_in && { ok=1; break; }
	sleep 0.5
done
[ $ok = 1 ] || fail "names not shown: $($FTJSON flows "$TMPD/snap.json" proto=udp)"
ft_sync json 4
ft_stop json
clean "$TMPD/json.out" JSON
snap=$TMPD/snap.json
$FTJSON last "$TMPD/json.out" >"$snap"
osc=$(json_get "$snap" dst=198.51.100.7 -- dst_host)
utf=$(json_get "$snap" dst=198.51.100.8 -- dst_host)
long=$(json_get "$snap" dst=198.51.100.9 -- dst_host)
p1=$(json_get "$snap" sport=41001 -- process)
p2=$(json_get "$snap" sport=41002 -- process)
log "PTR escape: $osc | PTR bad UTF-8: $utf | PTR 10 kB: ${long:0:40}... (${#long} chars) | prctl name: $p1 | file name: $p2"
case $osc in *x?y*.example.test) ;; *) fail "PTR with escapes shown as '$osc'" ;; esac
case $utf in bad*utf8*.example.test) ;; *) fail "PTR with bad UTF-8 shown as '$utf'" ;; esac
case $long in aaaa*) ;; *) fail "PTR of 10 kB shown as '${long:0:80}'" ;; esac
[ "${#long}" -lt 300 ] || fail "the 10 kB PTR name is ${#long} characters in JSON"
case $p1 in *'?'*) ;; *) fail "prctl name shown as '$p1'" ;; esac
case $p2 in *evil*) ;; *) fail "program file name shown as '$p2'" ;; esac

# CSV and text
for fmt in csv text; do
	send
	timeout -k 5 30 ip netns exec "$(nsname a)" "$FLOWTOP" --batch --output $fmt \
		--count 3 -t 0.3 -U -G >"$TMPD/$fmt.out" 2>"$TMPD/$fmt.err" ||
		fail "$fmt run failed: $(cat "$TMPD/$fmt.err")"
	clean "$TMPD/$fmt.out" "$fmt"
	grep -q "plain.example.test" "$TMPD/$fmt.out" || fail "$fmt: names not shown"
	grep -q "evil" "$TMPD/$fmt.out" || fail "$fmt: the process with the hostile file name not shown"
done

# the interactive view, its raw output captured by script(1)
tm() { tmux -L "$TM_SOCK" "$@"; }
tm new-session -d -s ui -x 200 -y 40 \
	"env LANG=C.UTF-8 TERM=screen script -q -f -c 'ip netns exec $(nsname a) $FLOWTOP -U -G -s -t 0.3' $TMPD/raw; sleep 600" ||
	fail "cannot start tmux"
wait_for 15 eval 'tm capture-pane -p -t ui | grep -q "plain.example.test"' || {
	send
	wait_for 15 eval 'tm capture-pane -p -t ui | grep -q "plain.example.test"' ||
		fail "the view shows no names: $(tm capture-pane -p -t ui)"
}
send
sleep 2
tm capture-pane -p -t ui >"$TMPD/screen"
title=$(tm display -p -t ui '#{pane_title}')
case $title in *PWNED*) fail "a name set the terminal title: '$title'" ;; esac
$PY - "$TMPD/raw" <<-'EOF2' || fail "hostile bytes reached the terminal (see above)"
import sys
raw = open(sys.argv[1], "rb").read()
for bad in (b"\x1b]0;PWNED", b"\x1b[2Jy", b"\xff\xfe", b"\xc0\xaf", b"\xc2\x9b", b"\x9b31m", b"\x07x"):
    if bad in raw:
        sys.exit("raw terminal output holds %r" % bad)
print("raw view output: %d bytes, none of the hostile sequences" % len(raw))
EOF2
grep -q "example.test" "$TMPD/screen" || fail "the view shows no names"
tm send-keys -t ui q
pass "PTR names (escapes, bad UTF-8, 10 kB) and process names (prctl, file name) clean in JSON, CSV, text and the view"
