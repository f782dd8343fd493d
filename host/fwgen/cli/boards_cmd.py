"""`fwgen boards [show ID]`: list the boards fwgen knows, or explain one."""
from __future__ import annotations

import argparse
import json
import logging

from fwgen.boards import Board, get_board, load_boards
from fwgen.cli.base import Command
from fwgen.runners.args import record_items

LOG = logging.getLogger(__name__)


def _kib(n: int) -> str:
    return f"{n // 1024} KiB" if n % 1024 == 0 else f"{n} B"


def describe(board: Board) -> list[str]:
    """Human explanation of one board (every line comes from the board file)."""
    lines = [f"{board.id}: {board.name}",
             f"  source      {board.source}",
             f"  aliases     {', '.join(board.aliases) or '-'}",
             f"  MCU         {board.mcu} ({board.vendor}), port '{board.port}'",
             f"  core        {board.core} ({board.arch}), FPU {board.fpu}, "
             f"DSP {'yes' if board.dsp else 'no'}, TrustZone {'yes' if board.trustzone else 'no'}",
             f"  clock       {board.clock_hz / 1e6:g} MHz",
             "  memory"]
    for region in board.memory.regions:
        lines.append(f"    {region.name:<9} 0x{region.origin:08x}  {_kib(region.length):>9}")
    lines.append(f"  stack       {_kib(board.stack_bytes)}")
    lines.append(f"  serial      {board.uart.peripheral} tx={board.uart.tx} rx={board.uart.rx} "
                 f"{board.uart.baud} baud")
    if board.microphone:
        mic = board.microphone
        pins = ", ".join(f"{k}={v}" for k, v in mic.pins) or "pins not recorded"
        lines.append(f"  microphone  {mic.part}: {mic.kind.upper()} on {mic.peripheral} ({pins})"
                     + ("" if mic.confirmed else " [not yet confirmed on hardware]"))
    else:
        lines.append("  microphone  none (audio over the serial link or a built-in clip)")
    from fwgen.project.render import port_info

    sources = ["serial link", "compiled-in clip"]
    if board.microphone is not None:
        sources.append("microphone" if port_info(board.port).get("microphone")
                       else "microphone (no driver in this fwgen yet)")
    lines.append(f"  audio in    {', '.join(sources)}")
    lines.append(f"  USB         {board.usb} ({board.usb.description})" if board.usb else "  USB         -")
    lines.append(f"  runners     {', '.join(board.runners.names())} (default {board.runners.default})")
    for name in board.runners.names():
        args = record_items(board.runners.get(name))
        if args:
            lines.append(f"    {name:<10} " + ", ".join(f"{k}={v}" for k, v in sorted(args)))
    lines.append(f"  PlatformIO  board {board.platformio_board}")
    lines.append(f"  twin        {board.twin or ('(is an emulator: QEMU ' + str(board.qemu_machine) + ')')}")
    return lines


def as_dict(board: Board) -> dict:
    return {
        "id": board.id, "name": board.name, "aliases": list(board.aliases), "mcu": board.mcu,
        "core": board.core, "fpu": board.fpu, "dsp": board.dsp, "clock_hz": board.clock_hz,
        "flash": {"origin": board.memory.flash.origin, "length": board.memory.flash.length},
        "ram": {"origin": board.memory.ram.origin, "length": board.memory.ram.length},
        "usb": str(board.usb) if board.usb else None, "runners": list(board.runners.names()),
        "platformio_board": board.platformio_board, "twin": board.twin,
        "emulator": board.is_emulator,
    }


class BoardsCommand(Command):
    name = "boards"
    help = "list supported boards and emulator twins, or explain one (boards show ID)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("action", nargs="?", choices=["list", "show"], default="list")
        parser.add_argument("board", nargs="?", help="board id or alias (for show)")
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def invoke(self, args: argparse.Namespace) -> int:
        from fwgen.errors import FwgenError

        if args.action == "show":
            if not args.board:
                raise FwgenError("'boards show' needs a board id", hint="see 'fwgen boards'")
            board = get_board(args.board)
            print(json.dumps(as_dict(board), indent=2) if args.json else "\n".join(describe(board)))
            return 0
        if args.board:   # not ignored: the user may have meant 'boards show'
            raise FwgenError(f"'boards list' takes no board id (got {args.board!r})",
                             hint=f"to explain one board: fwgen boards show {args.board}")
        boards = load_boards()
        if args.json:
            print(json.dumps([as_dict(b) for b in boards.values()], indent=2))
            return 0
        print(f"{'id':<16} {'core':<11} {'MHz':>4} {'flash':>9} {'RAM':>9}  {'twin':<11} aliases")
        for b in boards.values():
            twin = b.twin or "(emulator)"
            print(f"{b.id:<16} {b.core:<11} {b.clock_hz // 1_000_000:>4} "
                  f"{_kib(b.memory.flash.length):>9} {_kib(b.memory.ram.length):>9}  {twin:<11} "
                  f"{', '.join(b.aliases)}")
        return 0
