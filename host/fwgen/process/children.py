"""The one place fwgen starts child processes, so that none outlives fwgen.

Every child gets its own session (process group), so ending the group ends the tool and
everything it started (PlatformIO's SCons and compilers, CMake's make and cc) and a terminal's
Ctrl-C reaches fwgen alone, which then ends the group (`end_group`). For the deaths fwgen
cannot clean up after (SIGKILL, a crash), two guards run outside fwgen:

- the child asks the kernel for a parent-death signal (PR_SET_PDEATHSIG, set between fork and
  exec), so it is signalled the moment fwgen ends; a child whose parent died before the request
  took effect signals itself;
- a watchdog (`fwgen/process/watchdog.py`, a stdlib-only script in its own session) watches
  fwgen the same way and then ends the child's whole group: SIGTERM, then SIGKILL after
  `KILL_GRACE_S`. The parent-death signal is not inherited by grandchildren; the watchdog is
  what reaches them.

The leader's parent-death signal is SIGTERM, so a compiler driver can still remove its
temporary files; the watchdog's SIGKILL follows for anything that ignores it.

A `detached` child (the twin `fwgen flash` leaves running, recorded in fwgen.device.twin_state)
gets its own session and neither guard: it is meant to outlive fwgen.

Linux caveat: the parent-death signal follows the thread that started the child, so start
children from a thread that lives as long as they should (fwgen starts them from the main
thread).
"""
from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Sequence

LOG = logging.getLogger(__name__)

KILL_GRACE_S = 2.0          # SIGTERM -> SIGKILL, by fwgen and by the watchdog
PR_SET_PDEATHSIG = 1        # <linux/prctl.h>
WATCHDOG = Path(__file__).with_name("watchdog.py")

_watchdogs: list[subprocess.Popen] = []   # reaped as they finish (they exit with their group)


@lru_cache(maxsize=1)
def _prctl() -> Callable[..., int] | None:
    """libc's prctl, looked up in fwgen (a child between fork and exec should not load libraries)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):   # pragma: no cover - every Linux libc has prctl
        return None


@dataclass(frozen=True)
class _DieWithParent:
    """preexec_fn: ask for `signum` when the parent `parent` ends (runs in the child)."""
    signum: int
    parent: int
    prctl: Callable[..., int]

    def __call__(self) -> None:
        self.prctl(PR_SET_PDEATHSIG, self.signum)
        if os.getppid() != self.parent:   # fwgen died before the request took effect
            os.kill(os.getpid(), self.signum)


def start(argv: Sequence[str], *, detached: bool = False, **popen_kwargs: Any) -> subprocess.Popen:
    """`subprocess.Popen(argv, **popen_kwargs)` in a new session that dies with fwgen (see the
    module docstring); `detached=True`: a new session that may outlive fwgen.
    `start_new_session` and `preexec_fn` are this function's to set."""
    for reserved in ("start_new_session", "preexec_fn", "process_group"):
        if reserved in popen_kwargs:
            raise TypeError(f"fwgen.process.start sets {reserved} itself")
    _reap_watchdogs()
    prctl = None if detached else _prctl()
    preexec = _DieWithParent(int(signal.SIGTERM), os.getpid(), prctl) if prctl else None
    proc = subprocess.Popen(list(argv), start_new_session=True, preexec_fn=preexec, **popen_kwargs)
    if not detached:
        _watch(proc)
    return proc


def _watch(proc: subprocess.Popen) -> None:
    """Start the watchdog of `proc`'s process group (whose id is `proc.pid`)."""
    try:
        watchdog = subprocess.Popen(
            [sys.executable, "-I", "-S", str(WATCHDOG), str(os.getpid()), str(proc.pid),
             str(KILL_GRACE_S)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, close_fds=True)
    except OSError as exc:   # pragma: no cover - sys.executable runs, or fwgen would not
        LOG.warning("no watchdog for %s (pid %d): %s", proc.args, proc.pid, exc)
        return
    _watchdogs.append(watchdog)


def _reap_watchdogs() -> None:
    _watchdogs[:] = [w for w in _watchdogs if w.poll() is None]


def end_group(proc: subprocess.Popen, grace: float = KILL_GRACE_S) -> None:
    """Terminate, then kill, the process group `proc` leads (a tool and anything it started),
    and collect `proc`'s exit status."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            break
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL does not fail
        LOG.warning("process %d did not end after SIGKILL", proc.pid)


def run(argv: Sequence[str], *, input: str | bytes | None = None, timeout: float | None = None,
        capture_output: bool = False, **popen_kwargs: Any) -> subprocess.CompletedProcess:
    """`subprocess.run` through `start`: stdin is closed unless given; on a timeout, Ctrl-C,
    SIGTERM/SIGHUP (fwgen.process.Interrupted) or any other error the whole group is ended
    before the exception goes on (subprocess.run would kill the tool alone)."""
    if capture_output:
        popen_kwargs.update(stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if input is not None:
        popen_kwargs["stdin"] = subprocess.PIPE
    popen_kwargs.setdefault("stdin", subprocess.DEVNULL)
    with start(argv, **popen_kwargs) as proc:
        try:
            stdout, stderr = proc.communicate(input, timeout=timeout)
        except BaseException:
            end_group(proc)
            raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
