"""The monitor's decoding as one pure object, for a PlatformIO `pio device monitor` filter.

    decoder = LinkTextFilter()          # or LinkTextFilter(JsonView())
    text = decoder.rx(chunk)            # bytes, or str as PlatformIO passes it

PlatformIO hands filters text decoded with `monitor_encoding`; the link is binary, so the
project sets ``monitor_encoding = latin-1`` (one code point per byte, lossless) and `rx` turns
the text back into the bytes. The result is the human view's lines (each ending in a newline),
or "" while a frame is incomplete. A filter class in the generated project only has to
subclass PlatformIO's DeviceMonitorFilterBase, keep a LinkTextFilter and call its `rx`.
"""
from __future__ import annotations

from fwgen.monitor.frames import FrameReader
from fwgen.monitor.views import HumanView, View


class LinkTextFilter:
    NAME = "fwgen_link"

    def __init__(self, view: View | None = None):
        self.reader = FrameReader()
        self.view = view or HumanView()

    def rx(self, data: bytes | str) -> str:
        raw = data.encode("latin-1", errors="replace") if isinstance(data, str) else bytes(data)
        lines = [text for event in self.reader.feed(raw) if (text := self.view.rx(event))]
        return "".join(f"{text}\n" for text in lines)
