"""fwgen monitor as a library: watch a device's link, decode it into events, show and log them.
May import device, link, audio and boards (never project, deploy or cli): the CLI owns the terminal.

    choice = choose_port(board, serial=None, serial_number=None)   # which port, and why
    with MonitorSession(PortTarget(board, serial, serial_number), baudrate=...) as session:
        view = HumanView()                                          # or JsonView()
        for event in session.events():                              # or session.play(clip)
            line = view.rx(event)

Events (`fwgen.monitor.events`) are what happened: a message received (with its raw frame), a
corrupt frame dropped, the port connected, lost, reconnected. Views (`fwgen.monitor.views`)
are small named filters, PlatformIO-style: ``NAME`` and ``rx(event) -> str | None``, testable
without a port. `LogWriter` writes every event (raw frames in hex) as JSON lines; `LinkTextFilter`
(`fwgen.monitor.pio_filter`) decodes a raw byte stream to text for a `pio device monitor` filter.
"""
from fwgen.monitor.events import (Connected, Dropped, Event, Note, PortLost, Progress, Received,
                                  Reconnected)
from fwgen.monitor.frames import FrameReader, TapPort
from fwgen.monitor.logfile import LogWriter
from fwgen.monitor.pio_filter import LinkTextFilter
from fwgen.monitor.play import Clip, load_clip
from fwgen.monitor.session import MonitorSession
from fwgen.monitor.target import PortTarget, check_port_name, choose_port
from fwgen.monitor.views import (DetectionView, HelloView, HumanView, JsonView, LastHello, LogView,
                                 PortView, StatsView)

__all__ = [
    "Clip", "Connected", "DetectionView", "Dropped", "Event", "FrameReader", "HelloView",
    "HumanView", "JsonView", "LastHello", "LinkTextFilter", "LogView", "LogWriter",
    "MonitorSession", "Note", "PortLost", "PortTarget", "PortView", "Progress", "Received",
    "Reconnected", "StatsView", "TapPort", "check_port_name", "choose_port", "load_clip",
]
