"""Frames on the wire: COBS, CRC-32 and a stream decoder that resynchronises after garbage.

A frame is ``COBS(header | payload | crc32) 0x00``:

=========  ======  =====================================================================
offset     size    field
=========  ======  =====================================================================
0          1       protocol version (`PROTOCOL_VERSION`)
1          1       message type id (see `fwgen.link.messages`)
2          2       sequence number, u16 little-endian, +1 per frame per direction
4          2       payload length in bytes, u16 little-endian
6          length  payload
6+length   4       CRC-32 (ISO-HDLC, the zlib/Ethernet one) of bytes 0..6+length, little-endian
=========  ======  =====================================================================

COBS (Consistent Overhead Byte Stuffing) removes every 0x00 from the frame, so 0x00 only ever
marks a frame end: a receiver that lost sync drops bytes up to the next 0x00 and carries on.
Empty frames (0x00 0x00) are ignored; senders may emit a lone 0x00 to flush a receiver.

The device-side C decoder (firmware/link/link.c) follows the same rules and counts the same
errors; tests feed both the same byte streams and compare.
"""
from __future__ import annotations

import logging
import struct
import zlib
from dataclasses import dataclass, field, fields

from fwgen.link.messages import (MESSAGES, PROTOCOL_VERSION, Direction, Message,
                                 pack_payload, spec_of, unpack_payload)

LOG = logging.getLogger(__name__)

HEADER_SIZE = 6
CRC_SIZE = 4
OVERHEAD = HEADER_SIZE + CRC_SIZE
DELIMITER = b"\x00"
MAX_PAYLOAD_LIMIT = 0xFFFF
_HEADER = struct.Struct("<BBHH")


def crc32(data: bytes) -> int:
    """CRC-32/ISO-HDLC (poly 0x04C11DB7 reflected, init and xorout 0xFFFFFFFF)."""
    return zlib.crc32(data) & 0xFFFFFFFF


def cobs_encode(data: bytes) -> bytes:
    """COBS-encode `data` (result has no 0x00; the caller appends the delimiter).

    Canonical COBS, byte for byte what the C encoder writes: a run of 254 non-zero bytes is a
    0xFF block, and no empty block follows one that ends the data.
    """
    out = bytearray()
    segments = bytes(data).split(b"\0")
    for i, segment in enumerate(segments):
        full = False
        while len(segment) >= 254:
            out.append(0xFF)
            out += segment[:254]
            segment = segment[254:]
            full = True
        if full and not segment and i == len(segments) - 1:
            break
        out.append(len(segment) + 1)
        out += segment
    return bytes(out)


def max_encoded_size(body_size: int) -> int:
    """Largest COBS encoding of `body_size` bytes, delimiter included."""
    return body_size + body_size // 254 + 2


class CobsError(ValueError):
    pass


class _Overflow(Exception):
    """The decoded frame would exceed the receive buffer (the decoder counts an overflow)."""


def cobs_decode(data: bytes, capacity: int | None = None) -> bytes:
    """Decode one COBS block sequence (without delimiter); CobsError when it is truncated.

    With `capacity`, _Overflow as soon as the output would exceed it (like the C side, which
    decodes into a fixed receive buffer).
    """
    out = bytearray()
    i = 0
    n = len(data)
    pending_zero = False
    while i < n:
        code = data[i]
        if code == 0:
            raise CobsError("zero byte inside a COBS frame")
        if pending_zero:
            out.append(0)
        block = data[i + 1:i + code]
        out += block
        if capacity is not None and len(out) > capacity:
            raise _Overflow
        if len(block) < code - 1:
            raise CobsError("COBS block runs past the frame end")
        pending_zero = code != 0xFF
        i += code
    return bytes(out)


def encode_frame(type_id: int, seq: int, payload: bytes) -> bytes:
    """One complete frame on the wire, delimiter included."""
    if len(payload) > MAX_PAYLOAD_LIMIT:
        raise ValueError(f"payload of {len(payload)} bytes does not fit a frame")
    body = _HEADER.pack(PROTOCOL_VERSION, type_id, seq & 0xFFFF, len(payload)) + payload
    body += struct.pack("<I", crc32(body))
    return cobs_encode(body) + DELIMITER


def encode_message(msg: Message, seq: int) -> bytes:
    return encode_frame(spec_of(msg).type_id, seq, pack_payload(msg))


