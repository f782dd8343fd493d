"""`open_device`: one way to reach firmware, wherever it runs."""
from __future__ import annotations

from pathlib import Path

from fwgen.device.base import Device
from fwgen.errors import FwgenError


def open_device(board, *, elf: Path | None = None, port: str | None = None,
                serial_number: str | None = None, baudrate: int | None = None) -> Device:
    """A twin (board is an emulator: QEMU runs `elf`) or a board on a serial port (`port`, or
    found by the board's USB VID:PID and `serial_number`)."""
    if board.is_emulator:
        if elf is None:
            raise FwgenError(f"{board.id} is an emulator twin: it needs a firmware image to run",
                             hint="build one with fwgen build, or use fwgen run")
        from fwgen.device.twin import TwinDevice

        return TwinDevice(Path(elf), board)
    from fwgen.device.serial_port import SerialDevice, find_serial_port

    return SerialDevice(board, port or find_serial_port(board, serial_number=serial_number),
                        baudrate=baudrate)
