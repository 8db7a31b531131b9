#!/bin/bash
# Least privilege (CAPABILITIES in flowtop(8)). After start-up flowtop and
# every one of its threads (/proc/PID/task/*/status) hold exactly the
# documented capabilities in CapEff, CapPrm and CapBnd (CAP_NET_ADMIN;
# CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH too when run as root without
# --user; CAP_BPF before Linux
# 6.5 with kernel.unprivileged_bpf_disabled set and a BPF backend), none
# inheritable or ambient, and NoNewPrivs is 1; with --user the uid, gid and
# groups are the user's. It still works after the drop: known UDP traffic
# counted exactly (slots and lru counter maps and the conntrack backend), a
# destroyed flow seen, a resync after event loss (its dump needs
# CAP_NET_ADMIN at run time) lists every flow, owning processes named (as
# root: root's and nobody's; with --user nobody: nobody's only), the
# sysctls it changed are restored on exit, the interactive view runs and
# quits. A copy of the binary with file capabilities (setcap) works when
# run by an unprivileged user; without cap_setpcap it refuses to start,
# as it does for an unknown --user, before changing any setting.
. "$(dirname "$0")/lib.sh"
require_root
require_flowtop
for t in setcap setpriv tmux; do
	command -v $t >/dev/null ||
		fail "$t not installed (scripts/install-deps.sh --test)"
done
getent passwd nobody >/dev/null || skip "no user 'nobody' on this system"
NOBODY_UID=$(id -u nobody)
NOBODY_GID=$(id -g nobody)
NOBODY_GROUPS=$(id -G nobody | tr ' ' '\n' | sort -n | tr '\n' ' ')

pair_setup acct
serve b $TRAFFIC udp-echo 192.0.2.2 5001
serve b $TRAFFIC udp-echo 2001:db8::2 5001
serve b $TRAFFIC udp-echo 192.0.2.2 5002
serve b $TRAFFIC tcp-server 192.0.2.2 80
# two owners of a flow each: root, and nobody
bg a $TRAFFIC tcp-hold 192.0.2.1 42001 192.0.2.2 80
ROOT_HOLD=$BG_PID
bg a setpriv --reuid="$NOBODY_UID" --regid="$NOBODY_GID" --clear-groups \
	$TRAFFIC tcp-hold 192.0.2.1 42002 192.0.2.2 80
NOBODY_HOLD=$BG_PID
# flowtop turns it on: it must be off again after every run
sysctl_set a net.netfilter.nf_conntrack_timestamp 0

