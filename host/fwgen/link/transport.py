"""`Link`: the host end of the serial protocol over any pyserial URL.

``/dev/ttyACM0`` (a board's VCP), ``socket://127.0.0.1:PORT`` (QEMU's ``-serial tcp:...``),
``loop://`` (tests). The link numbers outgoing frames, decodes incoming ones (resynchronising
after garbage), keeps CREDIT flow control to itself and queues every other message for
`receive()` / `messages()`.
"""
from __future__ import annotations

import itertools
import logging
import time
from collections import deque
from typing import Any, Iterator

import numpy as np
import serial

from fwgen.errors import FwgenError
from fwgen.link.frame import MAX_PAYLOAD_LIMIT, DecoderStats, StreamDecoder, encode_message
from fwgen.link.messages import (Audio, Config, Credit, Direction, End, ErrorReport, Hello, Message,
                                 PayloadError, Ping, Pong, Reset)

LOG = logging.getLogger(__name__)

DEFAULT_BAUDRATE = 921600
#: Seconds without a CREDIT, while the window is full, before the host polls the device.
POLL_INTERVAL = 0.5
#: Seconds without any message after END before END is sent again.
END_RESEND_INTERVAL = 2.0


class LinkError(FwgenError):
    """The device did not answer as the protocol says (timeout, closed port, bad reply)."""


class LinkTimeout(LinkError):
    pass


class ConfigRefused(LinkError):
    """The device answered a CONFIG with an ERROR: a value this firmware build cannot do.

    `report` is the device's ERROR (its text names the field, `detail` is the value sent).
    """

    def __init__(self, report: ErrorReport, config: Config, url: str):
        field = report.text or "a field the firmware did not name"
        super().__init__(f"the device at {url} refused CONFIG (outputs {config.outputs:#04x}, "
                         f"stride_frames {config.stride_frames}): {field} "
                         f"(value {report.detail})",
                         where="CONFIG",
                         hint="the firmware keeps its previous configuration; send values its "
                              "build supports (HELLO.stride_frames is its default stride)")
        self.report = report


