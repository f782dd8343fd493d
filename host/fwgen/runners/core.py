"""Runner base (after Zephyr's runners/core.py): one class per tool that flashes or runs firmware.

A runner declares what it can do as data (`RunnerCaps`), its board arguments as a typed record
(`Runner.Args`, checked when the board is loaded), its own command-line options
(`Runner.add_options` / `Runner.from_options`), rejects an unsupported command in one place
(`Runner.run`), and starts every program through one wrapper (`Runner.call` / `Runner.popen`)
that logs the quoted argv, honours ``dry_run`` (log, record, do not execute) and raises
`ToolMissingError` naming a missing program. Tests assert the exact argv a runner would run
(``runner.commands`` after a dry run), not mocked hardware.

This module imports no runner and no board code at run time (Board is a type hint only); the
registry (`fwgen.runners.registry`) finds the runner modules.

Public API::

    RunnerCaps(flash=False, erase=False, reset=False, emulate=False, ...)
    Runner(board, *, dry_run=False, extra_args=())      # abstract; subclasses set name/caps
    Runner.run(command: str, **kwargs)                  # "flash" | "erase" | "reset" | "emulate"
    Runner.parse_board_args(mapping, where) -> Args     # at board load time
    Runner.add_options(parser); Runner.from_options(board, options) -> Runner
    PendingRunner                                       # typed board arguments, no commands yet
"""
from __future__ import annotations

import abc
import argparse
import logging
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Sequence

from fwgen.errors import FwgenError, ToolMissingError
from fwgen.runners.args import NoArgs, parse_record

if TYPE_CHECKING:
    from fwgen.boards import Board

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
        return command in COMMANDS and bool(getattr(self, command, False))

    def supported(self) -> tuple[str, ...]:
        """The runner commands supported, in COMMANDS order (empty: none written yet)."""
        return tuple(c for c in COMMANDS if self.supports(c))


class Runner(abc.ABC):
    """One flashing/emulation tool. Subclasses set `name`, `caps`, `programs`, `Args` and
    `do_run`, and may add command-line options (`add_options` / `from_options`)."""

    name: ClassVar[str] = ""
    caps: ClassVar[RunnerCaps] = RunnerCaps()
    programs: ClassVar[tuple[str, ...]] = ()
    install_hint: ClassVar[str | None] = None
    Args: ClassVar[type] = NoArgs   # frozen dataclass of this runner's board arguments

    def __init__(self, board: Board, *, dry_run: bool = False, extra_args: Sequence[str] = ()):
        self.board = board
        self.dry_run = dry_run
        self.extra_args = list(extra_args)
        self.commands: list[list[str]] = []   # every argv this runner ran (or would run)
        try:
            self.board_args: Any = board.runners.get(self.name)   # an instance of self.Args
        except KeyError:
            raise FwgenError(f"board {board.id} has no '{self.name}' runner",
                             where=f"{board.source}: runners",
                             hint=f"runners of this board: {', '.join(board.runners.names())}") from None

    # -- board arguments and command-line options ----------------------------------------
    @classmethod
    def parse_board_args(cls, data: Any, where: str) -> Any:
        """This runner's `Args` record from its YAML mapping (`where`: ``file: runners.NAME``).
        Override to add checks across fields."""
        return parse_record(cls.Args, data, where)

    @classmethod
    def add_options(cls, parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
        """Add this runner's own options (``--probe``, ``--dev-id``...). The base adds none."""

    @classmethod
    def from_options(cls, board: Board, options: argparse.Namespace, **kwargs: Any) -> "Runner":
        """The runner for `board` from parsed options (those of `add_options`, plus
        ``--dry-run`` when the verb has it). Override to pass this runner's own options on."""
        return cls(board, dry_run=bool(getattr(options, "dry_run", False)), **kwargs)

    # -- template method ------------------------------------------------------------------
    def run(self, command: str, **kwargs: Any) -> Any:
        """Check that `command` is supported, then do it (`do_run`)."""
        if command not in COMMANDS:
            raise FwgenError(f"unknown runner command {command!r}", hint=f"one of {', '.join(COMMANDS)}")
        if not self.caps.supports(command):
            raise FwgenError(f"runner '{self.name}' cannot {command}",
                             hint=f"it supports: {', '.join(self.caps.supported()) or 'nothing'}")
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


class PendingRunner(Runner):
    """A runner whose board arguments are typed and checked but whose commands are not written
    yet: `caps` supports nothing, so `run()` refuses every command ("runner 'pyocd' cannot
    flash") and nothing pretends to flash."""

    caps = RunnerCaps()

    def do_run(self, command: str, **kwargs: Any) -> Any:  # pragma: no cover - run() refuses first
        raise FwgenError(f"runner '{self.name}' has no commands in this fwgen yet")
