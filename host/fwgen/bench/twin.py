"""The bench build on its QEMU twin with the counting plugin loaded: fwgen.device's twin with
QEMU arguments of its own (``-plugin``), speaking the same link."""
from __future__ import annotations

from pathlib import Path

from fwgen.device.base import Device
from fwgen.errors import FwgenError


class PluginTwin(Device):
    """QEMU running `elf` on `twin` with `qemu_args` after its own, a fwgen link on its UART.
    Closing it ends QEMU normally, so the plugin writes its counts."""

    def __init__(self, elf: Path, twin, qemu_args: list[str]):
        from fwgen.link import Link
        from fwgen.runners.qemu import QemuRunner

        self.board = twin
        self.qemu = QemuRunner(twin, extra_args=qemu_args).run("emulate", elf=elf, icount=True)
        try:
            self.link = Link(self.qemu.serial)
        except BaseException:
            self.qemu.close()
            raise

    @property
    def description(self) -> str:
        return f"QEMU {self.board.qemu_machine} with fwgen's counting plugin"

    def check_alive(self) -> None:
        if self.qemu is not None and not self.qemu.running:
            raise FwgenError(f"the bench build stopped: QEMU exited with status "
                             f"{self.qemu.proc.returncode}\n{self.qemu.output()}")

    def close(self) -> None:
        if self.qemu is not None:
            try:
                self.link.close()
            finally:
                self.qemu.close()
                self.qemu = None
