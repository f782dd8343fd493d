"""Runner base (after Zephyr's runners/core.py): one class per tool that flashes or runs firmware.

A runner declares what it can do as data (`RunnerCaps`), rejects an unsupported command in one
place (`Runner.run`), and starts every program through one wrapper (`Runner.call` /
`Runner.popen`) that logs the quoted argv, honours ``dry_run`` (log, record, do not execute) and
raises `ToolMissingError` naming a missing program. Tests assert the exact argv a runner would
run (``runner.commands`` after a dry run), not mocked hardware.

Public API::

    RunnerCaps(flash=False, erase=False, reset=False, emulate=False, ...)
    Runner(board, *, dry_run=False, extra_args=())      # abstract; subclasses set name/caps
    Runner.run(command: str, **kwargs)                  # "flash" | "erase" | "reset" | "emulate"
    get_runner(name) -> type[Runner]; runners() -> dict[str, type[Runner]]
"""
from __future__ import annotations

import abc
import logging
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any, ClassVar, Sequence

from fwgen.boards import Board
from fwgen.errors import FwgenError, ToolMissingError

LOG = logging.getLogger(__name__)

COMMANDS = ("flash", "erase", "reset", "emulate")


@dataclass(frozen=True)
class RunnerCaps:
    """What a runner supports (data, checked before anything runs)."""
    flash: bool = False        # write an image to the target
    erase: bool = False        # mass-erase before flashing
    reset: bool = False        # reset the target without flashing
    emulate: bool = False      # run the image in an emulator
    serial: bool = False       # provides the serial port itself (e.g. QEMU's TCP UART)
    exit_status: bool = False  # the firmware's exit status comes back (semihosting)

    def supports(self, command: str) -> bool:
        return bool(getattr(self, command, False))


class Runner(abc.ABC):
    """One flashing/emulation tool. Subclasses set `name`, `caps`, `programs` and `do_run`."""

    name: ClassVar[str] = ""
    caps: ClassVar[RunnerCaps] = RunnerCaps()
    programs: ClassVar[tuple[str, ...]] = ()
    install_hint: ClassVar[str | None] = None

    def __init__(self, board: Board, *, dry_run: bool = False, extra_args: Sequence[str] = ()):
        self.board = board
        self.dry_run = dry_run
        self.extra_args = list(extra_args)
        self.commands: list[list[str]] = []   # every argv this runner ran (or would run)
        try:
            self.board_args: dict[str, Any] = board.runners.get(self.name)
        except KeyError:
            raise FwgenError(f"board {board.id} has no '{self.name}' runner",
                             where=f"{board.source}: runners",
                             hint=f"runners of this board: {', '.join(board.runners.names())}") from None

    # -- template method ------------------------------------------------------------------
    def run(self, command: str, **kwargs: Any) -> Any:
        """Check that `command` is supported, then do it (`do_run`)."""
        if command not in COMMANDS:
            raise FwgenError(f"unknown runner command {command!r}", hint=f"one of {', '.join(COMMANDS)}")
        if not self.caps.supports(command):
            supported = [c for c in COMMANDS if self.caps.supports(c)]
            raise FwgenError(f"runner '{self.name}' cannot {command}",
                             hint=f"it supports: {', '.join(supported) or 'nothing'}")
        return self.do_run(command, **kwargs)

    @abc.abstractmethod
    def do_run(self, command: str, **kwargs: Any) -> Any:
        """Carry out a supported command."""

    # -- subprocess wrapper ---------------------------------------------------------------
    def require(self, program: str) -> str:
        """`program` as it goes into argv, after checking it is on PATH (ToolMissingError naming
        it otherwise; a dry run only logs)."""
        if shutil.which(program) is None and not self.dry_run:
            raise ToolMissingError(program, hint=self.install_hint)
        return program

    def _log(self, argv: Sequence[str]) -> None:
        quoted = " ".join(shlex.quote(a) for a in argv)
        self.commands.append(list(argv))
        LOG.info("%s%s", "(dry run) " if self.dry_run else "", quoted)

    def call(self, argv: Sequence[str], **kwargs: Any) -> int:
        """Run to completion; FwgenError with its output when it fails. 0 on a dry run."""
        self._log(argv)
        if self.dry_run:
            return 0
        proc = subprocess.run(list(argv), capture_output=True, text=True, **kwargs)
        if proc.returncode != 0:
            raise FwgenError(f"{argv[0]} failed with exit status {proc.returncode}\n"
                             f"{proc.stdout}{proc.stderr}".rstrip())
        return 0

    def popen(self, argv: Sequence[str], **kwargs: Any) -> subprocess.Popen | None:
        """Start a long-running program in its own process group (None on a dry run)."""
        self._log(argv)
        if self.dry_run:
            return None
        return subprocess.Popen(list(argv), start_new_session=True, **kwargs)


_REGISTRY: dict[str, type[Runner]] = {}


def register(cls: type[Runner]) -> type[Runner]:
    _REGISTRY[cls.name] = cls
    return cls


def runners() -> dict[str, type[Runner]]:
    import fwgen.runners.qemu  # noqa: F401  (registers itself)
    return dict(sorted(_REGISTRY.items()))


def get_runner(name: str) -> type[Runner]:
    available = runners()
    if name not in available:
        raise FwgenError(f"no runner named {name!r} in this fwgen",
                         hint=f"available: {', '.join(available)}")
    return available[name]
