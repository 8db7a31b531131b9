#!/bin/bash
# Conf files (tcp.conf, udp.conf, geoip.conf) holding garbage, binary
# data, NUL bytes, a 1 MB line, no final newline, or a directory or FIFO
# in the file's place: flowtop starts, prints its snapshot, says what is
# wrong in a few lines (file:line, no raw control bytes) and exits 0. A
# FIFO used to block start-up for good (open(2) waits for a writer, and
# SIGTERM is blocked for the signalfd). The valid lines of a damaged
# tcp.conf still name their ports.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop

pair_setup
serve b $TRAFFIC udp-echo 192.0.2.2 5001
cp "$FLOWTOP" "$TMPD/flowtop" && FLOWTOP=$TMPD/flowtop

C=$TMPD/conf
# mk KIND: the three conf files of kind KIND in $C
mk() {
	rm -rf "$C"
	mkdir -p "$C"
	local f
	for f in tcp.conf udp.conf geoip.conf; do
		case $1 in
		garbage) printf 'hello world\n%%%%%%\n,,,,\n80 http\n-1, x\n99999999999, y\npath\ndatabase\nmirror a ftp://x\n' >"$C/$f" ;;
		binary) head -c 1000000 /dev/urandom >"$C/$f" ;;
		nul) printf '5001, nu\0l\n\0\0\0\npath /nonexistent\0x\n' >"$C/$f" ;;
		longline) { printf '5001, '; head -c 1048576 /dev/zero | tr '\0' a; printf '\n'; } >"$C/$f" ;;
		nonewline) printf '# no newline at the end\n5001, lastline' >"$C/$f" ;;
		escapes) printf '5001, \033]0;pwned\007\n5002, \033[2Jx\n5003, \xff\xfe\n' >"$C/$f" ;;
		directory) mkdir "$C/$f" ;;
		fifo) mkfifo "$C/$f" ;;
		esac
	done
}

for kind in garbage binary nul longline nonewline escapes directory fifo; do
	mk $kind
	ns a $TRAFFIC udp-send 192.0.2.1 40001 192.0.2.2 5001 1 10 >/dev/null ||
		fail "test traffic failed"
	rc=0
	timeout -k 5 30 ip netns exec "$(nsname a)" "$FLOWTOP" --batch --count 2 \
		-t 0.1 --wait 1 --output json -U -n --conf-dir "$C" >"$TMPD/out" 2>"$TMPD/err" </dev/null || rc=$?
	[ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || fail "$kind: flowtop hung (exit $rc); stderr: $(head -c 400 "$TMPD/err")"
	[ "$rc" -eq 0 ] || fail "$kind: exit $rc; stderr: $(head -c 600 "$TMPD/err" | cat -v)"
	$FTJSON last "$TMPD/out" >"$TMPD/last" || fail "$kind: no JSON snapshot"
	LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$TMPD/err" &&
		fail "$kind: raw control bytes on stderr: $(head -c 300 "$TMPD/err" | cat -v)"
	lines=$(wc -l <"$TMPD/err")
	[ "$lines" -le 40 ] || fail "$kind: $lines lines of messages"
	svc=$(json_get "$TMPD/last" proto=udp sport=40001 -- dport_service)
	case $kind in
	nonewline) [ "$svc" = lastline ] || fail "$kind: the last line without newline was lost (service '$svc')" ;;
	nul) [ "$svc" = nu ] || fail "$kind: service '$svc', want the text before the NUL ('nu')" ;;
	escapes) [ "$svc" = "?" ] || [ "$svc" = null ] ||
		fail "$kind: service '$svc'" ;;
	esac
	case $kind in
	directory) grep -q "udp.conf: Is a directory" "$TMPD/err" || fail "$kind: no clear message: $(cat "$TMPD/err")" ;;
	fifo) grep -q "udp.conf: not a regular file" "$TMPD/err" || fail "$kind: no clear message: $(cat "$TMPD/err")" ;;
	garbage | binary) grep -q "udp.conf:[0-9]*:" "$TMPD/err" || fail "$kind: no file:line message: $(head -5 "$TMPD/err")" ;;
	esac
	log "$kind: exit 0, $lines lines on stderr, udp/5001 = $svc"
done
pass "garbage, binary, NUL, 1 MB line, no final newline, escapes, directory and FIFO conf files: runs, clear short messages"
