"""Every way a flash can fail says what happened and what to do, within a bounded time.

Fake programs on PATH (small shell scripts in tmp_path) print each tool's real messages: no
probe attached, the OS refusing the USB device, a silent chip; one hangs. The messages are
those the tools print (openocd 0.12 and st-flash 1.7 and pyocd 0.46 were run here without a
probe; pycommander-cli 1.3 likewise; the permission lines are the tools' own strings). Where a
real tool is installed, it is run too, without a probe.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from fwgen.boards import get_board
from fwgen.errors import ToolMissingError
from fwgen.runners import get_runner
from fwgen.runners import core
from fwgen.runners.core import (ProbeAccessError, ProbeNotFoundError, TargetNotRespondingError,
                                ToolTimeoutError)

BOARD_OF = {"openocd": "b_u585i_iot02a", "stflash": "b_l475e_iot01a", "pyocd": "nucleo_h743zi",
            "commander": "xg24_dk2601b", "jlink": "xg24_dk2601b",
            "stm32cubeprogrammer": "b_u585i_iot02a"}
IMAGE_OF = {"openocd": "fw.elf", "stflash": "fw.bin", "pyocd": "fw.elf", "commander": "fw.hex",
            "jlink": "fw.hex", "stm32cubeprogrammer": "fw.elf"}

NO_PROBE = {
    "openocd": (1, "Open On-Chip Debugger 0.12.0\nLicensed under GNU GPL v2\n"
                   "Info : clock speed 500 kHz\nError: open failed\nin procedure 'program'\n"
                   "** OpenOCD init failed **\nshutdown command invoked\n"),
    "stflash": (255, "st-flash 1.7.0\n2026-12-02T01:13:43 WARN usb.c: Couldn't find any ST-Link devices\n"),
    "pyocd": (1, "No connected debug probes\n0000878 E No target device available [load_cmd]\n"),
    "commander": (254, "ERROR: Cannot connect to J-Link.\nERROR: Could not open J-Link connection.\nDONE\n"),
    "jlink": (1, "SEGGER J-Link Commander V7.94e\nConnecting to J-Link via USB...FAILED: "
                 "Cannot connect to J-Link.\n"),
    "stm32cubeprogrammer": (1, "      STM32CubeProgrammer v2.16.0\nError: No debug probe detected.\n"),
}
ACCESS = {
    "openocd": (1, "Info : clock speed 500 kHz\n"
                   "Error: libusb_open() failed with LIBUSB_ERROR_ACCESS\nError: open failed\n"),
    "stflash": (255, "st-flash 1.7.0\nWARN usb.c: Could not open USB device 0x0483:0x374b, access error.\n"
                     "WARN usb.c: Couldn't find any ST-Link devices\n"),
    "pyocd": (1, "0000312 W [Errno 13] Access denied (insufficient permissions) while trying to get "
                 "the STLink USB device configuration (VID=0483 PID=374b). This can probably be "
                 "remedied with a udev rule. See <https://github.com/pyocd/pyOCD/tree/master/udev> "
                 "for help. [usb]\nNo connected debug probes\n"),
}
NO_TARGET = {
    "openocd": (1, "Info : STLINK V3J7M2 (API v3) VID:PID 0483:374E\nInfo : Target voltage: 0.0\n"
                   "Error: init mode failed (unable to connect to the target)\n"),
    "stflash": (255, "st-flash 1.7.0\nWARN common.c: unknown chip id! 0x1a\nFailed to connect to target\n"),
    "stm32cubeprogrammer": (1, "ST-LINK SN  : 003A00\nError: No STM32 target found!\n"),
}


def _fake(bin_dir: Path, program: str, status: int, output: str) -> None:
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / program
    script.write_text(f"#!/bin/sh\ncat >&2 <<'FAKE_EOF'\n{output}FAKE_EOF\nexit {status}\n")
    script.chmod(0o755)


@pytest.fixture()
def fakes(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    return bin_dir


def _runner(name, tmp_path, **kwargs):
    image = tmp_path / IMAGE_OF[name]
    image.write_bytes(b"\0" * 16)
    return get_runner(name)(get_board(BOARD_OF[name]), **kwargs), image


@pytest.mark.parametrize("name", sorted(NO_PROBE))
def test_no_probe_says_what_to_plug_in(name, fakes, tmp_path):
    status, output = NO_PROBE[name]
    runner, image = _runner(name, tmp_path)
    _fake(fakes, runner.programs[0], status, output)
    with pytest.raises(ProbeNotFoundError) as err:
        runner.run("flash", image=image)
    text = str(err.value)
    board = runner.board
    assert "found no debug probe" in text and f"connect the {board.name}" in text
    assert str(board.usb) in text and board.usb.description in text


@pytest.mark.parametrize("name", ["openocd", "stflash", "pyocd", "commander"])
def test_no_probe_with_a_serial_number_says_which(name, fakes, tmp_path):
    status, output = NO_PROBE[name]
    runner, image = _runner(name, tmp_path, probe="0669FF")
    _fake(fakes, runner.programs[0], status, output)
    with pytest.raises(ProbeNotFoundError) as err:
        runner.run("reset")
    text = str(err.value)
    assert "with serial number 0669FF" in text and "leave out --probe" in text
    if runner.list_probes:
        assert runner.list_probes in text


@pytest.mark.parametrize("name", sorted(ACCESS))
def test_access_refused_names_the_udev_rule(name, fakes, tmp_path, monkeypatch):
    rules = tmp_path / "rules.d"
    rules.mkdir()
    board = get_board(BOARD_OF[name])
    (rules / "49-stlinkv3.rules").write_text(
        f'SUBSYSTEMS=="usb", ATTRS{{idVendor}}=="{board.usb.vid:04x}", '
        f'ATTRS{{idProduct}}=="{board.usb.pid:04x}", MODE:="0666"\n')
    (rules / "50-other.rules").write_text('ATTRS{idVendor}=="1234", ATTRS{idProduct}=="5678"\n')
    monkeypatch.setattr(core, "UDEV_RULE_DIRS", (rules,))
    status, output = ACCESS[name]
    runner, image = _runner(name, tmp_path)
    _fake(fakes, runner.programs[0], status, output)
    with pytest.raises(ProbeAccessError) as err:
        runner.run("flash", image=image)
    text = str(err.value)
    assert "the OS refused access" in text
    assert str(rules / "49-stlinkv3.rules") in text and "50-other" not in text
    assert "plugdev" in text and "udevadm control --reload-rules" in text


def test_access_refused_without_a_rule_names_the_package(fakes, tmp_path, monkeypatch):
    monkeypatch.setattr(core, "UDEV_RULE_DIRS", (tmp_path / "none",))
    status, output = ACCESS["openocd"]
    runner, image = _runner("openocd", tmp_path)
    _fake(fakes, "openocd", status, output)
    with pytest.raises(ProbeAccessError) as err:
        runner.run("flash", image=image)
    text = str(err.value)
    assert "no udev rule on this machine covers 0483:374e" in text
    assert "apt-get install stlink-tools openocd" in text and "49-stlinkv3.rules" in text


def test_the_debian_rules_cover_the_boards_probes():
    """Where Debian's openocd / stlink-tools are installed, their rules name the boards' USB ids."""
    for board_id in ("b_u585i_iot02a", "b_l475e_iot01a", "nucleo_h743zi", "xg24_dk2601b"):
        usb = get_board(board_id).usb
        found = [p.name for p in core.udev_rules_for(usb.vid, usb.pid)]
        if not any(d.is_dir() and any(d.glob("60-openocd.rules")) for d in core.UDEV_RULE_DIRS):
            pytest.skip("Debian's openocd (60-openocd.rules) is not installed")
        assert "60-openocd.rules" in found, board_id


@pytest.mark.parametrize("name", sorted(NO_TARGET))
def test_a_silent_chip_is_told_apart(name, fakes, tmp_path):
    status, output = NO_TARGET[name]
    runner, image = _runner(name, tmp_path)
    _fake(fakes, runner.programs[0], status, output)
    with pytest.raises(TargetNotRespondingError, match=f"not the {runner.board.mcu}"):
        runner.run("flash", image=image)


def test_another_failure_shows_the_tools_output(fakes, tmp_path):
    runner, image = _runner("openocd", tmp_path)
    _fake(fakes, "openocd", 1, "Error: flash write algorithm aborted by target\n")
    with pytest.raises(core.FwgenError, match="(?s)openocd failed with exit status 1.*aborted by target"):
        runner.run("flash", image=image)


@pytest.mark.parametrize("name", sorted(BOARD_OF))
def test_a_missing_program_says_what_to_install(name, fakes, tmp_path, monkeypatch):
    monkeypatch.setattr(core, "program_path", lambda program: None)   # not beside Python either
    runner, image = _runner(name, tmp_path)
    with pytest.raises(ToolMissingError) as err:
        runner.run("flash", image=image)
    text = str(err.value)
    assert f"'{runner.programs[0]}' was not found" in text and runner.install_hint in text
    expected = {"openocd": "apt-get install openocd", "stflash": "apt-get install stlink-tools",
                "commander": "pip install 'fwgen[commander]'", "pyocd": "pip install",
                "jlink": "SEGGER", "stm32cubeprogrammer": "STM32CubeProgrammer"}[name]
    assert expected in text


def test_a_program_beside_python_is_found(tmp_path, monkeypatch):
    """pyocd and pycommander-cli live in the virtual environment's bin/, which need not be on
    PATH when .venv/bin/fwgen runs."""
    venv_bin = tmp_path / "venv" / "bin"
    _fake(venv_bin, "pyocd", 0, "")
    monkeypatch.setattr(core.sys, "executable", str(venv_bin / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert core.program_path("pyocd") == str(venv_bin / "pyocd")
    assert core.program_path("openocd") is None


def test_a_hanging_tool_is_killed_with_its_children_within_the_bound(fakes, tmp_path):
    child = f"sleep {300 + os.getpid() % 1000}.4321"    # a name no other test's process has
    (fakes / "openocd").write_text(f"#!/bin/sh\n{child} &\n"
                                   "echo 'Info : waiting for the target'\nsleep 300\n")
    (fakes / "openocd").chmod(0o755)
    runner, image = _runner("openocd", tmp_path, timeout=1.0)
    started = time.monotonic()
    with pytest.raises(ToolTimeoutError) as err:
        runner.run("flash", image=image)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0 + 2 * core.KILL_GRACE_S + 1.0
    text = str(err.value)
    assert "did not finish within 1 s and was killed" in text and "waiting for the target" in text
    assert "--timeout" in text
    time.sleep(0.2)
    left = subprocess.run(["pgrep", "-f", child], capture_output=True, text=True)
    assert left.stdout.strip() == "", "a child of the hanging tool survived"


def test_the_default_bound_is_two_minutes(tmp_path):
    runner, _ = _runner("openocd", tmp_path)
    assert runner.timeout == core.FLASH_TIMEOUT_S == 120.0
    assert _runner("openocd", tmp_path, timeout=5)[0].timeout == 5.0


def test_dry_run_runs_nothing(fakes, tmp_path):
    _fake(fakes, "openocd", 0, "")
    (fakes / "openocd").write_text(f"#!/bin/sh\ntouch {tmp_path}/ran\n")
    runner, image = _runner("openocd", tmp_path, dry_run=True)
    assert runner.run("flash", image=image) == ""
    assert not (tmp_path / "ran").exists() and len(runner.commands) == 1


def test_success_returns_the_output(fakes, tmp_path):
    _fake(fakes, "st-flash", 0, "INFO common.c: Flash written and verified! jolly good!\n")
    runner, image = _runner("stflash", tmp_path)
    assert "jolly good" in runner.run("flash", image=image)


# -- the real tools, where installed, with no probe attached ---------------------------------
@pytest.mark.skipif(shutil.which("openocd") is None, reason="openocd is not installed")
def test_real_openocd_without_a_probe(tmp_path):
    runner, image = _runner("openocd", tmp_path, timeout=30)
    started = time.monotonic()
    with pytest.raises(ProbeNotFoundError, match="Error: open failed"):
        runner.run("flash", image=image)
    assert time.monotonic() - started < 30


@pytest.mark.skipif(shutil.which("st-flash") is None, reason="stlink-tools is not installed")
def test_real_st_flash_without_a_probe(tmp_path):
    runner, image = _runner("stflash", tmp_path, timeout=30)
    with pytest.raises(ProbeNotFoundError, match="Couldn't find any ST-Link devices"):
        runner.run("flash", image=image)


@pytest.mark.skipif(core.program_path("pyocd") is None, reason="pyocd is not installed")
def test_real_pyocd_without_a_probe_does_not_wait(tmp_path):
    runner, image = _runner("pyocd", tmp_path, timeout=60)
    started = time.monotonic()
    with pytest.raises(ProbeNotFoundError, match="No connected debug probes"):
        runner.run("flash", image=image)
    assert time.monotonic() - started < 60


def test_real_pycommander_without_a_kit(tmp_path):
    if core.program_path("pycommander-cli") is None:
        pytest.skip("silabs-pycommander-cli is not installed (pip install 'fwgen[commander]')")
    runner, image = _runner("commander", tmp_path, timeout=60)
    with pytest.raises(ProbeNotFoundError, match="Cannot connect to J-Link"):
        runner.run("flash", image=image)
