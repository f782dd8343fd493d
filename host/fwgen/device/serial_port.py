"""A board on a serial port: found by its USB VID:PID (and serial number), or named as a
device path or pyserial URL (/dev/ttyACM0, socket://, rfc2217://, loop://).

Port selection never guesses: exactly one attached port must carry the board file's USB
VID:PID (and the serial number, when given); another vendor's port, or an ST-LINK with another
board's PID, is never taken. The stable ``/dev/serial/by-id/...`` name is preferred over
``/dev/ttyACMn`` (which changes when a board re-enumerates), and every choice says why.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from fwgen.device.base import Device
from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0
BY_ID_FOLDER = Path("/dev/serial/by-id")


@dataclass(frozen=True)
class PortInfo:
    device: str
    vid: int | None
    pid: int | None
    serial_number: str | None
    description: str
    by_id: str | None = None     # /dev/serial/by-id/... link to `device`, when udev made one

    @property
    def name(self) -> str:
        """The name to open: the by-id link when there is one (it survives re-enumeration)."""
        return self.by_id or self.device

    @property
    def usb_id(self) -> str:
        return f"{self.vid:04x}:{self.pid:04x}" if self.vid is not None and self.pid is not None \
            else "no USB id"


@dataclass(frozen=True)
class PortChoice:
    """The port picked for a board, and why (printed by the CLI)."""

    port: str          # what to open: a by-id link, a device path or a pyserial URL
    reason: str
    info: PortInfo | None = None


def by_id_links(folder: Path = BY_ID_FOLDER) -> dict[str, str]:
    """{resolved device path: by-id link} for the links udev keeps in `folder`."""
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return {}
    links: dict[str, str] = {}
    for entry in entries:
        links.setdefault(os.path.realpath(entry), str(entry))
    return links


def _comports() -> list[PortInfo]:
    from serial.tools import list_ports

    links = by_id_links()
    return [PortInfo(p.device, p.vid, p.pid, p.serial_number, p.description or "",
                     links.get(os.path.realpath(p.device)))
            for p in list_ports.comports()]


def _matches(board, port: PortInfo, serial_number: str | None) -> bool:
    return (port.vid, port.pid) == (board.usb.vid, board.usb.pid) and (
        serial_number is None or (port.serial_number or "").lower() == serial_number.lower())


def list_board_ports(board, *, serial_number: str | None = None) -> list[PortInfo]:
    """The serial ports with `board`'s USB VID:PID (and this serial number, when given)."""
    if board.usb is None:
        return []
    return [p for p in _comports() if _matches(board, p, serial_number)]


def _why_not(board, port: PortInfo, serial_number: str | None) -> str:
    """Why an attached port is not `board`'s (for the 'no port' error)."""
    if port.vid is None:
        return "no USB id"
    if port.vid != board.usb.vid:
        return "another vendor"
    if port.pid != board.usb.pid:
        from fwgen.boards import load_boards

        owners = sorted(b.id for b in load_boards().values()
                        if b.usb is not None and (b.usb.vid, b.usb.pid) == (port.vid, port.pid))
        return f"another board's probe ({', '.join(owners)})" if owners else \
            "another product of this vendor"
    return f"serial {port.serial_number}, not {serial_number}"


def select_board_port(board, *, serial_number: str | None = None,
                      ports: list[PortInfo] | None = None) -> PortChoice:
    """The one serial port of `board` (by the USB id in its board file), or a clear error.

    `ports` defaults to what is attached now. The choice prefers the port's by-id name.
    """
    if board.usb is None:
        raise FwgenError(f"{board.id} has no USB serial bridge to look for", where="--serial",
                         hint="name the port: --serial /dev/ttyACM0 (or a pyserial URL)")
    attached = _comports() if ports is None else list(ports)
    found = [p for p in attached if _matches(board, p, serial_number)]
    usb = f"{board.usb} ({board.usb.description})"
    which = f" with serial number {serial_number}" if serial_number else ""
    if not found:
        others = [p for p in attached if p.vid is not None]
        seen = "; attached: " + ", ".join(
            f"{p.name} ({p.usb_id} {p.description}: {_why_not(board, p, serial_number)})"
            for p in others) if others else ""
        raise FwgenError(f"no serial port with {board.id}'s USB id {usb}{which}{seen}",
                         where="--serial",
                         hint="plug the board in (its debugger's USB port), or name the port: "
                              "--serial /dev/ttyACM0")
    if len(found) > 1:
        listed = ", ".join(f"{p.name} (serial {p.serial_number})" for p in found)
        raise FwgenError(f"{len(found)} serial ports with {board.id}'s USB id {usb}: {listed}",
                         where="--serial",
                         hint="choose one with --serial-number SN or --serial PORT")
    port = found[0]
    reason = f"the one port with {board.id}'s USB id {board.usb} ({port.description or '?'}, " \
             f"serial {port.serial_number or '?'})"
    if port.by_id:
        reason += f"; by-id name of {port.device}"
    LOG.info("%s: %s", port.name, reason)
    return PortChoice(port.name, reason, port)


def find_serial_port(board, *, serial_number: str | None = None) -> str:
    """The one serial port of `board` (its by-id name when udev made one), or a clear error."""
    return select_board_port(board, serial_number=serial_number).port


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
