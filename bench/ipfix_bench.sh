#!/bin/sh
# IPFIX export cost at 262144 flows (CPU per interval, records/s):
# meter alone, meter + libfixbuf encoding, and over UDP on loopback.
# Figures, not pass/fail.
#
#	bench/ipfix_bench.sh [FLOWS] [ROUNDS]
set -eu
BUILD=${BUILD:-build}
cd "$(dirname "$0")/.."
make -s "$BUILD/bench/ipfix_bench"
exec "$BUILD/bench/ipfix_bench" "${1:-262144}" "${2:-5}"
