"""fwgen test's scoring: the prediction rule, metrics with exact expected numbers on constructed
outcomes, host/device differences from constructed stream results, floors, JSON and JUnit."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import fields
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from fwgen.deploy.reference import Event, ReferenceResult
from fwgen.hil import (NO_DETECTION, Clip, ClipOutcome, Floors, Hit, LoadedClip, Skipped, check,
                       compute_metrics, junit_xml, predicted_label, report_dict, score_clip,
                       summary_lines, write_confusion_png)
from fwgen.link import Detection, Features, Log, Logits, Stats, StreamResult

CLASSES = ("silence", "unknown", "yes", "no")


def outcome(name, label, hits, *, onset=None, negative=False, duration=1.0, host=None,
            differences=()):
    hits = [Hit(*h) for h in hits]
    return ClipOutcome(name=name, label=label, negative=negative, duration_s=duration,
                       onset_ms=onset, detections=hits, host_detections=hits,
                       predicted=predicted_label(hits, CLASSES, label),
                       host_predicted=host or predicted_label(hits, CLASSES, label),
                       differences=list(differences), wall_s=0.5)


@pytest.mark.parametrize("label, hits, expected", [
    ("yes", [(300, "yes", 200)], "yes"),
    ("yes", [(200, "no", 150), (400, "yes", 220)], "yes"),          # the strongest keyword
    ("yes", [(200, "no", 220), (400, "yes", 220)], "no"),           # equal scores: the earliest
    ("yes", [(100, "unknown", 250), (400, "yes", 180)], "yes"),     # keywords first
    ("yes", [], "silence"),                                         # not a keyword
    ("yes", [(100, "unknown", 200)], "unknown"),
    ("silence", [(100, "unknown", 200)], "silence"),                # not a keyword: right
    ("unknown", [], "unknown"),
])
def test_the_prediction_rule(label, hits, expected):
    assert predicted_label([Hit(*h) for h in hits], CLASSES, label) == expected


def test_no_detection_is_its_own_column_for_models_without_silence_or_unknown():
    assert predicted_label([], ("on", "off"), "on") == NO_DETECTION
    assert predicted_label([], ("unknown", "on"), "on") == "unknown"


def constructed() -> list[ClipOutcome]:
    return [
        outcome("yes/1.wav", "yes", [(300, "yes", 200)], onset=100),
        outcome("yes/2.wav", "yes", [(200, "no", 150), (400, "yes", 220)], onset=150),
        outcome("yes/3.wav", "yes", [], host="yes"),
        outcome("no/4.wav", "no", [(500, "yes", 180)],
                differences=["logits: 1 values differ, first at (3, 2): device 5 != host 4"]),
        outcome("silence/5.wav", "silence", []),
        outcome("unknown/6.wav", "unknown", [(100, "unknown", 200)]),
        outcome("unknown/7.wav", "unknown", [(300, "yes", 210)]),
        outcome("bg/cafe.wav", "background", [(1000, "yes", 200), (2000, "unknown", 200),
                                              (3000, "no", 210)], negative=True, duration=1800.0),
    ]


def test_metrics_on_constructed_outcomes():
    m = compute_metrics(constructed(), CLASSES)
    assert (m.clips, m.correct, m.accuracy) == (7, 4, 4 / 7)
    assert m.host_accuracy == 5 / 7
    assert m.columns == list(CLASSES)
    assert m.confusion == [[1, 0, 0, 0], [0, 1, 1, 0], [1, 0, 2, 0], [0, 0, 1, 0]]
    assert m.per_class == {
        "silence": {"support": 1, "recall": 1.0, "precision": 0.5},
        "unknown": {"support": 2, "recall": 0.5, "precision": 1.0},
        "yes": {"support": 3, "recall": 2 / 3, "precision": 0.5},
        "no": {"support": 1, "recall": 0.0, "precision": None}}
    assert (m.keyword_clips, m.misses, m.miss_rate) == (4, 2, 0.5)
    assert (m.negative_streams, m.negative_hours, m.false_accepts) == (1, 0.5, 2)
    assert m.false_accepts_per_hour == 4.0
    assert m.latency_ms == {"count": 2, "median": 225.0, "p95": 247.5}
    assert m.clips_with_differences == 1
    assert m.differences == [{"file": "no/4.wav", "stage": "logits: 1 values differ, first at "
                                                           "(3, 2): device 5 != host 4"}]


def test_floors_and_differences_fail_the_run():
    m = compute_metrics(constructed(), CLASSES)
    problems = check(m, Floors())
    assert problems == ["1 clip(s) differ between host and device; first: no/4.wav: logits: 1 "
                        "values differ, first at (3, 2): device 5 != host 4"]
    clean = compute_metrics([o for o in constructed() if not o.differences], CLASSES)
    assert check(clean, Floors(min_accuracy=0.6, max_false_accepts_per_hour=4.0)) == []
    assert check(clean, Floors(min_accuracy=0.7, max_false_accepts_per_hour=3.5)) == [
        "accuracy 0.6667 is below --min-accuracy 0.7",
        "4.00 false accepts per hour is above --max-false-accepts-per-hour 3.5"]
    keywords_only = compute_metrics(constructed()[:3], CLASSES)
    assert check(keywords_only, Floors(max_false_accepts_per_hour=1)) == [
        "--max-false-accepts-per-hour: the dataset has no negative streams"]


def _stats(**values) -> Stats:
    return Stats(**{**{f.name: 0 for f in fields(Stats)}, **values})


def stream_pair(plant: bool = False):
    """A device StreamResult and the host ReferenceResult it must equal."""
    features = np.array([[1, 2], [3, 4], [5, 6]], dtype=np.uint16)
    logits = np.array([[-10, -20, 90, -5]], dtype=np.int8)
    host = ReferenceResult(features=features, logits=logits, logit_frames=[2],
                           detections=[Event(0, 2, 700, 2, 200)])
    device = StreamResult(hello=SimpleNamespace(n_channels=2, n_classes=4), samples_sent=0)
    for i, row in enumerate(features):
        device.add(Features(i, 0, row.astype("<u2").tobytes()))
    values = tuple(int(v) for v in logits[0])
    device.add(Logits(0, 2, values[:1] + (values[1] + 1,) + values[2:] if plant else values))
    device.add(Detection(0, 2, 700, 2, 200))
    device.add(Log(0, "stack 1336/16384 bytes"))
    device.add(_stats(frames=3, inferences=1, frontend_cycles=300, inference_cycles=5000,
                      detect_cycles=40, inference_cycles_max=5000, cycle_unit=2))
    return device, host


def loaded(name="yes/a.wav", label="yes", onset=200) -> LoadedClip:
    return LoadedClip(Clip(Path(name), name, label, onset), label, np.zeros(16000, np.int16))


def test_a_clip_scored_from_device_and_host_results():
    device, host = stream_pair()
    o = score_clip(loaded(), device, host, CLASSES, pad_ms=500, sample_rate=16000,
                   samples_streamed=32000)
    assert o.differences == []
    assert o.detections == o.host_detections == [Hit(200, "yes", 200)]     # 700 ms - 500 ms pad
    assert (o.predicted, o.correct, o.latency_ms, o.duration_s) == ("yes", True, 0, 2.0)
    assert o.stack == (1336, 16384)
    m = compute_metrics([o], CLASSES)
    assert m.cycles == {"frames": 3, "inferences": 1, "frontend_cycles": 300,
                        "inference_cycles": 5000, "detect_cycles": 40, "unit": "instructions",
                        "inference_cycles_max": 5000, "frontend_per_frame": 100,
                        "inference_per_inference": 5000, "detect_per_inference": 40}
    assert m.stack == {"used": 1336, "size": 16384}


def test_a_planted_logit_difference_names_the_stage_and_index():
    device, host = stream_pair(plant=True)
    o = score_clip(loaded(), device, host, CLASSES, pad_ms=500, sample_rate=16000,
                   samples_streamed=32000)
    assert o.differences == ["logits: 1 values differ, first at (0, 1): device -19 != host -20"]


def test_junit_has_one_case_per_clip_with_failures_by_file():
    outcomes = constructed()
    skipped = [Skipped("no/broken.wav", "cannot read audio")]
    problems = check(compute_metrics(outcomes, CLASSES), Floors())
    root = ET.fromstring(junit_xml(outcomes, skipped, suite="fwgen.micro_speech.mps2_an505",
                                   problems=problems).encode())
    suite = root.find("testsuite")
    assert suite.attrib["tests"] == "9" and suite.attrib["failures"] == "4"
    assert suite.attrib["skipped"] == "1"
    cases = {c.attrib["name"]: c for c in suite.findall("testcase")}
    assert list(cases) == [o.name for o in outcomes] + ["no/broken.wav"]
    kinds = {name: (c.find("failure").attrib["type"] if c.find("failure") is not None else None)
             for name, c in cases.items()}
    assert kinds == {"yes/1.wav": None, "yes/2.wav": None, "yes/3.wav": "misclassified",
                     "no/4.wav": "host-device-difference", "silence/5.wav": None,
                     "unknown/6.wav": None, "unknown/7.wav": "misclassified",
                     "bg/cafe.wav": "false-accept", "no/broken.wav": None}
    assert cases["yes/3.wav"].find("failure").attrib["message"] == "expected yes, got silence"
    assert cases["yes/1.wav"].attrib["classname"] == "fwgen.micro_speech.mps2_an505.yes"
    assert cases["no/broken.wav"].find("skipped").attrib["message"] == "cannot read audio"
    assert "differ between host and device" in suite.find("system-out").text


def test_json_report_and_summary(tmp_path):
    outcomes = constructed()
    m = compute_metrics(outcomes, CLASSES)
    problems = check(m, Floors(min_accuracy=0.9))
    report = json.loads(json.dumps(report_dict(m, outcomes, [Skipped("x.wav", "why")],
                                               meta={"board": "mps2_an505"}, problems=problems,
                                               interrupted=False)))
    assert report["board"] == "mps2_an505" and report["passed"] is False
    assert report["metrics"]["accuracy"] == 4 / 7
    assert report["clips"][2]["predicted"] == "silence" and report["clips"][2]["correct"] is False
    assert report["clips"][7]["false_accepts"] == [{"time_ms": 1000, "class": "yes", "score": 200},
                                                   {"time_ms": 3000, "class": "no", "score": 210}]
    assert report["skipped"] == [{"file": "x.wav", "reason": "why"}]
    text = "\n".join(summary_lines(m, title="t", problems=problems, interrupted=False,
                                   skipped=[]))
    assert "accuracy 57.1 % (4/7 clips; host pipeline alone 71.4 %)" in text
    assert "4.00 per hour" in text and "median 225 ms, 95th percentile 248 ms" in text
    assert "FAIL: accuracy 0.5714 is below --min-accuracy 0.9" in text
    png = write_confusion_png(m, tmp_path / "c.png", title="t")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
