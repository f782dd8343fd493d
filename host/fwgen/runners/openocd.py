"""OpenOCD runner (Debian's openocd 0.12): ST-LINK boards, by the scripts named in the board file.

The command line is built from the board's ``runners.openocd`` record, in this order::

    openocd [-f INTERFACE] [-c "transport select T"] -f CONFIG... [-c COMMAND...]
            [-c "adapter serial SN"] ACTION...

ACTION is ``-c "program fw.elf verify reset exit"`` for flash (a .bin takes the flash origin:
``program fw.bin verify reset exit 0x08000000``), preceded by ``-c init -c "reset halt" -c
ERASE...`` with --erase; ``-c init -c "reset halt" -c ERASE... -c shutdown`` to erase only;
``-c init -c "reset run" -c shutdown`` to reset. B-U585I-IOT02A has no board script: its record
names ``interface/stlink-dap.cfg``, transport ``dapdirect_swd`` (``hla_swd`` has no secure
debug), ``target/stm32u5x.cfg`` and Zephyr's ``reset_config srst_only srst_nogate
connect_assert_srst``.

No probe: ``Error: open failed`` (the ST-LINK drivers) or ``No J-Link device found``; access
refused: ``LIBUSB_ERROR_ACCESS``; a silent chip: ``unable to connect to the target``.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fwgen.errors import FwgenError
from fwgen.runners.args import parse_record
from fwgen.runners.core import FlashRunner, ToolMessages, hex_address

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class OpenocdArgs:
    """``runners.openocd`` in a board file."""
    config: tuple[str, ...]          # -f scripts, e.g. board/st_b-l475e-iot01a.cfg
    interface: str | None = None     # -f before the transport, e.g. interface/stlink-dap.cfg
    transport: str | None = None     # transport select (needs `interface`), e.g. dapdirect_swd
    commands: tuple[str, ...] = ()   # -c after the scripts, e.g. a reset_config line
    erase: tuple[str, ...] = ()      # mass-erase commands, e.g. "stm32l4x mass_erase 0"


def tcl_word(text: str) -> str:
    """`text` as one Tcl word (OpenOCD's -c commands are Tcl): braced when it has a space or a
    character Tcl would interpret."""
    return "{" + text + "}" if re.search(r'[\s"$\[\]{};\\]', text) else text


class OpenocdRunner(FlashRunner):
    name = "openocd"
    programs = ("openocd",)
    install_hint = "install Debian's OpenOCD: apt-get install openocd (tools/bootstrap.sh does)"
    Args = OpenocdArgs
    image_formats = ("elf", "hex", "bin")
    messages = ToolMessages(
        no_probe=("Error: open failed", "No J-Link device found", "unable to find a matching",
                  "no device found"),
        access=("LIBUSB_ERROR_ACCESS", "Access denied", "insufficient permissions"),
        no_target=("unable to connect to the target", "init mode failed"),
    )

    @classmethod
    def parse_board_args(cls, data: Any, where: str) -> OpenocdArgs:
        record = parse_record(OpenocdArgs, data, where)
        if record.transport and not record.interface:
            raise FwgenError("a transport needs the interface script it selects from",
                             where=f"{where}.transport", hint="add interface: interface/<probe>.cfg")
        if not record.config:
            raise FwgenError("expected at least one script", where=f"{where}.config")
        return record

    def setup_argv(self) -> list[str]:
        """openocd and the board's scripts, up to (not including) the action."""
        args: OpenocdArgs = self.board_args
        argv = ["openocd"]
        if args.interface:
            argv += ["-f", args.interface]
        if args.transport:
            argv += ["-c", f"transport select {args.transport}"]
        for script in args.config:
            argv += ["-f", script]
        for command in args.commands:
            argv += ["-c", command]
        if self.probe:
            argv += ["-c", f"adapter serial {self.probe}"]
        return argv

    def _erase_commands(self) -> list[str]:
        args: OpenocdArgs = self.board_args
        if not args.erase:
            raise FwgenError(f"the openocd entry of {self.board.id} names no erase commands",
                             where=f"{self.board.source}: runners.openocd.erase",
                             hint="flash without --erase (the written sectors are erased anyway)")
        argv = ["-c", "init", "-c", "reset halt"]
        for command in args.erase:
            argv += ["-c", command]
        return argv

    def flash_argv(self, image: str | Path, *, fmt: str | None = None, erase: bool = False,
                   address: int | None = None) -> list[list[str]]:
        fmt = self.image_format(image, fmt)
        program = f"program {tcl_word(str(image))} verify reset exit"
        if fmt == "bin":
            program += f" {hex_address(self.flash_address(address))}"
        return [self.setup_argv() + (self._erase_commands() if erase else []) + ["-c", program]]

    def erase_argv(self) -> list[list[str]]:
        return [self.setup_argv() + self._erase_commands() + ["-c", "shutdown"]]

    def reset_argv(self) -> list[list[str]]:
        return [self.setup_argv() + ["-c", "init", "-c", "reset run", "-c", "shutdown"]]
