"""pyOCD runner (PyPI pyocd 0.46, ST-LINK and CMSIS-DAP probes).

STM32L475 and STM32H743 are built into pyOCD; the STM32U585 and the EFR32MG24 come from a CMSIS
device pack, which cannot be downloaded here: give it with ``--pack FILE`` (the board file says
``pack_required: true`` and names the pack). Without a probe pyOCD waits for one forever, so
every command carries ``--no-wait`` (-W)::

    pyocd load --no-wait -t TARGET [--pack FILE] [-u UID] [-e chip] fw.elf
    pyocd load ... fw.bin --base-address 0x08000000
    pyocd erase --no-wait -t TARGET [--pack FILE] [-u UID] --chip
    pyocd reset --no-wait -t TARGET [--pack FILE] [-u UID]

No probe: ``No connected debug probes``; access refused: pyusb's ``Access denied (insufficient
permissions)`` ("can probably be remedied with a udev rule").
"""
from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fwgen.errors import FwgenError
from fwgen.runners.core import FlashRunner, ToolMessages, hex_address

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class PyocdArgs:
    """``runners.pyocd`` in a board file."""
    target: str                  # pyOCD target name (-t), e.g. stm32u585aiix
    pack_required: bool = False  # the target comes from a CMSIS pack, not pyOCD's built-ins
    pack: str | None = None      # which pack (for the message when --pack is missing)


class PyocdRunner(FlashRunner):
    name = "pyocd"
    programs = ("pyocd",)
    install_hint = "pip install 'pyocd>=0.46,<0.47' (a dependency of fwgen: tools/bootstrap.sh)"
    Args = PyocdArgs
    image_formats = ("elf", "hex", "bin")
    list_probes = "pyocd list"
    messages = ToolMessages(
        no_probe=("No connected debug probes", "No target device available",
                  "No device available", "unable to open probe"),
        access=("Access denied", "insufficient permissions", "remedied with a udev rule",
                "LIBUSB_ERROR_ACCESS"),
        no_target=("No ACK received", "Failed to connect", "Memory transfer fault"),
    )

    def __init__(self, board: Any, *, pack: str | Path | None = None, **kwargs: Any):
        self.pack = str(pack) if pack else None
        super().__init__(board, **kwargs)

    @classmethod
    def add_options(cls, parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
        parser.add_argument("--pack", metavar="FILE", default=None,
                            help="CMSIS device pack (.pack) for a target pyOCD does not build in "
                                 "(STM32U5, EFR32MG24)")

    @classmethod
    def from_options(cls, board: Any, options: argparse.Namespace, **kwargs: Any) -> "PyocdRunner":
        kwargs.setdefault("pack", getattr(options, "pack", None))
        return super().from_options(board, options, **kwargs)   # type: ignore[return-value]

    def _base(self, subcommand: str) -> list[str]:
        args: PyocdArgs = self.board_args
        if args.pack_required and not self.pack:
            which = f" ({args.pack})" if args.pack else ""
            raise FwgenError(
                f"pyOCD has no built-in target {args.target}: it needs the CMSIS device pack for "
                f"the {self.board.mcu}{which}, which fwgen cannot download",
                where="--pack",
                hint=f"download the pack and pass --pack FILE.pack, or use the board's default "
                     f"runner ({self.board.runners.default})")
        if self.pack and not self.dry_run and not Path(self.pack).is_file():
            raise FwgenError("CMSIS pack not found", where=self.pack)
        argv = ["pyocd", subcommand, "--no-wait", "-t", args.target]
        if self.pack:
            argv += ["--pack", self.pack]
        if self.probe:
            argv += ["-u", self.probe]
        return argv

    def flash_argv(self, image: str | Path, *, fmt: str | None = None, erase: bool = False,
                   address: int | None = None) -> list[list[str]]:
        fmt = self.image_format(image, fmt)
        argv = self._base("load") + (["-e", "chip"] if erase else []) + [str(image)]
        if fmt == "bin":
            argv += ["--base-address", hex_address(self.flash_address(address))]
        return [argv]

    def erase_argv(self) -> list[list[str]]:
        return [self._base("erase") + ["--chip"]]

    def reset_argv(self) -> list[list[str]]:
        return [self._base("reset")]
