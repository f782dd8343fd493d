"""Views: small named filters from events to text (PlatformIO's monitor filters: `NAME` and
`rx(...)`). Each is a pure function of the events it has seen, so every view is tested on
constructed messages, without a port. The device's latest HELLO (its class names) has one owner,
`LastHello`, which `HumanView` feeds every event first and hands to the views that need it.

Human views, combined by `HumanView` in this order: `PortView` (connection, gaps, notes,
dropped frames), `HelloView`, `DetectionView`, `StatsView`, `LogView`, `OtherView`.
`JsonView` writes one JSON object per line: messages as `fwgen.link.text.to_dict` gives them,
monitor events as ``{"type": "CONNECTED" | "PORT_LOST" | "RECONNECTED" | "DROPPED" | "NOTE"}``.
Flow control (CREDIT, PONG) is hidden from both; `--log` keeps everything.
"""
from __future__ import annotations

import json
import re
from typing import Protocol

from fwgen.link.messages import (AudioSource, Credit, CycleUnit, Detection, End, ErrorReport,
                                 Hello, Log, Pong, Stats)
from fwgen.link.text import describe, to_dict
from fwgen.monitor.events import (Connected, Dropped, Event, Note, PortLost, Received,
                                  Reconnected)

#: Messages that only pace the link: never shown (the log file has them).
FLOW_CONTROL = (Credit, Pong)
#: The app's stack report, sent as a LOG before each STATS (firmware/app/main.c).
STACK_LOG = re.compile(r"stack (\d+)/(\d+) bytes")


class View(Protocol):
    NAME: str

    def rx(self, event: Event) -> str | None:
        """Text for this event, or None when this view does not show it."""


def _enum_name(kind, value: int) -> str:
    try:
        return kind(value).name.lower()
    except ValueError:
        return str(value)


def class_names(hello: Hello | None) -> list[str]:
    return hello.class_names.split("\n") if hello and hello.class_names else []


class LastHello:
    """The device's latest HELLO in the stream (None before the first): the one record of it
    that views share. It shows nothing itself."""
    NAME = "last_hello"

    def __init__(self) -> None:
        self.hello: Hello | None = None

    def rx(self, event: Event) -> None:
        if isinstance(event, Received) and isinstance(event.message, Hello):
            self.hello = event.message


class PortView:
    """Which port, why, when it vanished and came back; notes; frames that were dropped."""
    NAME = "port"

    def rx(self, event: Event) -> str | None:
        if isinstance(event, Connected):
            return f"-- connected to {event.port} ({event.reason})"
        if isinstance(event, PortLost):
            partial = f"; {event.partial} bytes of an unfinished frame lost" if event.partial \
                else ""
            return f"-- {event.port} lost: {event.error}{partial}; reconnecting"
        if isinstance(event, Reconnected):
            renamed = f" (was {event.previous})" if event.previous != event.port else ""
            return f"-- reconnected to {event.port}{renamed} after a {event.gap_s:.1f} s gap"
        if isinstance(event, Note):
            return f"-- {event.text}"
        if isinstance(event, Dropped):
            return f"-- dropped {len(event.raw)} bytes: {event.reason}"
        return None


class HelloView:
    """Who the device is: board, firmware version, model hash, ABI, audio format, classes."""
    NAME = "hello"

    def rx(self, event: Event) -> str | None:
        if not isinstance(event, Received) or not isinstance(event.message, Hello):
            return None
        h = event.message
        names = ", ".join(class_names(h)) or "names not sent"
        return (f"HELLO board {h.board}, firmware {h.fw_major}.{h.fw_minor}.{h.fw_patch}, "
                f"model {h.model_hash.hex()}, ABI {h.abi}; {h.sample_rate} Hz, hop "
                f"{h.hop_samples}, audio from {_enum_name(AudioSource, h.audio_source)}; "
                f"{h.n_classes} classes: {names}")


class DetectionView:
    """One line per detection: stream time, class name (from `last`'s HELLO), score, inference."""
    NAME = "detections"

    def __init__(self, last: LastHello) -> None:
        self.last = last

    def rx(self, event: Event) -> str | None:
        if not isinstance(event, Received) or not isinstance(event.message, Detection):
            return None
        msg = event.message
        names = class_names(self.last.hello)
        name = names[msg.class_index] if msg.class_index < len(names) else \
            f"class {msg.class_index}"
        return (f"{msg.time_ms / 1000:9.3f} s  {name:<12} score {msg.score:>3}  "
                f"(inference {msg.inference_index})")