@dataclass(frozen=True)
class Frame:
    """A frame that passed every check."""

    type_id: int
    seq: int
    payload: bytes

    def message(self) -> Message:
        return unpack_payload(self.type_id, self.payload)


@dataclass
class DecoderStats:
    """Counters, same names and rules as the C `fwgen_link_rx_stats_t`."""

    frames: int = 0          # valid frames delivered
    crc_errors: int = 0      # CRC mismatch
    format_errors: int = 0   # bad COBS, shorter than header+CRC, length field or size for type
    overflows: int = 0       # longer than the receive buffer
    version_errors: int = 0  # protocol version differs
    type_errors: int = 0     # unknown type id, or a type this side must not receive
    seq_gaps: int = 0        # a valid frame whose seq is not the previous one + 1

    @property
    def dropped(self) -> int:
        return (self.crc_errors + self.format_errors + self.overflows + self.version_errors
                + self.type_errors)

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _accepts(role: Direction, direction: Direction) -> bool:
    """Whether a receiver playing `role` accepts messages travelling in `direction`."""
    return role is Direction.BOTH or direction is Direction.BOTH or direction is role


@dataclass
class StreamDecoder:
    """Stateful decoder: feed it any byte chunks, get back the valid frames.

    `role` is the receiving side: `Direction.TO_HOST` for the host (accepts device → host
    types), `Direction.TO_DEVICE` for a device, `Direction.BOTH` to accept everything.
    Corrupt input is counted in `stats` and skipped; it never raises.
    """

    role: Direction = Direction.TO_HOST
    max_payload: int = MAX_PAYLOAD_LIMIT
    stats: DecoderStats = field(default_factory=DecoderStats)
    _pending: bytearray = field(default_factory=bytearray, repr=False)
    _last_seq: int | None = field(default=None, repr=False)

    @property
    def capacity(self) -> int:
        return self.max_payload + OVERHEAD

    def feed(self, data: bytes) -> list[Frame]:
        frames: list[Frame] = []
        pieces = bytes(data).split(DELIMITER)
        for i, piece in enumerate(pieces):
            if i == len(pieces) - 1:  # no delimiter yet: keep (bounded) for the next feed
                self._pending += piece
                limit = max_encoded_size(self.capacity) + 1
                if len(self._pending) > limit:
                    # Far beyond any legal frame: it will be an overflow; keep memory bounded
                    # while preserving the decoded-size verdict (only the length matters now).
                    del self._pending[limit:]
                break
            chunk = bytes(self._pending) + piece
            self._pending.clear()
            frame = self._frame(chunk)
            if frame is not None:
                frames.append(frame)
        return frames

    def feed_messages(self, data: bytes) -> list[Message]:
        return [f.message() for f in self.feed(data)]

    def reset(self) -> None:
        """Drop a partial frame (stats are kept)."""
        self._pending.clear()
        self._last_seq = None

    def _frame(self, chunk: bytes) -> Frame | None:
        if not chunk:
            return None  # empty frame: a flush, not an error
        try:
            body = cobs_decode(chunk, self.capacity)
        except _Overflow:
            self.stats.overflows += 1
            return None
        except CobsError:
            self.stats.format_errors += 1
            return None
        if len(body) < OVERHEAD:
            self.stats.format_errors += 1
            return None
        if crc32(body[:-CRC_SIZE]) != struct.unpack_from("<I", body, len(body) - CRC_SIZE)[0]:
            self.stats.crc_errors += 1
            return None
        version, type_id, seq, length = _HEADER.unpack_from(body)
        if version != PROTOCOL_VERSION:
            self.stats.version_errors += 1
            return None
        if length != len(body) - OVERHEAD:
            self.stats.format_errors += 1
            return None
        spec = MESSAGES.get(type_id)
        if spec is None or not _accepts(self.role, spec.direction):
            self.stats.type_errors += 1
            return None
        extra = length - spec.fixed_size
        if extra < 0 or (extra and (spec.tail_unit == 0 or extra % spec.tail_unit)):
            self.stats.format_errors += 1
            return None
        if self._last_seq is not None and seq != (self._last_seq + 1) & 0xFFFF:
            self.stats.seq_gaps += 1
        self._last_seq = seq
        self.stats.frames += 1
        return Frame(type_id, seq, body[HEADER_SIZE:HEADER_SIZE + length])
