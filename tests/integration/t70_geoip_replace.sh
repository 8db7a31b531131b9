#!/bin/bash
# A GeoIP database changed under a running flowtop: truncated in place
# (a mapped file would raise SIGBUS), rewritten in place with a pause
# half-way (must not be read half-written), replaced atomically by a
# `flowtop -u` run by another process. flowtop keeps running, serves the
# copy it read before until the file is whole again, then the new data.
# SIGUSR1 reloads in every mode; SIGHUP reloads in headless mode
# (--batch --output none) and still ends batch output and the view.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null ||
	fail "libmaxmind-db-writer-perl missing: run scripts/install-deps.sh --test"
command -v tmux >/dev/null || fail "tmux not installed (scripts/install-deps.sh --test)"

TM_SOCK="ft-$$"
trap 'rc=$?; set +e; tmux -L "$TM_SOCK" kill-server 2>/dev/null; (exit $rc); _cleanup' EXIT

GEO=$TMPD/geo
SRV=$TMPD/srv
mkdir -p "$GEO" "$SRV" "$TMPD/conf"
perl "$TOP/tests/tools/geo_make_db.pl" "$TMPD/v1.mmdb" nested 1 || fail "perl writer"
perl "$TOP/tests/tools/geo_make_db.pl" "$TMPD/v2.mmdb" nested 2 || fail "perl writer"
# the mirror serves version 1 again: -u switches back from version 2
cp "$TMPD/v1.mmdb" "$SRV/good.mmdb"
cp "$TMPD/v1.mmdb" "$GEO/test.mmdb"
cat >"$TMPD/conf/geoip.conf" <<EOF2
path $GEO
database test.mmdb FlowtopTest-*
mirror test.mmdb http://127.0.0.1:8080/good.mmdb
timeout 2
EOF2

pair_setup
serve b $TRAFFIC udp-echo 192.0.2.2 5001
ns_add m
serve m $PY "$TOP/tests/tools/geo_http_server.py" 127.0.0.1 8080 "$SRV"

ft_start main a --batch --output json --count 0 -t 0.3 -U -n --conf-dir "$TMPD/conf"
pid=${FT_PID[main]}

# city: dst_city of the test flow in a snapshot taken after a new datagram
city() {
	ns a $TRAFFIC udp-send 192.0.2.1 40001 192.0.2.2 5001 1 10 >/dev/null ||
		fail "test traffic failed"
	ft_sync main 2
	kill -0 "$pid" 2>/dev/null || fail "flowtop died; stderr: $(cat "$TMPD/main.err")"
	json_get "$(ft_last main)" proto=udp sport=40001 -- dst_city
}
reloads() { grep -c "GeoIP database .*test.mmdb (re)loaded" "$TMPD/$1.err" || true; }
refusals() { grep -c "test.mmdb unusable: .*still using the copy read before" "$TMPD/$1.err" || true; }
# want_city N CITY WHAT: the city stays CITY while the watcher looks at the
# changed file (it lets a change settle for one check, 2 s, then tries it)
# until it refused it (notice N+1: it never tries that file again), and
# after; 15 s at most
want_city() {
	local i got n0=$1
	shift
	for i in $(seq 30); do
		got=$(city)
		[ "$got" = "$1" ] || fail "$2: city '$got', want '$1'; stderr: $(cat "$TMPD/main.err")"
		if [ "$(refusals main)" -gt "$n0" ]; then
			got=$(city)
			[ "$got" = "$1" ] || fail "$2: city '$got' after the refusal, want '$1'; stderr: $(cat "$TMPD/main.err")"
			return 0
		fi
		sleep 0.2
	done
	fail "$2: the changed file was not refused within 15 s; stderr: $(cat "$TMPD/main.err")"
}
# until_city CITY WHAT: the city becomes CITY within 15 s
until_city() {
	local i got
	for i in $(seq 50); do
		got=$(city)
		[ "$got" = "$1" ] && return 0
		sleep 0.2
	done
	fail "$2: city still '$got' after 15 s, want '$1'; stderr: $(cat "$TMPD/main.err")"
}

[ "$(city)" = Gotham ] || fail "first lookups: city '$(city)', want Gotham"
ino=$(stat -c %i "$GEO/test.mmdb")

# 1. truncated in place (same inode): with the file mapped, the next
# lookup past the new end would be SIGBUS
n=$(refusals main)
truncate -s 300 "$GEO/test.mmdb"
want_city "$n" Gotham "truncated in place"
grep -q "test.mmdb unusable: .*still using the copy read before" "$TMPD/main.err" ||
	fail "no notice for the truncated database: $(cat "$TMPD/main.err")"
log "truncated in place: old data served, notice given"

# 2. rewritten in place with a pause half-way, then completed
size=$(stat -c %s "$TMPD/v2.mmdb")
n=$(refusals main)
head -c $((size / 2)) "$TMPD/v2.mmdb" >"$GEO/test.mmdb"
want_city "$n" Gotham "half rewritten in place"
cat "$TMPD/v2.mmdb" >"$GEO/test.mmdb"
[ "$(stat -c %i "$GEO/test.mmdb")" = "$ino" ] || fail "test bug: the rewrite was not in place"
until_city Metropolis "rewritten in place"
log "rewritten in place: half file refused, whole file taken"

