#!/usr/bin/python3
"""Run a full-screen program on a pseudo-terminal, then make the terminal
go away, and report how the program ended.

  fault_pty_hangup.py [--go FILE] MODE READY_REGEX TIMEOUT CMD [ARG...]

The program runs in a new session on the slave side of a fresh pty (24x100,
TERM=screen). Once its output matches READY_REGEX (within TIMEOUT seconds)
the master side is closed, as when a terminal window, an ssh connection or
a tmux session goes away. MODE:

  ctty    the pty is the program's controlling terminal: the kernel sends
          SIGHUP to its foreground process group at the hangup
  noctty  the pty is only its stdin/stdout/stderr, not its controlling
          terminal: no SIGHUP, reads and writes just fail (EIO) from now on

Prints "pid N" (the program's pid) when it starts and "ready" once the
output matched; with --go FILE it then waits (up to TIMEOUT seconds) for
FILE to exist before the hangup, so that a test can look at the running
program first.

Then waits up to TIMEOUT seconds for the program to end and prints one
line: "exit N", "signal NAME" or "running" (in which case the program is
killed with SIGKILL). Exit 0 when the program ended by itself, 1 if not,
2 if it never became ready (its output is printed).
"""
import os
import re
import select
import signal
import struct
import sys
import termios
import fcntl
import time


def main():
    args = sys.argv[1:]
    go = None
    if args[:1] == ["--go"]:
        go, args = args[1], args[2:]
    if len(args) < 4 or args[0] not in ("ctty", "noctty"):
        sys.exit(__doc__)
    mode, ready, timeout, cmd = args[0], re.compile(args[1].encode()), \
        float(args[2]), args[3:]
    master, slave = os.openpty()
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    env = dict(os.environ, TERM="screen", LANG="C.UTF-8")
    pid = os.fork()
    if pid == 0:
        os.close(master)
        os.setsid()
        if mode == "ctty":
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        if slave > 2:
            os.close(slave)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        try:
            os.execvpe(cmd[0], cmd, env)
        finally:
            os._exit(127)
    os.close(slave)
    print("pid %d" % pid, flush=True)
    out = b""
    deadline = time.monotonic() + timeout
    while not ready.search(out):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([master], [], [], left)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            out += chunk
    if not ready.search(out):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        print("never ready; output: %r" % out[-2000:])
        sys.exit(2)
    print("ready", flush=True)
    deadline = time.monotonic() + timeout
    while go and not os.path.exists(go) and time.monotonic() < deadline:
        # keep the terminal drained meanwhile, as a terminal does
        r, _, _ = select.select([master], [], [], 0.05)
        if r:
            try:
                os.read(master, 65536)
            except OSError:
                pass
    time.sleep(0.3)     # a few redraws on a live terminal first
    os.close(master)    # the terminal goes away
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        p, status = os.waitpid(pid, os.WNOHANG)
        if p:
            if os.WIFEXITED(status):
                print("exit %d" % os.WEXITSTATUS(status))
            else:
                print("signal %s" % signal.Signals(os.WTERMSIG(status)).name)
            sys.exit(0)
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    print("running")
    sys.exit(1)


if __name__ == "__main__":
    main()
