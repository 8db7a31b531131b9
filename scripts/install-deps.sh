#!/bin/sh
# Install the Debian 12 packages that building, running and testing flowtop
# need. Only what is missing is installed; safe to run again.
set -eu

# build: compiler for the BPF object, skeleton generator, libraries
BUILD_PKGS="make gcc clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev
	libnetfilter-conntrack-dev libmnl-dev libncurses-dev libmaxminddb-dev
	libfixbuf-dev pkg-config"
# run: conntrack netlink needs the kernel only; these help users and tests
RUN_PKGS="iproute2 nftables conntrack procps"
# test: unit test framework, traffic tools, SCTP packet crafting
TEST_PKGS="libcmocka-dev python3 python3-scapy tmux nfdump"

# enrichment: c-ares (reverse DNS), libcurl (GeoIP -u), iso-codes (country
# names); tests write MaxMind DB files with perl (their DNS server is a
# small python script: it must serve names with raw escape bytes, which
# dnsmasq refuses)
BUILD_PKGS="$BUILD_PKGS libc-ares-dev libcurl4-openssl-dev"
# least privilege: libcap-ng drops capabilities after start-up; the tests
# run flowtop from a copy with file capabilities (setcap)
BUILD_PKGS="$BUILD_PKGS libcap-ng-dev"
TEST_PKGS="$TEST_PKGS libcap2-bin"
RUN_PKGS="$RUN_PKGS iso-codes"
TEST_PKGS="$TEST_PKGS libmaxmind-db-writer-perl"
# the view's key test keeps a virtual screen of flowtop's output (pyte)
TEST_PKGS="$TEST_PKGS python3-pyte"
# fault tests: strace holds flowtop at chosen moments of its start-up
TEST_PKGS="$TEST_PKGS strace"
# fuzz targets (make fuzz, tests/integration/t90_fuzz.sh): libFuzzer's
# runtime for Debian 12's clang 14
TEST_PKGS="$TEST_PKGS libclang-rt-14-dev"

want="$BUILD_PKGS $RUN_PKGS"
[ "${1:-}" = "--test" ] && want="$want $TEST_PKGS"

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing; run as root to install them" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y --no-install-recommends $missing
