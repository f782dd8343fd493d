"""Ends a child's process group when fwgen dies, whatever kills fwgen (SIGKILL included).

Run by `fwgen.process.children` as a script, not imported into fwgen::

    python -I -S watchdog.py PARENT_PID PGID GRACE_S

It imports only the standard library (so it starts in milliseconds, without site-packages).
When its parent is gone (the kernel's parent-death signal, SIGUSR1, on Linux; a changed
parent pid otherwise, polled) it sends SIGTERM to the group, so a compiler driver can remove
its temporary files, and SIGKILL to whatever is left after GRACE_S. It exits by itself once the
group is empty, and at once on SIGTERM (fwgen ended the group itself).
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys
import time

PR_SET_PDEATHSIG = 1
POLL_S = 0.2


class ParentGone(Exception):
    """fwgen, which started this watchdog, has ended."""


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def end_group(pgid: int, grace: float) -> None:
    """SIGTERM, then after `grace` seconds SIGKILL, to the group `pgid`."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and group_alive(pgid):
            time.sleep(0.02)


def _parent_gone(signum: int, frame: object) -> None:
    raise ParentGone


def watch(parent: int, pgid: int, grace: float) -> int:
    signal.signal(signal.SIGUSR1, _parent_gone)
    signal.signal(signal.SIGTERM, lambda signum, frame: os._exit(0))
    for sig in (signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    try:
        if sys.platform.startswith("linux"):
            ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, int(signal.SIGUSR1))
        while group_alive(pgid):
            if os.getppid() != parent:    # also covers a parent that died before prctl
                raise ParentGone
            time.sleep(POLL_S)
    except ParentGone:
        signal.signal(signal.SIGUSR1, signal.SIG_IGN)
        end_group(pgid, grace)
    return 0


if __name__ == "__main__":
    sys.exit(watch(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])))
