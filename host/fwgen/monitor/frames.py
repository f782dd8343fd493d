"""Received bytes -> one event per frame, keeping each frame's raw bytes for the log.

`FrameReader` splits the byte stream at the 0x00 delimiters itself and hands each complete
frame to a `fwgen.link.StreamDecoder`, so every `Received` carries the exact bytes of its frame
and every rejected chunk becomes a `Dropped` with the decoder's reason. `TapPort` wraps a
pyserial port so that whatever the `Link` reads is also fed to the reader: the monitor decodes
from the tap, so bytes read just before a port vanishes are decoded and reported, never lost.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Callable

from fwgen.link.frame import DELIMITER, DecoderStats, StreamDecoder, max_encoded_size
from fwgen.link.messages import Direction, PayloadError
from fwgen.monitor.events import Dropped, Received

LOG = logging.getLogger(__name__)

_REASONS = (("crc_errors", "crc error"), ("format_errors", "format error"),
            ("overflows", "too long"), ("version_errors", "wrong protocol version"),
            ("type_errors", "unknown or wrong-direction type"))


class FrameReader:
    """Feed it received bytes; get `Received` / `Dropped` events, one per frame, in order."""

    def __init__(self, clock: Callable[[], float] = time.time):
        self.decoder = StreamDecoder(role=Direction.TO_HOST)
        self.clock = clock
        self._pending = bytearray()
        self._limit = max_encoded_size(self.decoder.capacity) + 1

    @property
    def stats(self) -> DecoderStats:
        return self.decoder.stats

    @property
    def pending(self) -> int:
        """Bytes of a frame whose delimiter has not arrived yet."""
        return len(self._pending)

    def feed(self, data: bytes) -> list[Received | Dropped]:
        events: list[Received | Dropped] = []
        pieces = bytes(data).split(DELIMITER)
        for i, piece in enumerate(pieces):
            if i == len(pieces) - 1:
                self._pending += piece
                # Longer than any legal frame: keep memory bounded (it is dropped at the
                # delimiter as too long; only its start is kept for the log).
                del self._pending[self._limit:]
                break
            raw = bytes(self._pending) + piece + DELIMITER
            self._pending.clear()
            if raw != DELIMITER:                 # a lone 0x00 is a flush, not a frame
                events.append(self._decode(raw))
        return events

    def _decode(self, raw: bytes) -> Received | Dropped:
        before = self.stats.as_dict()
        frames = self.decoder.feed(raw)
        now = self.clock()
        if frames:
            try:
                return Received(frames[0].message(), raw, frames[0].seq, now)
            except PayloadError as exc:  # pragma: no cover - the decoder checked sizes
                return Dropped(raw, f"malformed payload: {exc}", now)
        after = self.stats.as_dict()
        reason = next((text for key, text in _REASONS if after[key] != before[key]), "invalid")
        return Dropped(raw, reason, now)


class TapPort:
    """A pyserial port whose reads are also passed to `on_rx` (everything else is the port's)."""

    def __init__(self, port: Any, on_rx: Callable[[bytes], None]):
        object.__setattr__(self, "_port", port)
        object.__setattr__(self, "_on_rx", on_rx)

    def read(self, size: int = 1) -> bytes:
        data = self._port.read(size)
        if data:
            self._on_rx(bytes(data))
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._port, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._port, name, value)
