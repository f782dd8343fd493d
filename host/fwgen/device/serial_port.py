"""A board on a serial port: found by its USB VID:PID (and serial number), or named as a
device path or pyserial URL (/dev/ttyACM0, socket://, rfc2217://, loop://)."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from fwgen.device.base import Device
from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class PortInfo:
    device: str
    vid: int | None
    pid: int | None
    serial_number: str | None
    description: str


def _comports() -> list[PortInfo]:
    from serial.tools import list_ports

    return [PortInfo(p.device, p.vid, p.pid, p.serial_number, p.description or "")
            for p in list_ports.comports()]


def list_board_ports(board, *, serial_number: str | None = None) -> list[PortInfo]:
    """The serial ports with `board`'s USB VID:PID (and this serial number, when given)."""
    if board.usb is None:
        return []
    ids = (board.usb.vid, board.usb.pid)
    return [p for p in _comports() if (p.vid, p.pid) == ids
            and (serial_number is None or (p.serial_number or "").lower() == serial_number.lower())]


def find_serial_port(board, *, serial_number: str | None = None) -> str:
    """The one serial port of `board` (by the USB id in its board file), or a clear error."""
    if board.usb is None:
        raise FwgenError(f"{board.id} has no USB serial bridge to look for", where="--serial",
                         hint="name the port: --serial /dev/ttyACM0 (or a pyserial URL)")
    found = list_board_ports(board, serial_number=serial_number)
    usb = f"{board.usb.vid:04x}:{board.usb.pid:04x} ({board.usb.description})"
    which = f" with serial number {serial_number}" if serial_number else ""
    if not found:
        raise FwgenError(f"no serial port with {board.id}'s USB id {usb}{which}", where="--serial",
                         hint="plug the board in (its debugger's USB port), or name the port: "
                              "--serial /dev/ttyACM0")
    if len(found) > 1:
        listed = ", ".join(f"{p.device} (serial {p.serial_number})" for p in found)
        raise FwgenError(f"{len(found)} serial ports with {board.id}'s USB id {usb}: {listed}",
                         where="--serial",
                         hint="choose one with --serial-number SN or --serial PORT")
    return found[0].device


class SerialDevice(Device):
    """A board's link on a serial port; the board keeps running after close()."""

    def __init__(self, board, port: str, *, baudrate: int | None = None,
                 connect_timeout: float = CONNECT_TIMEOUT_S):
        from fwgen.link import Link

        self.board = board
        self.port = port
        self.link = Link.open(port, baudrate=baudrate or board.uart.baud,
                              connect_timeout=connect_timeout)

    @property
    def description(self) -> str:
        return self.port

    def close(self) -> None:
        self.link.close()
