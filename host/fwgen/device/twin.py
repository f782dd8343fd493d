"""A QEMU twin: the firmware ELF running under the QEMU runner, its UART as the link."""
from __future__ import annotations

import logging
from pathlib import Path

from fwgen.device.base import Device
from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)


class TwinDevice(Device):
    """QEMU running `elf` on `twin` (an emulator board), with a fwgen link on its UART."""

    def __init__(self, elf: Path, twin, *, icount: bool = True):
        from fwgen.link import Link
        from fwgen.runners.qemu import QemuRunner

        if not twin.is_emulator:
            raise FwgenError(f"{twin.id} is not an emulator twin", where="--board",
                             hint=f"its twin is {twin.twin}" if twin.twin else None)
        self.board = twin
        self.qemu = QemuRunner(twin).run("emulate", elf=elf, icount=icount)
        assert self.qemu is not None and self.qemu.serial is not None
        try:
            self.link = Link(self.qemu.serial)
        except BaseException:
            self.qemu.close()
            raise

    @property
    def twin(self):
        return self.board

    @property
    def description(self) -> str:
        return f"QEMU {self.board.qemu_machine}"

    def check_alive(self) -> None:
        if self.qemu is not None and not self.qemu.running:
            raise FwgenError(f"the firmware stopped: QEMU exited with status "
                             f"{self.qemu.proc.returncode}\n{self.qemu.output()}")

    def close(self) -> None:
        if self.qemu is not None:
            try:
                self.link.close()
            finally:
                self.qemu.close()
                self.qemu = None
