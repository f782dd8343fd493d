"""`--log FILE`: everything the monitor received, raw and decoded, as JSON lines.

One object per event, flushed as it happens (a crash or a pulled cable loses nothing written):

    {"time": "2026-12-01T10:00:00.123456+00:00", "event": "rx", "seq": 7,
     "raw": "<hex of the frame as received, COBS and 0x00 included>",
     "message": {"type": "DETECTION", ...fwgen.link.text.to_dict...}}
    {"time": ..., "event": "dropped", "reason": "crc error", "raw": "<hex>"}
    {"time": ..., "event": "connected" | "port_lost" | "reconnected" | "note", ...}

CREDIT and PONG are logged too (the views hide them). Progress is not.
"""
from __future__ import annotations

import datetime
import json
import logging
import time
from pathlib import Path
from typing import IO, Any

from fwgen import __version__
from fwgen.errors import FwgenError
from fwgen.link.text import to_dict
from fwgen.monitor.events import (Connected, Dropped, Event, Note, PortLost, Received,
                                  Reconnected)

LOG = logging.getLogger(__name__)


def _iso(t: float) -> str:
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat()


def log_record(event: Event) -> dict[str, Any] | None:
    """The log line of one event (None: not logged)."""
    if isinstance(event, Received):
        body: dict[str, Any] = {"event": "rx", "seq": event.seq, "raw": event.raw.hex(),
                                "message": to_dict(event.message)}
    elif isinstance(event, Dropped):
        body = {"event": "dropped", "reason": event.reason, "raw": event.raw.hex()}
    elif isinstance(event, Connected):
        body = {"event": "connected", "port": event.port, "reason": event.reason}
    elif isinstance(event, PortLost):
        body = {"event": "port_lost", "port": event.port, "error": event.error,
                "partial_bytes": event.partial}
    elif isinstance(event, Reconnected):
        body = {"event": "reconnected", "port": event.port, "previous": event.previous,
                "gap_s": round(event.gap_s, 3)}
    elif isinstance(event, Note):
        body = {"event": "note", "text": event.text}
    else:
        return None
    return {"time": _iso(event.time), **body}


class LogWriter:
    """Appends `log_record`s to `path` (created or truncated); use as a context manager."""

    def __init__(self, path: Path):
        self.path = Path(path)
        if not self.path.parent.is_dir():
            raise FwgenError("the log file's folder does not exist", where=str(self.path.parent),
                             hint="create it, or give --log a file in an existing folder")
        try:
            self._file: IO[str] | None = self.path.open("w", encoding="utf-8")
        except OSError as exc:
            raise FwgenError(f"cannot write the log: {exc.strerror}", where=str(self.path)) \
                from None
        self._write({"time": _iso(time.time()), "event": "start", "fwgen": __version__})

    def _write(self, record: dict[str, Any]) -> None:
        assert self._file is not None
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()

    def write(self, event: Event) -> None:
        record = log_record(event)
        if record is not None:
            self._write(record)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> "LogWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
