"""What a device computed for one stream, kept for pictures and saved reports: its feature
frames, its logits with their times, and the scores its detector smoothed them into.

The device sends features and logits, not the smoothed scores; those come from the same C
detector (`fwgen.detect.NativeDetector`) fed the device's own logits at the device's times, so
they are what the device's detector compared with its thresholds.

Arrays travel in JSON as `{"dtype", "shape", "zlib_base64"}` (little-endian, lossless): a 1 s
clip's trace is about 3 KB, against 40 KB as lists of numbers.

    trace = trace_stream(result, deployment_timing(deployment, pad_ms))   # a StreamResult
    data = trace.as_dict(); StreamTrace.from_dict(data).smoothed          # same arrays back
"""
from __future__ import annotations

import base64
import logging
import zlib
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

_DTYPES = {"uint8": "<u1", "int8": "<i1", "uint16": "<u2", "int16": "<i2", "int32": "<i4"}


def encode_array(values: np.ndarray) -> dict:
    """An integer array as JSON: dtype name, shape and its little-endian bytes, zlib + base64."""
    arr = np.asarray(values)
    name = arr.dtype.name
    if name not in _DTYPES:
        raise FwgenError(f"cannot store a {name} array in a report", where="trace")
    raw = np.ascontiguousarray(arr, dtype=_DTYPES[name]).tobytes()
    return {"dtype": name, "shape": list(arr.shape),
            "zlib_base64": base64.b64encode(zlib.compress(raw, 9)).decode("ascii")}


def decode_array(data: Any, where: str = "trace") -> np.ndarray:
    """The array `encode_array` stored; a FwgenError naming `where` for anything else."""
    try:
        dtype = _DTYPES[data["dtype"]]
        shape = tuple(int(n) for n in data["shape"])
        raw = zlib.decompress(base64.b64decode(data["zlib_base64"], validate=True))
        return np.frombuffer(raw, dtype=dtype).reshape(shape).astype(data["dtype"])
    except (KeyError, TypeError, ValueError, zlib.error) as exc:
        raise FwgenError(f"not a stored array ({type(exc).__name__}: {exc})", where=where,
                         hint="write the report again with fwgen test --traces") from None


@dataclass(frozen=True)
class Timing:
    """How frames and inferences map to time, and what the detector was set to."""
    classes: tuple[str, ...]
    smoothing: Any               # fwgen.detect.SmoothingSettings; None: not known (an ELF)
    window_size: int             # samples per frontend window
    window_step: int             # samples between frames
    sample_rate: int
    pad_ms: int                  # padding before the clip: times are relative to the clip


def deployment_timing(deployment, pad_ms: int) -> Timing:
    f = deployment.frontend
    return Timing(tuple(deployment.classes), deployment.smoothing, f.window_size, f.window_step,
                  f.sample_rate, pad_ms)


@dataclass
class StreamTrace:
    features: np.ndarray         # (frames, channels), the device's dtype (uint16 or int8)
    logits: np.ndarray           # (inferences, classes) int8
    inference_ms: np.ndarray     # (inferences,) int32: end of each inference's newest frame
    smoothed: np.ndarray | None  # (inferences, classes) uint8; None without the smoothing
    thresholds: list[int]        # per class, 0..255 (the smoothed scale)
    can_trigger: list[bool]
    first_frame_ms: float        # end of frame 0, relative to the clip
    frame_step_ms: float
    sample_rate: int
    pad_ms: int                  # padding streamed on each side of the clip

    def as_dict(self) -> dict:
        out = {"features": encode_array(self.features), "logits": encode_array(self.logits),
               "inference_ms": encode_array(self.inference_ms),
               "thresholds": list(self.thresholds), "can_trigger": list(self.can_trigger),
               "first_frame_ms": self.first_frame_ms, "frame_step_ms": self.frame_step_ms,
               "sample_rate": self.sample_rate, "pad_ms": self.pad_ms}
        if self.smoothed is not None:
            out["smoothed"] = encode_array(self.smoothed)
        return out

    @classmethod
    def from_dict(cls, data: Any, where: str = "trace") -> "StreamTrace":
        if not isinstance(data, dict):
            raise FwgenError("a clip's trace must be an object", where=where)
        try:
            return cls(features=decode_array(data["features"], f"{where}.features"),
                       logits=decode_array(data["logits"], f"{where}.logits"),
                       inference_ms=decode_array(data["inference_ms"], f"{where}.inference_ms"),
                       smoothed=decode_array(data["smoothed"], f"{where}.smoothed")
                       if "smoothed" in data else None,
                       thresholds=[int(v) for v in data["thresholds"]],
                       can_trigger=[bool(v) for v in data["can_trigger"]],
                       first_frame_ms=float(data["first_frame_ms"]),
                       frame_step_ms=float(data["frame_step_ms"]),
                       sample_rate=int(data["sample_rate"]), pad_ms=int(data["pad_ms"]))
        except KeyError as exc:
            raise FwgenError(f"a clip's trace lacks {exc.args[0]!r}", where=where,
                             hint="write the report again with fwgen test --traces") from None


