"""`fwgen flash` on the command line: --dry-run prints the commands; user mistakes exit 2 with
a message and no traceback; a twin starts in the background and --stop ends it."""
from __future__ import annotations

import os

import pytest

from fwgen.cli import main
from fwgen.device import twin_state
from fwgen.flash.twin import READY_TEXT

from test_flash_images import U5, make_build

U5_SETUP = ("openocd -f interface/stlink-dap.cfg -c 'transport select dapdirect_swd' -f "
            "target/stm32u5x.cfg -c 'reset_config srst_only srst_nogate connect_assert_srst'")


@pytest.fixture()
def workdir(tmp_path, monkeypatch):
    """A folder like the one `fwgen build` ran in: build/micro_speech-b_u585i_iot02a/."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FWGEN_CACHE_DIR", str(tmp_path / "cache"))
    make_build(tmp_path / "build", "micro_speech-b_u585i_iot02a", U5)
    return tmp_path


def _run(capsys, *argv):
    code = main(["flash", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_dry_run_prints_the_commands_of_the_newest_build(workdir, capsys):
    code, out, err = _run(capsys, "--board", "stm32u5", "--dry-run")
    elf = "build/micro_speech-b_u585i_iot02a/.pio/build/b_u585i_iot02a/firmware.elf"
    assert code == 0 and err == ""
    assert out.splitlines() == [
        f"image: {elf} (newest build: build/micro_speech-b_u585i_iot02a)",
        f"would run: {U5_SETUP} -c 'program {elf} verify reset exit'"]


def test_without_board_the_build_says_which(workdir, capsys):
    code, out, _ = _run(capsys, "--dry-run")
    assert code == 0 and "would run: openocd -f interface/stlink-dap.cfg" in out
    code, out, _ = _run(capsys, "--dry-run",
                        "build/micro_speech-b_u585i_iot02a/.pio/build/mps2_an505/firmware.elf")
    assert code == 0 and "would run: qemu-system-arm -M mps2-an505" in out


def test_options_reach_the_tool(workdir, capsys):
    code, out, _ = _run(capsys, "--board", "stm32u5", "--dry-run", "--erase", "--serial-number",
                        "0669FF", "build/micro_speech-b_u585i_iot02a")
    assert code == 0
    assert ("-c 'adapter serial 0669FF' -c init -c 'reset halt' -c 'stm32l4x mass_erase 0' -c "
            "'program build/micro_speech-b_u585i_iot02a/.pio/build/b_u585i_iot02a/firmware.elf "
            "verify reset exit'") in out
    code, out, _ = _run(capsys, "--board", "stm32u5", "--runner", "pyocd", "--pack", "U5.pack",
                        "--probe", "0669FF", "--dry-run", "build/micro_speech-b_u585i_iot02a")
    assert code == 0 and ("would run: pyocd load --no-wait -t stm32u585aiix --pack U5.pack -u 0669FF "
                          "build/micro_speech-b_u585i_iot02a/.pio/build/b_u585i_iot02a/firmware.elf") in out
    code, out, _ = _run(capsys, "--board", "stm32u5", "--reset", "--dry-run")
    assert code == 0 and out.strip() == \
        f"would run: {U5_SETUP} -c init -c 'reset run' -c shutdown"


def test_a_twin_dry_run_names_its_port(workdir, capsys):
    code, out, _ = _run(capsys, "--board", "an505", "--port", "4321", "--dry-run")
    elf = workdir / "build/micro_speech-b_u585i_iot02a/.pio/build/mps2_an505/firmware.elf"
    assert code == 0 and out.splitlines()[-1] == (
        "would run: qemu-system-arm -M mps2-an505 -display none -monitor none -no-reboot "
        f"-semihosting-config enable=on,target=native -icount shift=0 -kernel {elf} "
        "-serial tcp:127.0.0.1:4321,server=on,wait=on,nodelay=on")
    assert not twin_state.record_path("mps2_an505").exists()


@pytest.mark.parametrize("argv,message", [
    (["--board", "stm32u5", "--runner", "stflash", "--dry-run"], "has no 'stflash' runner"),
    (["--board", "stm32u5", "--runner", "teleport", "--dry-run"], "has no 'teleport' runner"),
    (["--board", "stm32u5", "--runner", "pyocd", "--dry-run"], "needs the CMSIS device pack"),
    (["--board", "stm32f4", "--dry-run"], "unknown board 'stm32f4'"),
    (["--board", "nucleo_h743zi", "--dry-run"], "no firmware built for nucleo_h743zi"),
    (["--board", "stm32u5", "--stop"], "only emulator twins run in the background"),
    (["--board", "an505", "--stop", "--erase"], "--stop takes only --board"),
    (["--board", "stm32u5", "--reset", "--erase"], "--reset resets without flashing"),
    (["--board", "stm32u5", "--timeout", "0", "--dry-run"], "--timeout: must be a positive"),
    (["--board", "an505", "--port", "70000", "--dry-run"], "--port: not a TCP port"),
    (["--board", "stm32u5", "--port", "4000", "--dry-run"], "--port is the TCP port of an emulator"),
    (["--board", "an505", "--erase", "--dry-run"], "no flash to erase"),
    (["--board", "stm32u5", "--dry-run", "missing.elf"], "missing.elf: no such file or folder"),
    (["--board", "stm32u5", "--dry-run",
      "build/micro_speech-b_u585i_iot02a/.pio/build/mps2_an505/firmware.elf"],
     "built for mps2_an505, not b_u585i_iot02a"),
])
def test_user_mistakes_exit_2_without_a_traceback(workdir, capsys, argv, message):
    code, out, err = _run(capsys, *argv)
    assert code == 2 and err.startswith("fwgen flash: error: ")
    assert message in err and "Traceback" not in err
    assert out == "" or out.startswith("image: ")


def test_no_board_and_no_build(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(capsys)
    assert code == 2 and "which board?" in err and "fwgen build --model micro_speech" in err


def test_a_missing_tool_exits_2_and_says_what_to_install(workdir, capsys, monkeypatch):
    monkeypatch.setattr("fwgen.runners.core.program_path", lambda program: None)
    code, _, err = _run(capsys, "--board", "stm32u5")
    assert code == 2 and "'openocd' was not found" in err and "apt-get install openocd" in err


def test_argparse_mistakes_exit_2(capsys):
    with pytest.raises(SystemExit) as err:
        main(["flash", "--timeout", "soon"])
    assert err.value.code == 2


FAKE_QEMU = f"""#!/bin/sh
for arg in "$@"; do case "$arg" in tcp:*) serial="$arg";; esac; done
echo "qemu-system-arm: -serial $serial: info: {READY_TEXT}: disconnected:$serial" >&2
sleep 60
"""


def test_a_twin_starts_in_the_background_and_stops(workdir, capsys, monkeypatch):
    bin_dir = workdir / "bin"
    bin_dir.mkdir()
    (bin_dir / "qemu-system-arm").write_text(FAKE_QEMU)
    (bin_dir / "qemu-system-arm").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    code, out, _ = _run(capsys, "--board", "mps2_an505")
    record = twin_state.read_record("mps2_an505")
    try:
        assert code == 0 and record is not None and twin_state.is_running(record)
        assert f"mps2_an505: QEMU twin running {record.elf} (pid {record.pid})" in out
        assert f"UART: {record.url}" in out and "fwgen flash --board mps2_an505 --stop" in out
        assert twin_state.running_twin("mps2_an505") == record.url
        code, out, _ = _run(capsys, "--board", "mps2_an505", "--stop")
        assert code == 0 and out.strip() == \
            f"mps2_an505: stopped the twin (pid {record.pid}, {record.url})"
        assert not twin_state.process_alive(record.pid)
        code, out, _ = _run(capsys, "--board", "mps2_an505", "--stop")
        assert code == 0 and out.strip() == "mps2_an505: no twin running"
    finally:
        twin_state.stop_twin("mps2_an505")


def test_flash_is_a_registered_verb(capsys):
    with pytest.raises(SystemExit):
        main(["flash", "--help"])
    out = capsys.readouterr().out
    for option in ("--board", "--runner", "--probe", "--erase", "--dry-run", "--stop", "--pack",
                   "PROJECT|ELF|HEX"):
        assert option in out
