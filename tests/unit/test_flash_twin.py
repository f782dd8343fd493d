"""Twins in the background: the state record (fwgen.device.twin_state) and start_twin, with a
stand-in for QEMU (a script that prints QEMU's 'waiting for connection' line and sleeps). The
emulator tier (tests/emu/test_flash_qemu.py) does the same with the real QEMU."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from fwgen.boards import get_board
from fwgen.device import twin_state
from fwgen.errors import FwgenError
from fwgen.flash import start_twin
from fwgen.flash.twin import READY_TEXT
from fwgen.runners.qemu import QemuRunner

FAKE_QEMU = """#!/bin/sh
# stands in for qemu-system-arm: the line QEMU prints while its UART server waits, then sleep
for arg in "$@"; do case "$arg" in tcp:*) serial="$arg";; esac; done
[ -n "$FAKE_QEMU_FAIL" ] && { echo "qemu-system-arm: $FAKE_QEMU_FAIL" >&2; exit 1; }
[ -n "$FAKE_QEMU_SILENT" ] && { sleep 60; exit 0; }
echo "qemu-system-arm: -serial $serial: info: READY: disconnected:$serial" >&2
sleep 60
""".replace("READY", READY_TEXT)


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FWGEN_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture()
def fake_qemu(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    program = bin_dir / "qemu-system-arm"
    program.write_text(FAKE_QEMU)
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return program


@pytest.fixture()
def elf(tmp_path):
    path = tmp_path / "fw.elf"
    path.write_bytes(b"\x7fELF")
    return path


def _gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not twin_state.process_alive(pid):
            return True
        time.sleep(0.02)
    return False


def _record(board="mps2_an505", pid=1, port=5555, argv=("qemu-system-arm",)):
    return twin_state.TwinRecord(board=board, pid=pid, port=port, elf="/x/fw.elf", log="/x/log",
                                 argv=argv, started=0.0)


def test_no_record_no_twin(cache):
    assert twin_state.running_twin("mps2_an505") is None
    assert twin_state.stop_twin(get_board("an505")) is None


def test_a_stale_record_is_removed(cache):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    twin_state.write_record(_record(pid=proc.pid))
    assert twin_state.record_path("mps2_an505").exists()
    assert twin_state.running_twin("mps2_an505") is None
    assert not twin_state.record_path("mps2_an505").exists()


def test_a_reused_pid_is_not_taken_for_the_twin(cache):
    """The pid is alive but it is another program: the record is stale, nothing is killed."""
    other = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        twin_state.write_record(_record(pid=other.pid))
        assert twin_state.stop_twin("mps2_an505") is None
        assert other.poll() is None and not twin_state.record_path("mps2_an505").exists()
    finally:
        other.kill()
        other.wait()


def test_a_corrupt_record_is_removed(cache):
    twin_state.record_path("mps2_an505").write_text("{not json")
    assert twin_state.read_record("mps2_an505") is None
    assert not twin_state.record_path("mps2_an505").exists()


def test_start_records_replaces_and_stops(cache, fake_qemu, elf):
    runner = QemuRunner(get_board("mps2_an505"))
    first = start_twin(runner, elf)
    assert first is not None and first.board == "mps2_an505"
    assert twin_state.running_twin("an505") is None           # by id, not alias
    assert twin_state.running_twin(get_board("an505")) == first.url
    assert first.url == f"socket://127.0.0.1:{first.port}"
    assert twin_state.read_record("mps2_an505") == first
    assert first.elf == str(elf.resolve()) and first.argv[0] == "qemu-system-arm"
    assert f"tcp:127.0.0.1:{first.port},server=on,wait=on,nodelay=on" in first.argv

    second = start_twin(QemuRunner(get_board("mps2_an505")), elf)   # flashing again replaces it
    assert second.pid != first.pid and _gone(first.pid)
    assert twin_state.running_twin("mps2_an505") == second.url

    stopped = twin_state.stop_twin("mps2_an505")
    assert stopped == second and _gone(second.pid)
    assert twin_state.running_twin("mps2_an505") is None
    assert not twin_state.record_path("mps2_an505").exists()


def test_a_twin_that_fails_leaves_no_process_and_no_record(cache, fake_qemu, elf, monkeypatch):
    monkeypatch.setenv("FAKE_QEMU_FAIL", "could not load kernel")
    with pytest.raises(FwgenError, match="(?s)QEMU exited with status 1 .*could not load kernel"):
        start_twin(QemuRunner(get_board("mps2_an505")), elf)
    assert not twin_state.record_path("mps2_an505").exists()


def test_a_twin_that_never_listens_is_ended_within_the_bound(cache, fake_qemu, elf, monkeypatch):
    monkeypatch.setenv("FAKE_QEMU_SILENT", "1")
    started = time.monotonic()
    with pytest.raises(FwgenError, match="not listening after 0.5 s"):
        start_twin(QemuRunner(get_board("mps2_an505")), elf, timeout=0.5)
    assert time.monotonic() - started < 5
    assert not twin_state.record_path("mps2_an505").exists()
    out = subprocess.run(["pgrep", "-f", str(fake_qemu)], capture_output=True, text=True)
    assert out.stdout.strip() == ""


def test_dry_run_starts_nothing(cache, elf):
    runner = QemuRunner(get_board("mps2_an505"), dry_run=True)
    assert start_twin(runner, elf, port=4321) is None
    assert runner.commands[0][-2:] == ["-serial", "tcp:127.0.0.1:4321,server=on,wait=on,nodelay=on"]
    assert not twin_state.record_path("mps2_an505").exists()


def test_missing_image(cache, fake_qemu, tmp_path):
    with pytest.raises(FwgenError, match="firmware image not found"):
        start_twin(QemuRunner(get_board("mps2_an505")), tmp_path / "none.elf")
