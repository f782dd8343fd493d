"""`fwgen flash`: program a board with the firmware `fwgen build` made (or start its twin)."""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

from fwgen.boards import get_board
from fwgen.cli.base import Command
from fwgen.cli.options import add_board_option, add_probe_option, add_runner_option
from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)


class FlashCommand(Command):
    name = "flash"
    help = "program a board (or start its emulator twin) with the firmware fwgen build made"
    description = (
        "Write the firmware to the board with its runner (boards/<id>.yaml: openocd, stflash, "
        "pyocd, commander, jlink, stm32cubeprogrammer), then reset it. Without PROJECT|ELF|HEX, "
        "the newest build/<model>-<board> for the board is flashed (what `fwgen build` writes).\n"
        "On an emulator twin (--board mps2_an505) QEMU starts on the image in the background with "
        "its UART on a 127.0.0.1 TCP port, for `fwgen monitor`; flashing again replaces it, and "
        "--stop ends it.\n"
        "Every tool run is bounded in time (--timeout) and its failure explained: program missing "
        "(what to install), no probe (what to plug in), access refused (the udev rule to add).")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        from fwgen.runners import add_runner_options

        parser.add_argument("image", nargs="?", type=Path, default=None, metavar="PROJECT|ELF|HEX",
                            help="a project folder (build/<model>-<board>), or an .elf, .hex or "
                                 ".bin (default: the newest build for the board)")
        add_board_option(parser, required=False,
                         help="board id or alias (default: the board the image was built for)")
        add_runner_option(parser)
        add_probe_option(parser)
        parser.add_argument("--erase", action="store_true",
                            help="mass-erase the chip before writing (default: only the sectors written)")
        parser.add_argument("--reset", action="store_true", help="only reset the board (no image)")
        parser.add_argument("--stop", action="store_true",
                            help="end the twin an earlier `fwgen flash --board <twin>` started")
        parser.add_argument("--port", type=int, default=None, metavar="TCP",
                            help="TCP port of a twin's UART on 127.0.0.1 (default: a free one)")
        parser.add_argument("--timeout", type=float, default=None, metavar="S",
                            help="bound on each tool run in seconds (default 120)")
        parser.add_argument("--dry-run", action="store_true",
                            help="print the commands that would run, run nothing")
        add_runner_options(parser)

    def _check(self, args: argparse.Namespace) -> None:
        """Option mistakes, before anything is looked up or run."""
        if args.stop and (args.image or args.erase or args.reset or args.port):
            raise FwgenError("--stop takes only --board", where="--stop")
        if args.reset and (args.image or args.erase):
            raise FwgenError("--reset resets without flashing: it takes no image or --erase",
                             where="--reset")
        if args.timeout is not None and args.timeout <= 0:
            raise FwgenError(f"must be a positive number of seconds, got {args.timeout:g}",
                             where="--timeout")
        if args.port is not None and not 0 < args.port < 65536:
            raise FwgenError(f"not a TCP port: {args.port}", where="--port")

    def _board(self, args: argparse.Namespace):
        from fwgen.flash import board_id_for

        if args.board:
            return get_board(args.board)
        board_id = board_id_for(args.image)
        if board_id is None:
            raise FwgenError("which board? no --board, and " +
                             ("the image's path does not say" if args.image else
                              "no firmware under build/"),
                             where="--board",
                             hint="fwgen flash --board ID [IMAGE]; build first with "
                                  "fwgen build --model micro_speech --board ID")
        return get_board(board_id)

    def invoke(self, args: argparse.Namespace) -> int:
        from fwgen.flash import find_image, flash_board, make_runner, reset_board

        self._check(args)
        board = self._board(args)
        if args.stop:
            return self._stop(board)
        runner = make_runner(board, args.runner, args)
        if args.reset:
            result = reset_board(runner)
        else:
            image = find_image(board, args.image)
            if args.image is None or args.verbose:
                print(f"image: {image.path} ({image.found})")
            result = flash_board(runner, image, erase=args.erase, port=args.port)
        if result.dry_run:
            for line in result.command_lines():
                print(f"would run: {line}")
            return 0
        if result.twin is not None:
            twin = result.twin
            print(f"{board.id}: QEMU twin running {twin.elf} (pid {twin.pid})")
            print(f"  UART: {twin.url}  (fwgen monitor --board {board.id}, or --serial {twin.url})")
            print(f"  stop it: fwgen flash --board {board.id} --stop")
            return 0
        done = "reset" if result.command == "reset" else f"flashed {result.image}"
        print(f"{board.id}: {done} with {result.runner}")
        return 0

    def _stop(self, board) -> int:
        from fwgen.device.twin_state import stop_twin

        if not board.is_emulator:
            raise FwgenError(f"{board.id} is a board: only emulator twins run in the background",
                             where="--stop")
        record = stop_twin(board)
        if record is None:
            print(f"{board.id}: no twin running")
        else:
            print(f"{board.id}: stopped the twin (pid {record.pid}, {record.url})")
        return 0
