"""What a monitor session reports, in order: plain records, so views and the log writer are pure
functions of them. `time` is the wall clock (time.time()) when the event happened."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from fwgen.link.messages import Message


@dataclass(frozen=True)
class Received:
    """A valid frame and the message it carried; `raw` is the frame as it came (COBS + 0x00)."""
    message: Message
    raw: bytes
    seq: int
    time: float


@dataclass(frozen=True)
class Dropped:
    """Bytes up to a delimiter that were no valid frame (`reason`: crc, format, overflow, ...)."""
    raw: bytes
    reason: str
    time: float


@dataclass(frozen=True)
class Connected:
    """The first connection: which port, and why it was chosen."""
    port: str
    reason: str
    time: float


@dataclass(frozen=True)
class PortLost:
    """The port vanished (cable pulled, board reset, socket closed). Everything decoded before
    it was reported already; `partial` bytes of an unfinished frame were lost with it."""
    port: str
    error: str
    partial: int
    time: float


@dataclass(frozen=True)
class Reconnected:
    """The port came back after `gap_s` seconds (it may have a new name, e.g. a new QEMU)."""
    port: str
    previous: str
    gap_s: float
    time: float


@dataclass(frozen=True)
class Note:
    """Something the session did or decided that a person should know (sent RESET, converted)."""
    text: str
    time: float


@dataclass(frozen=True)
class Progress:
    """--play: `sent` of `total` samples streamed."""
    sent: int
    total: int
    time: float


Event = Union[Received, Dropped, Connected, PortLost, Reconnected, Note, Progress]
