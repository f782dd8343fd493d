"""Runner base (after Zephyr's runners/core.py): one class per tool that flashes or runs firmware.

A runner declares what it can do as data (`RunnerCaps`), its board arguments as a typed record
(`Runner.Args`, checked when the board is loaded), the image formats it takes
(`Runner.image_formats`), the messages its tool prints when no probe is attached or the OS
refuses the USB device (`Runner.messages`), its own command-line options
(`Runner.add_options` / `Runner.from_options`), rejects an unsupported command or option in
one place (`Runner.run`), and starts every program through one wrapper (`Runner.call` /
`Runner.popen`) that logs the quoted argv, honours ``dry_run`` (log, record, do not execute),
raises `ToolMissingError` naming a missing program and what to install, bounds the run in
time (the whole process group is killed past `timeout`; every child dies with fwgen, see
fwgen.process) and turns the tool's output into a clear error (`ProbeNotFoundError`,
`ProbeAccessError`, `TargetNotRespondingError`, `ToolTimeoutError`). Tests assert the exact
argv a runner would run (``runner.commands`` after a dry run, or `FlashRunner.flash_argv`), not
mocked hardware.

This module imports no runner and no board code at run time (Board is a type hint only); the
registry (`fwgen.runners.registry`) finds the runner modules.

Public API::

    RunnerCaps(flash=False, erase=False, reset=False, emulate=False, dev_id=False, ...)
    Runner(board, *, dry_run=False, extra_args=(), probe=None, timeout=None)   # abstract
    Runner.run(command: str, **kwargs)                  # "flash" | "erase" | "reset" | "emulate"
    Runner.call(argv) -> str                            # bounded, diagnosed; "" on a dry run
    FlashRunner.flash_argv(image, fmt=None, erase=False, address=None) -> list[argv]
    FlashRunner.erase_argv() / reset_argv() -> list[argv]
    ToolMessages(no_probe=(...), access=(...), no_target=(...))   # substrings of tool output
    PendingRunner                                       # typed board arguments, no commands yet
"""
from __future__ import annotations

import abc
import argparse
import logging
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Sequence

from fwgen import process
from fwgen.errors import FwgenError, ToolMissingError
from fwgen.runners.args import NoArgs, parse_record

if TYPE_CHECKING:
    from fwgen.boards import Board

LOG = logging.getLogger(__name__)

COMMANDS = ("flash", "erase", "reset", "emulate")
IMAGE_FORMATS = ("elf", "hex", "bin")
FLASH_TIMEOUT_S = 120.0     # a flash of 2 MB with verify takes well under a minute
KILL_GRACE_S = process.KILL_GRACE_S   # SIGTERM -> SIGKILL

# Where udev rules live (searched for the rule that covers a probe's USB id).
UDEV_RULE_DIRS = (Path("/etc/udev/rules.d"), Path("/run/udev/rules.d"), Path("/lib/udev/rules.d"),
                  Path("/usr/lib/udev/rules.d"))
# Host facts, by probe vendor: the Debian packages whose udev rules give users access.
UDEV_PACKAGES = {
    0x0483: "Debian's stlink-tools (49-stlinkv2-1.rules, 49-stlinkv3.rules) or openocd "
            "(60-openocd.rules): apt-get install stlink-tools openocd",
    0x1366: "Debian's openocd (60-openocd.rules covers SEGGER J-Link) or SEGGER's J-Link "
            "software (99-jlink.rules): apt-get install openocd",
}


class ProbeNotFoundError(FwgenError):
    """The tool ran but found no debug probe (or none with the serial number asked for)."""


class ProbeAccessError(FwgenError):
    """The probe is attached but the OS refused to open its USB device (udev, groups)."""


class TargetNotRespondingError(FwgenError):
    """The probe answered but the microcontroller behind it did not."""


class ToolTimeoutError(FwgenError):
    """The tool ran past its time bound and was killed (with its whole process group)."""


