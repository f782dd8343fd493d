"""Host binding of the C detector (firmware/detect/detect.c) through fwgen.native.load_core()."""
from __future__ import annotations

import ctypes
import logging
from typing import Sequence

import numpy as np

from fwgen.detect.settings import SmoothingSettings
from fwgen.detect.twin import DetectionResult, DetectorConfig, to_uint8_scores
from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

STATUS_ERR_ARG = 1


class _Config(ctypes.Structure):
    _fields_ = [
        ("n_classes", ctypes.c_uint16),
        ("max_results", ctypes.c_uint16),
        ("minimum_count", ctypes.c_uint16),
        ("average_window_duration_ms", ctypes.c_uint32),
        ("suppression_ms", ctypes.c_uint32),
        ("thresholds", ctypes.c_void_p),
        ("can_trigger", ctypes.c_void_p),
    ]


class _State(ctypes.Structure):
    _fields_ = [
        ("times", ctypes.c_void_p),
        ("scores", ctypes.c_void_p),
        ("head", ctypes.c_uint16),
        ("count", ctypes.c_uint16),
        ("last_time", ctypes.c_uint32),
        ("event_time", ctypes.c_uint32),
        ("event_class", ctypes.c_uint8),
        ("has_last", ctypes.c_uint8),
        ("has_event", ctypes.c_uint8),
        ("reserved", ctypes.c_uint8),
    ]


class _Result(ctypes.Structure):
    _fields_ = [
        ("class_index", ctypes.c_uint8),
        ("score", ctypes.c_uint8),
        ("is_new", ctypes.c_uint8),
        ("reserved", ctypes.c_uint8),
        ("n_results", ctypes.c_uint16),
        ("reserved2", ctypes.c_uint16),
    ]


def _bind(lib: ctypes.CDLL) -> ctypes.CDLL:
    if getattr(lib, "_fwgen_detect_bound", False):
        return lib
    from fwgen.native import declare

    cfg_p, st_p, vp, status = ctypes.POINTER(_Config), ctypes.POINTER(_State), ctypes.c_void_p, ctypes.c_int
    process = (status, [cfg_p, st_p, vp, ctypes.c_uint32, ctypes.POINTER(_Result), vp])
    declare(lib, {  # firmware/detect/detect.h
        "fwgen_detect_get_buffer_size": (ctypes.c_size_t, [cfg_p]),
        "fwgen_detect_init": (status, [cfg_p, st_p, vp, ctypes.c_size_t]),
        "fwgen_detect_reset": (status, [st_p]),
        "fwgen_detect_process_s8": process,
        "fwgen_detect_process_u8": process,
    })
    lib._fwgen_detect_bound = True
    return lib


class NativeDetector:
    """The C detector the firmware runs, driven from Python (same interface as `Detector`)."""

    def __init__(self, classes: Sequence[str], smoothing: SmoothingSettings | None = None,
                 dtype: str = "int8", lib: ctypes.CDLL | None = None):
        if dtype not in ("int8", "uint8"):
            raise FwgenError(f"score dtype must be 'int8' or 'uint8', got {dtype!r}", where="detector")
        if lib is None:
            from fwgen.native import load_core

            lib = load_core()
        self._lib = _bind(lib)
        self.config = DetectorConfig.build(classes, smoothing)
        self.dtype = dtype
        c = self.config
        self._thresholds = np.array(c.thresholds, dtype=np.uint8)
        self._can_trigger = np.array(c.can_trigger, dtype=np.uint8)
        self._cfg = _Config(n_classes=c.n_classes, max_results=c.max_results,
                            minimum_count=c.minimum_count,
                            average_window_duration_ms=c.average_window_duration_ms,
                            suppression_ms=c.suppression_ms,
                            thresholds=self._thresholds.ctypes.data,
                            can_trigger=self._can_trigger.ctypes.data)
        size = self._lib.fwgen_detect_get_buffer_size(ctypes.byref(self._cfg))
        self._buffer = np.zeros((size + 7) // 8, dtype=np.uint64)
        self._state = _State()
        status = self._lib.fwgen_detect_init(ctypes.byref(self._cfg), ctypes.byref(self._state),
                                             self._buffer.ctypes.data, self._buffer.nbytes)
        if status != 0:
            raise FwgenError(f"fwgen_detect_init rejected the configuration (status {status})",
                             where="detector", hint="this is a bug in fwgen's settings validation")
        self._fn = self._lib.fwgen_detect_process_s8 if dtype == "int8" else self._lib.fwgen_detect_process_u8
        self.last_averages: list[int] = [0] * c.n_classes

    @property
    def buffer_size(self) -> int:
        return int(self._lib.fwgen_detect_get_buffer_size(ctypes.byref(self._cfg)))

    def reset(self) -> None:
        self._lib.fwgen_detect_reset(ctypes.byref(self._state))
        self.last_averages = [0] * self.config.n_classes

    def process(self, scores: Sequence[int] | np.ndarray, time_ms: int) -> DetectionResult:
        to_uint8_scores(scores, self.config.n_classes, self.dtype)  # same input checks as the twin
        if isinstance(time_ms, bool) or not isinstance(time_ms, (int, np.integer)):
            raise FwgenError(f"time_ms must be an integer, got {time_ms!r}", where="detector input")
        data = np.ascontiguousarray(scores, dtype=np.int8 if self.dtype == "int8" else np.uint8)
        averages = np.zeros(self.config.n_classes, dtype=np.uint8)
        result = _Result()
        status = self._fn(ctypes.byref(self._cfg), ctypes.byref(self._state), data.ctypes.data,
                          int(time_ms) & 0xFFFFFFFF, ctypes.byref(result), averages.ctypes.data)
        if status == STATUS_ERR_ARG:
            raise FwgenError(f"results must come in time order: {int(time_ms) & 0xFFFFFFFF} ms after "
                             f"{self._state.last_time} ms", where="detector input")
        if status != 0:
            raise FwgenError(f"fwgen_detect_process failed with status {status}", where="detector")
        self.last_averages = [int(v) for v in averages]
        return DetectionResult(int(result.class_index), int(result.score), bool(result.is_new),
                               int(result.n_results))

    def run(self, stream: Sequence[tuple[int, Sequence[int]]]) -> list[DetectionResult]:
        return [self.process(scores, t) for t, scores in stream]
