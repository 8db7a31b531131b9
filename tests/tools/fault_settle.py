#!/usr/bin/python3
"""Wait until flowtop's JSON snapshots settle, then compare its flow set
with `conntrack -L` in a namespace.

  fault_settle.py OUT_FILE SINCE INTERVAL NETNS TIMEOUT [PROTO...]

OUT_FILE: flowtop --batch --output json --count 0 output (one snapshot a
line, still being written). Waits for two consecutive snapshots, both taken
at least one INTERVAL after SINCE (a time.time() value), whose counters
(events, new/destroyed flows, resyncs, lost events, flows_total) are
identical; then lists the namespace's table (`conntrack -C` before and
after must agree: the table did not change meanwhile) and compares the
flows of the PROTOs (default udp) in the later snapshot with it. The
snapshot after it must carry the same counters too (quiet_after), or a
flow made between the snapshot and the listing could look missing: then
it settles again.

Prints one JSON line (counts, missing/ghost examples). Exit 0 if the sets
are equal, 1 if not, 2 if flowtop did not settle within TIMEOUT seconds.
The big snapshot lines are parsed only once they are chosen.
"""
import json
import subprocess
import sys
import time

STATS = ("events", "new_flows", "destroyed_flows", "resyncs",
         "lost_events", "flows_total")


def stats_of(line):
    """Top-level fields without parsing the (huge) flows array."""
    i = line.find(b'"flows":')
    if i < 0:
        return json.loads(line)
    j = line.rfind(b"]")
    return json.loads(line[:i] + b'"flows": []' + line[j + 1:])


def ct(netns, *args):
    r = subprocess.run(["ip", "netns", "exec", netns, "conntrack"] + list(args),
                       capture_output=True)
    return r.stdout.decode()


def ct_keys(netns, protos):
    keys = set()
    for fam in ("ipv4", "ipv6"):
        for l in ct(netns, "-L", "-f", fam).splitlines():
            t = l.split()
            if not t or t[0] not in protos:
                continue
            kv = {}
            for tok in t[3:]:
                if "=" in tok:
                    k, v = tok.split("=", 1)
                    kv.setdefault(k, v)   # the first one is the original tuple
            keys.add("%s %s %s %s %s %s %s" % (
                fam, t[0], kv["src"], kv["dst"], kv.get("sport", kv.get("type")),
                kv.get("dport", kv.get("id")), kv.get("zone", "0")))
    return keys


def ft_keys(snap, protos):
    keys = set()
    for f in snap["flows"]:
        if f.get("proto") not in protos:
            continue
        a = f.get("sport", f.get("icmp_type"))
        b = f.get("dport", f.get("icmp_id"))
        keys.add("%s %s %s %s %s %s %s" % (f["family"], f["proto"], f["src"],
                                            f["dst"], a, b, f.get("zone") or 0))
    return keys


class Snapshots:
    """flowtop's snapshot lines as they are written: their counters and
    where each line is, parsed whole only once chosen."""

    def __init__(self, path):
        self.path, self.pos, self.snaps = path, 0, []   # (stats, offset, length)

    def poll(self):
        with open(self.path, "rb") as f:
            f.seek(self.pos)
            buf = f.read()
        start = 0
        while True:
            nl = buf.find(b"\n", start)
            if nl < 0:
                break
            try:
                self.snaps.append((stats_of(buf[start:nl]), self.pos + start,
                                   nl - start))
            except ValueError:
                print(json.dumps({"error": "unparsable snapshot at byte %d"
                                  % (self.pos + start)}))
                sys.exit(1)
            start = nl + 1
        self.pos += start

    def load(self, chosen):
        with open(self.path, "rb") as f:
            f.seek(chosen[1])
            return json.loads(f.read(chosen[2]))


def settle(sn, since, interval, deadline, timeout):
    """The later of the first two consecutive snapshots, both taken at least
    an interval after since and after any snapshot seen before this call,
    whose counters are identical."""
    seen = len(sn.snaps)
    while True:
        sn.poll()
        late = [s for s in sn.snaps[seen:]
                if s[0].get("time", 0) >= since + interval]
        if len(late) >= 2 and all(late[-1][0].get(k) == late[-2][0].get(k)
                                  for k in STATS):
            return late[-1]
        if time.monotonic() > deadline:
            print(json.dumps({"error": "flowtop did not settle within %s s"
                              % timeout,
                              "last": sn.snaps[-1][0] if sn.snaps else None}))
            sys.exit(2)
        time.sleep(0.2)


def next_stats(sn, chosen, deadline):
    """Counters of the snapshot after chosen, None past the deadline."""
    while time.monotonic() < deadline:
        sn.poll()
        for s in sn.snaps:
            if s[1] > chosen[1]:
                return s[0]
        time.sleep(0.1)
    return None


def main():
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    path, since, interval, netns, timeout = sys.argv[1:6]
    protos = set(sys.argv[6:] or ["udp"])
    if "udp" in protos:
        protos.add("udplite")
    since, interval = float(since), float(interval)
    deadline = time.monotonic() + float(timeout)
    sn = Snapshots(path)
    # Nothing may have happened between the chosen snapshot and the listing:
    # the next snapshot must carry the same counters. A flow that appeared
    # in that window would make the sets differ for no fault of flowtop's,
    # so settle again; a flow flowtop missed leaves the counters alone and
    # still fails.
    while True:
        chosen = settle(sn, since, interval, deadline, timeout)
        n0 = ct(netns, "-C").strip()
        ctk = ct_keys(netns, protos)
        n1 = ct(netns, "-C").strip()
        nxt = next_stats(sn, chosen, deadline)
        quiet = nxt is not None and all(nxt.get(k) == chosen[0].get(k)
                                        for k in STATS)
        if quiet or time.monotonic() > deadline:
            break
    ftk = ft_keys(sn.load(chosen), protos)
    res = {k: chosen[0].get(k) for k in STATS}
    res.update(snapshots=len(sn.snaps), ft=len(ftk), ct=len(ctk),
               ct_stable=(n0 == n1), quiet_after=quiet,
               missing=len(ctk - ftk), ghosts=len(ftk - ctk),
               missing_examples=sorted(ctk - ftk)[:3],
               ghost_examples=sorted(ftk - ctk)[:3])
    print(json.dumps(res))
    sys.exit(0 if ctk == ftk and n0 == n1 and quiet else 1)


if __name__ == "__main__":
    main()
