"""Pure-Python twin of firmware/detect/detect.c, bit-exact on the same result stream.

The host-side reference for the monitor and hardware-in-the-loop runs: it reproduces what the
board reports from the logits the board sends, without a C compiler. tests/unit/test_detect*
prove it equal to the C on random streams, timings and settings.
"""
from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from fwgen.detect.settings import SmoothingSettings
from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

_U32 = 0xFFFFFFFF


@dataclass(frozen=True)
class DetectionResult:
    """What the detector reports for one inference (fwgen_detect_result_t)."""

    class_index: int
    score: int
    is_new: bool
    n_results: int


@dataclass(frozen=True)
class DetectorConfig:
    """The numbers the C configuration holds, derived from classes and smoothing settings."""

    classes: tuple[str, ...]
    thresholds: tuple[int, ...]
    can_trigger: tuple[bool, ...]
    average_window_duration_ms: int
    suppression_ms: int
    minimum_count: int
    max_results: int

    @classmethod
    def build(cls, classes: Sequence[str], smoothing: SmoothingSettings | None = None) -> "DetectorConfig":
        smoothing = smoothing or SmoothingSettings()
        return cls(
            classes=tuple(classes),
            thresholds=tuple(smoothing.thresholds_for(classes)),
            can_trigger=tuple(smoothing.can_trigger_for(classes)),
            average_window_duration_ms=smoothing.average_window_duration_ms,
            suppression_ms=smoothing.suppression_ms,
            minimum_count=smoothing.minimum_count,
            max_results=smoothing.max_results,
        )

    @property
    def n_classes(self) -> int:
        return len(self.classes)


def to_uint8_scores(scores: Sequence[int] | np.ndarray, n_classes: int, dtype: str) -> list[int]:
    """Model outputs as the detector sees them: int8 + 128, or uint8 as they are."""
    arr = np.asarray(scores)
    if arr.shape != (n_classes,):
        raise FwgenError(f"expected {n_classes} scores, got shape {arr.shape}", where="detector input")
    if dtype == "int8":
        low, high, offset = -128, 127, 128
    elif dtype == "uint8":
        low, high, offset = 0, 255, 0
    else:
        raise FwgenError(f"score dtype must be 'int8' or 'uint8', got {dtype!r}", where="detector input")
    if not np.issubdtype(arr.dtype, np.integer) or (arr.size and (arr.min() < low or arr.max() > high)):
        raise FwgenError(f"{dtype} scores must be integers in {low} .. {high}", where="detector input")
    return [int(v) + offset for v in arr]


def _to_u32_time(time_ms: int) -> int:
    if isinstance(time_ms, bool) or not isinstance(time_ms, (int, np.integer)):
        raise FwgenError(f"time_ms must be an integer, got {time_ms!r}", where="detector input")
    return int(time_ms) & _U32


def _signed32(value: int) -> int:
    value &= _U32
    return value - (1 << 32) if value & 0x80000000 else value


class Detector:
    """Python twin of the C detector. `process(scores, time_ms)` once per inference."""

    def __init__(self, classes: Sequence[str], smoothing: SmoothingSettings | None = None,
                 dtype: str = "int8"):
        self.config = DetectorConfig.build(classes, smoothing)
        self.dtype = dtype
        if dtype not in ("int8", "uint8"):
            raise FwgenError(f"score dtype must be 'int8' or 'uint8', got {dtype!r}", where="detector")
        self.reset()

    def reset(self) -> None:
        self._queue: deque[tuple[int, list[int]]] = deque()
        self._last_time: int | None = None
        self._event_time: int | None = None
        self._event_class = 0
        self.last_averages: list[int] = [0] * self.config.n_classes

    def process(self, scores: Sequence[int] | np.ndarray, time_ms: int) -> DetectionResult:
        cfg = self.config
        values = to_uint8_scores(scores, cfg.n_classes, self.dtype)
        now = _to_u32_time(time_ms)
        if self._last_time is not None and _signed32(now - self._last_time) < 0:
            raise FwgenError(f"results must come in time order: {now} ms after {self._last_time} ms",
                             where="detector input")
        self._last_time = now
        if cfg.minimum_count == 0:
            averages = values
            n_results = 1
        else:
            while self._queue and ((now - self._queue[0][0]) & _U32) > cfg.average_window_duration_ms:
                self._queue.popleft()
            if len(self._queue) == cfg.max_results:
                self._queue.popleft()
            self._queue.append((now, values))
            n_results = len(self._queue)
            if n_results < cfg.minimum_count:
                self.last_averages = [0] * cfg.n_classes
                return DetectionResult(self._event_class, 0, False, n_results)
            averages = [sum(row[c] for _, row in self._queue) // n_results for c in range(cfg.n_classes)]
        self.last_averages = list(averages)
        top, top_score = 0, 0
        for c, value in enumerate(averages):
            if value > top_score:
                top, top_score = c, value
        suppressed = (self._event_time is not None and top == self._event_class
                      and ((now - self._event_time) & _U32) <= cfg.suppression_ms)
        is_new = top_score > cfg.thresholds[top] and cfg.can_trigger[top] and not suppressed
        if is_new:
            self._event_time = now
            self._event_class = top
        return DetectionResult(top, top_score, bool(is_new), n_results)

    def run(self, stream: Sequence[tuple[int, Sequence[int]]]) -> list[DetectionResult]:
        """Process (time_ms, scores) pairs in order."""
        return [self.process(scores, t) for t, scores in stream]