# The documented kept set as a CapEff-style hex mask; $1: BPF backend (1/0),
# $2: root without --user (1/0)
kept_mask() {
	local m=$((1 << 12)) rel maj min	# CAP_NET_ADMIN
	# CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH
	[ "${2:-0}" = 1 ] && m=$((m | (1 << 19) | (1 << 2)))
	rel=$(uname -r)
	maj=${rel%%.*}
	min=${rel#*.}
	min=${min%%[!0-9]*}
	if [ "$1" = 1 ] && { [ "$maj" -lt 6 ] || { [ "$maj" -eq 6 ] && [ "$min" -lt 5 ]; }; } &&
		[ "$(cat /proc/sys/kernel/unprivileged_bpf_disabled)" != 0 ]; then
		m=$((m | (1 << 39)))	# CAP_BPF
	fi
	printf '%016x' "$m"
}

# check_privs WHAT PID BPF [PTRACE]: every thread of PID, uid $PRIV_UID
# and gid $PRIV_GID
check_privs() {
	local what=$1 pid=$2 want threads=0 st f
	want=$(kept_mask "$3" "${4:-0}")
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = flowtop ] ||
		fail "$what: pid $pid is not flowtop"
	for st in /proc/"$pid"/task/*/status; do
		threads=$((threads + 1))
		# shellcheck disable=SC2046
		set -- $(awk '
			/^CapInh:/ { i = $2 } /^CapPrm:/ { p = $2 } /^CapEff:/ { e = $2 }
			/^CapBnd:/ { b = $2 } /^CapAmb:/ { a = $2 } /^NoNewPrivs:/ { n = $2 }
			/^Uid:/ { u = $2 " " $3 " " $4 " " $5 } /^Gid:/ { g = $2 " " $3 " " $4 " " $5 }
			END { print i, p, e, b, a, n, u, g }' "$st")
		f="$what, thread ${st#/proc/$pid/task/}"
		f=${f%/status}
		[ "$2" = "$want" ] || fail "$f: CapPrm $2, want $want"
		[ "$3" = "$want" ] || fail "$f: CapEff $3, want $want"
		[ "$4" = "$want" ] || fail "$f: CapBnd $4, want $want"
		[ "$1" = 0000000000000000 ] || fail "$f: CapInh $1, want none"
		[ "$5" = 0000000000000000 ] || fail "$f: CapAmb $5, want none"
		[ "$6" = 1 ] || fail "$f: NoNewPrivs $6, want 1"
		[ "$7 $8 $9 ${10}" = "$PRIV_UID $PRIV_UID $PRIV_UID $PRIV_UID" ] ||
			fail "$f: uids $7 $8 $9 ${10}, want $PRIV_UID"
		[ "${11} ${12} ${13} ${14}" = "$PRIV_GID $PRIV_GID $PRIV_GID $PRIV_GID" ] ||
			fail "$f: gids ${11} ${12} ${13} ${14}, want $PRIV_GID"
	done
	# the collector and the enrichment workers start after the drop
	[ "$threads" -ge 3 ] || fail "$what: $threads threads, want the workers too"
	log "$what: $threads threads, each with only $want, NoNewPrivs 1, uid $PRIV_UID gid $PRIV_GID"
}

groups_of() {
	awk '/^Groups:/ { $1 = ""; print }' "/proc/$1/status" | tr ' ' '\n' |
		grep . | sort -n | tr '\n' ' '
}

# known_traffic TAG SPORT: 7 datagrams of 100 bytes each way over IPv4 and
# IPv6 from SPORT, seen exactly by flowtop TAG (and by the kernel)
known_traffic() {
	local tag=$1 sp=$2 c s hdr got want snap
	ns a $TRAFFIC udp-send 192.0.2.1 "$sp" 192.0.2.2 5001 7 100 ||
		fail "IPv4 test traffic failed"
	ns a $TRAFFIC udp-send 2001:db8::1 "$sp" 2001:db8::2 5001 7 100 ||
		fail "IPv6 test traffic failed"
	ft_sync "$tag" 2
	snap=$(ft_last "$tag")
	for c in 192.0.2.1 2001:db8::1; do
		hdr=28
		s=192.0.2.2
		case $c in *:*) hdr=48 s=2001:db8::2 ;; esac
		want="7 $((7 * (100 + hdr))) 7 $((7 * (100 + hdr)))"
		got=$(json_get "$snap" proto=udp src=$c sport="$sp" dst=$s dport=5001 -- \
			orig_packets orig_bytes reply_packets reply_bytes)
		[ "$got" = "$want" ] ||
			fail "$tag: flowtop counts '$got' for $c:$sp after the drop, want '$want'"
	done
	log "$tag: known traffic from port $sp counted exactly (IPv4, IPv6)"
}

# owners TAG WANT_ROOT WANT_NOBODY: the pid shown for the two held TCP
# flows ("-" for none), once the asynchronous lookups are in
owners() {
	local tag=$1 got
	_owners() {
		local snap
		snap=$($FTJSON last "$TMPD/$tag.out" 2>/dev/null) || return 1
		echo "$snap" >"$TMPD/$tag.own"
		got="$($FTJSON get "$TMPD/$tag.own" proto=tcp sport=42001 -- pid) $($FTJSON get "$TMPD/$tag.own" proto=tcp sport=42002 -- pid user)"
		[ "$got" = "$2 $3" ]
	}
	wait_for 10 _owners "$@" ||
		fail "$tag: owning processes (root's pid; nobody's pid, user) '$got', want '$2 $3'"
	log "$tag: owners '$got' as documented"
}

stop_and_check_restored() {
	local tag=$1
	ft_stop "$tag" TERM
	[ "$FT_RC" -eq 0 ] || fail "$tag: flowtop exited $FT_RC, want 0; stderr: $(cat "$TMPD/$tag.err")"
	[ "$(sysctl_get a net.netfilter.nf_conntrack_timestamp)" = 0 ] ||
		fail "$tag: nf_conntrack_timestamp not restored on exit (flowtop held only its kept capabilities)"
}

# --- 1. root, default backend and counter map -----------------------------
PRIV_UID=0 PRIV_GID=0
ft_start root a --batch -n -G --output json --count 0 -t 0.1 -U -T
[ "$(sysctl_get a net.netfilter.nf_conntrack_timestamp)" = 1 ] ||
	fail "nf_conntrack_timestamp not turned on: the test cannot see it restored"
bpf=1
grep -q 'conntrack backend' "$TMPD/root.err" && bpf=0
check_privs "root" "${FT_PID[root]}" $bpf 1
known_traffic root 40001
owners root "$ROOT_HOLD" "$NOBODY_HOLD nobody"
# a DESTROY event still reaches the open event socket
ns a conntrack -D -p udp -s 192.0.2.1 --sport 40001 >/dev/null 2>&1 ||
	fail "conntrack -D failed"
ft_sync root 3
snap=$(ft_last root)
[ "$(json_count "$snap" proto=udp src=192.0.2.1 sport=40001)" = 0 ] ||
	fail "root: the destroyed flow is still listed"
stop_and_check_restored root

# --- 2. --user nobody, lru counter map, resync after event loss -----------
PRIV_UID=$NOBODY_UID PRIV_GID=$NOBODY_GID
ft_start usr a --batch -n -G --output json --count 0 -t 0.1 -U -T \
	--user nobody --counter-map lru --netlink-buffer 4096
bpf=1
grep -q 'conntrack backend' "$TMPD/usr.err" && bpf=0
check_privs "--user nobody" "${FT_PID[usr]}" $bpf
[ "$(groups_of "${FT_PID[usr]}")" = "$NOBODY_GROUPS" ] ||
	fail "--user nobody: groups '$(groups_of "${FT_PID[usr]}")', want nobody's '$NOBODY_GROUPS'"
known_traffic usr 40101
owners usr null "$NOBODY_HOLD nobody"
# stopped, it cannot read events: 300 new flows overflow its 4 KiB socket
# buffer, and the resync that follows is a dump (CAP_NET_ADMIN at run time)
r0=$(json_top "$(ft_last usr)" resyncs)
kill -STOP "${FT_PID[usr]}"
ns a $PY "$TOP/tests/tools/fault_udp_flows.py" 192.0.2.1 41000 192.0.2.2 5001 300 1 10 ||
	{ kill -CONT "${FT_PID[usr]}"; fail "300-flow burst failed"; }
kill -CONT "${FT_PID[usr]}"
ft_sync usr 3
snap=$(ft_last usr)
r1=$(json_top "$snap" resyncs)
[ "$r1" -gt "$r0" ] || fail "--user nobody: no resync after the event loss (resyncs $r0 -> $r1)"
$PY - "$snap" <<'PY' || fail "--user nobody: flows after the resync wrong (above)"
import json, sys
snap = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
got = {f["sport"]: f for f in snap["flows"]
       if f["proto"] == "udp" and f["src"] == "192.0.2.1" and 41000 <= f["sport"] < 41300}
if len(got) != 300:
    sys.exit("%d of the 300 burst flows listed after the resync" % len(got))
bad = [p for p, f in got.items()
       if (f["orig_packets"], f["orig_bytes"], f["reply_packets"], f["reply_bytes"]) != (1, 38, 1, 38)]
if bad:
    sys.exit("%d burst flows with counts other than 1/38 each way, e.g. port %d" % (len(bad), bad[0]))
PY
log "--user nobody: resyncs $r0 -> $r1, all 300 burst flows listed with exact counts"
stop_and_check_restored usr

# --- 3. --user nobody, conntrack backend (counters from dumps) ------------
sysctl_set a net.netfilter.nf_conntrack_acct 0
ft_start cta a --batch -n -G --output json --count 0 -t 0.1 -U \
	--user nobody --acct conntrack
check_privs "--user nobody --acct conntrack" "${FT_PID[cta]}" 0
[ "$(sysctl_get a net.netfilter.nf_conntrack_acct)" = 1 ] ||
	fail "conntrack backend: nf_conntrack_acct not turned on"
known_traffic cta 40201
stop_and_check_restored cta
[ "$(sysctl_get a net.netfilter.nf_conntrack_acct)" = 0 ] ||
	fail "conntrack backend as nobody: nf_conntrack_acct not restored on exit"
sysctl_set a net.netfilter.nf_conntrack_acct 1

# --- 4. file capabilities, run by an unprivileged user --------------------
# the copy must be reachable for nobody; flowtop runs from it via setpriv,
# which becomes nobody before the exec (so the file's capabilities count)
chmod 711 "$TMPD"
mkdir -m 755 "$TMPD/bin"
cp "$FLOWTOP" "$TMPD/bin/flowtop"
chmod 755 "$TMPD/bin/flowtop"
# without file capabilities (a file system without security xattrs) this
# part cannot run; the other parts still do
FCAP_SAID=""
if setcap cap_net_admin,cap_bpf,cap_perfmon,cap_setpcap+ep "$TMPD/bin/flowtop"; then
	cp -p "$TMPD/bin/flowtop" "$TMPD/bin/flowtop-nosetpcap"
	setcap cap_net_admin,cap_bpf,cap_perfmon+ep "$TMPD/bin/flowtop-nosetpcap"
	REAL_FLOWTOP=$FLOWTOP
	FLOWTOP=setpriv
	AS_NOBODY=(--reuid="$NOBODY_UID" --regid="$NOBODY_GID" --init-groups)
	ft_start fcap a "${AS_NOBODY[@]}" "$TMPD/bin/flowtop" --batch -n -G \
		--output json --count 0 -t 0.1 -U
	grep -q 'conntrack backend' "$TMPD/fcap.err" &&
		fail "file capabilities: no BPF backend ($(cat "$TMPD/fcap.err")): cap_bpf,cap_perfmon should do"
	check_privs "setcap'd binary run by nobody" "${FT_PID[fcap]}" 1
	known_traffic fcap 40301
	stop_and_check_restored fcap

	# without cap_setpcap the bounding set cannot be emptied: refused at once
	rc=0
	ft a "${AS_NOBODY[@]}" "$TMPD/bin/flowtop-nosetpcap" --batch -n -G --count 1 \
		>"$TMPD/nosetpcap.out" 2>"$TMPD/nosetpcap.err" || rc=$?
	FLOWTOP=$REAL_FLOWTOP
	[ "$rc" = 1 ] || fail "without cap_setpcap: exit $rc, want 1; stderr: $(cat "$TMPD/nosetpcap.err")"
	grep -q "needs cap_setpcap.*CAPABILITIES" "$TMPD/nosetpcap.err" ||
		fail "without cap_setpcap: unclear message: $(cat "$TMPD/nosetpcap.err")"
	[ "$(sysctl_get a net.netfilter.nf_conntrack_timestamp)" = 0 ] ||
		fail "without cap_setpcap: nf_conntrack_timestamp changed although flowtop refused to run"
	FCAP_SAID="setcap'd binary as nobody, "
else
	skip_section "4 file capabilities" "setcap failed (file system without security xattrs?)"
fi

# --- 5. an unknown --user: refused before any change ----------------------
rc=0
ft a --batch -n -G --count 1 --user "ftnosuch$$" >/dev/null 2>"$TMPD/nouser.err" || rc=$?
[ "$rc" = 1 ] || fail "unknown --user: exit $rc, want 1"
grep -q "ftnosuch$$: no such user" "$TMPD/nouser.err" ||
	fail "unknown --user: unclear message: $(cat "$TMPD/nouser.err")"
[ "$(sysctl_get a net.netfilter.nf_conntrack_timestamp)" = 0 ] ||
	fail "unknown --user: nf_conntrack_timestamp changed"

# --- 6. the interactive view as nobody ------------------------------------
ns a conntrack -F >/dev/null 2>&1	# the rows of before, off the screen
TM_SOCK="ft80-$$"
trap 'rc=$?; set +e; tmux -L "$TM_SOCK" kill-server 2>/dev/null; (exit $rc); _cleanup' EXIT
tm() { tmux -L "$TM_SOCK" "$@"; }
tm new-session -d -s ui -x 120 -y 30 \
	"env LANG=C.UTF-8 TERM=screen ip netns exec $(nsname a) $FLOWTOP -n -G -t 0.3 -U --user nobody 2>$TMPD/ui.err; echo FLOWTOP-EXIT=\$?; sleep 600" ||
	fail "cannot start tmux"
ui_has() { tm capture-pane -p -t ui | grep -qE -- "$1"; }
wait_for 15 ui_has "flowtop .*flows [0-9]+" ||
	fail "the view did not start as nobody: $(tm capture-pane -p -t ui | head -5) $(cat "$TMPD/ui.err")"
pid=$(ip netns pids "$(nsname a)" | while read -r p; do
	[ "$(cat /proc/"$p"/comm 2>/dev/null)" = flowtop ] && echo "$p"
done | head -1)
[ -n "$pid" ] || fail "the view's pid not found"
PRIV_UID=$NOBODY_UID PRIV_GID=$NOBODY_GID
check_privs "interactive view, --user nobody" "$pid" $bpf
ns a $TRAFFIC udp-send 192.0.2.1 40401 192.0.2.2 5002 3 100 || fail "UI traffic failed"
wait_for 10 ui_has " udp .* 5002 " ||
	fail "the view shows no flow to port 5002: $(tm capture-pane -p -t ui)"
tm send-keys -t ui q
wait_for 10 ui_has "FLOWTOP-EXIT=" || fail "the view did not quit on q"
ui_has "FLOWTOP-EXIT=0" || fail "the view exited $(tm capture-pane -p -t ui | grep FLOWTOP-EXIT), want 0"
[ "$(sysctl_get a net.netfilter.nf_conntrack_timestamp)" = 0 ] ||
	fail "the view as nobody did not restore nf_conntrack_timestamp"

pass "only $(kept_mask 1 1) as root, $(kept_mask 1) otherwise (CapEff/CapPrm/CapBnd, every thread), NoNewPrivs 1; root, --user nobody (lru, resync, conntrack backend, owners), ${FCAP_SAID}the view all count exactly and restore the sysctls"
