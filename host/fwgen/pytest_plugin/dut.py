"""`DeviceUnderTest`: what a test gets from the `fwgen_device` fixture. An open fwgen.device
(twin or board) after a checked HELLO, and two helpers on it:

    clip = dut.stream_clip("yes.wav", features=True, logits=True)   # what the device reported
    outcome = dut.compare("yes.wav", label="yes")   # device vs host pipeline (fwgen test's scoring)

Clips are WAV paths or int16 sample arrays at the model's rate, padded as `fwgen run` pads them
(half the model's window of the clip's own noise floor on each side; `pad_ms` overrides).
Every stream starts with RESET, so tests do not see each other's state.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

HELLO_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Heard:
    """One detection, its time relative to the clip (padding taken off)."""
    label: str
    time_ms: int
    score: int              # smoothed score, 0..255
    class_index: int
    inference_index: int


@dataclass
class ClipResult:
    """What the device reported for one clip."""
    heard: list[Heard]
    pad_ms: int
    samples_streamed: int
    stats: dict = field(default_factory=dict)      # STATS: per-stage cycles or instructions
    features: np.ndarray | None = None             # (frames, channels), when asked for
    logits: np.ndarray | None = None               # (inferences, classes) int8, when asked for
    raw: Any = None                                # the fwgen.link.StreamResult

    @property
    def labels(self) -> list[str]:
        """The detected class names, in order."""
        return [h.label for h in self.heard]


class DeviceUnderTest:
    """A device (fwgen.device.Device) a test session streams clips through. `deployment` (the
    model the device runs, when known) gives the host pipeline for `compare` and is checked
    against the device's HELLO (model hash)."""

    def __init__(self, device, *, deployment=None, timeout: float = 60.0, where: str = ""):
        from fwgen.hil.session import check_model

        self.device = device
        self.closed = False
        self.deployment = deployment
        self.timeout = timeout
        self.hello = device.link.reset(timeout=min(timeout, HELLO_TIMEOUT_S))
        expected = device.board.id
        if self.hello.board != expected:
            raise FwgenError(f"the firmware reports board {self.hello.board!r}, not {expected}",
                             where=where or device.description,
                             hint=f"build it for {expected}, or choose --fwgen-board "
                                  f"{self.hello.board}")
        if deployment is not None:
            check_model(self.hello, deployment, where or device.description)

    # --- what the device is -------------------------------------------------------------
    @property
    def board(self):
        """The fwgen.boards.Board the firmware runs on (a twin's own board when emulated)."""
        return self.device.board

    @property
    def link(self):
        """The fwgen.link.Link, for tests that speak the protocol themselves."""
        return self.device.link

    @property
    def description(self) -> str:
        return self.device.description

    @property
    def classes(self) -> tuple[str, ...]:
        names = self.hello.class_names
        return tuple(names.split("\n")) if names else tuple(str(i) for i in range(self.hello.n_classes))

    @property
    def sample_rate(self) -> int:
        return int(self.hello.sample_rate)

    # --- clips -------------------------------------------------------------------------
    def samples(self, clip: str | Path | np.ndarray) -> np.ndarray:
        """A clip as mono int16 at the device's rate: a WAV read (and checked) or an array."""
        if isinstance(clip, np.ndarray):
            if clip.ndim != 1 or clip.dtype != np.int16:
                raise FwgenError(f"a clip array must be 1-D int16 samples, got {clip.dtype} with "
                                 f"shape {clip.shape}", where="stream_clip",
                                 hint="read a WAV with fwgen.audio.read_wav, or pass its path")
            samples = clip
        else:
            from fwgen.audio import read_wav

            samples = read_wav(Path(clip), expect_rate=self.sample_rate)
        if samples.size < self.hello.window_samples:
            raise FwgenError(f"{samples.size} samples, shorter than one frontend window "
                             f"({self.hello.window_samples} samples)",
                             where=str(clip) if not isinstance(clip, np.ndarray) else "stream_clip")
        return samples

    def _pad(self, pad_ms: int | None) -> tuple[int, int]:
        """(samples, ms) of padding on each side: fwgen run's default or `pad_ms`."""
        if pad_ms is not None:
            if pad_ms < 0:
                raise FwgenError(f"must be >= 0 ms, got {pad_ms}", where="pad_ms")
            return pad_ms * self.sample_rate // 1000, pad_ms
        if self.deployment is not None:
            from fwgen.hil.session import padding

            return padding(self.deployment)
        hello = self.hello
        pad = ((hello.n_frames - 1) * hello.hop_samples + hello.window_samples) // 2
        return pad, pad * 1000 // self.sample_rate

    def stream_clip(self, clip: str | Path | np.ndarray, *, features: bool = False,
                    logits: bool = False, pad_ms: int | None = None) -> ClipResult:
        """Stream one clip through the device; its detections (and features, logits)."""
        from dataclasses import asdict

        from fwgen.deploy import DEFAULT_PAD_MODE, pad_clip
        from fwgen.link import Output

        pad, pad_ms = self._pad(pad_ms)
        samples = pad_clip(self.samples(clip), pad, DEFAULT_PAD_MODE)
        outputs = Output.DETECTIONS | Output.LOG
        outputs |= Output.FEATURES if features else 0
        outputs |= Output.LOGITS if logits else 0
        result = self.device.stream(samples, outputs=int(outputs), timeout=self.timeout)
        names = self.classes
        heard = [Heard(label=names[d.class_index] if d.class_index < len(names) else str(d.class_index),
                       time_ms=d.time_ms - pad_ms, score=d.score, class_index=d.class_index,
                       inference_index=d.inference_index) for d in result.detections]
        return ClipResult(heard=heard, pad_ms=pad_ms, samples_streamed=int(samples.size),
                          stats=asdict(result.stats) if result.stats is not None else {},
                          features=result.feature_matrix() if features else None,
                          logits=result.logits_matrix() if logits else None, raw=result)

    def compare(self, clip: str | Path | np.ndarray, *, label: str = "unknown"):
        """Stream one clip through the device and the host pipeline, as `fwgen test` scores it
        -> fwgen.hil.ClipOutcome: `.differences` (per stage: features, logits, detections;
        empty when bit-exact), `.predicted`, `.correct` against `label`, `.detections`."""
        from fwgen.hil import Clip, LoadedClip, stream_dataset

        if self.deployment is None:
            raise FwgenError("comparing with the host needs the model the device runs",
                             where="fwgen_device.compare",
                             hint="give --fwgen-model NAME_OR_TFLITE (or --fwgen-project DIR)")
        name = "array" if isinstance(clip, np.ndarray) else str(clip)
        path = Path(name) if not isinstance(clip, np.ndarray) else Path("array")
        loaded = LoadedClip(Clip(path=path, name=name, label=label), label, self.samples(clip))
        return next(iter(stream_dataset(self.device, [loaded], self.deployment,
                                        timeout=self.timeout)))

    def close(self) -> None:
        """Close the link and stop the twin (QEMU) or release the port. Safe to call twice."""
        if not self.closed:
            self.closed = True
            self.device.close()
