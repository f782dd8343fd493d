"""A monitor session: one device link, decoded into events, surviving the port going away.

Reading: the `Link` reads the port (it keeps CREDIT flow control for --play) through a
`TapPort`, and the session decodes what the tap saw with its own `FrameReader`, so each event
has its raw frame and bytes read just before a failure are still decoded and reported.

Reconnection: when a read or write fails (cable pulled, a board reset that re-enumerates USB,
QEMU or a socket closed), the session first reports every event decoded so far, then
`PortLost` (with the bytes of an unfinished frame it had to drop), closes the port and tries to
reopen it (`PortTarget.resolve()` again, so a new /dev/ttyACMn or a new twin socket is found)
every `retry_interval` seconds, backing off to 1 s, until the session's deadline (`timeout`)
or Ctrl-C. Once back: `Reconnected` with the gap's length and the port, then the device's new
HELLO (asked for with RESET when none arrives within `hello_wait`, unless `ask_hello` is off).

--play (`play()`): RESET -> HELLO, the clip at HELLO's rate, CONFIG, PING -> PONG, AUDIO under
the device's credit window (paced to real time on a board, as fast as the link allows on a
twin), END -> STATS, END. A port lost during --play is an error, after its events.
"""
from __future__ import annotations

import itertools
import logging
import socket
import time
from collections import deque
from typing import Callable, Iterator

import numpy as np
import serial

from fwgen.device.serial_port import PortChoice
from fwgen.errors import FwgenError
from fwgen.link.messages import (AudioSource, Config, CycleUnit, End, Hello, Message, Output,
                                 Ping, Pong, Reset)
from fwgen.link.transport import DEFAULT_BAUDRATE, Link, LinkError, LinkTimeout
from fwgen.monitor.events import (Connected, Dropped, Event, Note, PortLost, Progress, Received,
                                  Reconnected)
from fwgen.monitor.frames import FrameReader, TapPort
from fwgen.monitor.target import PortTarget

LOG = logging.getLogger(__name__)

#: Seconds to wait for a HELLO after connecting before asking for one with RESET.
HELLO_WAIT_S = 0.5
RETRY_INTERVAL_S = 0.2
RETRY_INTERVAL_MAX_S = 1.0
#: A write that blocks this long means the port is gone (or the device stopped reading).
WRITE_TIMEOUT_S = 5.0
READ_STEP_S = 0.05
END_RESEND_S = 2.0
_OPEN_ERRORS = (serial.SerialException, OSError, ValueError)


def open_serial(url: str, baudrate: int) -> serial.SerialBase:
    """A pyserial port for a device path or URL, set up for the monitor."""
    port = serial.serial_for_url(url, baudrate=baudrate, timeout=0.02,
                                 write_timeout=WRITE_TIMEOUT_S, do_not_open=True)
    if url.startswith("socket://"):
        # pyserial's socket open() discards what has already arrived: a twin's boot HELLO.
        port.reset_input_buffer = lambda: None
        try:
            port.open()
        finally:
            del port.reset_input_buffer
    else:
        port.open()
    sock = getattr(port, "_socket", None)
    if sock is not None:  # socket://: answers without Nagle's 40 ms delay
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return port


