#!/bin/bash
# Broken GeoIP databases at start: truncated, empty, random bytes, a valid
# header over a corrupt search tree, the wrong database type, a
# directory, a FIFO and a 2 GiB sparse file in a database's place. Each
# gives one notice naming the file and what is wrong; flowtop runs on
# (exit 0, snapshots) with the good database listed after it, and never
# hangs or crashes. geo_lookup (the same code) agrees.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
require_tool geo_lookup
perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null ||
	fail "libmaxmind-db-writer-perl missing: run scripts/install-deps.sh --test"

GEO=$TMPD/geo
mkdir -p "$GEO" "$TMPD/conf"
perl "$TOP/tests/tools/geo_make_db.pl" "$GEO/good.mmdb" flat || fail "perl writer"
perl "$TOP/tests/tools/geo_make_db.pl" "$TMPD/nested.mmdb" nested || fail "perl writer"
perl "$TOP/tests/tools/geo_make_db.pl" "$TMPD/other.mmdb" other || fail "perl writer"

pair_setup
addr b vb 198.51.100.7/32
route a 198.51.100.7/32 dev va
serve b $TRAFFIC udp-echo 198.51.100.7 5001

size=$(stat -c %s "$TMPD/nested.mmdb")
# make KIND: $GEO/bad.mmdb of that kind; TYPE: the type the conf expects
make_bad() {
	rm -rf "$GEO/bad.mmdb"
	TYPE=
	case $1 in
	truncated) head -c $((size / 2)) "$TMPD/nested.mmdb" >"$GEO/bad.mmdb" ;;
	empty) : >"$GEO/bad.mmdb" ;;
	random) head -c 65536 /dev/urandom >"$GEO/bad.mmdb" ;;
	corrupt-tree)
		# the search tree starts the file: records pointing far past
		# its end, metadata left intact
		cp "$TMPD/nested.mmdb" "$GEO/bad.mmdb"
		printf '\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff' |
			dd of="$GEO/bad.mmdb" bs=1 seek=60 conv=notrunc status=none ;;
	wrong-type) cp "$TMPD/other.mmdb" "$GEO/bad.mmdb"; TYPE=FlowtopTest-* ;;
	directory) mkdir "$GEO/bad.mmdb" ;;
	fifo) mkfifo "$GEO/bad.mmdb" ;;
	sparse-2g) truncate -s 2G "$GEO/bad.mmdb" ;;
	esac
	printf 'path %s\ndatabase bad.mmdb %s\ndatabase good.mmdb\n' "$GEO" "$TYPE" \
		>"$TMPD/conf/geoip.conf"
}

for kind in truncated empty random corrupt-tree wrong-type directory fifo sparse-2g; do
	make_bad $kind
	ns a $TRAFFIC udp-send 192.0.2.1 40001 198.51.100.7 5001 1 10 >/dev/null ||
		fail "test traffic failed"
	rc=0
	timeout -k 5 30 ip netns exec "$(nsname a)" "$FLOWTOP" --batch --count 2 \
		-t 0.1 --wait 1 --output json -U -n --conf-dir "$TMPD/conf" \
		>"$TMPD/out" 2>"$TMPD/err" </dev/null || rc=$?
	[ "$rc" -eq 0 ] || fail "$kind: exit $rc; stderr: $(head -c 600 "$TMPD/err")"
	grep -q "bad.mmdb unusable: " "$TMPD/err" ||
		fail "$kind: no notice for the bad database: $(cat "$TMPD/err")"
	$FTJSON last "$TMPD/out" >"$TMPD/last" || fail "$kind: no JSON snapshot"
	got=$(json_get "$TMPD/last" proto=udp sport=40001 -- dst_country dst_city)
	[ "$got" = "PT Atlantis" ] || fail "$kind: the good database after the bad one: '$got'"
	log "$kind: $(grep -o 'bad.mmdb unusable: [^;]*' "$TMPD/err")"
	[ -d "$GEO/bad.mmdb" ] || [ -p "$GEO/bad.mmdb" ] || [ $kind = wrong-type ] || {
		rc=0
		"$TOOLS/geo_lookup" "$GEO/bad.mmdb" -- 192.0.2.1 >/dev/null 2>&1 || rc=$?
		[ "$rc" -eq 1 ] || fail "$kind: geo_lookup exit $rc, want 1 (no database)"
	}
done
case "$(grep -o 'bad.mmdb unusable: [^;]*' "$TMPD/err")" in
*"larger than"*) ;;
*) fail "sparse-2g: not refused for its size" ;;
esac
pass "truncated, empty, random, corrupt tree, wrong type, directory, FIFO and 2 GiB databases: one notice each, the good one still used"
