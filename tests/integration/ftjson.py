#!/usr/bin/python3
"""Queries on flowtop's --output json snapshots and on conntrack -L output.

  ftjson.py last FILE                        last valid snapshot line
  ftjson.py top FILE FIELD                   a top-level field of it
  ftjson.py flows FILE [F=V ...]             matching flows, one JSON a line
  ftjson.py count FILE [F=V ...]             number of matching flows
  ftjson.py get FILE F=V ... -- FIELD ...    fields of the one matching flow
  ftjson.py keys FILE [F=V ...]              sorted tuple keys (set compare)
  ftjson.py counts FILE [F=V ...]            sorted tuple keys with their four
                                             counters (exact compare)
  ftjson.py ct < conntrack-L-output          conntrack -L [-o extended] as a
                                             flowtop-shaped snapshot line
  ftjson.py groups FILE                      the last --group-by snapshot's
                                             groups, sorted: "key flows
                                             op ob rp rb" (o: orig, r: reply)
  ftjson.py sums FILE KEY [F=V ...]          the same sums over the matching
                                             flows of FILE's last snapshot,
                                             KEY src, net/24,net6/48 or port

Filters compare after normalisation: IP addresses by value, numbers by
value, "null" matches JSON null; a value with a "/" that is a network
(src=198.51.100.0/25) holds the addresses in it. FILE "-" is stdin.
"""
import ipaddress
import json
import sys

ICMP_PROTOS = ("icmp", "icmpv6")


def die(msg):
    print(msg, file=sys.stdout)
    sys.exit(1)


def snapshots(path):
    f = sys.stdin if path == "-" else open(path)
    out = []
    for line in f:
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue  # a line cut short when flowtop was killed
        if isinstance(obj, dict) and "flows" in obj:
            out.append(obj)
    return out


def last(path):
    snaps = snapshots(path)
    if not snaps:
        die("no JSON snapshot in %s" % path)
    return snaps[-1]