class Link:
    """A connection to a device speaking the fwgen link protocol.

    Use as a context manager or call `close()`. Not thread-safe: one thread drives it.
    """

    def __init__(self, port: serial.SerialBase, *, accept: Direction = Direction.TO_HOST,
                 max_payload: int = MAX_PAYLOAD_LIMIT, read_timeout: float = 0.02):
        self.port = port
        self.port.timeout = read_timeout
        self.decoder = StreamDecoder(role=accept, max_payload=max_payload)
        self.hello: Hello | None = None
        self.last_credit: Credit | None = None
        self.url: str = getattr(port, "portstr", None) or getattr(port, "port", None) or "?"
        self._inbox: deque[Message] = deque()
        self._seq = itertools.count()
        self._sent = 0          # stream position: samples sent since the stream started
        self._consumed = 0      # from the newest CREDIT
        self._tokens = itertools.count(1)
        self.payload_errors = 0
        self._closed = False
        self.port.write(b"\x00")  # flush whatever partial frame the device was holding

    # -- opening and closing -------------------------------------------------------------------

    @classmethod
    def open(cls, url: str, *, baudrate: int = DEFAULT_BAUDRATE, connect_timeout: float = 5.0,
             **kwargs: Any) -> "Link":
        """Open a serial device path or pyserial URL (socket://, loop://, rfc2217://...).

        socket:// URLs are retried until `connect_timeout` (an emulator may still be starting).
        """
        deadline = time.monotonic() + connect_timeout
        while True:
            try:
                port = serial.serial_for_url(url, baudrate=baudrate, timeout=0.02,
                                             write_timeout=None)
                break
            except (serial.SerialException, OSError, ValueError) as exc:
                if url.startswith("socket://") and time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                raise LinkError(f"cannot open serial port {url}: {exc}",
                                hint="check the device path or URL (e.g. /dev/ttyACM0, "
                                     "socket://127.0.0.1:5555, loop://)") from None
        LOG.debug("opened %s", url)
        link = cls(port, **kwargs)
        link.url = url
        return link

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                self.port.close()
            except (serial.SerialException, OSError) as exc:  # closing a vanished port
                LOG.debug("closing %s: %s", self.url, exc)

    def __enter__(self) -> "Link":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def stats(self) -> DecoderStats:
        """Receive-side counters (corrupt frames dropped, sequence gaps...)."""
        return self.decoder.stats

    # -- frames --------------------------------------------------------------------------------

    def send(self, msg: Message) -> None:
        """Encode and write one message (blocking until the port took it)."""
        data = encode_message(msg, next(self._seq))
        try:
            self.port.write(data)
        except (serial.SerialException, OSError) as exc:
            raise LinkError(f"writing to {self.url} failed: {exc}") from None

    def _pump(self, timeout: float) -> bool:
        """Read what arrived, waiting up to `timeout` for the first byte; True if any came.

        The port's own timeout stays fixed (changing it reconfigures a real tty each time);
        this loops in steps of it instead.
        """
        deadline = time.monotonic() + max(timeout, 0.0)
        try:
            while True:
                data = self.port.read(self.port.in_waiting or 1)
                if data:
                    if self.port.in_waiting:
                        data += self.port.read(self.port.in_waiting)
                    break
                if time.monotonic() >= deadline:
                    return False
        except (serial.SerialException, OSError) as exc:
            raise LinkError(f"reading from {self.url} failed: {exc}",
                            hint="the device or emulator closed the connection") from None
        for frame in self.decoder.feed(data):
            try:
                msg = frame.message()
            except PayloadError as exc:  # pragma: no cover - the decoder checked sizes
                self.payload_errors += 1
                LOG.warning("dropping malformed %s: %s", frame.type_id, exc)
                continue
            if isinstance(msg, Credit):
                self.last_credit = msg
                self._consumed = msg.consumed
            else:
                if isinstance(msg, Hello):
                    self.hello = msg
                self._inbox.append(msg)
        return True

    def receive(self, timeout: float | None = 1.0) -> Message | None:
        """The next message (CREDITs excepted), or None after `timeout` seconds (None: forever)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._inbox:
            left = 0.1 if deadline is None else deadline - time.monotonic()
            if left <= 0:
                return None
            self._pump(min(left, 0.1))
        return self._inbox.popleft()

    def messages(self, timeout: float = 1.0) -> Iterator[Message]:
        """Yield messages until none arrives for `timeout` seconds."""
        while (msg := self.receive(timeout)) is not None:
            yield msg

    def __iter__(self) -> Iterator[Message]:
        """Messages as they arrive, until none came for a second."""
        return self.messages()

    def wait_for(self, kind: type, timeout: float, keep_others: bool = True) -> Any:
        """Read until a message of `kind` arrives; others stay queued (or are dropped)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, msg in enumerate(self._inbox):
                if isinstance(msg, kind):
                    del self._inbox[i]
                    return msg
            if not keep_others:
                self._inbox.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise LinkTimeout(f"no {kind.SPEC.name} from {self.url} within {timeout:g} s",
                                  hint="is the firmware running and speaking fwgen's link "
                                       "protocol at this baud rate?")
            self._pump(min(left, 0.1))

    # -- conversation --------------------------------------------------------------------------

    def reset(self, timeout: float = 5.0) -> Hello:
        """RESET the device's stream and wait for its HELLO (earlier messages are dropped)."""
        self.send(Reset())
        self._inbox.clear()
        hello = self.wait_for(Hello, timeout, keep_others=False)
        self._sent = self._consumed = 0
        self.last_credit = None
        return hello

    def ping(self, timeout: float = 5.0) -> None:
        """Round trip: returns once the device handled everything sent before."""
        token = next(self._tokens) & 0xFFFFFFFF
        self.send(Ping(token))
        deadline = time.monotonic() + timeout
        while True:
            pong = self.wait_for(Pong, max(deadline - time.monotonic(), 0.0))
            if pong.token == token:
                return

    def configure(self, config: Config, timeout: float = 5.0) -> None:
        """Send CONFIG and wait until the device applied it (PING -> PONG).

        A device refuses a CONFIG it cannot do with an ERROR before the PONG: that raises
        ConfigRefused (a LinkError), and the device keeps its previous configuration.
        """
        self.send(config)
        self.ping(timeout=timeout)
        for msg in list(self._inbox):
            if isinstance(msg, ErrorReport) and msg.cause_type == Config.SPEC.type_id:
                self._inbox.remove(msg)
                raise ConfigRefused(msg, config, self.url)

    @property
    def samples_sent(self) -> int:
        return self._sent

    @property
    def in_flight(self) -> int:
        """Samples sent that the device has not yet reported consumed."""
        return (self._sent - self._consumed) & 0xFFFFFFFF

    def send_audio(self, samples: Any, *, chunk: int | None = None, timeout: float = 10.0) -> int:
        """Stream int16 samples, never exceeding the device's flow-control window.

        Needs the device's HELLO (call `reset()` first). `chunk` defaults to the largest AUDIO
        payload the device accepts. Raises LinkTimeout when the device stops granting credit
        for `timeout` seconds. Returns the number of samples sent.
        """
        if self.hello is None:
            raise LinkError("send_audio needs the device's HELLO first", hint="call reset()")
        pcm = np.asarray(samples)
        if pcm.dtype != np.int16:
            raise FwgenError(f"audio must be int16 PCM, got {pcm.dtype}")
        pcm = pcm.reshape(-1)
        window = self.hello.audio_window
        max_chunk = min((self.hello.rx_max_payload - Audio.SPEC.fixed_size) // 2, window)
        if max_chunk <= 0:
            raise LinkError(f"device announces no room for audio (window {window}, "
                            f"max payload {self.hello.rx_max_payload})")
        chunk = max_chunk if chunk is None else max(1, min(chunk, max_chunk))
        pos = 0
        while pos < pcm.size:
            n = self._wait_room(min(chunk, pcm.size - pos), window, timeout)
            self.send(Audio.from_samples(self._sent & 0xFFFFFFFF, pcm[pos:pos + n]))
            self._sent += n
            pos += n
        return pos

    def _wait_room(self, wanted: int, window: int, timeout: float) -> int:
        """Wait until at least min(wanted, window/4) samples fit the window; return how many fit.

        Sending what fits (not insisting on a whole chunk) keeps a device that waits for one
        more hop from starving: with audio_window >= 2 hops there is always room for a quarter.
        """
        threshold = min(wanted, max(1, window // 4))
        last_progress = last_poll = time.monotonic()
        consumed = self._consumed
        while window - self.in_flight < threshold:
            self._pump(0.05)
            now = time.monotonic()
            if self._consumed != consumed:
                consumed, last_progress, last_poll = self._consumed, now, now
            elif now - last_progress > timeout:
                raise LinkTimeout(f"device at {self.url} granted no audio credit for "
                                  f"{timeout:g} s ({self.in_flight} samples in flight)",
                                  hint="the firmware stopped processing audio; see its LOG/ERROR")
            elif now - last_poll > POLL_INTERVAL:
                # No credit for a while: an empty AUDIO at the current position asks for one
                # (and tells the device that anything before it which never arrived is lost).
                self.send(Audio(self._sent & 0xFFFFFFFF, b""))
                last_poll = now
        return min(wanted, window - self.in_flight)

    def end(self, timeout: float = 30.0, resend_after: float = END_RESEND_INTERVAL
            ) -> list[Message]:
        """Send END and collect everything up to the device's END (which is included last).

        END is sent again after `resend_after` quiet seconds, in case a lossy line ate it
        (a device answers a repeated END with the same STATS and END).
        """
        end = End(self._sent & 0xFFFFFFFF)
        self.send(end)
        deadline = time.monotonic() + timeout
        collected: list[Message] = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise LinkTimeout(f"no END from {self.url} within {timeout:g} s after the stream",
                                  hint="the firmware may still be processing or has hung")
            msg = self.receive(min(left, resend_after))
            if msg is None:
                LOG.debug("no answer to END yet, sending it again")
                self.send(end)
                continue
            collected.append(msg)
            if isinstance(msg, End):
                return collected
