#!/usr/bin/python3
"""BPF links: which a process holds, which still exist, which nobody holds.

  fault_bpf_links.py held PID      ids of the BPF links PID has open
  fault_bpf_links.py list          ids of every BPF link (bpftool link show)
  fault_bpf_links.py alive ID...   those of the ids that still exist
  fault_bpf_links.py unheld ID...  those that exist but no process has open
                                   (pinned, or held by something left over)

Ids are printed space separated on one line (nothing when none). A link
is freed by the kernel when its last file descriptor closes and it is not
pinned, so a link still alive after flowtop ended was leaked: pinned, or
inherited by a process that outlived it.
"""
import glob
import json
import subprocess
import sys


def held(pid):
    ids = set()
    for p in glob.glob("/proc/%s/fdinfo/*" % pid):
        try:
            for line in open(p):
                if line.startswith("link_id:"):
                    ids.add(int(line.split()[1]))
        except OSError:
            pass
    return ids


def all_links():
    r = subprocess.run(["bpftool", "-j", "link", "show"], capture_output=True,
                       check=True)
    return {l["id"] for l in json.loads(r.stdout.decode() or "[]")}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "held" and len(args) == 1:
        out = held(args[0])
    elif cmd == "list":
        out = all_links()
    elif cmd == "alive":
        out = all_links() & {int(a) for a in args}
    elif cmd == "unheld":
        want = all_links() & {int(a) for a in args}
        for pid in glob.glob("/proc/[0-9]*"):
            want -= held(pid.rsplit("/", 1)[1])
        out = want
    else:
        sys.exit(__doc__)
    print(" ".join(str(i) for i in sorted(out)))


if __name__ == "__main__":
    main()
