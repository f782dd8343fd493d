"""Scoring: one clip's device and host results -> a `ClipOutcome`; all outcomes -> `Metrics`.

The rules (README "fwgen test" and the report say the same):

- A clip's prediction is its strongest keyword detection (highest score, the earliest of
  equals); keywords are the classes other than "silence" and "unknown". With no keyword
  detected the clip was "not a keyword": a silence or unknown clip counts as its own class,
  any other clip as its strongest silence/unknown detection, else "silence", else "unknown"
  (whichever the model has), else NO_DETECTION (a column of its own, for models with neither).
- A miss: a keyword clip with no detection of its keyword at all.
- Latency: the first detection of the clip's keyword minus its onset (CSV onset_ms), ms; clips
  without an onset give none. Median and 95th percentile (numpy's linear interpolation).
- False accepts: every keyword detection on a negative stream; per hour of the streamed audio
  (padding included: the device heard it).
- Detection times are relative to the clip (the stream time minus the padding before it).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from fwgen.hil.dataset import SILENCE, UNKNOWN, LoadedClip

LOG = logging.getLogger(__name__)

NO_DETECTION = "(none)"
NON_KEYWORDS = (SILENCE, UNKNOWN)
STACK_LOG = re.compile(r"stack (\d+)/(\d+) bytes")
CYCLE_UNITS = {0: "", 1: "cycles", 2: "instructions"}


@dataclass(frozen=True)
class Hit:
    """One detection, its time relative to the clip."""
    time_ms: int
    label: str
    score: int

    def as_dict(self) -> dict:
        return {"time_ms": self.time_ms, "class": self.label, "score": self.score}


@dataclass
class ClipOutcome:
    name: str
    label: str                      # the model class scored against (negatives: their label)
    negative: bool
    duration_s: float               # streamed audio, padding included
    onset_ms: int | None
    detections: list[Hit]           # the device's
    host_detections: list[Hit]
    predicted: str                  # from the device's detections
    host_predicted: str
    differences: list[str] = field(default_factory=list)   # stage_differences; [] = bit-exact
    stats: dict = field(default_factory=dict)              # the device's STATS
    stack: tuple[int, int] | None = None                   # (used, size) bytes
    wall_s: float = 0.0                                    # device and host time for it
    trace: Any = None              # fwgen.deploy.trace.StreamTrace, kept for --html / --traces

    @property
    def correct(self) -> bool:
        return not self.negative and self.predicted == self.label

    @property
    def false_accepts(self) -> list[Hit]:
        return [h for h in self.detections if self.negative and h.label not in NON_KEYWORDS]

    @property
    def latency_ms(self) -> int | None:
        if self.negative or self.onset_ms is None:
            return None
        first = next((h for h in self.detections if h.label == self.label), None)
        return None if first is None else first.time_ms - self.onset_ms

    def as_dict(self) -> dict:
        return {"file": self.name, "label": self.label, "negative": self.negative,
                "duration_s": round(self.duration_s, 3), "onset_ms": self.onset_ms,
                "predicted": None if self.negative else self.predicted,
                "host_predicted": None if self.negative else self.host_predicted,
                "correct": None if self.negative else self.correct,
                "latency_ms": self.latency_ms,
                "false_accepts": [h.as_dict() for h in self.false_accepts],
                "detections": [h.as_dict() for h in self.detections],
                "host_detections": [h.as_dict() for h in self.host_detections],
                "differences": self.differences, "stats": self.stats,
                "stack": list(self.stack) if self.stack else None,
                "wall_s": round(self.wall_s, 3),
                **({"trace": self.trace.as_dict()} if self.trace is not None else {})}


def _strongest(hits: Sequence[Hit]) -> Hit | None:
    return min(hits, key=lambda h: (-h.score, h.time_ms), default=None)


def predicted_label(hits: Sequence[Hit], classes: Sequence[str], label: str) -> str:
    """The class a clip labelled `label` was heard as (the module docstring's rule)."""
    keyword = _strongest([h for h in hits if h.label not in NON_KEYWORDS])
    if keyword is not None:
        return keyword.label
    if label in NON_KEYWORDS and label in classes:
        return label
    other = _strongest([h for h in hits if h.label in NON_KEYWORDS])
    if other is not None:
        return other.label
    return next((name for name in NON_KEYWORDS if name in classes), NO_DETECTION)


def _hits(events, classes: Sequence[str], pad_ms: int) -> list[Hit]:
    return [Hit(int(e.time_ms) - pad_ms,
                classes[e.class_index] if e.class_index < len(classes) else str(e.class_index),
                int(e.score)) for e in events]


def stack_mark(logs) -> tuple[int, int] | None:
    """(used, size) from the app's last 'stack N/M bytes' LOG (sent before each STATS)."""
    found = None
    for log in logs:
        m = STACK_LOG.search(getattr(log, "text", ""))
        if m:
            found = (int(m.group(1)), int(m.group(2)))
    return found


def score_clip(loaded: LoadedClip, device, host, classes: Sequence[str], *, pad_ms: int,
               sample_rate: int, samples_streamed: int) -> ClipOutcome:
    """`device`: the fwgen.link.StreamResult; `host`: fwgen.deploy.ReferenceResult of the same
    padded stream."""
    from dataclasses import asdict

    from fwgen.deploy import stage_differences

    hits = _hits(device.detections, classes, pad_ms)
    host_hits = _hits(host.detections, classes, pad_ms)
    return ClipOutcome(
        name=loaded.clip.name, label=loaded.label, negative=loaded.clip.negative,
        duration_s=samples_streamed / sample_rate, onset_ms=loaded.clip.onset_ms,
        detections=hits, host_detections=host_hits,
        predicted=predicted_label(hits, classes, loaded.label),
        host_predicted=predicted_label(host_hits, classes, loaded.label),
        differences=stage_differences(device, host),
        stats=asdict(device.stats) if device.stats is not None else {},
        stack=stack_mark(device.logs))


@dataclass(frozen=True)
class Floors:
    min_accuracy: float | None = None
    max_false_accepts_per_hour: float | None = None


@dataclass
class Metrics:
    classes: list[str]              # confusion rows; columns add NO_DETECTION when used
    columns: list[str]
    confusion: list[list[int]]      # [true][predicted], device predictions
    clips: int                      # scored for accuracy (negatives excluded)
    correct: int
    accuracy: float | None
    host_accuracy: float | None
    per_class: dict[str, dict]      # name -> precision, recall, support
    keyword_clips: int
    misses: int
    miss_rate: float | None
    negative_streams: int
    negative_hours: float
    false_accepts: int
    false_accepts_per_hour: float | None
    latency_ms: dict                # count, median, p95 (None without onsets)
    cycles: dict                    # per stage, from STATS
    stack: dict | None              # used, size (the largest high-water mark)
    clips_with_differences: int
    differences: list[dict]         # {file, stage}: the first few

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _cycles(outcomes: Sequence[ClipOutcome]) -> dict:
    stats = [o.stats for o in outcomes if o.stats]
    if not stats:
        return {}
    total = {k: sum(int(s.get(k, 0)) for s in stats)
             for k in ("frames", "inferences", "frontend_cycles", "inference_cycles", "detect_cycles")}
    frames, inferences = total["frames"], total["inferences"]
    return {**total, "unit": CYCLE_UNITS.get(int(stats[0].get("cycle_unit", 0)), ""),
            "inference_cycles_max": max(int(s.get("inference_cycles_max", 0)) for s in stats),
            "frontend_per_frame": total["frontend_cycles"] // frames if frames else None,
            "inference_per_inference": total["inference_cycles"] // inferences if inferences else None,
            "detect_per_inference": total["detect_cycles"] // inferences if inferences else None}


def compute_metrics(outcomes: Sequence[ClipOutcome], classes: Sequence[str],
                    max_differences: int = 20) -> Metrics:
    classes = list(classes)
    scored = [o for o in outcomes if not o.negative]
    negatives = [o for o in outcomes if o.negative]
    columns = classes + ([NO_DETECTION] if any(o.predicted == NO_DETECTION for o in scored) else [])
    matrix = np.zeros((len(classes), len(columns)), dtype=int)
    for o in scored:
        matrix[classes.index(o.label), columns.index(o.predicted)] += 1
    per_class = {}
    for i, name in enumerate(classes):
        support = int(matrix[i].sum())
        per_class[name] = {"support": support, "recall": _ratio(int(matrix[i, i]), support),
                           "precision": _ratio(int(matrix[i, i]), int(matrix[:, i].sum()))}
    correct = sum(o.correct for o in scored)
    keyword = [o for o in scored if o.label not in NON_KEYWORDS]
    misses = sum(1 for o in keyword if not any(h.label == o.label for h in o.detections))
    hours = sum(o.duration_s for o in negatives) / 3600.0
    false_accepts = sum(len(o.false_accepts) for o in negatives)
    latencies = [o.latency_ms for o in scored if o.latency_ms is not None]
    latency = {"count": len(latencies),
               "median": float(np.median(latencies)) if latencies else None,
               "p95": float(np.percentile(latencies, 95)) if latencies else None}
    stacks = [o.stack for o in outcomes if o.stack]
    stack = None
    if stacks:
        used, size = max(stacks)
        stack = {"used": used, "size": size}
    differing = [o for o in outcomes if o.differences]
    return Metrics(
        classes=classes, columns=columns, confusion=matrix.tolist(), clips=len(scored),
        correct=correct, accuracy=_ratio(correct, len(scored)),
        host_accuracy=_ratio(sum(o.host_predicted == o.label for o in scored), len(scored)),
        per_class=per_class, keyword_clips=len(keyword), misses=misses,
        miss_rate=_ratio(misses, len(keyword)), negative_streams=len(negatives),
        negative_hours=hours, false_accepts=false_accepts,
        false_accepts_per_hour=false_accepts / hours if hours else None,
        latency_ms=latency, cycles=_cycles(outcomes), stack=stack,
        clips_with_differences=len(differing),
        differences=[{"file": o.name, "stage": d} for o in differing
                     for d in o.differences][:max_differences])


def check(metrics: Metrics, floors: Floors) -> list[str]:
    """Why the run fails ([] when it passes): any host/device difference, a missed floor."""
    problems = []
    if metrics.clips_with_differences:
        first = metrics.differences[0]
        problems.append(f"{metrics.clips_with_differences} clip(s) differ between host and "
                        f"device; first: {first['file']}: {first['stage']}")
    if floors.min_accuracy is not None:
        if metrics.accuracy is None:
            problems.append("--min-accuracy: no clip was scored for accuracy")
        elif metrics.accuracy < floors.min_accuracy:
            problems.append(f"accuracy {metrics.accuracy:.4f} is below --min-accuracy "
                            f"{floors.min_accuracy:g}")
    if floors.max_false_accepts_per_hour is not None:
        rate = metrics.false_accepts_per_hour
        if rate is None:
            problems.append("--max-false-accepts-per-hour: the dataset has no negative streams")
        elif rate > floors.max_false_accepts_per_hour:
            problems.append(f"{rate:.2f} false accepts per hour is above "
                            f"--max-false-accepts-per-hour {floors.max_false_accepts_per_hour:g}")
    return problems
