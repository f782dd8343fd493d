"""`fwgen flash --board mps2_an505 fw.elf` as a user runs it: QEMU starts in the background, the
recorded URL answers HELLO for the flashed build, flashing again replaces the twin, and
`--stop` ends it (checked by its pid): no QEMU is left behind."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from fwgen.device import twin_state
from fwgen.link import Link


def fwgen(*args: str) -> list[str]:
    return [sys.executable, "-m", "fwgen", *args]


def _gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not twin_state.process_alive(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FWGEN_CACHE_DIR", str(tmp_path / "cache"))
    yield tmp_path / "cache"
    twin_state.stop_twin("mps2_an505")          # whatever happened, no twin outlives the test


def test_flash_starts_the_twin_and_stop_ends_it(twin_elf, deployment, cache):
    elf = twin_elf("mps2_an505")
    env = dict(os.environ, FWGEN_CACHE_DIR=str(cache))
    proc = subprocess.run(fwgen("flash", "--board", "mps2_an505", str(elf)), env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    record = twin_state.running_record("mps2_an505")
    assert record is not None and record.elf == str(elf.resolve())
    assert f"UART: {record.url}" in proc.stdout and f"pid {record.pid}" in proc.stdout

    url = twin_state.running_twin("mps2_an505")
    assert url == f"socket://127.0.0.1:{record.port}"
    link = Link.open(url, baudrate=115200, connect_timeout=10.0)
    try:
        hello = link.reset(timeout=10.0)
    finally:
        link.close()
    assert hello.board == "mps2_an505"
    assert hello.model_hash == bytes.fromhex(deployment.source.sha256)[:8]

    again = subprocess.run(fwgen("flash", "--board", "mps2_an505", str(elf)), env=env,
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    second = twin_state.running_record("mps2_an505")
    assert second is not None and second.pid != record.pid
    assert _gone(record.pid), "flashing again left the old QEMU running"

    stop = subprocess.run(fwgen("flash", "--board", "mps2_an505", "--stop"), env=env,
                          capture_output=True, text=True, timeout=60)
    assert stop.returncode == 0, stop.stderr
    assert f"stopped the twin (pid {second.pid}" in stop.stdout
    assert _gone(second.pid), "--stop left QEMU running"
    assert twin_state.running_twin("mps2_an505") is None
    assert not twin_state.record_path("mps2_an505").exists()
