"""The HTML report of `fwgen test --html`, `fwgen report` and `fwgen run --html`: one
self-contained page (images and audio inline, no network) rendered from the JSON report.

Python computes everything here (the view-model: what is a failure, the order, the links, the
pictures); templates/report.html.j2 only lays it out. The page holds:

- a summary: model, board, runtime, fwgen version, model hash, accuracy, miss rate, false
  accepts per hour, latency percentiles, host/device differences, floors;
- the confusion matrix and per-class precision/recall, every cell linking to its clips;
- per clip (failures first, then by name): the device's spectrogram under every class's
  smoothed score with thresholds and detections (true ones and false ones told apart), the
  expected label and onset, an audio player and each stage's host/device status;
- long negative streams: their false accepts with scores, thresholds and the time since the
  previous one, against the suppression time; each class's threshold raised to its highest
  false accept and tried on every clip's logits (what would remain).

    html = render_report(report, audio=lambda clip: (samples, rate) or None)
    write_report_html(Path("report.html"), report, audio)
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

STAGES = ("features", "logits", "detections")
MAX_AUDIO_S = 30.0          # longer streams get no player (a 10 min stream would be 9.6 MB)
WIDE_CLIP_S = 5.0           # streams longer than this get a wider picture

AudioLookup = Callable[[dict], "tuple[np.ndarray, int] | None"]


def read_report(path: Path) -> dict:
    """A JSON report written by `fwgen test --report` (or `fwgen run --html`'s data)."""
    where = str(path)
    if not path.is_file():
        raise FwgenError("report not found" if not path.exists() else "is not a file", where=where,
                         hint="give the file fwgen test --report wrote")
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FwgenError(f"not a JSON report ({exc})", where=where,
                         hint="give the file fwgen test --report wrote") from None
    missing = [key for key in ("model", "board", "classes", "clips")
               if not isinstance(report, dict) or key not in report]
    if missing:
        raise FwgenError(f"not an fwgen test report: no {', '.join(missing)}", where=where,
                         hint="give the file fwgen test --report wrote")
    return report


def clip_failure(clip: dict) -> str | None:
    """Why a clip failed, in a few words (the JUnit failure's message), None when it passed."""
    if clip.get("differences"):
        return f"host/device difference: {clip['differences'][0]}"
    if clip.get("negative"):
        n = len(clip.get("false_accepts") or [])
        return f"{n} false accept{'s' if n != 1 else ''}" if n else None
    if clip.get("correct") is False:
        return f"expected {clip['label']}, got {clip['predicted']}"
    return None


def ordered_clips(clips: Sequence[dict]) -> list[dict]:
    """Failures first, then the rest; each group by name."""
    return sorted(clips, key=lambda c: (clip_failure(c) is None, c.get("file", "")))


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def _stage_status(clip: dict) -> list[dict]:
    """Each stage: ok, differs (the difference, red) or not compared (fwgen run --elf)."""
    differences = clip.get("differences")
    out = []
    for stage in STAGES:
        if differences is None:
            out.append({"stage": stage, "ok": None, "text": "not compared with the host"})
            continue
        found = [d for d in differences if d.split(":", 1)[0] == stage]
        out.append({"stage": stage, "ok": not found,
                    "text": found[0] if found else "bit-exact with the host"})
    return out


def detection_kind(clip: dict, hit: dict) -> str:
    """"true" (the clip's own class), "false" (another class, or any on a negative stream) or
    "unlabelled" (fwgen run: nothing to tell it by)."""
    if clip.get("label") is None:
        return "unlabelled"
    return "true" if not clip.get("negative") and hit["class"] == clip["label"] else "false"


def _figure(clip: dict, classes: Sequence[str]) -> tuple[str | None, str]:
    """(PNG data URI or None, what the score axis shows)."""
    from fwgen.deploy.trace import StreamTrace
    from fwgen.hil.media import png_uri
    from fwgen.plots import stream_png

    if "trace" not in clip:
        return None, ""
    where = f"clip {clip.get('file')}: trace"
    trace = StreamTrace.from_dict(clip["trace"], where=where)
    if trace.logits.shape[1] != len(classes):
        raise FwgenError(f"{trace.logits.shape[1]} scores per inference, but the report names "
                         f"{len(classes)} classes", where=where,
                         hint="the report was edited or merged from another model's")
    if trace.smoothed is not None:
        scores, label = trace.smoothed.astype(int), "smoothed score"
        thresholds = [t if ok else None for t, ok in zip(trace.thresholds, trace.can_trigger)]
    else:
        scores, label = trace.logits.astype(int) + 128, "raw score (logit + 128)"
        thresholds = [None] * len(classes)
    clip_ms = clip.get("duration_s", 0) * 1000 - 2 * trace.pad_ms
    hits = [(h["time_ms"], h["score"], detection_kind(clip, h)) for h in clip.get("detections", [])]
    long = clip.get("duration_s", 0) > WIDE_CLIP_S
    png = stream_png(features=trace.features, first_frame_ms=trace.first_frame_ms,
                     frame_step_ms=trace.frame_step_ms, scores=scores, score_ms=trace.inference_ms,
                     classes=classes, thresholds=thresholds, detections=hits, clip_ms=clip_ms,
                     onset_ms=clip.get("onset_ms"), score_label=label,
                     width_in=12.0 if long else 8.5)
    return png_uri(png), label


def _audio(clip: dict, audio: AudioLookup | None) -> tuple[str | None, str]:
    """(WAV data URI or None, why there is none)."""
    from fwgen.hil.media import wav_uri

    if audio is None:
        return None, "no audio given"
    try:
        found = audio(clip)
    except FwgenError as exc:
        return None, f"audio not embedded: {exc.message}"
    if found is None:
        return None, "audio not found"
    samples, rate = found
    if samples.size > MAX_AUDIO_S * rate:
        return None, f"audio not embedded: {samples.size / rate:.0f} s is longer than the " \
                     f"{MAX_AUDIO_S:.0f} s the page embeds"
    return wav_uri(samples, rate), ""


def _clip_facts(clip: dict) -> list[str]:
    """The line under a clip's name: what it is, what was heard, onset and length."""
    facts = []
    if clip.get("negative"):
        facts.append(f"negative stream ({clip['label']}): every keyword detection is a false accept")
    elif clip.get("label") is None:
        facts.append("unlabelled")
    else:
        facts.append(f"expected {clip['label']}, device {clip['predicted']}, "
                     f"host {clip['host_predicted']}")
        onset = clip.get("onset_ms")
        if onset is None:
            facts.append("keyword onset not given")
        else:
            latency = clip.get("latency_ms")
            facts.append(f"keyword onset {onset} ms" + (
                f", detected {latency} ms after it" if latency is not None else ""))
    facts.append(f"{clip.get('duration_s', 0)} s streamed (padding included)")
    return facts


def _clip_view(index: int, clip: dict, classes: Sequence[str], audio: AudioLookup | None) -> dict:
    figure, score_label = _figure(clip, classes)
    audio_uri, audio_note = _audio(clip, audio)
    hits = [{**h, "kind": detection_kind(clip, h)} for h in clip.get("detections", [])]
    return {"id": f"clip-{index}", "file": clip.get("file", "?"), "failure": clip_failure(clip),
            "facts": _clip_facts(clip), "detections": hits, "stages": _stage_status(clip),
            "figure": figure, "score_label": score_label, "audio": audio_uri,
            "audio_note": audio_note}


def _confusion_view(metrics: dict, clip_ids: dict[str, str], clips: Sequence[dict]) -> dict:
    """Rows and cells with their links; each cell's clips listed in its true class's group."""
    classes, columns = metrics["classes"], metrics["columns"]
    members: dict[tuple[int, int], list[dict]] = {}
    for clip in clips:
        if clip.get("negative") or clip.get("label") not in classes or \
                clip.get("predicted") not in columns:
            continue
        key = (classes.index(clip["label"]), columns.index(clip["predicted"]))
        members.setdefault(key, []).append({"file": clip["file"], "href": "#" + clip_ids[clip["file"]]})
    rows = []
    for i, (name, counts) in enumerate(zip(classes, metrics["confusion"])):
        rows.append({"name": name, "cells": [
            {"count": n, "href": f"#cell-{i}-{j}" if n else None, "diagonal": i == j}
            for j, n in enumerate(counts)]})
    groups = []
    for i, name in enumerate(classes):
        cells = [{"id": f"cell-{i}-{j}", "predicted": columns[j],
                  "clips": sorted(found, key=lambda c: c["file"])}
                 for (row, j), found in sorted(members.items()) if row == i]
        if cells:
            groups.append({"id": f"class-{i}", "name": name, "cells": cells,
                           "count": sum(len(c["clips"]) for c in cells)})
    per_class = []
    for i, name in enumerate(classes):
        c = metrics["per_class"][name]
        per_class.append({"name": name, "href": f"#class-{i}" if c["support"] else None,
                          "precision": _pct(c["precision"]), "recall": _pct(c["recall"]),
                          "support": c["support"]})
    return {"columns": columns, "rows": rows, "groups": groups, "per_class": per_class}


def _differences_view(metrics: dict, clip_ids: dict[str, str]) -> dict:
    if not metrics.get("clips_with_differences"):
        return {"count": 0}
    first = metrics["differences"][0]
    stage, _, detail = first["stage"].partition(":")
    return {"count": metrics["clips_with_differences"], "file": first["file"],
            "href": "#" + clip_ids.get(first["file"], ""), "stage": stage, "detail": detail.strip()}


def _floors_view(report: dict, metrics: dict) -> list[dict]:
    floors = report.get("floors") or {}
    out = []
    if floors.get("min_accuracy") is not None:
        value = metrics.get("accuracy")
        out.append({"name": "--min-accuracy", "floor": f"{floors['min_accuracy']:g}",
                    "value": _pct(value),
                    "passed": value is not None and value >= floors["min_accuracy"]})
    if floors.get("max_false_accepts_per_hour") is not None:
        rate = metrics.get("false_accepts_per_hour")
        out.append({"name": "--max-false-accepts-per-hour",
                    "floor": f"{floors['max_false_accepts_per_hour']:g}",
                    "value": "-" if rate is None else f"{rate:.2f} /h",
                    "passed": rate is not None and rate <= floors["max_false_accepts_per_hour"]})
    return out


def _figures(metrics: dict) -> list[dict]:
    """The summary's numbers as (name, value) pairs, in reading order."""
    m = metrics
    out = [("accuracy", f"{_pct(m['accuracy'])} ({m['correct']}/{m['clips']} clips)"),
           ("host pipeline alone", _pct(m["host_accuracy"])),
           ("miss rate", f"{_pct(m['miss_rate'])} ({m['misses']}/{m['keyword_clips']} keyword clips)")]
    if m["negative_streams"]:
        out.append(("false accepts", f"{m['false_accepts_per_hour']:.2f} per hour "
                                     f"({m['false_accepts']} in {m['negative_hours'] * 60:.2f} min, "
                                     f"{m['negative_streams']} streams)"))
    else:
        out.append(("false accepts", "- (no negative streams)"))
    lat = m["latency_ms"]
    out.append(("latency after onset", f"median {_ms(lat['median'])}, 95th percentile "
                                       f"{_ms(lat['p95'])} ({lat['count']} clips)"
                if lat["count"] else "- (no clip with an onset)"))
    cycles = m.get("cycles") or {}
    if cycles.get("inference_per_inference") is not None:
        unit = cycles.get("unit") or "counts"
        out.append(("device per stage", f"frontend {cycles['frontend_per_frame']:,} {unit}/frame, "
                                        f"inference {cycles['inference_per_inference']:,} {unit}, "
                                        f"detector {cycles['detect_per_inference']:,} {unit}"))
    if m.get("stack"):
        out.append(("stack high-water mark", f"{m['stack']['used']}/{m['stack']['size']} bytes"))
    return [{"name": a, "value": b} for a, b in out]


def _thresholds(report: dict, classes: Sequence[str]) -> dict[str, int]:
    """Each class's detection threshold: from a trace (what the detector used), else from the
    report's smoothing settings."""
    for clip in report["clips"]:
        if "trace" in clip:
            return dict(zip(classes, clip["trace"]["thresholds"]))
    smoothing = report.get("smoothing") or {}
    listed = smoothing.get("detection_threshold_list")
    if listed:
        return dict(zip(classes, listed))
    if smoothing.get("detection_threshold") is not None:
        return {name: smoothing["detection_threshold"] for name in classes}
    return {}


def _streams_view(report: dict, classes: Sequence[str], clip_ids: dict[str, str]) -> list[dict]:
    """Each negative stream's false accepts with what would remove them: the score above the
    class's threshold, and the time since the previous one against the suppression time."""
    suppression = (report.get("smoothing") or {}).get("suppression_ms")
    thresholds = _thresholds(report, classes)
    streams = []
    for clip in ordered_clips(report["clips"]):
        if not clip.get("negative"):
            continue
        last: dict[str, int] = {}
        rows = []
        for hit in clip.get("false_accepts", []):
            gap = hit["time_ms"] - last[hit["class"]] if hit["class"] in last else None
            last[hit["class"]] = hit["time_ms"]
            threshold = thresholds.get(hit["class"])
            rows.append({"time_s": f"{hit['time_ms'] / 1000:.2f}", "class": hit["class"],
                         "score": hit["score"], "threshold": threshold,
                         "margin": None if threshold is None else hit["score"] - threshold,
                         "gap_ms": gap})
        hours = clip.get("duration_s", 0) / 3600
        streams.append({"file": clip["file"], "href": "#" + clip_ids[clip["file"]],
                        "minutes": f"{clip.get('duration_s', 0) / 60:.2f}", "rows": rows,
                        "per_hour": f"{len(rows) / hours:.1f}" if hours else "-",
                        "suppression_ms": suppression,
                        "max_score": max((r["score"] for r in rows), default=None)})
    return streams


def _facts(report: dict, classes: Sequence[str], sha: str) -> list[dict]:
    """What ran: model, hash, board, device, runtime, fwgen, dataset, classes (and the reports
    a merged one came from)."""
    facts = [("model", report["model"]), ("model hash", sha[:16] or "-"),
             ("board", report["board"]), ("device", report.get("device", "-")),
             ("runtime", report.get("runtime") or "-"), ("fwgen", report.get("fwgen", "-")),
             ("dataset", report.get("dataset", "-")), ("classes", ", ".join(classes))]
    if report.get("merged_from"):
        facts.append(("merged from", ", ".join(f"{m['report']} ({m['clips']} clips)"
                                               for m in report["merged_from"])))
    return [{"name": name, "value": value} for name, value in facts]


def _threshold_whatifs(report: dict, classes: Sequence[str]) -> list[dict]:
    """For each class with false accepts: its threshold raised to the highest false accept's
    score, every clip's logits run through the detector again (fwgen.deploy.trace.detect_again):
    false accepts and keyword clips of the class detected, now and then. Needs every clip's
    trace and the report's smoothing settings."""
    from fwgen.deploy.trace import StreamTrace, detect_again

    clips = report["clips"]
    smoothing = report.get("smoothing")
    if not smoothing or not clips or any("trace" not in c for c in clips):
        return []
    traces = [(c, StreamTrace.from_dict(c["trace"], where=f"clip {c['file']}: trace"))
              for c in clips]
    base = list(traces[0][1].thresholds)

    def counts(thresholds: list[int], name: str) -> tuple[int, int]:
        false_accepts = detected = 0
        for clip, trace in traces:
            hits = detect_again(trace, classes, smoothing, thresholds)
            if clip.get("negative"):
                false_accepts += sum(1 for _, c, _ in hits if c == name)
            elif clip.get("label") == name:
                detected += any(c == name for _, c, _ in hits)
        return false_accepts, detected

    out = []
    for i, name in enumerate(classes):
        scores = [h["score"] for c in clips if c.get("negative")
                  for h in c.get("false_accepts", []) if h["class"] == name]
        if not scores:
            continue
        raised = base.copy()
        raised[i] = max(scores)
        (fa_now, hit_now), (fa_then, hit_then) = counts(base, name), counts(raised, name)
        out.append({"class": name, "threshold": base[i], "raised": raised[i],
                    "false_accepts": fa_now, "false_accepts_then": fa_then,
                    "detected": hit_now, "detected_then": hit_then,
                    "clips": sum(1 for c in clips if not c.get("negative") and c.get("label") == name)})
    return out


def page_view(report: dict, audio: AudioLookup | None = None) -> dict:
    """Everything the template shows, computed."""
    from fwgen import __version__

    classes = list(report["classes"])
    ordered = ordered_clips(report["clips"])
    clip_ids = {c["file"]: f"clip-{i}" for i, c in enumerate(ordered)}
    metrics = report.get("metrics")
    sha = report.get("model_sha256") or ""
    kind = "run" if metrics is None else "test"
    view = {
        "kind": kind, "generator": f"fwgen {__version__}",
        "title": f"fwgen {kind}: {report['model']} on {report['board']}",
        "facts": _facts(report, classes, sha),
        "model_sha256": sha, "passed": report.get("passed"),
        "interrupted": bool(report.get("interrupted")), "stopped_by": report.get("stopped_by"),
        "problems": list(report.get("problems") or []),
        "skipped": list(report.get("skipped") or []),
        "has_traces": any("trace" in c for c in ordered),
        "clips": [_clip_view(i, c, classes, audio) for i, c in enumerate(ordered)],
        "failures": sum(1 for c in ordered if clip_failure(c)),
    }
    if metrics is not None:
        view.update(figures=_figures(metrics), floors=_floors_view(report, metrics),
                    differences=_differences_view(metrics, clip_ids),
                    confusion=_confusion_view(metrics, clip_ids, ordered),
                    streams=_streams_view(report, classes, clip_ids),
                    whatifs=_threshold_whatifs(report, classes))
    return view


def render_report(report: dict, audio: AudioLookup | None = None) -> str:
    """The page as text (autoescaped: clip names and messages cannot inject markup)."""
    from fwgen.render import environment

    env = environment().overlay(autoescape=True)
    return env.get_template("report.html.j2").render(**page_view(report, audio))


def write_report_html(path: Path, report: dict, audio: AudioLookup | None = None) -> Path:
    """Render, then write `path` at once (a temporary file renamed), so a failure or Ctrl-C
    never leaves half a page."""
    html = render_report(report, audio)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def dataset_audio(report: dict, root: Path | None = None) -> AudioLookup:
    """Audio for a saved report: each clip's WAV under `root` (default: the report's dataset,
    its CSV's folder for a CSV), read as the test read it (mono 16-bit, any rate)."""
    from fwgen.audio import read_wav, wav_info

    base = root
    if base is None and report.get("dataset"):
        dataset = Path(report["dataset"])
        base = dataset.parent if dataset.suffix.lower() == ".csv" else dataset

    def lookup(clip: dict) -> tuple[np.ndarray, int] | None:
        name = Path(clip.get("file", ""))
        path = name if name.is_absolute() or base is None else base / name
        if not path.is_file():
            return None
        return read_wav(path, expect_rate=None, convert=True), wav_info(path).sample_rate

    return lookup


def audio_from(samples_by_name: dict[str, np.ndarray], rate: int) -> AudioLookup:
    """Audio already in memory (fwgen test, fwgen run), by clip name."""
    def lookup(clip: dict) -> tuple[np.ndarray, int] | None:
        found = samples_by_name.get(clip.get("file", ""))
        return None if found is None else (found, rate)
    return lookup


def run_report(clip_reports: Sequence[Any], *, model: str, runtime: str = "",
               model_sha256: str = "", smoothing: dict | None = None) -> dict:
    """`fwgen run --html`: unlabelled clips (fwgen.run.ClipReport with a trace) as a report
    the page renders (no metrics: no labels)."""
    from fwgen import __version__

    first = clip_reports[0]
    n_classes = first.trace.logits.shape[1] if first.trace is not None else 0
    classes = list(first.classes) or [f"class {i}" for i in range(n_classes)]
    clips = []
    for r in clip_reports:
        clip = {"file": str(r.path), "label": None, "negative": False,
                "duration_s": round(r.samples_streamed / r.trace.sample_rate, 3)
                if r.trace is not None else 0.0, "onset_ms": None,
                "detections": [{"time_ms": d["time_ms"], "class": d["class"], "score": d["score"]}
                               for d in r.detections],
                "differences": r.differences, "stats": r.stats}
        if r.trace is not None:
            clip["trace"] = r.trace.as_dict()
        clips.append(clip)
    return {"fwgen": __version__, "model": model, "model_sha256": model_sha256,
            "board": first.board, "device": "QEMU twin", "runtime": runtime,
            "classes": classes, "smoothing": smoothing or {}, "clips": clips}
