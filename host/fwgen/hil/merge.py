"""Merging `fwgen test` JSON reports (the shares of `--shard I/N` jobs, or boards of one hardware
map) into one report of the same shape, its metrics computed again from every clip.

    reports = [load_report(p) for p in paths]           # FwgenError naming a bad file
    merged = merge_reports(reports, names=[str(p) for p in paths])

Reports merge when they scored one model (same hash, classes and stride) on one board type,
with the same floors, on one dataset (same `dataset_id`, or the same dataset path and layout in
reports written before it): anything else is refused, naming the report and the field. A clip
scored in two reports is refused too (two runs of one shard, or one dataset run twice). Shards
of `--shard I/N` must agree on N; a missing share is a problem of the merged report (it fails),
as are the floors and host/device differences over all clips.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from fwgen.errors import FwgenError
from fwgen.hil.score import ClipOutcome, Floors, Hit, check, compute_metrics

# Fields every report must have for a merge (report_dict plus `fwgen test`'s meta).
REQUIRED = ("model", "model_sha256", "board", "classes", "clips", "floors")
# Fields that must be equal in all merged reports, and what a difference means.
SAME = (("model_sha256", "model"), ("classes", "model's classes"), ("stride", "stride"),
        ("board", "board"), ("floors", "floors (--min-accuracy, --max-false-accepts-per-hour)"))


def load_report(path: Path) -> dict:
    """A `fwgen test --report` file, or a FwgenError naming the file and what is wrong."""
    path = Path(path)
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FwgenError("report not found", where=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FwgenError(f"cannot read the report: {exc}", where=str(path)) from None
    except ValueError as exc:
        raise FwgenError(f"not JSON: {exc}", where=str(path),
                         hint="give the file written by fwgen test --report") from None
    _check_fields(report, str(path))
    return report


def _check_fields(report, name: str) -> None:
    if not isinstance(report, dict):
        raise FwgenError("not a fwgen test report (a JSON object)", where=name)
    missing = [f for f in REQUIRED if f not in report]
    if missing:
        raise FwgenError(f"not a fwgen test report: no {', '.join(missing)}", where=name,
                         hint="give the file written by fwgen test --report")
    if not isinstance(report["clips"], list) or not isinstance(report["classes"], list):
        raise FwgenError("not a fwgen test report: clips and classes must be lists", where=name)


def _hits(items, where: str) -> list[Hit]:
    try:
        return [Hit(int(h["time_ms"]), str(h["class"]), int(h["score"])) for h in items or ()]
    except (KeyError, TypeError, ValueError) as exc:
        raise FwgenError(f"a detection without time_ms, class and score ({exc})",
                         where=where) from None


def outcome_from_dict(clip: dict, where: str) -> ClipOutcome:
    """A report's clip entry (ClipOutcome.as_dict) back as a ClipOutcome."""
    try:
        negative = bool(clip["negative"])
        stack = clip.get("stack")
        return ClipOutcome(
            name=str(clip["file"]), label=str(clip["label"]), negative=negative,
            duration_s=float(clip["duration_s"]), onset_ms=clip.get("onset_ms"),
            detections=_hits(clip.get("detections"), where),
            host_detections=_hits(clip.get("host_detections"), where),
            predicted="" if negative else str(clip["predicted"]),
            host_predicted="" if negative else str(clip["host_predicted"]),
            differences=list(clip.get("differences") or []), stats=dict(clip.get("stats") or {}),
            stack=(int(stack[0]), int(stack[1])) if stack else None,
            wall_s=float(clip.get("wall_s") or 0.0))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise FwgenError(f"a clip entry that fwgen test did not write ({type(exc).__name__}: "
                         f"{exc})", where=where) from None


def _dataset_key(report: dict) -> tuple:
    if report.get("dataset_id"):
        return ("id", report["dataset_id"])
    return ("path", report.get("dataset"), report.get("layout"))


def _shard(report: dict) -> tuple[int, int] | None:
    shard = report.get("shard")
    return (int(shard["index"]), int(shard["count"])) if shard else None


