#!/bin/bash
# flowtop -u: a local HTTP mirror (127.0.0.1 in a test namespace) serves a
# newer test database plain, as a .gz file and with gzip transport
# encoding: each replaces the old file. Corrupt, truncated, cut-short,
# broken gzip, wrong database type, 404 and stalled downloads each fail
# with exit 1 and leave the old file byte for byte as it was, with no
# temporary file left behind. A failing first mirror falls through to the
# next one. On a terminal a progress line is shown.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
require_tool geo_lookup
perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null ||
	fail "libmaxmind-db-writer-perl missing: run scripts/install-deps.sh --test"

GEO=$TMPD/geo
SRV=$TMPD/srv
mkdir -p "$GEO" "$SRV" "$TMPD/conf"
perl "$TOP/tests/tools/geo_make_db.pl" "$TMPD/old.mmdb" nested 1 || fail "perl writer"
perl "$TOP/tests/tools/geo_make_db.pl" "$SRV/good.mmdb" nested 2 || fail "perl writer"
perl "$TOP/tests/tools/geo_make_db.pl" "$SRV/other.mmdb" other || fail "perl writer"

ns_add m
serve m $PY "$TOP/tests/tools/geo_http_server.py" 127.0.0.1 8080 "$SRV"
URL=http://127.0.0.1:8080

# conf MIRROR-PATH...: geoip.conf whose one database has these mirrors
conf() {
	{
		echo "path $GEO"
		echo "database test.mmdb FlowtopTest-*"
		for m in "$@"; do echo "mirror test.mmdb $URL$m"; done
		echo "timeout 2"
	} >"$TMPD/conf/geoip.conf"
}
update() { ns m "$FLOWTOP" -u --conf-dir "$TMPD/conf" >"$TMPD/u.out" 2>"$TMPD/u.err"; }
city() { "$TOOLS/geo_lookup" "$GEO/test.mmdb" -- 192.0.2.1 | cut -f4; }
no_temp() { [ -z "$(ls -A "$GEO" | grep -v '^test\.mmdb$')" ]; }

for bad in /corrupt.mmdb /truncated.mmdb /short.mmdb /badgzip.mmdb.gz \
	/wrongtype.mmdb /missing.mmdb /stall.mmdb; do
	cp "$TMPD/old.mmdb" "$GEO/test.mmdb"
	conf "$bad"
	rc=0
	update || rc=$?
	[ "$rc" -eq 1 ] || fail "-u with mirror $bad exited $rc, want 1; stderr: $(cat "$TMPD/u.err")"
	cmp -s "$TMPD/old.mmdb" "$GEO/test.mmdb" || fail "-u with mirror $bad changed the database"
	no_temp || fail "-u with mirror $bad left files behind: $(ls -A "$GEO")"
	grep -q "every mirror of test.mmdb failed" "$TMPD/u.err" ||
		fail "-u with mirror $bad: no clear error: $(cat "$TMPD/u.err")"
	log "$bad: $(grep 'download from' "$TMPD/u.err" | sed 's/.*failed: //')"
done
[ "$(city)" = Gotham ] || fail "old database unreadable after the failures"

for good in /good.mmdb /good.mmdb.gz /transport.mmdb; do
	cp "$TMPD/old.mmdb" "$GEO/test.mmdb"
	conf "$good"
	update || fail "-u with mirror $good failed: $(cat "$TMPD/u.err")"
	cmp -s "$SRV/good.mmdb" "$GEO/test.mmdb" || fail "-u with mirror $good did not install the new database"
	[ "$(city)" = Metropolis ] || fail "-u with mirror $good: lookups give '$(city)'"
	no_temp || fail "-u with mirror $good left files behind: $(ls -A "$GEO")"
done

# fall through: 404, then corrupt, then good
cp "$TMPD/old.mmdb" "$GEO/test.mmdb"
conf /missing.mmdb /corrupt.mmdb /good.mmdb
update || fail "-u with a good third mirror failed: $(cat "$TMPD/u.err")"
[ "$(city)" = Metropolis ] || fail "third mirror not used"
grep -q "HTTP 404" "$TMPD/u.err" || fail "a 404 is not reported as such: $(cat "$TMPD/u.err")"

# a missing database is downloaded into the first path directory
rm -f "$GEO/test.mmdb"
conf /good.mmdb
update || fail "-u without an old file failed: $(cat "$TMPD/u.err")"
[ "$(city)" = Metropolis ] || fail "new database not installed"

# progress line on a terminal (script(1) gives flowtop a pty)
if command -v script >/dev/null; then
	cp "$TMPD/old.mmdb" "$GEO/test.mmdb"
	ns m script -qec "$FLOWTOP -u --conf-dir $TMPD/conf" "$TMPD/tty.out" >/dev/null ||
		fail "-u on a terminal failed: $(cat "$TMPD/tty.out")"
	grep -q 'test.mmdb: .*MiB' "$TMPD/tty.out" || fail "no progress line on a terminal"
	grep -q 'MiB' "$TMPD/u.err" && fail "progress line written to a non-terminal"
fi
# libcurl is opened by -u only: a running flowtop does not map it, and -u
# without it says so and leaves the database alone. The library is hidden
# by a bind mount in a private mount namespace of this command only.
ft_start run m --batch -n --output json --count 0 -t 0.5
grep -q 'libcurl' "/proc/${FT_PID[run]}/maps" &&
	fail "a flowtop that does not download maps libcurl"
ft_stop run TERM
# libcurl is a dependency (scripts/install-deps.sh): a machine without it
# cannot run this case, and must not pass it unrun
curl_lib=$(readlink -f "$(ldconfig -p | sed -n 's/^[[:space:]]*libcurl\.so\.4 (.*x86-64.*) => //p' | head -1)")
[ -f "$curl_lib" ] || fail "libcurl.so.4 not found through ldconfig (make deps): the no-libcurl case cannot run"
command -v unshare >/dev/null || fail "unshare (util-linux) not installed: the no-libcurl case cannot run"
cp "$TMPD/old.mmdb" "$GEO/test.mmdb"
conf /good.mmdb
rc=0
unshare -m --propagation private sh -c \
	'mount --bind /dev/null "$1" && shift && exec "$@"' sh "$curl_lib" \
	"$FLOWTOP" -u --conf-dir "$TMPD/conf" >"$TMPD/u.out" 2>"$TMPD/u.err" || rc=$?
[ "$rc" -eq 1 ] || fail "-u without libcurl exited $rc, want 1; stderr: $(cat "$TMPD/u.err")"
grep -q "libcurl, which cannot be loaded" "$TMPD/u.err" ||
	fail "-u without libcurl: no clear error: $(cat "$TMPD/u.err")"
cmp -s "$TMPD/old.mmdb" "$GEO/test.mmdb" || fail "-u without libcurl changed the database"
no_temp || fail "-u without libcurl left files behind: $(ls -A "$GEO")"
pass "3 good kinds replace, 7 failure kinds keep the old file, mirrors fall through, libcurl only for -u"