@dataclass(frozen=True)
class RunnerCaps:
    """What a runner supports (data, checked before anything runs)."""
    flash: bool = False        # write an image to the target
    erase: bool = False        # mass-erase (alone, or before flashing)
    reset: bool = False        # reset the target without flashing
    emulate: bool = False      # run the image in an emulator
    serial: bool = False       # provides the serial port itself (e.g. QEMU's TCP UART)
    exit_status: bool = False  # the firmware's exit status comes back (semihosting)
    dev_id: bool = False       # picks one of several probes by serial number (--probe)

    def supports(self, command: str) -> bool:
        return command in COMMANDS and bool(getattr(self, command, False))

    def supported(self) -> tuple[str, ...]:
        """The runner commands supported, in COMMANDS order (empty: none written yet)."""
        return tuple(c for c in COMMANDS if self.supports(c))


@dataclass(frozen=True)
class ToolMessages:
    """Substrings of a tool's output (case-insensitive) that say why it failed. Checked in the
    order access, no_probe, no_target: a tool that cannot open a probe also says it found none."""
    no_probe: tuple[str, ...] = ()
    access: tuple[str, ...] = ()
    no_target: tuple[str, ...] = ()


def _first_line_with(output: str, patterns: Sequence[str]) -> str | None:
    lowered = [p.lower() for p in patterns]
    for line in output.splitlines():
        if any(p in line.lower() for p in lowered):
            return line.strip()
    return None


def udev_rules_for(vid: int, pid: int, dirs: Sequence[Path] | None = None) -> list[Path]:
    """The udev rule files on this machine that name USB id `vid`:`pid`."""
    pattern = re.compile(rf'idVendor}}=="{vid:04x}".*idProduct}}=="{pid:04x}"', re.IGNORECASE)
    found: dict[str, Path] = {}
    for folder in (UDEV_RULE_DIRS if dirs is None else dirs):
        try:
            files = sorted(folder.glob("*.rules"))
        except OSError:
            continue
        for path in files:
            try:
                text = path.read_text(errors="replace")
            except OSError:
                continue
            if path.name not in found and pattern.search(text):
                found[path.name] = path
    return sorted(found.values(), key=lambda p: p.name)


def access_hint(board: Board) -> str:
    """What to change when the OS refuses the probe's USB device: the udev rule and the group."""
    reload = ("reload the rules (sudo udevadm control --reload-rules && sudo udevadm trigger) "
              "and re-plug the board")
    if board.usb is None:
        return f"give your user access to the probe's USB device (a udev rule), {reload}"
    rules = udev_rules_for(board.usb.vid, board.usb.pid)
    if rules:
        names = ", ".join(str(p) for p in rules)
        return (f"the udev rule for {board.usb} is installed ({names}) but this user may not open "
                f"the device: add yourself to the plugdev group (sudo usermod -aG plugdev $USER, "
                f"then log in again) and {reload}")
    package = UDEV_PACKAGES.get(board.usb.vid, "a udev rule for the probe")
    return f"no udev rule on this machine covers {board.usb}: install {package}, then {reload}"


def no_probe_hint(board: Board, probe: str | None, list_command: str | None) -> str:
    """What to plug in (or which --probe to give) when a tool finds no probe."""
    if probe:
        listing = f" ({list_command} lists them)" if list_command else ""
        return f"no attached probe has serial number {probe}{listing}: check it, or leave out --probe"
    via = f" ({board.usb.description}, USB {board.usb})" if board.usb else ""
    check = f"; `lsusb` should then list {board.usb}" if board.usb else ""
    return f"connect the {board.name} through its debugger's USB port{via}{check}"


def program_path(program: str) -> str | None:
    """`program` on PATH, or beside this Python (a virtual environment's bin/, where pyocd and
    pycommander-cli are when fwgen runs without the environment activated)."""
    return shutil.which(program) or shutil.which(program, path=str(Path(sys.executable).parent))


end_process_group = process.end_group   # the name runners and their tests know


def run_bounded(argv: Sequence[str], timeout: float) -> tuple[int, str]:
    """Run `argv` in its own process group with stdin closed; (exit status, stdout+stderr).
    Past `timeout` seconds (or on Ctrl-C) the whole group is ended: ToolTimeoutError."""
    proc = process.start(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, errors="replace")
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        end_process_group(proc)
        try:
            output, _ = proc.communicate(timeout=KILL_GRACE_S)
        except subprocess.TimeoutExpired:   # a grandchild left its own group, holding the pipe
            output = ""
        tail = "\n".join((output or "").strip().splitlines()[-10:])
        raise ToolTimeoutError(
            f"{Path(argv[0]).name} did not finish within {timeout:g} s and was killed"
            + (f"\n{tail}" if tail else ""),
            hint="check the probe's cable and the board's power; a longer bound: --timeout S") from None
    except BaseException:
        end_process_group(proc)
        raise
    return proc.returncode, output or ""


