"""Runners: exact command lines (dry run), capabilities as data, clear errors."""
from __future__ import annotations

import argparse
import ast
import os
import shutil
import pkgutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import fwgen
import fwgen.runners
from fwgen.boards import get_board, load_boards
from fwgen.errors import FwgenError, ToolMissingError
from fwgen.runners import PendingRunner, Runner, RunnerCaps, add_runner_options, get_runner, runners
from fwgen.runners.core import FlashRunner
from fwgen.runners.args import parse_record
from fwgen.runners.qemu import QemuArgs, QemuRunner, QemuSession
from fwgen.runners.registry import NOT_RUNNER_MODULES

FLASH_RUNNERS = ("commander", "jlink", "openocd", "pyocd", "stflash", "stm32cubeprogrammer")

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


def test_registry_lists_every_runner_module():
    modules = {m.name for m in pkgutil.iter_modules(fwgen.runners.__path__)} - NOT_RUNNER_MODULES
    assert {cls.__module__.rsplit(".", 1)[1] for cls in runners().values()} == modules
    assert sorted(runners()) == sorted(("qemu", *FLASH_RUNNERS))
    for name, cls in runners().items():
        assert cls.name == name and issubclass(cls, Runner)
    # every runner a shipped board names is registered
    assert {n for b in load_boards().values() for n in b.runners.names()} <= set(runners())


class _Pending(PendingRunner):
    """A tool whose commands are not written yet (not in the package, so not registered)."""
    name = "pending-test"


def test_pending_runner_has_typed_args_and_no_commands(monkeypatch):
    monkeypatch.setattr(_Pending, "name", "pyocd")   # a runner the board names
    monkeypatch.setattr(_Pending, "Args", get_runner("pyocd").Args)
    cls = _Pending
    assert issubclass(cls, PendingRunner) and cls.caps == RunnerCaps() and cls.caps.supported() == ()
    runner = cls(get_board("stm32u5"), dry_run=True)
    assert isinstance(runner.board_args, cls.Args)
    for command in ("flash", "erase", "reset", "emulate"):
        with pytest.raises(FwgenError, match=f"runner 'pyocd' cannot {command}") as err:
            runner.run(command)
        assert "it supports: nothing" in str(err.value)
    assert runner.commands == []


@pytest.mark.parametrize("name", FLASH_RUNNERS)
def test_flash_runner_has_typed_args_and_caps(name):
    cls = get_runner(name)
    assert issubclass(cls, FlashRunner) and not issubclass(cls, PendingRunner)
    assert cls.caps == RunnerCaps(flash=True, erase=True, reset=True, dev_id=True)
    assert cls.caps.supported() == ("flash", "erase", "reset")
    assert cls.image_formats and set(cls.image_formats) <= {"elf", "hex", "bin"}
    boards = [b for b in load_boards().values() if name in b.runners.names()]
    assert boards
    for board in boards:
        runner = cls(board, dry_run=True)
        assert isinstance(runner.board_args, cls.Args)
        with pytest.raises(FwgenError, match=f"runner '{name}' cannot emulate"):
            runner.run("emulate")
        assert runner.commands == []


def test_qemu_board_args_are_a_typed_record():
    runner = QemuRunner(get_board("mps2_an505"))
    assert runner.board_args == QemuArgs(machine="mps2-an505", cpu="cortex-m33")
    assert get_board("mps2_an505").qemu_machine == "mps2-an505"


@dataclass(frozen=True)
class _Sample:
    name: str
    count: int
    scripts: tuple[str, ...]
    verify: bool = True
    serial: str | None = None


@pytest.mark.parametrize("data,expected", [
    ({"name": "x", "count": 3, "scripts": ["a", "b"]}, _Sample("x", 3, ("a", "b"))),
    ({"name": "x", "count": 0, "scripts": [], "verify": False, "serial": "S1"},
     _Sample("x", 0, (), False, "S1")),
    ({"name": "x", "count": 1, "scripts": ["a"], "serial": None}, _Sample("x", 1, ("a",))),
])
def test_parse_record_types(data, expected):
    assert parse_record(_Sample, data, "b.yaml: runners.t") == expected