# 3. replaced atomically by flowtop -u in another process
ns m "$FLOWTOP" -u --conf-dir "$TMPD/conf" >"$TMPD/u.out" 2>"$TMPD/u.err" ||
	fail "flowtop -u failed: $(cat "$TMPD/u.err")"
[ "$(stat -c %i "$GEO/test.mmdb")" != "$ino" ] || fail "test bug: -u did not replace the file"
until_city Gotham "replaced by flowtop -u"
log "replaced by flowtop -u: new data served"

# 4. SIGUSR1: every database reloaded at once, flowtop runs on
n=$(reloads main)
kill -USR1 "$pid"
wait_for 10 eval '[ "$(reloads main)" -gt "$n" ]' ||
	fail "no reload after SIGUSR1: $(cat "$TMPD/main.err")"
[ "$(city)" = Gotham ] || fail "after SIGUSR1: city '$(city)'"
# SIGHUP still ends batch output (the terminal went away)
ft_stop main HUP
[ "$FT_RC" -eq 0 ] || fail "flowtop exited $FT_RC after SIGHUP; stderr: $(cat "$TMPD/main.err")"
log "SIGUSR1 reloads, SIGHUP ends --batch --output json"

# 5. headless (--batch --output none, exporting IPFIX): SIGHUP and SIGUSR1
# reload
serve a $TRAFFIC udp-echo 127.0.0.1 4739	# the IPFIX collector
ft_launch svc a --batch --output none --count 0 --ipfix 127.0.0.1:4739 \
	-t 0.3 -U -n --conf-dir "$TMPD/conf"
spid=${FT_PID[svc]}
wait_for 15 grep -q "exporting IPFIX" "$TMPD/svc.err" ||
	fail "headless flowtop did not start: $(cat "$TMPD/svc.err")"
for sig in HUP USR1; do
	n=$(reloads svc)
	kill "-$sig" "$spid"
	wait_for 10 eval '[ "$(reloads svc)" -gt "$n" ]' ||
		fail "headless: no reload after SIG$sig: $(cat "$TMPD/svc.err")"
	kill -0 "$spid" 2>/dev/null || fail "headless flowtop ended on SIG$sig"
done
# after two reloads its first load is long done: it must not have failed
grep -q "test.mmdb unusable" "$TMPD/svc.err" &&
	fail "headless flowtop could not load the database: $(cat "$TMPD/svc.err")"
ft_stop svc TERM
[ "$FT_RC" -eq 0 ] || fail "headless flowtop exited $FT_RC after SIGTERM"
log "headless: SIGHUP and SIGUSR1 reload, SIGTERM ends"

# 6. interactive view: SIGUSR1 reloads; the notice of a truncated database
# is the footer's status line, not a write over the screen, and reaches
# stderr when the view ends; it does not end the view, SIGHUP does
tm() { tmux -L "$TM_SOCK" "$@"; }
tm new-session -d -s ui -x 120 -y 30 \
	"env LANG=C.UTF-8 TERM=screen ip netns exec $(nsname a) $FLOWTOP -n -t 0.3 --conf-dir $TMPD/conf 2>$TMPD/ui.err; echo FLOWTOP-EXIT=\$?; sleep 600" ||
	fail "cannot start tmux"
wait_for 15 eval 'tm capture-pane -p -t ui | grep -qE "flowtop .*flows [0-9]+/[0-9]+"' ||
	fail "the view did not start: $(tm capture-pane -p -t ui)"
upid=$(ip netns pids "$(nsname a)" | while read -r p; do
	[ "$(cat /proc/"$p"/comm 2>/dev/null)" = flowtop ] && echo "$p"
done | head -1)
[ -n "$upid" ] || fail "the view's pid not found"
truncate -s 100 "$GEO/test.mmdb"
kill -USR1 "$upid"
# the last of the pane's 30 rows is the footer
wait_for 10 eval 'tm capture-pane -p -t ui | sed -n 30p | grep -q "GeoIP database .*test.mmdb unusable"' ||
	fail "no status line for the truncated database: $(tm capture-pane -p -t ui)"
kill -0 "$upid" 2>/dev/null || fail "the view ended on SIGUSR1 / a truncated database: $(tm capture-pane -p -t ui)"
[ "$(tm capture-pane -p -t ui | grep -c "GeoIP\|FLOWTOP-EXIT")" -eq 1 ] ||
	fail "notice written over the view, or exit: $(tm capture-pane -p -t ui)"
! grep -q GeoIP "$TMPD/ui.err" || fail "stderr written while the view ran: $(cat "$TMPD/ui.err")"
kill -HUP "$upid"
wait_for 10 eval 'tm capture-pane -p -t ui | grep -q "FLOWTOP-EXIT=0"' ||
	fail "the view did not end with status 0 on SIGHUP: $(tm capture-pane -p -t ui)"
grep -q "^flowtop: GeoIP database .*test.mmdb unusable" "$TMPD/ui.err" ||
	fail "the view's notice did not reach stderr at its end: $(cat "$TMPD/ui.err")"
pass "truncated and half-rewritten files never read, rewrite in place and -u picked up, SIGUSR1 (all modes) and SIGHUP (headless) reload"