def norm(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    s = str(v)
    if s == "null":
        return None
    try:
        return str(ipaddress.ip_address(s))
    except ValueError:
        pass
    try:
        return float(s)
    except ValueError:
        return s


def parse_filters(args):
    flt = []
    for a in args:
        if "=" not in a:
            die("bad filter %r (want FIELD=VALUE)" % a)
        k, v = a.split("=", 1)
        if "/" in v:
            try:
                flt.append((k, ipaddress.ip_network(v, strict=False)))
                continue
            except ValueError:
                pass
        flt.append((k, norm(v)))
    return flt


def match(flow, flt):
    for k, v in flt:
        if isinstance(v, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            try:
                if ipaddress.ip_address(flow.get(k)) not in v:
                    return False
            except ValueError:
                return False
        elif norm(flow.get(k)) != v:
            return False
    return True


def key(flow):
    """The original tuple + zone: what identifies a conntrack entry."""
    k = [flow.get("family"), flow.get("proto"), norm(flow.get("src")),
         norm(flow.get("dst"))]
    if flow.get("proto") in ICMP_PROTOS:
        k += ["type=%s" % flow.get("icmp_type"), "code=%s" % flow.get("icmp_code"),
              "id=%s" % flow.get("icmp_id")]
    else:
        k += ["sport=%s" % flow.get("sport"), "dport=%s" % flow.get("dport")]
    k.append("zone=%s" % (flow.get("zone") or 0))
    return " ".join(str(x) for x in k)


CT_FIELDS = {"src": "src", "dst": "dst", "sport": "sport", "dport": "dport",
             "type": "icmp_type", "code": "icmp_code", "id": "icmp_id",
             "packets": "packets", "bytes": "bytes"}
CT_STATES = {"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
             "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
             "CLOSED", "COOKIE_WAIT", "COOKIE_ECHOED", "SHUTDOWN_SENT",
             "SHUTDOWN_RECD", "SHUTDOWN_ACK_SENT", "HEARTBEAT_SENT",
             "HEARTBEAT_ACKED", "REQUEST", "RESPOND", "PARTOPEN", "OPEN",
             "CLOSEREQ", "CLOSING", "TIMEWAIT", "IGNORE", "INVALID",
             "RETRANS", "UNACK", "MAX"}


def ct_line(line):
    toks = line.split()
    if not toks or toks[0] not in ("ipv4", "ipv6"):
        # plain `conntrack -L` without -o extended has no family column
        if toks and not toks[0].startswith(("ipv", "[")):
            toks = ["ipv4?"] + toks
        else:
            return None
    flow = {"family": toks[0], "proto": toks[2], "state": None,
            "zone": 0, "mark": 0}
    seen = set()
    for t in toks[3:]:
        if t in CT_STATES:
            flow["state"] = t
            continue
        if "=" not in t:
            continue
        k, v = t.split("=", 1)
        if k in ("mark", "zone", "use"):
            flow[k] = int(v)
            continue
        if k not in CT_FIELDS:
            continue
        name = CT_FIELDS[k]
        if k in ("packets", "bytes"):
            name = ("reply_" if "orig_" + k in seen else "orig_") + k
            seen.add(name)
            flow[name] = int(v)
            continue
        if k in seen:
            name = "reply_" + name
        else:
            seen.add(k)
        flow[name] = v if k in ("src", "dst") else int(v)
    if flow["family"] == "ipv4?":
        flow["family"] = "ipv6" if ":" in flow.get("src", "") else "ipv4"
    if flow["proto"] not in ("tcp", "sctp", "dccp"):
        flow["state"] = None
    return flow


COUNTERS = ("orig_packets", "orig_bytes", "reply_packets", "reply_bytes")


def group_of(flow, by):
    if by == "src":
        return flow["src"]
    if by == "net/24,net6/48":
        v6 = ":" in flow["src"]
        return str(ipaddress.ip_network(
            flow["src"] + ("/48" if v6 else "/24"), strict=False))
    if by == "port":
        return "%s/%d" % (flow["proto"], flow["dport"])
    die("sums: no group key %s" % by)


def sums(flows, by):
    out = {}
    for f in flows:
        s = out.setdefault(group_of(f, by), [0] * (1 + len(COUNTERS)))
        s[0] += 1
        for i, c in enumerate(COUNTERS):
            s[i + 1] += f[c]
    for k in sorted(out):
        print(k, *out[k])


def groups(path):
    snap = None
    for line in open(path):
        try:
            obj = json.loads(line)
        except ValueError:
            continue  # a line cut short when flowtop was killed
        if isinstance(obj, dict) and "groups" in obj:
            snap = obj
    if snap is None:
        die("no --group-by snapshot in %s" % path)
    for g in sorted(snap["groups"], key=lambda g: g["key"]):
        print(g["key"], g["flows"], *(g[c] for c in COUNTERS))


def main():
    if len(sys.argv) < 2:
        die(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "ct":
        flows = [f for f in (ct_line(l) for l in sys.stdin) if f]
        print(json.dumps({"acct": "conntrack-L", "flows_total": len(flows),
                          "flows": flows}))
        return
    if not args:
        die(__doc__)
    path, rest = args[0], args[1:]
    if cmd == "groups":
        groups(path)
        return
    snap = last(path)
    if cmd == "sums":
        if not rest:
            die(__doc__)
        flt = parse_filters(rest[1:])
        sums([f for f in snap["flows"] if match(f, flt)], rest[0])
        return
    if cmd == "last":
        print(json.dumps(snap))
        return
    if cmd == "top":
        v = snap.get(rest[0])
        print("null" if v is None else v)
        return
    fields = []
    if "--" in rest:
        i = rest.index("--")
        rest, fields = rest[:i], rest[i + 1:]
    flt = parse_filters(rest)
    flows = [f for f in snap["flows"] if match(f, flt)]
    if cmd == "flows":
        for f in flows:
            print(json.dumps(f, sort_keys=True))
    elif cmd == "count":
        print(len(flows))
    elif cmd == "keys":
        for k in sorted(key(f) for f in flows):
            print(k)
    elif cmd == "counts":
        for line in sorted("%s %s %s %s %s" % (
                key(f), f.get("orig_packets"), f.get("orig_bytes"),
                f.get("reply_packets"), f.get("reply_bytes")) for f in flows):
            print(line)
    elif cmd == "get":
        if len(flows) != 1:
            die("%d flows match %s (want exactly 1); flows: %s" % (
                len(flows), " ".join(rest),
                "; ".join(key(f) for f in snap["flows"])))
        out = []
        for k in fields:
            v = flows[0].get(k, "MISSING")
            out.append("null" if v is None else str(v))
        print(" ".join(out))
    else:
        die(__doc__)


if __name__ == "__main__":
    main()
