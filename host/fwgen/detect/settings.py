"""Smoothing settings for the detector, with MLTK's model-parameter names.

Defaults are micro_speech's: a 1000 ms averaging window, threshold 185, 1500 ms suppression and
at least 3 results in the window. Serialises to/from a plain dict (MLTK names plus fwgen's
`ignored_classes` and `max_results`) for model metadata.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

INT32_MAX = 2**31 - 1
MAX_CLASSES = 255
MAX_RESULTS = 65535
# Class names that never trigger by default (besides names starting with an underscore,
# MLTK's convention such as "_unknown_"), compared case-insensitively.
DEFAULT_IGNORED_NAMES = frozenset({"silence", "unknown", "background", "_silence_", "_unknown_"})

#: Every key `SmoothingSettings.to_dict()` may write (MLTK's names plus fwgen's
#: `ignored_classes` and `max_results`): what model metadata should accept.
SMOOTHING_KEYS = ("average_window_duration_ms", "detection_threshold", "suppression_ms", "minimum_count",
                  "detection_threshold_list", "ignored_classes", "max_results")
_FIELDS = SMOOTHING_KEYS
WHERE = "smoothing settings"


def _bad(key: str, value: Any, problem: str, hint: str | None = None) -> FwgenError:
    return FwgenError(f"{key} = {value!r}: {problem}", where=WHERE, hint=hint)


def _int(key: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or float(value) != int(value):
        raise _bad(key, value, "must be an integer")
    value = int(value)
    if not low <= value <= high:
        raise _bad(key, value, f"must be between {low} and {high}")
    return value


@dataclass(frozen=True)
class SmoothingSettings:
    """How per-inference scores become detections (see firmware/detect/detect.h).

    average_window_duration_ms: results within this many ms are averaged (> 0)
    detection_threshold: a class fires when its average (0..255) exceeds this (0..255)
    suppression_ms: the class that fired is ignored this long afterwards (>= 0)
    minimum_count: results needed in the window to report anything (0 = no averaging)
    detection_threshold_list: optional per-class thresholds (overrides detection_threshold)
    ignored_classes: class names that never trigger; None = names starting with "_" plus
        silence/unknown/background (case-insensitive)
    max_results: capacity of the averaging queue on the device (>= minimum_count)
    """

    average_window_duration_ms: int = 1000
    detection_threshold: int = 185
    suppression_ms: int = 1500
    minimum_count: int = 3
    detection_threshold_list: tuple[int, ...] | None = None
    ignored_classes: tuple[str, ...] | None = None
    max_results: int = 50

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise FwgenError naming the field, the value and the limit."""
        _int("average_window_duration_ms", self.average_window_duration_ms, 1, INT32_MAX)
        _int("detection_threshold", self.detection_threshold, 0, 255)
        _int("suppression_ms", self.suppression_ms, 0, INT32_MAX)
        _int("max_results", self.max_results, 1, MAX_RESULTS)
        _int("minimum_count", self.minimum_count, 0, MAX_RESULTS)
        if self.minimum_count > self.max_results:
            raise _bad("minimum_count", self.minimum_count,
                       f"must not exceed max_results ({self.max_results}): the window could never "
                       "hold enough results", hint="raise max_results or lower minimum_count")
        if self.detection_threshold_list is not None:
            if isinstance(self.detection_threshold_list, (str, bytes)) or \
                    not isinstance(self.detection_threshold_list, Sequence):
                raise _bad("detection_threshold_list", self.detection_threshold_list,
                           "must be a list of integers 0..255, one per class")
            for i, v in enumerate(self.detection_threshold_list):
                _int(f"detection_threshold_list[{i}]", v, 0, 255)
        if self.ignored_classes is not None:
            if isinstance(self.ignored_classes, (str, bytes)) or \
                    not isinstance(self.ignored_classes, Sequence):
                raise _bad("ignored_classes", self.ignored_classes, "must be a list of class names")
            for name in self.ignored_classes:
                if not isinstance(name, str) or not name:
                    raise _bad("ignored_classes", name, "class names must be non-empty strings")

    # -- per-class views -----------------------------------------------------------------------
    def thresholds_for(self, classes: Sequence[str]) -> list[int]:
        n = _check_classes(classes)
        if self.detection_threshold_list is None:
            return [self.detection_threshold] * n
        if len(self.detection_threshold_list) != n:
            raise _bad("detection_threshold_list", list(self.detection_threshold_list),
                       f"has {len(self.detection_threshold_list)} values but the model has {n} "
                       f"classes ({', '.join(classes)})")
        return [int(v) for v in self.detection_threshold_list]

    def can_trigger_for(self, classes: Sequence[str]) -> list[bool]:
        _check_classes(classes)
        if self.ignored_classes is None:
            return [not (name.startswith("_") or name.lower() in DEFAULT_IGNORED_NAMES)
                    for name in classes]
        unknown = [name for name in self.ignored_classes if name not in classes]
        if unknown:
            raise _bad("ignored_classes", list(self.ignored_classes),
                       f"'{unknown[0]}' is not one of the model's classes ({', '.join(classes)})")
        return [name not in self.ignored_classes for name in classes]

    # -- serialisation -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """MLTK model-parameter names; optional fields only when set."""
        out: dict[str, Any] = {
            "average_window_duration_ms": self.average_window_duration_ms,
            "detection_threshold": self.detection_threshold,
            "suppression_ms": self.suppression_ms,
            "minimum_count": self.minimum_count,
            "max_results": self.max_results,
        }
        if self.detection_threshold_list is not None:
            out["detection_threshold_list"] = list(self.detection_threshold_list)
        if self.ignored_classes is not None:
            out["ignored_classes"] = list(self.ignored_classes)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "SmoothingSettings":
        """Strict: every key must be a smoothing setting (typos are errors, not defaults)."""
        data = dict(data or {})
        unknown = sorted(k for k in data if k not in _FIELDS)
        if unknown:
            raise _bad(unknown[0], data[unknown[0]], "unknown smoothing setting",
                       hint="known: " + ", ".join(_FIELDS))
        return cls._build(data)

    @classmethod
    def from_model_parameters(cls, params: Mapping[str, Any]) -> "SmoothingSettings":
        """Pick the smoothing settings out of a whole MLTK model-parameters dict."""
        return cls._build({k: v for k, v in dict(params).items() if k in _FIELDS})

    @classmethod
    def _build(cls, data: dict[str, Any]) -> "SmoothingSettings":
        for key in ("detection_threshold_list", "ignored_classes"):
            value = data.get(key)
            if value is not None and not isinstance(value, (str, bytes)) and isinstance(value, Sequence):
                data[key] = tuple(value)
        return cls(**data)


def _check_classes(classes: Sequence[str]) -> int:
    if isinstance(classes, (str, bytes)) or not isinstance(classes, Sequence) or not classes:
        raise FwgenError(f"classes must be a non-empty list of names, got {classes!r}", where=WHERE)
    if len(classes) > MAX_CLASSES:
        raise FwgenError(f"{len(classes)} classes: the detector supports at most {MAX_CLASSES}",
                         where=WHERE)
    if len(set(classes)) != len(classes):
        dup = next(c for c in classes if list(classes).count(c) > 1)
        raise FwgenError(f"class name '{dup}' appears twice in {list(classes)}", where=WHERE)
    for name in classes:
        if not isinstance(name, str) or not name:
            raise FwgenError(f"class names must be non-empty strings, got {name!r}", where=WHERE)
    return len(classes)
