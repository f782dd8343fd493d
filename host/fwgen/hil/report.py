"""What `fwgen test` writes: the JSON report, JUnit XML (one test case per clip), the confusion
matrix as a PNG, and the human summary (lines; the CLI prints them)."""
from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Sequence

import numpy as np

from fwgen.hil.dataset import Skipped
from fwgen.hil.score import ClipOutcome, Metrics

LOG = logging.getLogger(__name__)


def report_dict(metrics: Metrics, outcomes: Sequence[ClipOutcome], skipped: Sequence[Skipped], *,
                meta: dict, problems: Sequence[str], interrupted: bool,
                stopped_by: str | None = None) -> dict:
    """The JSON report; `interrupted` (Ctrl-C, or an error named by `stopped_by`): partial."""
    return {**meta, "passed": not problems and not interrupted, "problems": list(problems),
            "interrupted": interrupted, "stopped_by": stopped_by, "metrics": metrics.as_dict(),
            "clips": [o.as_dict() for o in outcomes],
            "skipped": [{"file": s.name, "reason": s.reason} for s in skipped]}


def _failure(outcome: ClipOutcome) -> tuple[str, str, str] | None:
    """(type, message, text) of a clip's JUnit failure, or None when it passed."""
    if outcome.differences:
        return ("host-device-difference", outcome.differences[0], "\n".join(outcome.differences))
    if outcome.negative and outcome.false_accepts:
        hits = ", ".join(f"{h.label} at {h.time_ms} ms (score {h.score})"
                         for h in outcome.false_accepts)
        return ("false-accept", f"{len(outcome.false_accepts)} false accept(s)", hits)
    if not outcome.negative and not outcome.correct:
        heard = ", ".join(f"{h.label} at {h.time_ms} ms (score {h.score})"
                          for h in outcome.detections) or "no detection"
        return ("misclassified", f"expected {outcome.label}, got {outcome.predicted}", heard)
    return None


def junit_xml(outcomes: Sequence[ClipOutcome], skipped: Sequence[Skipped], *, suite: str,
              problems: Sequence[str] = ()) -> str:
    """JUnit XML: one <testcase> per clip (classname: the suite and the clip's label, name: its
    file), a <failure> for a wrong clip, a false accept or a host/device difference, <skipped>
    for bad dataset entries; the run's problems (floors, differences) in <system-out>."""
    failures = [(o, _failure(o)) for o in outcomes]
    n_failed = sum(1 for _, f in failures if f)
    root = ET.Element("testsuites", name="fwgen test")
    suite_el = ET.SubElement(root, "testsuite", name=suite, tests=str(len(outcomes) + len(skipped)),
                             failures=str(n_failed), errors="0", skipped=str(len(skipped)),
                             time=f"{sum(o.wall_s for o in outcomes):.3f}")
    for outcome, failure in failures:
        case = ET.SubElement(suite_el, "testcase", classname=f"{suite}.{outcome.label}",
                             name=outcome.name, time=f"{outcome.wall_s:.3f}")
        if failure:
            kind, message, text = failure
            ET.SubElement(case, "failure", type=kind, message=message).text = text
    for entry in skipped:
        case = ET.SubElement(suite_el, "testcase", classname=f"{suite}.skipped", name=entry.name,
                             time="0")
        ET.SubElement(case, "skipped", message=entry.reason)
    if problems:
        ET.SubElement(suite_el, "system-out").text = "\n".join(problems)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_confusion_png(metrics: Metrics, path: Path, *, title: str = "") -> Path:
    """The confusion matrix as a heat map (rows: true class, columns: the device's prediction)."""
    from fwgen.plots import confusion_png

    return confusion_png(np.asarray(metrics.confusion), metrics.classes, metrics.columns, path,
                         title=title, xlabel="predicted (device)", max_annotated=10 ** 6)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def confusion_lines(metrics: Metrics) -> list[str]:
    """The confusion matrix as a table: rows the true class, columns the device's prediction."""
    head = "true \\ predicted"
    first = max([len(c) for c in metrics.classes] + [len(head)])
    width = max([len(c) for c in metrics.columns] + [5])
    out = [head.ljust(first) + " " + " ".join(c.rjust(width) for c in metrics.columns)]
    for name, row in zip(metrics.classes, metrics.confusion):
        out.append(name.ljust(first) + " " + " ".join(str(v).rjust(width) for v in row))
    return out


def summary_lines(metrics: Metrics, *, title: str, problems: Sequence[str], interrupted: bool,
                  skipped: Sequence[Skipped], stopped_by: str = "interrupted") -> list[str]:
    m = metrics
    out = [title]
    if interrupted:
        out.append(f"{stopped_by}: a partial report of the {m.clips + m.negative_streams} "
                   f"clips done")
    out.append(f"accuracy {_pct(m.accuracy)} ({m.correct}/{m.clips} clips; host pipeline alone "
               f"{_pct(m.host_accuracy)}), miss rate {_pct(m.miss_rate)} "
               f"({m.misses}/{m.keyword_clips} keyword clips)")
    if m.negative_streams:
        out.append(f"false accepts {m.false_accepts} in {m.negative_hours * 60:.2f} min of negative "
                   f"audio ({m.negative_streams} streams): {m.false_accepts_per_hour:.2f} per hour")
    if m.latency_ms["count"]:
        out.append(f"latency after the keyword's onset: median {m.latency_ms['median']:.0f} ms, "
                   f"95th percentile {m.latency_ms['p95']:.0f} ms ({m.latency_ms['count']} clips)")
    out += ["", *confusion_lines(m), ""]
    out.append("class        precision   recall  clips")
    for name, c in m.per_class.items():
        out.append(f"{name:<12} {_pct(c['precision']):>9} {_pct(c['recall']):>8} {c['support']:>6}")
    if m.cycles:
        unit = m.cycles["unit"] or "counts"
        out.append(f"device: frontend {m.cycles['frontend_per_frame']} {unit}/frame, inference "
                   f"{m.cycles['inference_per_inference']} {unit} (max "
                   f"{m.cycles['inference_cycles_max']}), detector "
                   f"{m.cycles['detect_per_inference']} {unit}/inference")
    if m.stack:
        out.append(f"stack high-water mark {m.stack['used']}/{m.stack['size']} bytes")
    out.append("host/device differences: none" if not m.clips_with_differences else
               f"host/device differences in {m.clips_with_differences} clip(s):")
    out += [f"  {d['file']}: {d['stage']}" for d in m.differences]
    if skipped:
        out.append(f"skipped {len(skipped)} dataset entries:")
        out += [f"  {s.name}: {s.reason}" for s in skipped]
    out += [f"FAIL: {p}" for p in problems] or (["PASS"] if not interrupted else [])
    return out
