"""STM32CubeProgrammer runner (``STM32_Programmer_CLI``), when ST's STM32CubeProgrammer is on
PATH (not installable here)::

    STM32_Programmer_CLI -c port=SWD [sn=SN] [-e all] -w fw.elf -v -rst
    STM32_Programmer_CLI -c port=SWD [sn=SN] -w fw.bin 0x08000000 -v -rst
    STM32_Programmer_CLI -c port=SWD [sn=SN] -e all
    STM32_Programmer_CLI -c port=SWD [sn=SN] -rst

No probe: ``No debug probe detected``; a silent chip: ``No STM32 target found``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from fwgen.runners.core import FlashRunner, ToolMessages, hex_address

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stm32CubeProgrammerArgs:
    """``runners.stm32cubeprogrammer`` in a board file."""
    port: str   # the connection (-c port=...), e.g. swd


class Stm32CubeProgrammerRunner(FlashRunner):
    name = "stm32cubeprogrammer"
    programs = ("STM32_Programmer_CLI",)
    install_hint = "install ST's STM32CubeProgrammer and put STM32_Programmer_CLI on PATH"
    Args = Stm32CubeProgrammerArgs
    image_formats = ("elf", "hex", "bin")
    list_probes = "STM32_Programmer_CLI --list"
    messages = ToolMessages(
        no_probe=("No debug probe detected", "No ST-LINK detected", "ST-LINK error (DEV_USB_COMM_ERR)"),
        access=("Access denied", "insufficient permissions", "LIBUSB_ERROR_ACCESS"),
        no_target=("No STM32 target found", "target not found", "DEV_TARGET_NOT_FOUND"),
    )

    def _connect(self) -> list[str]:
        args: Stm32CubeProgrammerArgs = self.board_args
        return ["STM32_Programmer_CLI", "-c", f"port={args.port.upper()}",
                *([f"sn={self.probe}"] if self.probe else [])]

    def flash_argv(self, image: str | Path, *, fmt: str | None = None, erase: bool = False,
                   address: int | None = None) -> list[list[str]]:
        fmt = self.image_format(image, fmt)
        write = ["-w", str(image)]
        if fmt == "bin":
            write.append(hex_address(self.flash_address(address)))
        return [self._connect() + (["-e", "all"] if erase else []) + write + ["-v", "-rst"]]

    def erase_argv(self) -> list[list[str]]:
        return [self._connect() + ["-e", "all"]]

    def reset_argv(self) -> list[list[str]]:
        return [self._connect() + ["-rst"]]