class MonitorSession:
    """Events from one device (see the module docstring). Use as a context manager."""

    def __init__(self, target: PortTarget, *, baudrate: int | None = None,
                 timeout: float | None = None, ask_hello: bool = True,
                 hello_wait: float = HELLO_WAIT_S, retry_interval: float = RETRY_INTERVAL_S,
                 connect_timeout: float = 3.0, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic,
                 port_opener: Callable[[str, int], serial.SerialBase] = open_serial):
        self.target = target
        self.port_opener = port_opener
        self.monotonic = monotonic          # deadlines and --play pacing (tests freeze it)
        self.baudrate = baudrate or DEFAULT_BAUDRATE
        self.timeout = timeout
        self.deadline = None if timeout is None else self.monotonic() + timeout
        self.ask_hello = ask_hello
        self.hello_wait = hello_wait
        self.retry_interval = retry_interval
        self.connect_timeout = connect_timeout
        self.clock = clock
        self.link: Link | None = None
        self.choice: PortChoice | None = None
        self.hello: Hello | None = None
        self.gaps: list[tuple[str, float]] = []     # (port, seconds) per reconnection
        self.received = 0
        self.dropped = 0
        self._reader = FrameReader(clock)
        self._queue: deque[Event] = deque()
        self._hello_due: float | None = None
        self._tokens = itertools.count(1)

    # -- ports ---------------------------------------------------------------------------------

    def _open(self, choice: PortChoice) -> None:
        """Open `choice.port` with a fresh decoder; errors are pyserial's / the OS's."""
        port = self.port_opener(choice.port, self.baudrate)
        self._reader = FrameReader(self.clock)
        try:
            self.link = Link(TapPort(port, self._on_rx))
        except BaseException:
            port.close()
            raise
        self.link.url = choice.port
        self.choice = choice
        self._hello_due = self.monotonic() + self.hello_wait if self.ask_hello else None
        LOG.debug("opened %s", choice.port)

    def _on_rx(self, data: bytes) -> None:
        self._queue.extend(self._reader.feed(data))

    def connect(self) -> Connected:
        """Open the target's port (socket:// is retried for `connect_timeout`: a twin may still
        be starting); FwgenError when it cannot be opened."""
        choice = self.target.resolve()
        deadline = self.monotonic() + self.connect_timeout
        while True:
            try:
                self._open(choice)
                break
            except _OPEN_ERRORS as exc:
                if choice.port.startswith("socket://") and self.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                raise FwgenError(f"cannot open serial port {choice.port}: {exc}",
                                 hint="check the device path or URL (e.g. /dev/ttyACM0, "
                                      "socket://127.0.0.1:5555), and that no other program "
                                      "holds the port") from None
        return Connected(choice.port, choice.reason, self.clock())

    def _close_link(self) -> None:
        if self.link is not None:
            self.link.close()
            self.link = None

    def close(self) -> None:
        """Close the port (idempotent); the device keeps running."""
        self._close_link()

    def __enter__(self) -> "MonitorSession":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------------

    def _left(self) -> float | None:
        return None if self.deadline is None else self.deadline - self.monotonic()

    def _flush(self) -> Iterator[Event]:
        """Hand out what was decoded, one event at a time (an abandoned caller loses none)."""
        while self._queue:
            event = self._queue.popleft()
            if isinstance(event, Received):
                self.received += 1
                if isinstance(event.message, Hello):
                    self.hello = event.message
                    self._hello_due = None
            elif isinstance(event, Dropped):
                self.dropped += 1
            yield event

    def _discard_inbox(self) -> None:
        """The Link queues its own copy of each message; the tap's copies are the ones used."""
        assert self.link is not None
        while self.link.receive(0) is not None:
            pass

    def _step(self, wait: float, *, reconnect: bool) -> Iterator[Event]:
        """Read for up to `wait` seconds; yield what arrived (and a loss, if the port went)."""
        assert self.link is not None
        try:
            if self._hello_due is not None and self.monotonic() >= self._hello_due:
                self._hello_due = None
                self.link.send(Reset())
                self._queue.append(Note(f"no HELLO within {self.hello_wait:g} s: sent RESET to "
                                        f"ask for one (the device restarts its stream)",
                                        self.clock()))
            self.link.receive(max(wait, 0.0))
        except LinkTimeout:
            raise
        except LinkError as exc:
            yield from self._lost(exc, reconnect=reconnect)
            return
        self._discard_inbox()
        yield from self._flush()

    def _lost(self, exc: LinkError, *, reconnect: bool) -> Iterator[Event]:
        yield from self._flush()
        assert self.choice is not None
        port = self.choice.port
        partial = self._reader.pending
        self._close_link()
        lost_at = self.monotonic()
        yield PortLost(port, exc.message, partial, self.clock())
        if not reconnect:
            raise FwgenError(f"the port went away during --play: {exc.message}", where=port,
                             hint="the device reset or was unplugged; run the command again")
        interval = self.retry_interval
        while True:
            left = self._left()
            if left is not None and left <= 0:
                raise FwgenError(f"the port vanished and did not come back within "
                                 f"{self.monotonic() - lost_at:.1f} s", where=port,
                                 hint="plug the board back in (or restart the twin), or give "
                                      "more time with --timeout")
            time.sleep(interval if left is None else min(interval, left))
            try:
                choice = self.target.resolve()
                self._open(choice)
            except (FwgenError, *_OPEN_ERRORS) as err:
                LOG.debug("reopening %s: %s", port, err)
                interval = min(interval * 1.5, RETRY_INTERVAL_MAX_S)
                continue
            gap = self.monotonic() - lost_at
            self.gaps.append((port, gap))
            yield Reconnected(choice.port, port, gap, self.clock())
            return

    def events(self) -> Iterator[Event]:
        """Everything the device sends, until the session's deadline (forever without one)."""
        if self.link is None:
            yield self.connect()
        while True:
            left = self._left()
            if left is not None and left <= 0:
                return
            yield from self._step(READ_STEP_S if left is None else min(READ_STEP_S, left),
                                  reconnect=True)

    # -- --play --------------------------------------------------------------------------------

    def _send(self, msg: Message) -> Iterator[Event]:
        assert self.link is not None
        try:
            self.link.send(msg)
        except LinkError as exc:
            yield from self._lost(exc, reconnect=False)

    def _until(self, done: Callable[[Event], bool], timeout: float, what: str,
               resend: Message | None = None, required: bool = True) -> Iterator[Event]:
        """Yield events until one satisfies `done`; after `timeout` seconds LinkTimeout (or
        just return, when not `required`). `resend` goes out again after END_RESEND_S quiet
        seconds (a lossy line ate it)."""
        started = self.monotonic()
        deadline = started + timeout
        if self.deadline is not None:
            deadline = min(deadline, self.deadline)
        quiet_since = self.monotonic()
        while True:
            for event in self._step(READ_STEP_S, reconnect=False):
                yield event
                quiet_since = self.monotonic()
                if done(event):
                    return
            now = self.monotonic()
            if now >= deadline:
                if not required:
                    return
                raise LinkTimeout(f"no {what} from {self.choice.port} within "
                                  f"{now - started:.1f} s",
                                  hint="is the firmware running and speaking fwgen's link "
                                       "protocol at this baud rate?")
            if resend is not None and now - quiet_since > END_RESEND_S:
                yield from self._send(resend)
                quiet_since = now

    @staticmethod
    def _is(kind: type, **fields) -> Callable[[Event], bool]:
        return lambda e: isinstance(e, Received) and isinstance(e.message, kind) and all(
            getattr(e.message, k) == v for k, v in fields.items())

    def play(self, clip_for: Callable[[Hello], np.ndarray], *, realtime: bool | None = None,
             outputs: int = Output.DETECTIONS | Output.LOG, reply_timeout: float = 10.0,
             end_timeout: float = 60.0, chunk_s: float = 0.1) -> Iterator[Event]:
        """Stream the clip `clip_for(hello)` returns (mono int16 at hello.sample_rate).

        `realtime` None: in real time unless the device is a twin (its HELLO counts
        instructions). Yields every event, `Progress` after each chunk. The session's `timeout`
        bounds the whole conversation (FwgenError when it runs out).
        """
        for event in self._play(clip_for, realtime=realtime, outputs=outputs,
                                reply_timeout=reply_timeout, end_timeout=end_timeout,
                                chunk_s=chunk_s):
            yield event
            left = self._left()
            if left is not None and left <= 0:
                raise FwgenError(f"--play did not finish within the {self.timeout:g} s given",
                                 where="--timeout", hint="give it more time, or none")

    def _play(self, clip_for: Callable[[Hello], np.ndarray], *, realtime: bool | None,
              outputs: int, reply_timeout: float, end_timeout: float,
              chunk_s: float) -> Iterator[Event]:
        if self.link is None:
            yield self.connect()
        self._hello_due = None                    # the stream is started here, not asked for
        self.hello = None
        # A HELLO right after connecting means a fresh stream (the device just booted);
        # otherwise RESET starts one. PING -> PONG: everything before it has been handled.
        yield from self._until(self._is(Hello), self.hello_wait, "HELLO", required=False)
        if self.hello is None:
            yield from self._send(Reset())
        yield from self._send(Config(int(outputs), 0))
        token = next(self._tokens)
        yield from self._send(Ping(token))
        yield from self._until(self._is(Pong, token=token), reply_timeout, "PONG")
        hello = self.hello
        if hello is None:
            raise LinkError(f"{self.choice.port} answered PING but sent no HELLO after RESET",
                            hint="is the firmware fwgen's app, built with this fwgen version?")
        assert self.link is not None
        if hello.audio_source == AudioSource.MIC:
            raise FwgenError(f"the firmware on {self.choice.port} takes its audio from the "
                             f"microphone, so it ignores --play", where="--play",
                             hint="build it with fwgen build --audio link to stream files")
        pcm = np.asarray(clip_for(hello))
        if realtime is None:
            realtime = hello.cycle_unit != CycleUnit.INSTRUCTIONS
        yield Note(f"streaming {pcm.size} samples ({pcm.size / hello.sample_rate:.1f} s) "
                   f"{'in real time' if realtime else 'as fast as the link allows'}",
                   self.clock())
        yield from self._stream(pcm, hello, realtime=realtime, chunk_s=chunk_s,
                                timeout=reply_timeout)
        end = End(pcm.size & 0xFFFFFFFF)
        yield from self._send(end)
        yield from self._until(self._is(End), end_timeout, "END", resend=end)

    def _stream(self, pcm: np.ndarray, hello: Hello, *, realtime: bool, chunk_s: float,
                timeout: float) -> Iterator[Event]:
        rate, window = hello.sample_rate, hello.audio_window
        chunk = max(hello.hop_samples, int(rate * chunk_s), 1)
        start = self.monotonic()
        sent = 0
        while sent < pcm.size:
            n = min(chunk, pcm.size - sent)
            # Real time: never more than the device's window ahead of the clip's clock.
            while realtime and sent + n - window > (self.monotonic() - start) * rate:
                yield from self._step(min(READ_STEP_S, n / rate), reconnect=False)
            assert self.link is not None
            try:
                self.link.send_audio(pcm[sent:sent + n], timeout=timeout)
            except LinkTimeout:
                raise
            except LinkError as exc:
                yield from self._lost(exc, reconnect=False)
            sent += n
            self._discard_inbox()
            yield from self._flush()
            yield Progress(sent, pcm.size, self.clock())