class StatsView:
    """STATS: counts, cycles per stage (per frame, per inference), the stack high-water mark
    (the app's 'stack N/M bytes' LOG that precedes STATS), receive errors, lost audio."""
    NAME = "stats"

    def __init__(self) -> None:
        self.stack: tuple[int, int] | None = None

    def rx(self, event: Event) -> str | None:
        if not isinstance(event, Received):
            return None
        msg = event.message
        if isinstance(msg, Log) and (m := STACK_LOG.fullmatch(msg.text.strip())):
            self.stack = (int(m.group(1)), int(m.group(2)))
            return None
        if not isinstance(msg, Stats):
            return None
        unit = {CycleUnit.CYCLES: "cycles", CycleUnit.INSTRUCTIONS: "instructions"}.get(
            msg.cycle_unit)
        parts = [f"STATS {msg.audio_samples} samples, {msg.frames} frames, {msg.inferences} "
                 f"inferences, {msg.detections} detections"]
        if unit:
            per_frame, per_inf = max(msg.frames, 1), max(msg.inferences, 1)
            parts.append(f"frontend {msg.frontend_cycles // per_frame:,} {unit}/frame, "
                         f"inference {msg.inference_cycles // per_inf:,} {unit} (max "
                         f"{msg.inference_cycles_max:,}), detector "
                         f"{msg.detect_cycles // per_inf:,} {unit}/inference")
        if self.stack:
            used, size = self.stack
            parts.append(f"stack {used}/{size} bytes ({100 * used // max(size, 1)} %)")
        dropped = msg.rx_crc_errors + msg.rx_format_errors + msg.rx_overflows + msg.rx_rejected
        parts.append(f"rx {msg.rx_frames} ok, {dropped} dropped; audio lost {msg.audio_lost}, "
                     f"refused {msg.audio_overruns}")
        if msg.uptime_ms:
            parts.append(f"up {msg.uptime_ms / 1000:.1f} s")
        return "; ".join(parts)


class LogView:
    """The device's LOG lines and ERROR reports."""
    NAME = "log"

    def rx(self, event: Event) -> str | None:
        if isinstance(event, Received) and isinstance(event.message, (Log, ErrorReport)):
            return describe(event.message)
        return None


class OtherView:
    """Anything else a device sends (END, FEATURES, LOGITS...), as `describe` words it (none
    of these names a class: DETECTION is DetectionView's)."""
    NAME = "other"
    SHOWN_ELSEWHERE = (Hello, Detection, Stats, Log, ErrorReport) + FLOW_CONTROL

    def rx(self, event: Event) -> str | None:
        if not isinstance(event, Received) or isinstance(event.message, self.SHOWN_ELSEWHERE):
            return None
        msg = event.message
        if isinstance(msg, End):
            return f"END after {msg.total_samples} samples"
        return describe(msg)


class HumanView:
    """The human monitor: every view above, in order; one event may give several lines.
    `last` (the HELLO the views share) sees each event before they do."""
    NAME = "human"

    def __init__(self, views: list[View] | None = None, last: LastHello | None = None):
        self.last = last if last is not None else LastHello()
        self.views: list[View] = views if views is not None else [
            PortView(), HelloView(), DetectionView(self.last), StatsView(), LogView(), OtherView()]

    def rx(self, event: Event) -> str | None:
        self.last.rx(event)
        lines = [text for view in self.views if (text := view.rx(event)) is not None]
        return "\n".join(lines) if lines else None


def event_dict(event: Event) -> dict | None:
    """The JSON object for an event (None for flow control and progress)."""
    if isinstance(event, Received):
        return None if isinstance(event.message, FLOW_CONTROL) else to_dict(event.message)
    if isinstance(event, Connected):
        return {"type": "CONNECTED", "port": event.port, "reason": event.reason}
    if isinstance(event, PortLost):
        return {"type": "PORT_LOST", "port": event.port, "error": event.error,
                "partial_bytes": event.partial}
    if isinstance(event, Reconnected):
        return {"type": "RECONNECTED", "port": event.port, "previous": event.previous,
                "gap_s": round(event.gap_s, 3)}
    if isinstance(event, Dropped):
        return {"type": "DROPPED", "reason": event.reason, "bytes": len(event.raw)}
    if isinstance(event, Note):
        return {"type": "NOTE", "text": event.text}
    return None


class JsonView:
    """One JSON object per line (`event_dict`)."""
    NAME = "json"

    def rx(self, event: Event) -> str | None:
        data = event_dict(event)
        return None if data is None else json.dumps(data)