def _check_compatible(reports: Sequence[dict], names: Sequence[str]) -> None:
    first, first_name = reports[0], names[0]
    for report, name in zip(reports[1:], names[1:]):
        for field, what in SAME:
            if report.get(field) != first.get(field):
                raise FwgenError(f"another {what} than {first_name}: {report.get(field)!r}, not "
                                 f"{first.get(field)!r}", where=f"{name}: {field}",
                                 hint="merge only reports of one model on one board type")
        if _dataset_key(report) != _dataset_key(first):
            raise FwgenError(f"another dataset than {first_name} "
                             f"({report.get('dataset')!r}, {first_name}: {first.get('dataset')!r})",
                             where=f"{name}: dataset_id",
                             hint="merge only the shards of one dataset")
    shards = [_shard(r) for r in reports]
    if any(shards) and not all(shards):
        plain = next(n for n, s in zip(names, shards) if not s)
        raise FwgenError("a whole-dataset report cannot merge with --shard reports", where=plain)
    counts = {s[1] for s in shards if s}
    if len(counts) > 1:
        raise FwgenError("shards of different splits: N is "
                         + " and ".join(map(str, sorted(counts))),
                         where=", ".join(names), hint="merge the shards of one --shard I/N run")
    seen: dict[int, str] = {}
    for shard, name in zip(shards, names):
        if shard and shard[0] in seen:
            raise FwgenError(f"shard {shard[0]}/{shard[1]} is also in {seen[shard[0]]}", where=name,
                             hint="merge each shard's report once")
        if shard:
            seen[shard[0]] = name


def merge_reports(reports: Sequence[dict], *, names: Sequence[str] | None = None) -> dict:
    """One report from several (see the module docstring); `names` (file names) go into errors
    and the merged report's `merged_from`. A single report comes back recomputed."""
    if not reports:
        raise FwgenError("no reports to merge")
    names = list(names) if names is not None else [f"report {i + 1}" for i in range(len(reports))]
    if len(names) != len(reports):
        raise ValueError("one name per report")
    for report, name in zip(reports, names):
        _check_fields(report, name)
    _check_compatible(reports, names)
    outcomes: list[ClipOutcome] = []
    owner: dict[str, str] = {}
    for report, name in zip(reports, names):
        for number, clip in enumerate(report["clips"], 1):
            outcome = outcome_from_dict(clip, f"{name}: clips[{number}]")
            if outcome.name in owner:
                raise FwgenError(f"clip {outcome.name} is scored in {owner[outcome.name]} too",
                                 where=name, hint="merge reports of disjoint shares of a dataset "
                                                  "(fwgen test --shard I/N)")
            owner[outcome.name] = name
            outcomes.append(outcome)
    outcomes.sort(key=lambda o: o.name)
    first = reports[0]
    classes = list(first["classes"])
    floors = Floors(first["floors"].get("min_accuracy"),
                    first["floors"].get("max_false_accepts_per_hour"))
    metrics = compute_metrics(outcomes, classes)
    problems = check(metrics, floors)
    shards = [_shard(r) for r in reports]
    count = next((s[1] for s in shards if s), None)
    missing = sorted(set(range(1, count + 1)) - {s[0] for s in shards if s}) if count else []
    if missing:
        problems.append(f"shard(s) {', '.join(f'{i}/{count}' for i in missing)} missing: the "
                        f"merged report covers {len(reports)} of {count} shares")
    stopped = [f"{name}: {r.get('stopped_by') or 'interrupted'}"
               for r, name in zip(reports, names) if r.get("interrupted")]
    skipped, seen_skipped = [], set()
    for report in reports:            # a dataset's bad entries are listed by every shard
        for entry in report.get("skipped") or ():
            key = (entry.get("file"), entry.get("reason"))
            if key not in seen_skipped:
                seen_skipped.add(key)
                skipped.append(entry)
    devices = list(dict.fromkeys(str(r.get("device", "?")) for r in reports))
    meta = {k: v for k, v in first.items() if k not in
            ("passed", "problems", "interrupted", "stopped_by", "metrics", "clips", "skipped",
             "shard", "device", "merged_from")}
    return {**meta, "device": ", ".join(devices),
            "shard": None if count is None else {"index": None, "count": count,
                                                 "complete": not missing},
            "merged_from": [{"report": name, "device": r.get("device"), "shard": r.get("shard"),
                             "clips": len(r["clips"]), "passed": r.get("passed"),
                             "interrupted": bool(r.get("interrupted"))}
                            for r, name in zip(reports, names)],
            "passed": not problems and not stopped, "problems": problems,
            "interrupted": bool(stopped), "stopped_by": "; ".join(stopped) or None,
            "metrics": metrics.as_dict(), "clips": [o.as_dict() for o in outcomes],
            "skipped": sorted(skipped, key=lambda e: str(e.get("file")))}