@pytest.mark.parametrize("data,where,message", [
    ({"count": 1, "scripts": []}, "runners.t.name", "missing required field"),
    ({"name": "x", "count": 1.5, "scripts": []}, "runners.t.count", "expected an integer"),
    ({"name": "x", "count": 1, "scripts": ["a", 2]}, "runners.t.scripts", "list of non-empty strings"),
    ({"name": "x", "count": 1, "scripts": [], "serial": 7}, "runners.t.serial", "non-empty string"),
    ({"name": "x", "count": 1, "scripts": [], "speed": 1, "probe": 2}, "runners.t",
     "unknown field(s): probe, speed"),
    ("x", "runners.t", "expected a mapping"),
])
def test_parse_record_errors_name_the_field(data, where, message):
    with pytest.raises(FwgenError) as err:
        parse_record(_Sample, data, "b.yaml: runners.t")
    assert f"b.yaml: {where}: " in str(err.value) and message in str(err.value)


class _ProbeRunner(PendingRunner):
    """A runner with options of its own (not in the package, so not registered)."""
    name = "probe-test"

    def __init__(self, board, *, probe=None, **kwargs):
        super().__init__(board, probe=probe, **kwargs)

    @classmethod
    def add_options(cls, parser):
        parser.add_argument("--probe", metavar="UID", help="probe to use")

    @classmethod
    def from_options(cls, board, options, **kwargs):
        return super().from_options(board, options, probe=options.probe, **kwargs)


def test_runner_options_hook(monkeypatch):
    parser = argparse.ArgumentParser()
    parser.add_argument("--dry-run", action="store_true")
    add_runner_options(parser)   # every registered runner: pyocd adds --pack
    assert [a.dest for a in parser._actions] == ["help", "dry_run", "pack"]
    titles = [g.title for g in parser._action_groups]
    assert all(f"{name} runner options" in titles for name in runners())

    add_runner_options(parser, [_ProbeRunner])
    options = parser.parse_args(["--probe", "0669FF", "--dry-run"])
    board = get_board("stm32u5")
    monkeypatch.setattr(_ProbeRunner, "name", "pyocd")   # a runner of that board
    runner = _ProbeRunner.from_options(board, options)
    assert runner.probe == "0669FF" and runner.dry_run
    assert "probe-test runner options" in parser.format_help()
    with pytest.raises(argparse.ArgumentError):   # two runners claiming one option fail early
        add_runner_options(parser, [_ProbeRunner])

    qemu = QemuRunner.from_options(get_board("an505"), argparse.Namespace(dry_run=True))
    assert isinstance(qemu, QemuRunner) and qemu.dry_run