def smoothed_scores(logits: np.ndarray, times_ms: Sequence[int], classes: Sequence[str],
                    smoothing) -> np.ndarray:
    """(inferences, classes) uint8: the C detector's averages after each inference."""
    from fwgen.detect import NativeDetector

    detector = NativeDetector(classes, smoothing)
    out = np.zeros((len(times_ms), len(classes)), dtype=np.uint8)
    for i, (row, t) in enumerate(zip(logits, times_ms)):
        detector.process(np.asarray(row, dtype=np.int8), int(t))
        out[i] = detector.last_averages
    return out


def trace_stream(result, timing: Timing) -> StreamTrace:
    """The trace of a `fwgen.link.StreamResult` that carried FEATURES and LOGITS."""
    from fwgen.deploy.reference import frame_time_ms
    from fwgen.detect import DetectorConfig

    logits = result.logits_matrix()
    frames = [m.frame_index for m in sorted(result.logits, key=lambda m: m.inference_index)]
    stream_ms = [frame_time_ms(f, timing.window_size, timing.window_step, timing.sample_rate)
                 for f in frames]
    smoothed = None
    thresholds, can_trigger = [0] * len(timing.classes), [False] * len(timing.classes)
    if timing.smoothing is not None and logits.shape[1] == len(timing.classes):
        smoothed = smoothed_scores(logits, stream_ms, timing.classes, timing.smoothing)
        config = DetectorConfig.build(timing.classes, timing.smoothing)
        thresholds, can_trigger = list(config.thresholds), list(config.can_trigger)
    first = frame_time_ms(0, timing.window_size, timing.window_step, timing.sample_rate)
    return StreamTrace(
        features=result.feature_matrix(), logits=logits,
        inference_ms=np.asarray([t - timing.pad_ms for t in stream_ms], dtype=np.int32),
        smoothed=smoothed, thresholds=thresholds, can_trigger=can_trigger,
        first_frame_ms=float(first - timing.pad_ms),
        frame_step_ms=timing.window_step * 1000.0 / timing.sample_rate,
        sample_rate=timing.sample_rate, pad_ms=timing.pad_ms)


def detect_again(trace: StreamTrace, classes: Sequence[str], smoothing: dict,
                 thresholds: Sequence[int]) -> list[tuple[int, str, int]]:
    """The detections (time_ms relative to the clip, class, score) the device's detector would
    have made on this trace's logits with `smoothing` (a SmoothingSettings dict) and these
    per-class thresholds: what-ifs for a threshold, exact because the detector is."""
    from fwgen.detect import NativeDetector, SmoothingSettings

    settings = SmoothingSettings.from_dict({**smoothing,
                                            "detection_threshold_list": list(thresholds)})
    detector = NativeDetector(classes, settings)
    out = []
    for row, t in zip(trace.logits, trace.inference_ms):
        result = detector.process(np.asarray(row, dtype=np.int8), int(t) + trace.pad_ms)
        if result.is_new:
            out.append((int(t), classes[result.class_index], result.score))
    return out
