"""Flashing a twin: QEMU started on the image in the background, its UART on a 127.0.0.1 TCP
port, recorded (fwgen.device.twin_state) before anything can fail, so no QEMU is ever left
without a record. Flashing again replaces the running twin; `twin_state.stop_twin` ends it.
It is the one child fwgen starts detached (fwgen.process): it outlives fwgen by design.

QEMU's UART server waits (``wait=on``) for the first connection before the guest runs, so the
monitor that connects later sees the boot output. The twin counts as started once QEMU says
``QEMU waiting for connection on``; that line never comes when the port is taken, so a taken
port is retried on another free one.
"""
from __future__ import annotations

import logging
import subprocess
import time
from pathlib import Path

from fwgen.device import twin_state
from fwgen.errors import FwgenError
from fwgen.runners.qemu import QemuRunner, free_tcp_port

LOG = logging.getLogger(__name__)

READY_TEXT = "QEMU waiting for connection on"
START_TIMEOUT_S = 10.0
PORT_ATTEMPTS = 3


def _wait_ready(proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace") if log.exists() else ""
        if READY_TEXT in text:
            return
        if proc.poll() is not None:
            raise FwgenError(f"QEMU exited with status {proc.returncode} before its UART was "
                             f"listening\n{text.strip()}")
        time.sleep(0.02)
    raise FwgenError(f"QEMU's UART was not listening after {timeout:g} s\n"
                     f"{log.read_text(errors='replace').strip() if log.exists() else ''}")


def start_twin(runner: QemuRunner, elf: Path, *, port: int | None = None, icount: bool = True,
               timeout: float = START_TIMEOUT_S) -> twin_state.TwinRecord | None:
    """Start `runner`'s twin on `elf` in the background, replacing one that runs; its record
    (None on a dry run, which only logs the command line)."""
    elf = Path(elf).resolve()
    board = runner.board
    if runner.dry_run:
        runner.popen(runner.argv(elf, port or free_tcp_port(), icount=icount), detached=True)
        return None
    if not elf.is_file():
        raise FwgenError("firmware image not found", where=str(elf))
    with twin_state.locked(board):
        old = twin_state.stop_twin(board)
        if old is not None:
            LOG.info("stopped the %s twin that ran %s (pid %d)", board.id, old.elf, old.pid)
        for attempt in range(PORT_ATTEMPTS):
            chosen = port or free_tcp_port()
            argv = runner.argv(elf, chosen, icount=icount)
            log = twin_state.log_path(board)
            with open(log, "wb") as handle:
                # Detached: this QEMU outlives fwgen on purpose, and is recorded first.
                proc = runner.popen(argv, detached=True, stdin=subprocess.DEVNULL, stdout=handle,
                                    stderr=subprocess.STDOUT)
            assert proc is not None
            record = twin_state.TwinRecord(board=board.id, pid=proc.pid, port=chosen,
                                           elf=str(elf), log=str(log), argv=tuple(argv),
                                           started=time.time())
            try:
                twin_state.write_record(record)
                _wait_ready(proc, log, timeout)
                return record
            except BaseException as exc:
                # The record names the process: stop_twin ends it whatever went wrong.
                if twin_state.stop_twin(board) is None and proc.poll() is None:
                    proc.kill()
                proc.wait()
                twin_state.clear_record(board)
                retry = (isinstance(exc, FwgenError) and "Address already in use" in exc.message
                         and port is None and attempt + 1 < PORT_ATTEMPTS)
                if not retry:
                    raise
    raise FwgenError("could not start QEMU")  # pragma: no cover - the loop returns or raises