class Runner(abc.ABC):
    """One flashing/emulation tool. Subclasses set `name`, `caps`, `programs`, `Args` and
    `do_run`, and may add command-line options (`add_options` / `from_options`)."""

    name: ClassVar[str] = ""
    caps: ClassVar[RunnerCaps] = RunnerCaps()
    programs: ClassVar[tuple[str, ...]] = ()
    install_hint: ClassVar[str | None] = None
    Args: ClassVar[type] = NoArgs   # frozen dataclass of this runner's board arguments
    image_formats: ClassVar[tuple[str, ...]] = ()   # what it flashes, preferred first
    messages: ClassVar[ToolMessages] = ToolMessages()
    list_probes: ClassVar[str | None] = None        # the command that lists attached probes
    timeout_s: ClassVar[float] = FLASH_TIMEOUT_S

    def __init__(self, board: Board, *, dry_run: bool = False, extra_args: Sequence[str] = (),
                 probe: str | None = None, timeout: float | None = None):
        self.board = board
        self.dry_run = dry_run
        self.extra_args = list(extra_args)
        self.probe = probe or None
        self.timeout = float(timeout) if timeout else self.timeout_s
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
        """Add this runner's own options (``--pack``...). The base adds none."""

    @classmethod
    def from_options(cls, board: Board, options: argparse.Namespace, **kwargs: Any) -> "Runner":
        """The runner for `board` from parsed options (those of `add_options`, plus
        ``--dry-run``, ``--probe`` and ``--timeout`` when the verb has them). Override to pass
        this runner's own options on."""
        kwargs.setdefault("probe", getattr(options, "probe", None))
        kwargs.setdefault("timeout", getattr(options, "timeout", None))
        return cls(board, dry_run=bool(getattr(options, "dry_run", False)), **kwargs)

    # -- template method ------------------------------------------------------------------
    def run(self, command: str, **kwargs: Any) -> Any:
        """Check that `command` and the options asked for are supported, then do it (`do_run`)."""
        if command not in COMMANDS:
            raise FwgenError(f"unknown runner command {command!r}", hint=f"one of {', '.join(COMMANDS)}")
        if not self.caps.supports(command):
            raise FwgenError(f"runner '{self.name}' cannot {command}",
                             hint=f"it supports: {', '.join(self.caps.supported()) or 'nothing'}")
        if kwargs.get("erase") and not self.caps.erase:
            raise FwgenError(f"runner '{self.name}' cannot erase", where="--erase")
        if self.probe and not self.caps.dev_id:
            raise FwgenError(f"runner '{self.name}' cannot choose a probe", where="--probe",
                             hint="leave out --probe")
        return self.do_run(command, **kwargs)

    @abc.abstractmethod
    def do_run(self, command: str, **kwargs: Any) -> Any:
        """Carry out a supported command."""

    # -- subprocess wrapper ---------------------------------------------------------------
    def require(self, program: str, hint: str | None = None) -> str:
        """`program` as it goes into argv, after checking it is on PATH (ToolMissingError naming
        it and what to install otherwise; a dry run only logs)."""
        if not self.dry_run and program_path(program) is None:
            raise ToolMissingError(program, hint=hint or self.install_hint)
        return program

    def _log(self, argv: Sequence[str]) -> None:
        quoted = " ".join(shlex.quote(a) for a in argv)
        self.commands.append(list(argv))
        LOG.info("%s%s", "(dry run) " if self.dry_run else "", quoted)

    def call(self, argv: Sequence[str], *, timeout: float | None = None,
             hint: str | None = None) -> str:
        """Run to completion within `timeout` (default: this runner's bound) and return its
        output ("" on a dry run). A failure raises the error its output explains (no probe,
        access refused, target silent) or FwgenError with the output's tail."""
        self._log(argv)
        if self.dry_run:
            return ""
        self.require(argv[0], hint=hint)
        program = program_path(argv[0]) or argv[0]
        status, output = run_bounded([program, *argv[1:]], timeout or self.timeout)
        LOG.debug("%s output:\n%s", argv[0], output)
        if status != 0:
            raise self.diagnose(argv[0], status, output)
        return output

    def diagnose(self, program: str, status: int, output: str) -> FwgenError:
        """The error a failed run of `program` means, read from its output."""
        access = _first_line_with(output, self.messages.access)
        if access:
            return ProbeAccessError(f"{program} could not open the debug probe: the OS refused "
                                    f"access ({access})", hint=access_hint(self.board))
        missing = _first_line_with(output, self.messages.no_probe)
        if missing:
            which = f" with serial number {self.probe}" if self.probe else ""
            return ProbeNotFoundError(f"{program} found no debug probe{which} ({missing})",
                                      hint=no_probe_hint(self.board, self.probe, self.list_probes))
        silent = _first_line_with(output, self.messages.no_target)
        if silent:
            return TargetNotRespondingError(
                f"{program} reached the probe but not the {self.board.mcu} ({silent})",
                hint="check the board's power and its debugger jumpers, then retry; "
                     "a chip stuck in low-power code may need --erase")
        tail = "\n".join(output.strip().splitlines()[-30:])
        return FwgenError(f"{program} failed with exit status {status}" + (f"\n{tail}" if tail else ""))

    def popen(self, argv: Sequence[str], *, detached: bool = False,
              **kwargs: Any) -> subprocess.Popen | None:
        """Start a long-running program in its own process group (None on a dry run). It dies
        with fwgen (fwgen.process) unless `detached` (a twin left running on purpose)."""
        self._log(argv)
        if self.dry_run:
            return None
        return process.start(argv, detached=detached, **kwargs)


