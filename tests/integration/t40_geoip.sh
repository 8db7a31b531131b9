#!/bin/bash
# GeoIP in flowtop's output: three generated databases (MaxMind nested
# layout, ip-location-db flat layout, flat ASN) map documentation ranges to
# invented places; flowtop's JSON must show them for both ends of each
# flow, the country name from iso-codes where the database has only a code,
# the AS organisation sanitized. -G turns it off; a missing and a corrupt
# database give a notice and flowtop runs on.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null ||
	fail "libmaxmind-db-writer-perl missing: run scripts/install-deps.sh --test"

GEO=$TMPD/geo
mkdir -p "$GEO" "$TMPD/conf"
for l in nested flat asn; do
	perl "$TOP/tests/tools/geo_make_db.pl" "$GEO/$l.mmdb" $l || fail "perl writer ($l)"
done
cat >"$TMPD/conf/geoip.conf" <<EOF2
path $GEO
database nested.mmdb
database flat.mmdb
database asn.mmdb
EOF2

pair_setup
addr b vb 198.51.100.7/32
addr b vb 203.0.113.9/32
route a 198.51.100.7/32 dev va
route a 203.0.113.9/32 dev va
for a in 192.0.2.2 198.51.100.7 203.0.113.9 2001:db8::2; do
	serve b $TRAFFIC udp-echo "$a" 5001
done

traffic() {
	ns a $TRAFFIC udp-send 192.0.2.1 40001 192.0.2.2 5001 1 10 &&
	ns a $TRAFFIC udp-send 192.0.2.1 40002 198.51.100.7 5001 1 10 &&
	ns a $TRAFFIC udp-send 192.0.2.1 40003 203.0.113.9 5001 1 10 &&
	ns a $TRAFFIC udp-send 2001:db8::1 40004 2001:db8::2 5001 1 10 ||
		fail "test traffic failed"
}

ft_start main a --batch --output json --count 0 -t 0.3 -U -n --conf-dir "$TMPD/conf"
traffic
ft_sync main 2
snap=$(ft_last main)
ft_stop main
[ "$FT_RC" -eq 0 ] || fail "flowtop exited $FT_RC; stderr: $(cat "$TMPD/main.err")"

F="src_country src_country_name src_city dst_country dst_country_name dst_city"
want() {
	local got
	got=$(json_get "$snap" proto=udp sport="$1" -- $2)
	[ "$got" = "$3" ] || fail "sport $1: $2 = '$got', want '$3'"
}
want 40001 "$F" "NZ Invented Zealand Gotham NZ Invented Zealand Gotham"
want 40002 "dst_country dst_country_name dst_city dst_asn" "PT Portugal Atlantis null"
want 40003 "dst_asn dst_as_org dst_country" "64500 Example? Networks null"
want 40004 "$F" "IS Iceland-Test Springfield IS Iceland-Test Springfield"
want 40002 "src_asn src_as_org" "null null"

# -G: no GeoIP at all
ft_start off a --batch --output json --count 0 -t 0.3 -U -n -G --conf-dir "$TMPD/conf"
traffic
ft_sync off 2
snap=$(ft_last off)
ft_stop off
want 40001 "$F dst_asn" "null null null null null null null"

# a missing and a corrupt database: a notice each, the good one still used
head -c 4096 /dev/urandom >"$GEO/corrupt.mmdb"
cat >"$TMPD/conf/geoip.conf" <<EOF2
path $GEO
database nosuch.mmdb
database corrupt.mmdb
database flat.mmdb
EOF2
ft_start bad a --batch --output json --count 0 -t 0.3 -U -n --conf-dir "$TMPD/conf"
traffic
ft_sync bad 2
snap=$(ft_last bad)
ft_stop bad
[ "$FT_RC" -eq 0 ] || fail "flowtop exited $FT_RC with a bad database"
grep -q "nosuch.mmdb not found" "$TMPD/bad.err" || fail "no notice for the missing database: $(cat "$TMPD/bad.err")"
grep -q "corrupt.mmdb unusable" "$TMPD/bad.err" || fail "no notice for the corrupt database: $(cat "$TMPD/bad.err")"
want 40002 "dst_country dst_city" "PT Atlantis"
want 40001 "dst_country" "null"
pass "both layouts, iso-codes names, ASN sanitized, -G off, bad databases skipped with a notice"
