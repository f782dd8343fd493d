"""st-flash runner (Debian's stlink-tools 1.7, ST-LINK probes): B-L475E-IOT01A and NUCLEO-H743ZI.

stlink-tools 1.7 does not know the STM32U5, so the B-U585I-IOT02A's board file does not list it.
A raw .bin goes to the board's flash origin (``memory.flash.origin``); an Intel HEX carries its
addresses::

    st-flash [--serial SN] --reset write fw.bin 0x08000000
    st-flash [--serial SN] --reset --format ihex write fw.hex
    st-flash [--serial SN] erase                  # alone, or before the write with --erase
    st-flash [--serial SN] reset

No probe: ``Couldn't find any ST-Link devices``; access refused: ``Could not open USB device
0x0483:0x374b, access error`` or libusb's ``Access denied (insufficient permissions)``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from fwgen.runners.core import FlashRunner, ToolMessages, hex_address

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class StflashArgs:
    """``runners.stflash`` in a board file: none (``stflash: {}``); the address is the board's
    flash origin."""


class StflashRunner(FlashRunner):
    name = "stflash"
    programs = ("st-flash",)
    install_hint = "install Debian's stlink-tools: apt-get install stlink-tools (tools/bootstrap.sh does)"
    Args = StflashArgs
    image_formats = ("bin", "hex")
    list_probes = "st-info --probe"
    messages = ToolMessages(
        no_probe=("Couldn't find any ST-Link devices", "Couldn't find any ST-Link",
                  "Failed to open USB device"),
        access=("access error", "Access denied", "insufficient permissions", "LIBUSB_ERROR_ACCESS"),
        no_target=("Failed to connect to target", "unknown chip id", "Failed to enter SWD mode"),
    )

    def _base(self) -> list[str]:
        return ["st-flash", *(["--serial", self.probe] if self.probe else [])]

    def flash_argv(self, image: str | Path, *, fmt: str | None = None, erase: bool = False,
                   address: int | None = None) -> list[list[str]]:
        fmt = self.image_format(image, fmt)
        if fmt == "bin":
            write = self._base() + ["--reset", "write", str(image),
                                    hex_address(self.flash_address(address))]
        else:
            write = self._base() + ["--reset", "--format", "ihex", "write", str(image)]
        return (self.erase_argv() if erase else []) + [write]

    def erase_argv(self) -> list[list[str]]:
        return [self._base() + ["erase"]]

    def reset_argv(self) -> list[list[str]]:
        return [self._base() + ["reset"]]
