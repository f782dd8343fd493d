"""Stream a whole clip through a device and collect what it reports.

`stream_audio()` runs the complete conversation: RESET -> HELLO, CONFIG, PING -> PONG,
flow-controlled AUDIO, END -> ... STATS, END. The result holds every FEATURES, LOGITS and
DETECTION in arrival order, the final STATS and the host's own receive counters, ready to be
compared with the host pipeline stage by stage.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fwgen.errors import FwgenError
from fwgen.link.frame import DecoderStats
from fwgen.link.messages import (AudioSource, Config, Detection, End, ErrorReport, Features,
                                 Hello, Log, Logits, Message, Output, Stats)
from fwgen.link.transport import Link, LinkTimeout

LOG = logging.getLogger(__name__)

#: stream_preloaded reads what arrived every this many seconds: an emulated UART delivers its
#: bytes one TCP segment each, and reading them as they come costs more host CPU than QEMU
PRELOADED_POLL_S = 0.01


@dataclass
class StreamResult:
    hello: Hello
    samples_sent: int
    features: list[Features] = field(default_factory=list)
    logits: list[Logits] = field(default_factory=list)
    detections: list[Detection] = field(default_factory=list)
    logs: list[Log] = field(default_factory=list)
    errors: list[ErrorReport] = field(default_factory=list)
    stats: Stats | None = None
    end: End | None = None
    other: list[Message] = field(default_factory=list)
    link_stats: DecoderStats = field(default_factory=DecoderStats)

    def add(self, msg: Message) -> None:
        for kind, bucket in ((Features, self.features), (Logits, self.logits),
                             (Detection, self.detections), (Log, self.logs),
                             (ErrorReport, self.errors)):
            if isinstance(msg, kind):
                bucket.append(msg)
                return
        if isinstance(msg, Stats):
            self.stats = msg
        elif isinstance(msg, End):
            self.end = msg
        else:
            self.other.append(msg)

    def feature_matrix(self) -> np.ndarray:
        """FEATURES as a (frames, channels) array, ordered by frame index."""
        rows = sorted(self.features, key=lambda f: f.frame_index)
        if not rows:
            return np.zeros((0, self.hello.n_channels), dtype=np.int16)
        return np.stack([f.values for f in rows])

    def logits_matrix(self) -> np.ndarray:
        """LOGITS as an (inferences, classes) int8 array, ordered by inference index."""
        rows = sorted(self.logits, key=lambda m: m.inference_index)
        if not rows:
            return np.zeros((0, self.hello.n_classes), dtype=np.int8)
        return np.array([m.values for m in rows], dtype=np.int8)


def stream_audio(link: Link, samples: Any, *, sample_rate: int | None = None,
                 outputs: int = Output.DETECTIONS | Output.LOG, stride_frames: int = 0,
                 chunk: int | None = None, timeout: float = 10.0,
                 end_timeout: float = 60.0) -> StreamResult:
    """Run one clip (int16 mono samples) through the device behind `link`.

    `outputs` selects what the device streams back (`Output` bits); `stride_frames` overrides
    its inference stride (0: the firmware's default, HELLO.stride_frames). RESET first restores
    every device default, so nothing a previous stream or host configured carries over.
    Raises FwgenError when the device's sample rate differs from `sample_rate`, ConfigRefused
    (a LinkError) when the device refuses the CONFIG, LinkTimeout when it stops answering.
    """
    pcm = np.asarray(samples)
    if pcm.ndim != 1 or pcm.dtype != np.int16:
        raise FwgenError(f"audio must be mono int16 samples, got {pcm.dtype} shape {pcm.shape}")
    hello = link.reset(timeout=timeout)
    LOG.info("device %s: board %s, %d Hz, window %d samples", link.url,
             hello.board, hello.sample_rate, hello.audio_window)
    if sample_rate is not None and sample_rate != hello.sample_rate:
        raise FwgenError(f"the audio is {sample_rate} Hz but the firmware expects "
                         f"{hello.sample_rate} Hz", hint="resample the clip first (e.g. with sox)")
    link.configure(Config(int(outputs), stride_frames), timeout=timeout)
    result = StreamResult(hello=hello, samples_sent=0)
    result.samples_sent = link.send_audio(pcm, chunk=chunk, timeout=timeout)
    for msg in link.end(timeout=end_timeout):
        result.add(msg)
    result.link_stats = link.stats
    if result.errors:
        LOG.warning("device reported %d error(s); first: %s", len(result.errors), result.errors[0])
    return result


def stream_preloaded(link: Link, total_samples: int, *,
                     outputs: int = Output.DETECTIONS | Output.LOG, stride_frames: int = 0,
                     timeout: float = 10.0) -> StreamResult:
    """Run one clip the device reads by itself: a twin built with the "semihost" audio source
    reads the file its emulator was given (fwgen.device.TwinDevice writes it first).

    The conversation is `stream_audio()`'s without AUDIO: RESET -> HELLO, CONFIG, END{n}; the
    device then reads n samples and sends FEATURES / LOGITS / DETECTION, CREDITs as it goes,
    STATS and END, as for a streamed clip. LinkTimeout after `timeout` seconds with neither a
    message nor a CREDIT (so a long file is no reason to time out, a hung device is)."""
    hello = link.reset(timeout=timeout)
    if hello.audio_source != AudioSource.SEMIHOST:
        raise FwgenError(f"the firmware on {link.url} reads no host file (its audio source is "
                         f"{hello.audio_source}, not {int(AudioSource.SEMIHOST)} semihost)",
                         hint="build the twin with the semihost audio source, or stream the "
                              "audio over the link")
    link.configure(Config(int(outputs), stride_frames), timeout=timeout)
    result = StreamResult(hello=hello, samples_sent=int(total_samples))
    link.send(End(int(total_samples) & 0xFFFFFFFF))
    credit, last_progress = link.last_credit, time.monotonic()
    while result.end is None:
        time.sleep(PRELOADED_POLL_S)
        msg = link.receive(1e-4)                  # one read of everything that arrived
        progressed = msg is not None or link.last_credit is not credit
        while msg is not None:
            result.add(msg)
            msg = link.receive(0) if result.end is None else None   # the rest of that read
        now = time.monotonic()
        if progressed:
            credit, last_progress = link.last_credit, now
        elif now - last_progress > timeout:
            raise LinkTimeout(f"{link.url} reported no progress on its {total_samples} samples "
                              f"for {timeout:g} s", hint="the firmware stopped; see its LOG/ERROR")
    result.link_stats = link.stats
    if result.errors:
        LOG.warning("device reported %d error(s); first: %s", len(result.errors), result.errors[0])
    return result


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Mono int16 samples and the sample rate of a WAV file.

    Delegates to `fwgen.audio`, so format, channel and truncation errors read the same
    everywhere; any sample rate is accepted here and checked against the firmware by the caller.
    """
    from fwgen import audio

    return audio.read_wav(path, expect_rate=None), audio.wav_info(path).sample_rate


def stream_wav(link: Link, path: Path, **kwargs: Any) -> StreamResult:
    """`stream_audio()` for a mono 16-bit WAV file (its sample rate must match the firmware)."""
    samples, rate = read_wav(Path(path))
    return stream_audio(link, samples, sample_rate=rate, **kwargs)
