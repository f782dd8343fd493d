"""Runners: exact command lines (dry run), capabilities as data, clear errors."""
from __future__ import annotations

import argparse
import ast
import os
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
from fwgen.runners.args import parse_record
from fwgen.runners.qemu import QemuArgs, QemuRunner, QemuSession
from fwgen.runners.registry import NOT_RUNNER_MODULES

PENDING = ("commander", "jlink", "openocd", "pyocd", "stflash", "stm32cubeprogrammer")

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
    assert sorted(runners()) == sorted(("qemu", *PENDING))
    for name, cls in runners().items():
        assert cls.name == name and issubclass(cls, Runner)
    # every runner a shipped board names is registered
    assert {n for b in load_boards().values() for n in b.runners.names()} <= set(runners())


@pytest.mark.parametrize("name", PENDING)
def test_pending_runner_has_typed_args_and_no_commands(name):
    cls = get_runner(name)
    assert issubclass(cls, PendingRunner) and cls.caps == RunnerCaps() and cls.caps.supported() == ()
    board = next(b for b in load_boards().values() if name in b.runners.names())
    runner = cls(board, dry_run=True)
    assert isinstance(runner.board_args, cls.Args)
    for command in ("flash", "erase", "reset", "emulate"):
        with pytest.raises(FwgenError, match=f"runner '{name}' cannot {command}") as err:
            runner.run(command)
        assert "it supports: nothing" in str(err.value)
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
        self.probe = probe
        super().__init__(board, **kwargs)

    @classmethod
    def add_options(cls, parser):
        parser.add_argument("--probe", metavar="UID", help="probe to use")

    @classmethod
    def from_options(cls, board, options, **kwargs):
        return super().from_options(board, options, probe=options.probe, **kwargs)


def test_runner_options_hook(monkeypatch):
    parser = argparse.ArgumentParser()
    parser.add_argument("--dry-run", action="store_true")
    add_runner_options(parser)   # every registered runner: none adds options today
    assert [a.dest for a in parser._actions] == ["help", "dry_run"]
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
