"""Ctrl-C during `fwgen build` (while the project is written or `pio run` compiles) ends it with
"interrupted", exit 130, and removes the project folder it had started (nothing half-written)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time


def test_ctrl_c_during_the_build_leaves_no_project(tmp_path):
    out = tmp_path / "project"
    proc = subprocess.Popen([sys.executable, "-m", "fwgen", "build", "--model", "micro_speech",
                             "--board", "stm32h7", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while not (out / "platformio.ini").exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the project folder never appeared"
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGINT)          # what a terminal's Ctrl-C does: the group
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert "fwgen build: interrupted" in err and "Traceback" not in err
    assert not out.exists()
