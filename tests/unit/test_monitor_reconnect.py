"""`fwgen monitor` on a pty pair (socat) whose far end disappears and comes back mid-stream,
as a board's USB serial port does when its cable is pulled or it resets: no event before or
after the gap is lost, the gap is reported (port, length), the new HELLO is shown, and Ctrl-C
ends the monitor with nothing left open. socat runs only inside the test, on ptys."""
from __future__ import annotations

import dataclasses
import json
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from test_monitor_session import MIC_HELLO, FakeBoard  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("socat") is None, reason="needs socat")


class PtyPair:
    """socat joining two ptys: the monitor opens `near`, the fake board `far`."""

    def __init__(self, folder: Path):
        self.near, self.far = folder / "near", folder / "far"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["socat", f"pty,raw,echo=0,link={self.near}", f"pty,raw,echo=0,link={self.far}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not (self.near.exists() and self.far.exists()):
            assert time.monotonic() < deadline, "socat made no ptys"
            assert self.proc.poll() is None, "socat exited"
            time.sleep(0.02)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()               # socat removes its links on SIGTERM
            self.proc.wait(timeout=10)
        self.proc = None


def serve_pty(path: Path, board: FakeBoard, stop: threading.Event) -> None:
    """Play `board` on the pty at `path` until socat goes away or `stop` is set."""
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    try:
        while not stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(fd, 4096)
            except OSError:                     # EIO: the pty's other side closed
                return
            if not data:
                return
            out = board.handle(data)
            if out:
                os.write(fd, out)
    finally:
        os.close(fd)


class Lines:
    """The monitor's stdout, one parsed JSON object per line, read by a thread."""

    def __init__(self, stream):
        self.queue: queue.Queue = queue.Queue()
        self.seen: list[dict] = []
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            self.queue.put(json.loads(line))

    def until(self, done, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not done(self.seen):
            left = deadline - time.monotonic()
            assert left > 0, f"timed out; monitor printed: {self.seen}"
            try:
                self.seen.append(self.queue.get(timeout=left))
            except queue.Empty:
                pass


def count(kind: str):
    return lambda seen: sum(1 for x in seen if x["type"] == kind)


def test_a_pty_that_vanishes_and_returns_loses_no_event(tmp_path):
    pair = PtyPair(tmp_path)
    log = tmp_path / "monitor.jsonl"
    stop = threading.Event()
    threads: list[threading.Thread] = []
    monitor = None

    def board_on_pty(board: FakeBoard) -> None:
        thread = threading.Thread(target=serve_pty, args=(pair.far, board, stop), daemon=True)
        thread.start()
        threads.append(thread)

    dets = count("DETECTION")
    try:
        pair.start()
        board_on_pty(FakeBoard(MIC_HELLO, first=0, burst=5, boot_hello=False))
        monitor = subprocess.Popen(
            [sys.executable, "-m", "fwgen", "monitor", "--serial", str(pair.near), "--json",
             "--log", str(log), "--timeout", "120"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = Lines(monitor.stdout)
        lines.until(lambda seen: dets(seen) == 5)

        pair.stop()                                        # the cable is pulled
        threads[0].join(timeout=10)
        lines.until(lambda seen: count("PORT_LOST")(seen) == 1)
        time.sleep(0.8)                                    # the gap
        pair.start()                                       # the board is back (re-enumerated)
        board_on_pty(FakeBoard(dataclasses.replace(MIC_HELLO, fw_patch=9), first=5, burst=4,
                               boot_hello=False))
        lines.until(lambda seen: dets(seen) == 9)
        time.sleep(0.3)                                    # nothing more should come
        monitor.send_signal(signal.SIGINT)                 # Ctrl-C
        _, err = monitor.communicate(timeout=30)
        lines.until(lambda seen: True)
    finally:
        stop.set()
        if monitor is not None and monitor.poll() is None:
            monitor.kill()
            monitor.communicate()
        pair.stop()
        for thread in threads:
            thread.join(timeout=10)

    assert monitor.returncode == 130 and "interrupted" in err and "Traceback" not in err
    seen = lines.seen
    while not lines.queue.empty():
        seen.append(lines.queue.get())
    types = [x["type"] for x in seen]
    assert [x["inference_index"] for x in seen if x["type"] == "DETECTION"] == list(range(9))
    lost, back = types.index("PORT_LOST"), types.index("RECONNECTED")
    assert types[:lost].count("DETECTION") == 5 and types[back:].count("DETECTION") == 4
    assert seen[lost]["port"] == seen[back]["port"] == str(pair.near)
    assert seen[back]["gap_s"] >= 0.8
    hellos = [x for x in seen if x["type"] == "HELLO"]
    assert [h["fw_patch"] for h in hellos] == [1, 9] and types.index("HELLO", back) > back
    assert types.count("CONNECTED") == 1 and types.count("PORT_LOST") == 1

    records = [json.loads(line) for line in log.read_text().splitlines()]
    events = [r["event"] for r in records]
    assert events.count("port_lost") == 1 and events.count("reconnected") == 1
    logged = [r["message"]["inference_index"] for r in records
              if r["event"] == "rx" and r["message"]["type"] == "DETECTION"]
    assert logged == list(range(9))
    assert f"gaps: {pair.near} 0." in err or f"gaps: {pair.near} 1." in err  # the summary
