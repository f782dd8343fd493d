"""Runners: exact command lines (dry run), capabilities as data, clear errors."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fwgen.boards import get_board
from fwgen.errors import FwgenError, ToolMissingError
from fwgen.runners import RunnerCaps, get_runner, runners
from fwgen.runners.qemu import QemuRunner, QemuSession

BASE = ["-display", "none", "-monitor", "none", "-no-reboot",
        "-semihosting-config", "enable=on,target=native"]


@pytest.mark.parametrize("board,machine", [("mps2_an505", "mps2-an505"),
                                           ("mps2_an386", "mps2-an386"),
                                           ("mps2_an500", "mps2-an500")])
@pytest.mark.parametrize("icount", [True, False])
def test_qemu_argv(board, machine, icount):
    runner = QemuRunner(get_board(board), dry_run=True)
    assert runner.run("emulate", elf=Path("fw.elf"), port=4321, icount=icount) is None
    expected = ["qemu-system-arm", "-M", machine, *BASE]
    if icount:
        expected += ["-icount", "shift=0"]
    expected += ["-kernel", "fw.elf", "-serial", "tcp:127.0.0.1:4321,server=on,wait=on,nodelay=on"]
    assert runner.commands == [expected]


def test_extra_args_are_appended():
    runner = QemuRunner(get_board("an505"), dry_run=True, extra_args=["-d", "guest_errors"])
    runner.run("emulate", elf=Path("fw.elf"), port=1)
    assert runner.commands[0][-2:] == ["-d", "guest_errors"]


def test_unsupported_command_is_rejected_in_one_place():
    runner = QemuRunner(get_board("mps2_an505"), dry_run=True)
    with pytest.raises(FwgenError, match="cannot flash") as err:
        runner.run("flash")
    assert "emulate" in str(err.value)
    with pytest.raises(FwgenError, match="unknown runner command"):
        runner.run("explode")
    assert runner.commands == []


def test_board_without_that_runner():
    with pytest.raises(FwgenError, match="has no 'qemu' runner"):
        QemuRunner(get_board("stm32u5"))


def test_registry_and_caps():
    assert "qemu" in runners()
    assert get_runner("qemu") is QemuRunner
    assert QemuRunner.caps == RunnerCaps(emulate=True, serial=True, exit_status=True)
    with pytest.raises(FwgenError, match="no runner named"):
        get_runner("teleport")


def test_missing_program_is_named(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    runner = QemuRunner(get_board("mps2_an505"))
    with pytest.raises(ToolMissingError) as err:
        runner.argv(Path("fw.elf"), 1)
    assert "qemu-system-arm" in str(err.value)


def test_missing_elf(tmp_path):
    with pytest.raises(FwgenError, match="firmware image not found"):
        QemuRunner(get_board("mps2_an505")).run("emulate", elf=tmp_path / "none.elf")


def test_session_close_kills_the_whole_process_group(tmp_path):
    # A stand-in for QEMU that starts a child and ignores nothing: close() must end both.
    script = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    log = tmp_path / "qemu.log"
    log.write_text("")
    session = QemuSession(proc, 0, log, ["fake"])
    time.sleep(0.3)
    pgid = os.getpgid(proc.pid)
    session.close()
    assert proc.poll() is not None
    with pytest.raises(ProcessLookupError):
        for _ in range(50):
            os.killpg(pgid, 0)
            time.sleep(0.05)
    assert not log.exists()
    session.close()   # idempotent
