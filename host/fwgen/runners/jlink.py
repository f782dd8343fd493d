"""SEGGER J-Link runner: J-Link Commander (``JLinkExe``) with a command file, when it is on PATH
(SEGGER's J-Link Software; not installable here).

    JLinkExe -nogui 1 -device DEVICE -if SWD -speed KHZ -autoconnect 1 -ExitOnError 1
             [-USB SN] -CommandFile flash.jlink

with the commands ``r``, [``erase``], ``loadfile fw.hex`` (a .bin takes the flash origin),
``r``, ``g``, ``qc``; erase: ``r``, ``erase``, ``qc``; reset: ``r``, ``g``, ``qc``. The command
file is written to a private temporary folder for the run (`script_text` gives its text).

No probe: ``Cannot connect to J-Link``; a silent chip: ``Cannot connect to target``.
"""
from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fwgen.runners.core import FlashRunner, ToolMessages, hex_address

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class JlinkArgs:
    """``runners.jlink`` in a board file."""
    device: str   # J-Link device name (-device), e.g. EFR32MG24BxxxF1536
    speed: int    # SWD clock in kHz (-speed)


class JlinkRunner(FlashRunner):
    name = "jlink"
    programs = ("JLinkExe",)
    install_hint = "install SEGGER's J-Link Software and Documentation Pack and put JLinkExe on PATH"
    Args = JlinkArgs
    image_formats = ("hex", "bin")
    messages = ToolMessages(
        no_probe=("Cannot connect to J-Link", "No emulators connected", "Could not find emulator"),
        access=("Access denied", "insufficient permissions", "LIBUSB_ERROR_ACCESS"),
        no_target=("Cannot connect to target", "Could not connect to target"),
    )

    def __init__(self, board: Any, *, script_dir: Path | None = None, **kwargs: Any):
        self.script_dir = script_dir
        self.scripts: dict[str, str] = {}   # command file name -> text, for every argv built
        super().__init__(board, **kwargs)

    def _folder(self) -> Path:
        return self.script_dir or Path(tempfile.gettempdir()) / "fwgen-jlink"

    def _argv(self, command: str, lines: list[str]) -> list[str]:
        args: JlinkArgs = self.board_args
        script = self._folder() / f"{command}.jlink"
        self.scripts[script.name] = "\n".join(lines) + "\n"
        return ["JLinkExe", "-nogui", "1", "-device", args.device, "-if", "SWD",
                "-speed", str(args.speed), "-autoconnect", "1", "-ExitOnError", "1",
                *(["-USB", self.probe] if self.probe else []), "-CommandFile", str(script)]

    def script_text(self, command: str) -> str:
        """The command file of the last argv built for `command` ("flash", "erase", "reset")."""
        return self.scripts[f"{command}.jlink"]

    def flash_argv(self, image: str | Path, *, fmt: str | None = None, erase: bool = False,
                   address: int | None = None) -> list[list[str]]:
        fmt = self.image_format(image, fmt)
        load = f"loadfile {image}"
        if fmt == "bin":
            load += f" {hex_address(self.flash_address(address))}"
        return [self._argv("flash", ["r", *(["erase"] if erase else []), load, "r", "g", "qc"])]

    def erase_argv(self) -> list[list[str]]:
        return [self._argv("erase", ["r", "erase", "qc"])]

    def reset_argv(self) -> list[list[str]]:
        return [self._argv("reset", ["r", "g", "qc"])]

    def call(self, argv: Any, **options: Any) -> str:
        """Write the argv's command file first (not on a dry run), then run it."""
        if not self.dry_run and "-CommandFile" in argv:
            script = Path(argv[list(argv).index("-CommandFile") + 1])
            script.parent.mkdir(parents=True, exist_ok=True)
            script.write_text(self.scripts[script.name])
        return super().call(argv, **options)

    def do_run(self, command: str, **kwargs: Any) -> str:
        """Run with the command files in a private folder, removed afterwards."""
        if self.dry_run or self.script_dir is not None:
            return super().do_run(command, **kwargs)
        self.script_dir = Path(tempfile.mkdtemp(prefix="fwgen-jlink-"))
        try:
            return super().do_run(command, **kwargs)
        finally:
            shutil.rmtree(self.script_dir, ignore_errors=True)
            self.script_dir = None
