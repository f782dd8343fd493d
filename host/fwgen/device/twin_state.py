"""Twins running in the background (started by ``fwgen flash --board mps2_an505``): one record
per twin board in fwgen's cache, so ``fwgen monitor`` finds the UART and ``fwgen flash --stop``
ends the process. Imports fwgen.errors and fwgen.native only.

    running_twin(board) -> "socket://127.0.0.1:PORT" | None   # the twin's UART, if it runs
    running_record(board) -> TwinRecord | None                 # pid, port, elf, log, argv
    stop_twin(board) -> TwinRecord | None                      # ends it, removes the record

A record whose process is gone (QEMU exited, the machine rebooted, or the pid now belongs to
another program) is stale: reading it removes it. Records are written atomically, and
`locked(board)` serialises starting and stopping one board's twin across processes.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator

from fwgen.errors import FwgenError
from fwgen.native import cache_dir

LOG = logging.getLogger(__name__)

STOP_GRACE_S = 3.0


@dataclass(frozen=True)
class TwinRecord:
    board: str             # the emulator board's id
    pid: int               # QEMU, leader of its own process group
    port: int              # the UART's TCP port on 127.0.0.1
    elf: str               # the image it runs (absolute path)
    log: str               # QEMU's stdout/stderr
    argv: tuple[str, ...]  # the command line it was started with
    started: float         # time.time() at start

    @property
    def url(self) -> str:
        """The UART as a pyserial URL."""
        return f"socket://127.0.0.1:{self.port}"


def _board_id(board: Any) -> str:
    return str(getattr(board, "id", board))


def state_dir() -> Path:
    path = cache_dir() / "twins"
    path.mkdir(parents=True, exist_ok=True)
    return path


def record_path(board: Any) -> Path:
    return state_dir() / f"{_board_id(board)}.json"


def log_path(board: Any) -> Path:
    return state_dir() / f"{_board_id(board)}.log"


@contextlib.contextmanager
def locked(board: Any) -> Iterator[None]:
    """Hold the board's twin lock (an flock on a file beside the record)."""
    with open(state_dir() / f"{_board_id(board)}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_record(record: TwinRecord) -> None:
    path = record_path(record.board)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(asdict(record), indent=2) + "\n")
    os.replace(tmp, path)


def read_record(board: Any) -> TwinRecord | None:
    """The board's record as written, alive or not (None without one; a corrupt one is removed)."""
    path = record_path(board)
    try:
        data = json.loads(path.read_text())
        data["argv"] = tuple(data["argv"])
        return TwinRecord(**data)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError) as exc:
        LOG.warning("removing unreadable twin record %s: %s", path, exc)
        clear_record(board)
        return None


def clear_record(board: Any) -> None:
    with contextlib.suppress(FileNotFoundError):
        record_path(board).unlink()


def _reap(pid: int) -> None:
    """Collect `pid`'s exit status if it is our child (so it leaves no zombie)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def process_alive(pid: int) -> bool:
    """True while `pid` exists and has not exited (a zombie counts as gone)."""
    _reap(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True   # no /proc: trust kill(0)
    return stat.rpartition(")")[2].split()[0] != "Z"


def is_running(record: TwinRecord) -> bool:
    """The record's process is alive and is still the QEMU it names (not a reused pid)."""
    if not process_alive(record.pid):
        return False
    try:
        cmdline = Path(f"/proc/{record.pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True
    # argv[0], or argv[1] when an interpreter runs it (a script standing in for QEMU in tests)
    programs = {os.path.basename(part.decode(errors="replace")) for part in cmdline[:2]}
    return os.path.basename(record.argv[0]) in programs and \
        any(f"127.0.0.1:{record.port},".encode() in part for part in cmdline)


def running_record(board: Any) -> TwinRecord | None:
    """The record of the board's twin if it runs; a stale record is removed."""
    record = read_record(board)
    if record is None:
        return None
    if is_running(record):
        return record
    LOG.info("removing the stale record of the %s twin (pid %d is gone)", record.board, record.pid)
    clear_record(board)
    return None


def running_twin(board: Any) -> str | None:
    """The pyserial URL of the UART of `board`'s twin started by ``fwgen flash``, if it runs."""
    record = running_record(board)
    return record.url if record else None


def stop_twin(board: Any, *, grace: float = STOP_GRACE_S) -> TwinRecord | None:
    """End the board's twin (its whole process group) and remove its record. Returns the
    record of the twin it stopped, None when none was running (a stale record is removed)."""
    record = running_record(board)
    if record is None:
        return None
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(record.pid, sig)
        except ProcessLookupError:
            break
        except PermissionError as exc:
            raise FwgenError(f"may not stop the {record.board} twin (pid {record.pid}): {exc}",
                             where=str(record_path(board))) from None
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and process_alive(record.pid):
            time.sleep(0.02)
        if not process_alive(record.pid):
            break
    clear_record(board)
    return record