def _imports(path: Path, module: str) -> set[str]:
    """fwgen modules `path` imports at run time (function-level too; not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text())
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
            and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: fwgen uses absolute imports"
            base = node.module or ""
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return {m for m in found if m.split(".")[0] == "fwgen"}


def test_runners_and_boards_are_in_no_import_circle():
    root = Path(fwgen.__file__).parent
    graph = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        graph[name] = path
    edges = {name: {m for m in _imports(path, name) if m in graph} - {name}
             for name, path in graph.items()}
    mine = [m for m in graph if m.startswith(("fwgen.runners", "fwgen.boards"))]

    def reaches(start, goal):
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            for nxt in edges.get(node, ()):
                if nxt == goal:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    assert [m for m in mine if reaches(m, m)] == []
    assert "fwgen.boards" not in edges["fwgen.runners.core"]
    assert not any(edges[m] & {"fwgen.runners.registry"} for m in mine
                   if m not in ("fwgen.runners", "fwgen.boards"))


# -- flash runners: the exact command lines, per runner x board x option -----------------------
U5_OCD = ["openocd", "-f", "interface/stlink-dap.cfg", "-c", "transport select dapdirect_swd",
          "-f", "target/stm32u5x.cfg", "-c", "reset_config srst_only srst_nogate connect_assert_srst"]
L4_OCD = ["openocd", "-f", "board/st_b-l475e-iot01a.cfg"]
H7_OCD = ["openocd", "-f", "board/st_nucleo_h743zi.cfg"]
HALT = ["-c", "init", "-c", "reset halt"]
L4_ERASE = [*HALT, "-c", "stm32l4x mass_erase 0"]
H7_ERASE = [*HALT, "-c", "stm32h7x mass_erase 0", "-c", "stm32h7x mass_erase 1"]
PROGRAM = ["-c", "program fw.elf verify reset exit"]
SN = ["-c", "adapter serial 0669FF"]
CUBE = ["STM32_Programmer_CLI", "-c", "port=SWD"]
XG24 = ["--device", "EFR32MG24B310F1536IM48"]
JLINK = ["JLinkExe", "-nogui", "1", "-device", "EFR32MG24BxxxF1536", "-if", "SWD", "-speed", "4000",
         "-autoconnect", "1", "-ExitOnError", "1"]


def _pyocd(sub, target, *extra):
    return ["pyocd", sub, "--no-wait", "-t", target, *extra]


FLASH_TABLE = [
    # runner, board, image, options, expected argv list
    ("openocd", "b_u585i_iot02a", "fw.elf", {}, [U5_OCD + PROGRAM]),
    ("openocd", "b_u585i_iot02a", "fw.elf", {"probe": "0669FF"}, [U5_OCD + SN + PROGRAM]),
    ("openocd", "b_u585i_iot02a", "fw.elf", {"erase": True}, [U5_OCD + L4_ERASE + PROGRAM]),
    ("openocd", "b_u585i_iot02a", "fw.hex", {}, [U5_OCD + ["-c", "program fw.hex verify reset exit"]]),
    ("openocd", "b_u585i_iot02a", "fw.bin", {},
     [U5_OCD + ["-c", "program fw.bin verify reset exit 0x08000000"]]),
    ("openocd", "b_u585i_iot02a", "my fw.elf", {},
     [U5_OCD + ["-c", "program {my fw.elf} verify reset exit"]]),
    ("openocd", "b_l475e_iot01a", "fw.elf", {}, [L4_OCD + PROGRAM]),
    ("openocd", "b_l475e_iot01a", "fw.elf", {"probe": "0669FF", "erase": True},
     [L4_OCD + SN + L4_ERASE + PROGRAM]),
    ("openocd", "nucleo_h743zi", "fw.elf", {}, [H7_OCD + PROGRAM]),
    ("openocd", "nucleo_h743zi", "fw.elf", {"erase": True}, [H7_OCD + H7_ERASE + PROGRAM]),
    ("openocd", "nucleo_h743zi", "fw.bin", {"probe": "0669FF"},
     [H7_OCD + SN + ["-c", "program fw.bin verify reset exit 0x08000000"]]),
    ("stflash", "b_l475e_iot01a", "fw.bin", {}, [["st-flash", "--reset", "write", "fw.bin", "0x08000000"]]),
    ("stflash", "b_l475e_iot01a", "fw.bin", {"probe": "0669FF"},
     [["st-flash", "--serial", "0669FF", "--reset", "write", "fw.bin", "0x08000000"]]),
    ("stflash", "b_l475e_iot01a", "fw.bin", {"erase": True},
     [["st-flash", "erase"], ["st-flash", "--reset", "write", "fw.bin", "0x08000000"]]),
    ("stflash", "b_l475e_iot01a", "fw.hex", {},
     [["st-flash", "--reset", "--format", "ihex", "write", "fw.hex"]]),
    ("stflash", "nucleo_h743zi", "fw.bin", {}, [["st-flash", "--reset", "write", "fw.bin", "0x08000000"]]),
    ("stflash", "nucleo_h743zi", "fw.bin", {"probe": "0669FF", "erase": True},
     [["st-flash", "--serial", "0669FF", "erase"],
      ["st-flash", "--serial", "0669FF", "--reset", "write", "fw.bin", "0x08000000"]]),
    ("pyocd", "b_l475e_iot01a", "fw.elf", {}, [_pyocd("load", "stm32l475xg", "fw.elf")]),
    ("pyocd", "b_l475e_iot01a", "fw.elf", {"probe": "0669FF", "erase": True},
     [_pyocd("load", "stm32l475xg", "-u", "0669FF", "-e", "chip", "fw.elf")]),
    ("pyocd", "b_l475e_iot01a", "fw.bin", {},
     [_pyocd("load", "stm32l475xg", "fw.bin", "--base-address", "0x08000000")]),
    ("pyocd", "nucleo_h743zi", "fw.hex", {}, [_pyocd("load", "stm32h743xx", "fw.hex")]),
    ("pyocd", "b_u585i_iot02a", "fw.elf", {"pack": "U5.pack"},
     [_pyocd("load", "stm32u585aiix", "--pack", "U5.pack", "fw.elf")]),
    ("pyocd", "b_u585i_iot02a", "fw.elf", {"pack": "U5.pack", "probe": "0669FF"},
     [_pyocd("load", "stm32u585aiix", "--pack", "U5.pack", "-u", "0669FF", "fw.elf")]),
    ("pyocd", "xg24_dk2601b", "fw.hex", {"pack": "MG24.pack"},
     [_pyocd("load", "efr32mg24b310f1536im48", "--pack", "MG24.pack", "fw.hex")]),
    ("stm32cubeprogrammer", "b_u585i_iot02a", "fw.elf", {}, [CUBE + ["-w", "fw.elf", "-v", "-rst"]]),
    ("stm32cubeprogrammer", "b_u585i_iot02a", "fw.elf", {"probe": "0669FF", "erase": True},
     [CUBE + ["sn=0669FF", "-e", "all", "-w", "fw.elf", "-v", "-rst"]]),
    ("stm32cubeprogrammer", "b_l475e_iot01a", "fw.bin", {},
     [CUBE + ["-w", "fw.bin", "0x08000000", "-v", "-rst"]]),
    ("stm32cubeprogrammer", "nucleo_h743zi", "fw.hex", {}, [CUBE + ["-w", "fw.hex", "-v", "-rst"]]),
    ("commander", "xg24_dk2601b", "fw.hex", {}, [["pycommander-cli", "flash", "fw.hex", *XG24]]),
    ("commander", "xg24_dk2601b", "fw.hex", {"probe": "440123456", "erase": True},
     [["pycommander-cli", "flash", "fw.hex", *XG24, "--serialno", "440123456", "--masserase"]]),
    ("commander", "xg24_dk2601b", "fw.bin", {},
     [["pycommander-cli", "flash", "fw.bin", *XG24, "--address", "0x08000000"]]),
    ("jlink", "xg24_dk2601b", "fw.hex", {}, [JLINK + ["-CommandFile", "SCRIPTS/flash.jlink"]]),
    ("jlink", "xg24_dk2601b", "fw.hex", {"probe": "440123456"},
     [JLINK + ["-USB", "440123456", "-CommandFile", "SCRIPTS/flash.jlink"]]),
]


def _make(name, board, options, tmp_path=None):
    kwargs = {k: v for k, v in options.items() if k in ("probe", "pack")}
    if name == "jlink":
        kwargs["script_dir"] = Path("SCRIPTS")
    return get_runner(name)(get_board(board), dry_run=True, **kwargs)


@pytest.mark.parametrize("name,board,image,options,expected", FLASH_TABLE,
                         ids=[f"{r[0]}-{r[1]}-{r[2]}-{'-'.join(sorted(r[3])) or 'plain'}"
                              for r in FLASH_TABLE])
def test_flash_argv(name, board, image, options, expected):
    runner = _make(name, board, options)
    erase = options.get("erase", False)
    assert runner.flash_argv(image, erase=erase) == expected
    runner.run("flash", image=Path(image), erase=erase)    # the dry run records the same lines
    assert runner.commands == expected


OTHER_TABLE = [
    # runner, board, options, erase argv list, reset argv list
    ("openocd", "b_u585i_iot02a", {}, [U5_OCD + L4_ERASE + ["-c", "shutdown"]],
     [U5_OCD + ["-c", "init", "-c", "reset run", "-c", "shutdown"]]),
    ("openocd", "b_l475e_iot01a", {"probe": "0669FF"}, [L4_OCD + SN + L4_ERASE + ["-c", "shutdown"]],
     [L4_OCD + SN + ["-c", "init", "-c", "reset run", "-c", "shutdown"]]),
    ("openocd", "nucleo_h743zi", {}, [H7_OCD + H7_ERASE + ["-c", "shutdown"]],
     [H7_OCD + ["-c", "init", "-c", "reset run", "-c", "shutdown"]]),
    ("stflash", "b_l475e_iot01a", {}, [["st-flash", "erase"]], [["st-flash", "reset"]]),
    ("stflash", "nucleo_h743zi", {"probe": "0669FF"}, [["st-flash", "--serial", "0669FF", "erase"]],
     [["st-flash", "--serial", "0669FF", "reset"]]),
    ("pyocd", "b_l475e_iot01a", {}, [_pyocd("erase", "stm32l475xg", "--chip")],
     [_pyocd("reset", "stm32l475xg")]),
    ("pyocd", "nucleo_h743zi", {"probe": "0669FF"},
     [_pyocd("erase", "stm32h743xx", "-u", "0669FF", "--chip")],
     [_pyocd("reset", "stm32h743xx", "-u", "0669FF")]),
    ("pyocd", "b_u585i_iot02a", {"pack": "U5.pack"},
     [_pyocd("erase", "stm32u585aiix", "--pack", "U5.pack", "--chip")],
     [_pyocd("reset", "stm32u585aiix", "--pack", "U5.pack")]),
    ("pyocd", "xg24_dk2601b", {"pack": "MG24.pack"},
     [_pyocd("erase", "efr32mg24b310f1536im48", "--pack", "MG24.pack", "--chip")],
     [_pyocd("reset", "efr32mg24b310f1536im48", "--pack", "MG24.pack")]),
    ("stm32cubeprogrammer", "b_u585i_iot02a", {}, [CUBE + ["-e", "all"]], [CUBE + ["-rst"]]),
    ("stm32cubeprogrammer", "b_l475e_iot01a", {"probe": "0669FF"}, [CUBE + ["sn=0669FF", "-e", "all"]],
     [CUBE + ["sn=0669FF", "-rst"]]),
    ("stm32cubeprogrammer", "nucleo_h743zi", {}, [CUBE + ["-e", "all"]], [CUBE + ["-rst"]]),
    ("commander", "xg24_dk2601b", {}, [["pycommander-cli", "device", "masserase", *XG24]],
     [["pycommander-cli", "device", "reset", *XG24]]),
    ("commander", "xg24_dk2601b", {"probe": "440123456"},
     [["pycommander-cli", "device", "masserase", *XG24, "--serialno", "440123456"]],
     [["pycommander-cli", "device", "reset", *XG24, "--serialno", "440123456"]]),
    ("jlink", "xg24_dk2601b", {}, [JLINK + ["-CommandFile", "SCRIPTS/erase.jlink"]],
     [JLINK + ["-CommandFile", "SCRIPTS/reset.jlink"]]),
]


@pytest.mark.parametrize("name,board,options,erase,reset", OTHER_TABLE,
                         ids=[f"{r[0]}-{r[1]}-{'-'.join(sorted(r[2])) or 'plain'}" for r in OTHER_TABLE])
def test_erase_and_reset_argv(name, board, options, erase, reset):
    runner = _make(name, board, options)
    assert runner.erase_argv() == erase and runner.reset_argv() == reset
    runner.run("erase")
    runner.run("reset")
    assert runner.commands == erase + reset


def test_every_flash_runner_and_board_is_in_the_tables():
    flashed = {(r[0], r[1]) for r in FLASH_TABLE}
    other = {(r[0], r[1]) for r in OTHER_TABLE}
    served = {(name, b.id) for b in load_boards().values() for name in b.runners.names()
              if name != "qemu"}
    assert flashed == served and other == served


def test_jlink_command_files():
    runner = _make("jlink", "xg24_dk2601b", {})
    runner.flash_argv("fw.hex")
    assert runner.script_text("flash") == "r\nloadfile fw.hex\nr\ng\nqc\n"
    runner.flash_argv("fw.hex", erase=True)
    assert runner.script_text("flash") == "r\nerase\nloadfile fw.hex\nr\ng\nqc\n"
    runner.flash_argv("fw.bin")
    assert runner.script_text("flash") == "r\nloadfile fw.bin 0x08000000\nr\ng\nqc\n"
    runner.erase_argv()
    runner.reset_argv()
    assert runner.script_text("erase") == "r\nerase\nqc\n"
    assert runner.script_text("reset") == "r\ng\nqc\n"


def test_jlink_writes_its_command_file_and_removes_it(tmp_path, monkeypatch):
    seen = {}
    fake = tmp_path / "bin" / "JLinkExe"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\nwhile [ $# -gt 1 ]; do shift; done\ncat \"$1\" > {tmp_path}/seen\n"
                    f"echo \"$1\" > {tmp_path}/where\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    image = tmp_path / "fw.hex"
    image.write_text(":00000001FF\n")
    runner = get_runner("jlink")(get_board("xg24_dk2601b"))
    runner.run("flash", image=image)
    seen["text"] = (tmp_path / "seen").read_text()
    script = Path((tmp_path / "where").read_text().strip())
    assert seen["text"] == f"r\nloadfile {image}\nr\ng\nqc\n"
    assert script.name == "flash.jlink" and not script.parent.exists()


def test_bin_address_can_be_given():
    runner = _make("stflash", "b_l475e_iot01a", {})
    assert runner.flash_argv("fw.bin", address=0x08010000)[0][-1] == "0x08010000"


@pytest.mark.parametrize("name,board,image", [
    ("stflash", "b_l475e_iot01a", "fw.elf"), ("commander", "xg24_dk2601b", "fw.elf"),
    ("jlink", "xg24_dk2601b", "fw.elf"), ("openocd", "b_l475e_iot01a", "fw.s37"),
])
def test_a_format_the_tool_does_not_take_is_refused(name, board, image):
    runner = _make(name, board, {})
    with pytest.raises(FwgenError, match=f"runner '{name}' takes .* images, not"):
        runner.flash_argv(image)


def test_pyocd_pack_is_required_for_pack_targets(tmp_path):
    for board in ("b_u585i_iot02a", "xg24_dk2601b"):
        runner = get_runner("pyocd")(get_board(board), dry_run=True)
        with pytest.raises(FwgenError, match="needs the CMSIS device pack") as err:
            runner.flash_argv("fw.elf")
        assert "--pack" in str(err.value) and "cannot download" in str(err.value)
    assert "Keil.STM32U5xx_DFP" in str(pytest.raises(FwgenError, get_runner("pyocd")(
        get_board("b_u585i_iot02a"), dry_run=True).reset_argv).value)
    runner = get_runner("pyocd")(get_board("b_u585i_iot02a"), pack=tmp_path / "missing.pack")
    with pytest.raises(FwgenError, match="CMSIS pack not found"):
        runner.erase_argv()


def test_pyocd_builtin_targets_exist():
    """The targets the board files name without a pack are built into the pinned pyOCD."""
    target = pytest.importorskip("pyocd.target")
    for board in load_boards().values():
        if "pyocd" in board.runners.names():
            args = board.runners.get("pyocd")
            assert (args.target in target.TARGET) != args.pack_required, board.id


def test_erase_and_probe_are_refused_where_unsupported():
    qemu = QemuRunner(get_board("mps2_an505"), dry_run=True, probe="X")
    with pytest.raises(FwgenError, match="runner 'qemu' cannot choose a probe"):
        qemu.run("emulate", elf=Path("fw.elf"), port=1)
    assert qemu.commands == []


def test_openocd_transport_needs_an_interface(tmp_path):
    from fwgen.runners.openocd import OpenocdRunner
    with pytest.raises(FwgenError, match="runners.openocd.transport: a transport needs"):
        OpenocdRunner.parse_board_args({"config": ["t.cfg"], "transport": "swd"},
                                       "b.yaml: runners.openocd")
    with pytest.raises(FwgenError, match="runners.openocd.config: expected at least one"):
        OpenocdRunner.parse_board_args({"config": []}, "b.yaml: runners.openocd")


def test_openocd_erase_needs_board_commands(tmp_path, monkeypatch):
    from fwgen.runners.openocd import OpenocdArgs, OpenocdRunner
    runner = OpenocdRunner(get_board("b_l475e_iot01a"), dry_run=True)
    monkeypatch.setattr(runner, "board_args", OpenocdArgs(config=("board/x.cfg",)))
    with pytest.raises(FwgenError, match="names no erase commands"):
        runner.flash_argv("fw.elf", erase=True)


def test_st_boards_default_to_openocd_and_u5_has_no_stflash():
    for board in ("b_u585i_iot02a", "b_l475e_iot01a", "nucleo_h743zi"):
        assert get_board(board).runners.default == "openocd"
    assert "stflash" not in get_board("b_u585i_iot02a").runners.names()
    assert get_board("xg24_dk2601b").runners.default == "commander"
    assert "openocd" not in get_board("xg24_dk2601b").runners.names()   # no EFR32 Series 2


OPENOCD_SCRIPTS = Path("/usr/share/openocd/scripts")


@pytest.mark.skipif(not OPENOCD_SCRIPTS.is_dir(), reason="Debian's openocd is not installed")
def test_openocd_scripts_exist():
    for board in load_boards().values():
        if "openocd" in board.runners.names():
            args = board.runners.get("openocd")
            for script in filter(None, (args.interface, *args.config)):
                assert (OPENOCD_SCRIPTS / script).is_file(), f"{board.id}: {script}"


@pytest.mark.skipif(shutil.which("openocd") is None, reason="openocd is not installed")
@pytest.mark.parametrize("board", ["b_u585i_iot02a", "b_l475e_iot01a", "nucleo_h743zi"])
def test_real_openocd_accepts_the_board_configuration(board):
    """The real openocd parses the board's scripts and commands and gets as far as opening the
    probe (no probe here: 'open failed'), within a few seconds."""
    from fwgen.runners.openocd import OpenocdRunner
    runner = OpenocdRunner(get_board(board), timeout=20)
    argv = runner.setup_argv() + ["-c", "init", "-c", "shutdown"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    output = proc.stdout + proc.stderr
    # no probe here: 'open failed' (with one attached, init succeeds and shutdown exits 0)
    assert ("Error: open failed" in output) != (proc.returncode == 0), output
    for bad in ("invalid command name", "couldn't open", "Can't find", "unknown transport"):
        assert bad not in output, output
