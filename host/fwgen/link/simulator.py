"""A device on the host: the C link library plus a pluggable audio pipeline.

`DeviceSimulator` is the reference for how firmware uses firmware/link (it calls the same C
functions through ctypes, in the order link.h documents): HELLO at start, RESET -> HELLO with
every default restored, CONFIG checked by fwgen_link_config_check() (refused -> ERROR, nothing
changed), PING -> PONG, AUDIO through the flow-control calls into an audio buffer of
`audio_window` samples, one pipeline step per hop, CREDIT via fwgen_link_audio_service(),
END -> STATS, END (as often as END comes). It lets the host side be tested end to end without
a board or QEMU, and a host pipeline (frontend, model, detector through fwgen.native) can be
plugged in as a twin.
"""
from __future__ import annotations

import logging
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Callable, Iterator, Protocol

import numpy as np

from fwgen.link.frame import OVERHEAD
from fwgen.link.messages import (Audio, Config, Detection, Direction, End, Features, Hello, Logits,
                                 Message, Output, Ping, Pong, Reset, Stats, unpack_payload)
from fwgen.link.native import NativeLink

LOG = logging.getLogger(__name__)

#: What firmware/app streams at boot and after RESET (FWGEN_APP_OUT_DEFAULT), and every bit it can.
DEFAULT_OUTPUTS = Output.DETECTIONS | Output.LOG
SUPPORTED_OUTPUTS = Output.FEATURES | Output.LOGITS | Output.DETECTIONS | Output.LOG
#: Largest CONFIG.stride_frames firmware/app runs (FWGEN_APP_MAX_STRIDE_FRAMES).
MAX_STRIDE_FRAMES = 0xFFFF


class Pipeline(Protocol):
    """What the simulated device runs on the audio: one `step()` per `hop` samples."""

    hop: int

    def reset(self) -> None:
        """Forget the stream (frames, history); the simulator then configures the default."""
        ...

    def configure(self, stride_frames: int) -> None:
        """Run an inference every `stride_frames` frames (always >= 1)."""
        ...

    def step(self, samples: np.ndarray) -> list[Message]:
        """Process one hop; return FEATURES / LOGITS / DETECTION messages it produced."""
        ...


@dataclass
class _Counters:
    audio_samples: int = 0
    frames: int = 0
    inferences: int = 0
    detections: int = 0


