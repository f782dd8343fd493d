"""Simplicity Commander runner (Silicon Labs kits), through PyPI's silabs-pycommander-cli.

That package (Silicon Labs' licence; fwgen depends on it as the optional extra
``fwgen[commander]`` and copies nothing from it) bundles the Commander CLI and SEGGER's J-Link
library as ``pycommander-cli``::

    pycommander-cli flash fw.hex --device EFR32MG24B310F1536IM48 [--serialno SN] [--masserase]
    pycommander-cli device masserase --device ... [--serialno SN]
    pycommander-cli device reset --device ... [--serialno SN]

No kit: ``ERROR: Cannot connect to J-Link.`` (or, with --serialno, ``Unable to connect with
device with given serial number``); a silent chip: ``Could not connect to target``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from fwgen.runners.core import FlashRunner, ToolMessages, hex_address

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class CommanderArgs:
    """``runners.commander`` in a board file."""
    device: str   # the part (--device), e.g. EFR32MG24B310F1536IM48


class CommanderRunner(FlashRunner):
    name = "commander"
    programs = ("pycommander-cli",)
    install_hint = "pip install 'fwgen[commander]' (Silicon Labs' silabs-pycommander-cli)"
    Args = CommanderArgs
    image_formats = ("hex", "bin")
    list_probes = "pycommander-cli adapter list"
    messages = ToolMessages(
        no_probe=("Cannot connect to J-Link", "Unable to connect with device with given serial",
                  "No J-Link found"),
        access=("Access denied", "insufficient permissions", "LIBUSB_ERROR_ACCESS"),
        no_target=("Could not connect to target", "Could not connect to debug interface"),
    )

    def _selection(self) -> list[str]:
        args: CommanderArgs = self.board_args
        return ["--device", args.device, *(["--serialno", self.probe] if self.probe else [])]

    def flash_argv(self, image: str | Path, *, fmt: str | None = None, erase: bool = False,
                   address: int | None = None) -> list[list[str]]:
        fmt = self.image_format(image, fmt)
        argv = ["pycommander-cli", "flash", str(image), *self._selection()]
        if fmt == "bin":
            argv += ["--address", hex_address(self.flash_address(address))]
        return [argv + (["--masserase"] if erase else [])]

    def erase_argv(self) -> list[list[str]]:
        return [["pycommander-cli", "device", "masserase", *self._selection()]]

    def reset_argv(self) -> list[list[str]]:
        return [["pycommander-cli", "device", "reset", *self._selection()]]
