#!/usr/bin/python3
"""ui_keys_order.py — does each cursor key show before the next refresh?

    ui_keys_order.py [--keys N] [--rows R] [--cols C] [--pause LO HI]
                     [--log FILE] -- CMD...

Runs CMD (flowtop's view) on a pseudo-terminal, keeps a virtual screen of
what it prints (pyte), and once it shows rows ("row 1/" in the footer)
presses cursor keys one at a time: PgDn, Down, j, PgDn, Down, j, Up, k,
Home in turn,
after a random pause of LO-HI seconds (default 0.1-0.3) in which all
output is taken in.

For each key it reads the output until one of two things shows first:
  - the key's effect: the footer's "row N/M" is where the key moves the
    cursor from the row shown before it (Down/j +1, Up/k -1, PgDn +page,
    Home 1, within 1..M) and one line is highlighted;
  - another refresh: the header's clock (the snapshot's time) differs
    from the one before the key, so the key's effect came no earlier than
    the next snapshot ("late"). ncurses draws top to bottom, so a
    refresh's clock is on screen before its footer.
No wall-clock threshold: only the order of what the program printed (a
key with neither within 10 s is "wrong").

Prints one line per key and a summary; exits 0 when no more than --allow
keys (default 2) were late and every key that was not late moved the
cursor where it should, 1 otherwise, 2 on a usage or start-up error.
The highest "resyncs N" the header showed is printed as resyncs=N.
"""
import argparse
import os
import pty
import random
import re
import select
import signal
import sys
import time

import pyte

# PgDn first takes the cursor to the bottom line; Down, j and PgDn then
# scroll the list under it, where rows that look alike change nothing but
# the footer; Home moves the highlight back up, Up and k move it one line.
KEYS = [("PGDN", b"\x1b[6~", "page"), ("DOWN", b"\x1bOB", 1), ("j", b"j", 1),
        ("PGDN", b"\x1b[6~", "page"), ("DOWN", b"\x1bOB", 1), ("j", b"j", 1),
        ("UP", b"\x1bOA", -1), ("k", b"k", -1), ("HOME", b"\x1bOH", "home")]

CLOCK = re.compile(r"^flowtop(?: \[PAUSED\])?  (\d\d:\d\d:\d\d) ")
POS = re.compile(r" row (\d+)/(\d+) ")
FLOWS = re.compile(r"  flows (\d+)/")
RESYNCS = re.compile(r"resyncs (\d+)")


class Term:
    def __init__(self, cmd, rows, cols):
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.rows = rows
        pid, fd = pty.fork()
        if pid == 0:
            os.environ.update(TERM="xterm", NO_COLOR="1", LANG="C.UTF-8",
                              LINES=str(rows), COLUMNS=str(cols))
            try:
                os.execvp(cmd[0], cmd)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        import fcntl
        import struct
        import termios
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.max_resyncs = 0

    def pump(self, timeout):
        """Feeds what arrives within timeout seconds; False at EOF."""
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return True
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        self.stream.feed(data)
        m = RESYNCS.search(self.screen.display[1])
        if m:
            self.max_resyncs = max(self.max_resyncs, int(m.group(1)))
        return True

    def state(self):
        """(clock, row, total, highlighted line numbers, whole screen)"""
        d = self.screen.display
        clock = CLOCK.match(d[0])
        pos = POS.search(d[-1])
        hl = tuple(y for y in range(3, self.rows - 1)
                   if self.screen.buffer[y][2].reverse)
        snap = tuple(d) + (hl,)
        return (clock.group(1) if clock else None,
                int(pos.group(1)) if pos else None,
                int(pos.group(2)) if pos else None, hl, snap)

    def end(self):
        try:
            os.write(self.fd, b"q")
        except OSError:
            pass
        for _ in range(50):
            if os.waitpid(self.pid, os.WNOHANG)[0]:
                return
            self.pump(0.1)
        os.kill(self.pid, signal.SIGTERM)
        os.waitpid(self.pid, 0)


def expected(row, total, move, page):
    if move == "home":
        return 1
    if move == "page":
        move = page
    return min(max(row + move, 1), total)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=30)
    ap.add_argument("--rows", type=int, default=14)
    ap.add_argument("--cols", type=int, default=160)
    ap.add_argument("--allow", type=int, default=2)
    ap.add_argument("--ready-timeout", type=float, default=60)
    ap.add_argument("--pause", type=float, nargs=2, default=[0.1, 0.3],
                    metavar=("LO", "HI"))
    ap.add_argument("cmd", nargs="+")
    a = ap.parse_args()

    t = Term(a.cmd, a.rows, a.cols)
    # the list: the rows between the header, the title line and the footer
    page = a.rows - 4
    deadline = time.monotonic() + a.ready_timeout
    while True:
        if not t.pump(0.2):
            print("ui_keys_order: the program ended before showing rows")
            return 2
        clock, row, total, _, _ = t.state()
        flows = FLOWS.search(t.screen.display[0])
        if clock and flows and int(flows.group(1)) >= 3 * page:
            break
        if time.monotonic() > deadline:
            print("ui_keys_order: no rows within %gs; screen:\n%s" %
                  (a.ready_timeout, "\n".join(t.screen.display)))
            t.end()
            return 2

    late = bad = 0
    for i in range(a.keys):
        name, seq, move = KEYS[i % len(KEYS)]
        until = time.monotonic() + random.uniform(*a.pause)
        while time.monotonic() < until:
            if not t.pump(max(until - time.monotonic(), 0)):
                print("ui_keys_order: the program ended")
                return 1
        clock0, row0, total0, _, snap0 = t.state()
        want = expected(row0, total0, move, page) if row0 else None
        os.write(t.fd, seq)
        # until the screen shows the key's effect, or another refresh
        # (ncurses draws top to bottom: a refresh's clock comes first)
        answered = late_now = False
        limit = time.monotonic() + 10
        while time.monotonic() < limit:
            if not t.pump(0.5):
                print("ui_keys_order: the program ended")
                return 1
            clock1, row1, total1, hl1, snap1 = t.state()
            if clock1 != clock0:
                late_now = True
                break
            if row1 == want and len(hl1) == 1:
                answered = True
                break
            if row1 is None and snap1 != snap0:
                # no position in the footer: any change is the answer
                answered = True
                break
        if late_now:
            late += 1
            print("key %2d %-4s late: first shown with the refresh of %s "
                  "(before the key: %s)" % (i, name, clock1, clock0))
            continue
        bad += not answered
        print("key %2d %-4s row %s -> %s (want %s of %s), highlighted line %s: %s" %
              (i, name, row0, row1, want, total0, hl1[0] if hl1 else "none",
               "ok" if answered else "WRONG (no refresh came either)"))
    t.end()
    print("keys=%d late=%d wrong=%d resyncs=%d" % (a.keys, late, bad, t.max_resyncs))
    return 0 if late <= a.allow and not bad else 1


if __name__ == "__main__":
    sys.exit(main())
