#!/bin/bash
# Service names: tcp.conf / udp.conf from --conf-dir first (netsniff-ng's
# "port, name" format), /etc/services for the rest; each malformed line is
# reported as file:line and skipped, the good lines still count.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop

mkdir -p "$TMPD/conf"
cat >"$TMPD/conf/tcp.conf" <<'EOF2'
# test services
7001, ft-test-web
abc, bad-port
70000, too-big
7002 no-comma
7003,
7004, two words
EOF2
printf '7001, ft-test-udp   # trailing comment\n' >"$TMPD/conf/udp.conf"

pair_setup
serve b $TRAFFIC tcp-server 192.0.2.2 7001
serve b $TRAFFIC tcp-server 192.0.2.2 80
serve b $TRAFFIC udp-echo 192.0.2.2 7001
serve b $TRAFFIC udp-echo 192.0.2.2 53

ft_start main a --batch --output json --count 0 -t 0.3 -T -U -n -G --conf-dir "$TMPD/conf"
ns a $TRAFFIC tcp-send 192.0.2.1 41001 192.0.2.2 7001 100 || fail "tcp 7001"
ns a $TRAFFIC tcp-send 192.0.2.1 41002 192.0.2.2 80 100 || fail "tcp 80"
ns a $TRAFFIC udp-send 192.0.2.1 41003 192.0.2.2 7001 1 10 || fail "udp 7001"
ns a $TRAFFIC udp-send 192.0.2.1 41004 192.0.2.2 53 1 10 || fail "udp 53"
ft_sync main 2
snap=$(ft_last main)
ft_stop main

want() {
	local got
	got=$(json_get "$snap" proto="$1" sport="$2" -- sport_service dport_service)
	[ "$got" = "$3" ] || fail "$1 sport $2: services '$got', want '$3'"
}
want tcp 41001 "null ft-test-web"	# from --conf-dir tcp.conf
want tcp 41002 "null http"		# not in tcp.conf: /etc/services
want udp 41003 "null ft-test-udp"	# udp.conf, comment stripped
want udp 41004 "null domain"		# /etc/services

conf=$TMPD/conf/tcp.conf
for l in 3 4 5 6 7; do
	grep -q "^flowtop: $conf:$l: .*skipped" "$TMPD/main.err" ||
		fail "malformed line $l of tcp.conf not reported; stderr: $(cat "$TMPD/main.err")"
done
[ "$(grep -c "$conf" "$TMPD/main.err")" -eq 5 ] || fail "good lines reported as malformed: $(cat "$TMPD/main.err")"
pass "conf files first, /etc/services next, 5 malformed lines reported with file:line"
