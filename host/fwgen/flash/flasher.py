"""Pick a board's runner and run it: flash an image, erase, reset, or start a twin."""
from __future__ import annotations

import argparse
import logging
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fwgen.errors import FwgenError
from fwgen.flash.images import FirmwareImage, image_for_runner
from fwgen.runners import Runner, get_runner

if TYPE_CHECKING:
    from fwgen.boards import Board
    from fwgen.device.twin_state import TwinRecord

LOG = logging.getLogger(__name__)


@dataclass
class FlashResult:
    board: Any                         # fwgen.boards.Board
    runner: str
    command: str                       # "flash" | "erase" | "reset"
    image: Path | None                 # the file the tool was given
    commands: list[list[str]]          # every argv run (or, on a dry run, that would run)
    dry_run: bool
    twin: TwinRecord | None = None     # the twin started (emulator boards)
    found: str = ""                    # how the image was chosen
    output: str = field(default="", repr=False)

    def command_lines(self) -> list[str]:
        return [" ".join(shlex.quote(a) for a in argv) for argv in self.commands]


def make_runner(board: Board, name: str | None = None, options: argparse.Namespace | None = None,
                **kwargs: Any) -> Runner:
    """The runner `name` (default: the board's default) for `board`, from parsed CLI `options`
    (its own options, --dry-run, --probe, --timeout) or keyword arguments."""
    name = name or board.runners.default
    if name not in board.runners.names():
        raise FwgenError(f"{board.id} has no '{name}' runner", where="--runner",
                         hint=f"its runners: {', '.join(board.runners.names())} "
                              f"(default {board.runners.default})")
    cls = get_runner(name)
    if options is not None:
        return cls.from_options(board, options, **kwargs)
    return cls(board, **kwargs)


def _check_twin_options(runner: Runner, erase: bool) -> None:
    if erase:
        raise FwgenError(f"{runner.board.id} is an emulator twin: it has no flash to erase",
                         where="--erase")


def flash_board(runner: Runner, image: FirmwareImage, *, erase: bool = False,
                port: int | None = None) -> FlashResult:
    """Write `image` with `runner` (erasing first with `erase`) and reset; on a twin, start it in
    the background on `port` (default: a free one)."""
    board = runner.board
    if runner.caps.emulate:
        from fwgen.flash.images import check_image_for_board
        from fwgen.flash.twin import start_twin

        _check_twin_options(runner, erase)
        if runner.probe:
            raise FwgenError(f"{board.id} is an emulator twin: it has no probe", where="--probe")
        if image.format != "elf":
            raise FwgenError("QEMU runs an ELF", where=str(image.path),
                             hint=f"give .pio/build/{board.id}/firmware.elf")
        check_image_for_board(image, board)
        record = start_twin(runner, image.path, port=port)   # type: ignore[arg-type]
        return FlashResult(board, runner.name, "flash", image.path, runner.commands,
                           runner.dry_run, twin=record, found=image.found)
    if port is not None:
        raise FwgenError("--port is the TCP port of an emulator twin's UART", where="--port",
                         hint=f"{board.id} is a board: leave out --port")
    path, fmt, address = image_for_runner(runner, image)
    output = runner.run("flash", image=path, fmt=fmt, erase=erase, address=address)
    return FlashResult(board, runner.name, "flash", path, runner.commands, runner.dry_run,
                       found=image.found, output=output)


def erase_board(runner: Runner) -> FlashResult:
    output = runner.run("erase")
    return FlashResult(runner.board, runner.name, "erase", None, runner.commands, runner.dry_run,
                       output=output)


def reset_board(runner: Runner) -> FlashResult:
    output = runner.run("reset")
    return FlashResult(runner.board, runner.name, "reset", None, runner.commands, runner.dry_run,
                       output=output)


def flash_commands(board: Board, runner: str | None = None, image: str = "$SOURCE",
                   fmt: str | None = None, **kwargs: Any) -> list[list[str]]:
    """The command lines `runner` (default: the board's) runs to flash `image` (a path or a
    placeholder such as PlatformIO's ``$SOURCE``; `fmt` defaults to the format the runner
    prefers). Pure: nothing runs, no file or PATH is checked. For PlatformIO's
    ``upload_protocol = custom`` / ``upload_command``."""
    chosen = make_runner(board, runner, dry_run=True, **kwargs)
    if chosen.caps.emulate:
        raise FwgenError(f"{board.id} is an emulator twin: fwgen flash starts it, no upload tool")
    return chosen.flash_argv(image, fmt=fmt or chosen.image_formats[0])   # type: ignore[attr-defined]


def upload_command(board: Board, runner: str | None = None, image: str = "$SOURCE",
                   fmt: str | None = None, **kwargs: Any) -> str:
    """`flash_commands` as one shell line (commands joined by ``&&``), e.g. for platformio.ini."""
    return " && ".join(" ".join(shlex.quote(a) if a != image else a for a in argv)
                       for argv in flash_commands(board, runner, image, fmt, **kwargs))