class DeviceSimulator:
    """Plays the device side of the link. Feed received bytes to `handle()`, send what it returns.

    `hops_per_call` limits the pipeline steps per `handle()` call, to behave like a device
    slower than the line (so flow control is exercised); None runs all available hops.
    `hello.stride_frames` is the build's default stride, restored (with the default outputs)
    at boot (construction) and on RESET; `max_stride` is the largest CONFIG.stride_frames
    accepted.
    """

    def __init__(self, hello: Hello, pipeline: Pipeline, *, rx_buffer_size: int = 1024 + OVERHEAD,
                 hops_per_call: int | None = None, max_stride: int = MAX_STRIDE_FRAMES):
        self._out = bytearray()
        self.link = NativeLink(self._out.extend, accept=Direction.TO_DEVICE,
                               audio_window=hello.audio_window, rx_buffer_size=rx_buffer_size)
        self.hello = replace(hello, rx_max_payload=self.link.rx_max_payload)
        self.pipeline = pipeline
        self.hops_per_call = hops_per_call
        self.max_stride = max_stride
        self.outputs = DEFAULT_OUTPUTS
        self.stride = hello.stride_frames
        self.stream_ended = False
        self._buffer = np.zeros(0, dtype=np.int16)
        self._counters = _Counters()
        self._new_stream()   # boot

    def start(self) -> bytes:
        """The HELLO frame (preceded by the 0x00 flush) a host finds on connecting; like a
        board, the device keeps its state between connections (a RESET starts a stream)."""
        self.link.send(self.hello)
        return self._take()

    def _new_stream(self) -> None:
        """What boot and RESET do: nothing a previous host configured or sent survives."""
        self.outputs = DEFAULT_OUTPUTS
        self.stride = self.hello.stride_frames
        self.pipeline.reset()
        self.pipeline.configure(self.stride)
        self.link.audio_reset()
        self._buffer = np.zeros(0, dtype=np.int16)
        self._counters = _Counters()
        self.stream_ended = False

    def handle(self, data: bytes) -> bytes:
        """Process received bytes and run due pipeline steps; returns the bytes to transmit."""
        for frame in self.link.receive(data):
            self._on_message(unpack_payload(frame.type_id, frame.payload))
        self._run(self.hops_per_call)
        self.link.audio_service()
        return self._take()

    def _take(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    def _emit(self, msg: Message) -> None:
        if isinstance(msg, Features):
            self._counters.frames += 1
            wanted = Output.FEATURES
        elif isinstance(msg, Logits):
            self._counters.inferences += 1
            wanted = Output.LOGITS
        elif isinstance(msg, Detection):
            self._counters.detections += 1
            wanted = Output.DETECTIONS
        else:
            wanted = Output.LOG
        if self.outputs & wanted:
            self.link.send(msg)

    def _on_message(self, msg: Message) -> None:
        if isinstance(msg, Audio):
            if self.link.audio_accept(msg) == 0 and msg.pcm:
                self._buffer = np.concatenate([self._buffer, msg.samples])
        elif isinstance(msg, Config):
            # every CONFIG is the whole configuration; a refused one (ERROR sent) changes nothing
            if self.link.config_check(msg, int(SUPPORTED_OUTPUTS), self.max_stride) == 0:
                self.outputs = Output(msg.outputs)
                self.stride = msg.stride_frames or self.hello.stride_frames
                self.pipeline.configure(self.stride)
        elif isinstance(msg, Ping):
            self.link.send(Pong(msg.token))
        elif isinstance(msg, Reset):
            self._new_stream()
            self.link.send(self.hello)
        elif isinstance(msg, End):
            self.link.audio_end(msg.total_samples)
            self._run(None)
            leftover = self._buffer.size  # a partial hop: never processed, but freed
            self._buffer = self._buffer[:0]
            self.link.audio_consumed(leftover)
            self.link.send(self.stats())
            self.link.send(End(self._counters.audio_samples))
            self.stream_ended = True

    def _run(self, max_hops: int | None) -> None:
        hop = self.pipeline.hop
        done = 0
        while self._buffer.size >= hop and (max_hops is None or done < max_hops):
            samples, self._buffer = self._buffer[:hop], self._buffer[hop:]
            for msg in self.pipeline.step(samples):
                self._emit(msg)
            self._counters.audio_samples += hop
            self.link.audio_consumed(hop)
            done += 1

    def stats(self) -> Stats:
        c = self._counters
        base = Stats(audio_samples=c.audio_samples, frames=c.frames, inferences=c.inferences,
                     detections=c.detections, rx_frames=0, rx_crc_errors=0, rx_format_errors=0,
                     rx_overflows=0, rx_rejected=0, audio_lost=0, audio_overruns=0,
                     frontend_cycles=0, inference_cycles=0, detect_cycles=0,
                     inference_cycles_max=0, cycle_unit=0, uptime_ms=0)
        return self.link.fill_stats(base)


@contextmanager
def serve_tcp(device: DeviceSimulator, *,
              channel: Callable[[bytes], bytes] | None = None) -> Iterator[str]:
    """Run `device` behind a TCP socket on localhost; yields its ``socket://`` URL.

    `channel` may rewrite the bytes travelling host -> device (to inject corruption or loss).
    The thread stops when the host disconnects or the block exits.
    """
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    stop = threading.Event()
    errors: list[BaseException] = []

    def loop() -> None:
        server.settimeout(0.1)
        conn = None
        try:
            while not stop.is_set() and conn is None:
                try:
                    conn, _ = server.accept()
                except socket.timeout:
                    continue
            if conn is None:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.settimeout(0.01)
            conn.sendall(device.start())
            while not stop.is_set():
                try:
                    data = conn.recv(65536)
                    if not data:
                        return  # host disconnected
                except socket.timeout:
                    data = b""
                if channel is not None and data:
                    data = channel(data)
                out = device.handle(data)
                if out:
                    conn.sendall(out)
        except OSError as exc:  # host vanished mid-write: a device just carries on / stops
            LOG.debug("simulated device connection ended: %s", exc)
        except BaseException as exc:  # surfaced to the test via the context manager
            errors.append(exc)
        finally:
            if conn is not None:
                conn.close()

    thread = threading.Thread(target=loop, name="fwgen-link-simulator", daemon=True)
    thread.start()
    try:
        yield f"socket://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()
        if errors:
            raise errors[0]