def hex_address(address: int) -> str:
    return f"0x{address:08x}"


class FlashRunner(Runner):
    """A tool that programs a board through a debug probe. Subclasses give the argv of each
    command (`flash_argv`, `erase_argv`, `reset_argv`: pure, no file or PATH is touched, so the
    same lines serve dry runs, tests and PlatformIO's upload command); `do_run` runs them in
    order through `call`."""

    caps = RunnerCaps(flash=True, erase=True, reset=True, dev_id=True)

    def image_format(self, image: str | Path, fmt: str | None = None) -> str:
        """The format of `image` (`fmt`, or its suffix), checked against `image_formats`."""
        fmt = fmt or Path(str(image)).suffix.lower().lstrip(".") or self.image_formats[0]
        if fmt not in self.image_formats:
            raise FwgenError(f"runner '{self.name}' takes {', '.join(self.image_formats)} images, "
                             f"not {fmt}", where=str(image))
        return fmt

    def flash_address(self, address: int | None = None) -> int:
        """Where a raw .bin goes: `address`, or the board's flash origin (boards/<id>.yaml)."""
        return self.board.memory.flash.origin if address is None else address

    @abc.abstractmethod
    def flash_argv(self, image: str | Path, *, fmt: str | None = None, erase: bool = False,
                   address: int | None = None) -> list[list[str]]:
        """The command lines that write `image` (erasing the chip first with `erase`) and reset."""

    @abc.abstractmethod
    def erase_argv(self) -> list[list[str]]:
        """The command lines that mass-erase the chip."""

    @abc.abstractmethod
    def reset_argv(self) -> list[list[str]]:
        """The command lines that reset the chip and let it run."""

    def do_run(self, command: str, *, image: str | Path | None = None, fmt: str | None = None,
               erase: bool = False, address: int | None = None) -> str:
        if command == "flash":
            if image is None:
                raise FwgenError(f"runner '{self.name}': flash needs an image")
            if not self.dry_run and not Path(image).is_file():
                raise FwgenError("firmware image not found", where=str(image))
            argvs = self.flash_argv(image, fmt=fmt, erase=erase, address=address)
        elif command == "erase":
            argvs = self.erase_argv()
        else:
            argvs = self.reset_argv()
        return "".join(self.call(argv) for argv in argvs)


class PendingRunner(Runner):
    """A runner whose board arguments are typed and checked but whose commands are not written
    yet: `caps` supports nothing, so `run()` refuses every command ("runner 'x' cannot flash")
    and nothing pretends to flash."""

    caps = RunnerCaps()

    def do_run(self, command: str, **kwargs: Any) -> Any:  # pragma: no cover - run() refuses first
        raise FwgenError(f"runner '{self.name}' has no commands in this fwgen yet")
