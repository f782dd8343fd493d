"""Which port to monitor, and why: a name or pyserial URL given with --serial, a running twin's
socket, or the one USB port with the board's VID:PID (`fwgen.device.serial_port`).

`PortTarget.resolve()` is called again on every reconnection attempt: a board that
re-enumerated may come back under another /dev/ttyACMn (its by-id name stays), and a twin
restarted by `fwgen flash` listens on a new TCP port.
"""
from __future__ import annotations

import logging
import urllib.parse
from dataclasses import dataclass

from fwgen.device.serial_port import PortChoice, select_board_port
from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

#: pyserial 3.5's URL handlers (serial.protocol_handler_packages: serial.urlhandler.protocol_*).
URL_SCHEMES = ("socket", "rfc2217", "loop", "spy", "hwgrep", "alt", "cp2110")
_HOST_PORT_SCHEMES = ("socket", "rfc2217")


def check_port_name(name: str) -> str:
    """`name` if it is a device path or a pyserial URL fwgen can open, else FwgenError."""
    if not name.strip():
        raise FwgenError("empty port name", where="--serial")
    if "://" not in name:
        return name
    url = urllib.parse.urlsplit(name)
    if url.scheme not in URL_SCHEMES:
        raise FwgenError(f"unknown URL scheme {url.scheme!r} in {name}", where="--serial",
                         hint="use a device path (/dev/ttyACM0) or a pyserial URL: "
                              + ", ".join(f"{s}://" for s in URL_SCHEMES[:3]) + " ...")
    if url.scheme in _HOST_PORT_SCHEMES:
        try:
            port = url.port
        except ValueError:
            port = None
        if not url.hostname or port is None or not 0 < port < 65536:
            raise FwgenError(f"{name} needs a host and a port number", where="--serial",
                             hint=f"e.g. {url.scheme}://127.0.0.1:5555")
    return name


def running_twin_url(board) -> str | None:
    """The socket:// URL of `board`'s twin started by `fwgen flash`, when one runs."""
    from fwgen.device.twin_state import running_twin

    return running_twin(board)


def choose_port(board, *, serial: str | None = None,
                serial_number: str | None = None) -> PortChoice:
    """The port to open for `board` (may be None when `serial` names the port)."""
    if serial is not None:
        return PortChoice(check_port_name(serial), "given with --serial")
    if board is None:
        raise FwgenError("no port to monitor", where="--serial",
                         hint="name the port (--serial /dev/ttyACM0 or socket://HOST:PORT) or "
                              "the board (--board ID, found by its USB id)")
    if board.is_emulator:
        url = running_twin_url(board)
        if url is None:
            raise FwgenError(f"no running twin: start one with fwgen flash --board {board.id}, "
                             f"or pass --serial socket://...", where="--board")
        return PortChoice(url, f"the running twin of {board.id} (started by fwgen flash)")
    return select_board_port(board, serial_number=serial_number)


@dataclass(frozen=True)
class PortTarget:
    """What the session opens, resolved afresh on every (re)connection."""

    board: object | None = None
    serial: str | None = None
    serial_number: str | None = None

    def resolve(self) -> PortChoice:
        return choose_port(self.board, serial=self.serial, serial_number=self.serial_number)
