"""`fwgen run` says which setting let one class be reported twice in a clip
(fwgen.detect.repeat_detection_notes), under the clip's detections and in --json."""
from __future__ import annotations

import json
from pathlib import Path

from fwgen.cli.run_cmd import clip_lines, clip_notes, report_json
from fwgen.detect import SmoothingSettings, repeat_detection_notes
from fwgen.run import ClipReport

MLTK = SmoothingSettings(average_window_duration_ms=1000, detection_threshold=160,
                         suppression_ms=750, minimum_count=3)


def _report(smoothing, detections) -> ClipReport:
    return ClipReport(path=Path("up.wav"), board="mps2_an505", classes=("up", "down"), pad_ms=0,
                      detections=[{"time_ms": t, "class": c, "score": 200} for t, c in detections],
                      smoothing=smoothing, input_ms=1000)


def test_a_repeated_word_gets_the_note_that_names_the_setting():
    report = _report(MLTK, [(480, "up"), (1240, "up")])
    expected = repeat_detection_notes(report.detections, MLTK, input_ms=1000)
    assert expected and "suppression_ms" in expected[0]
    assert clip_notes(report) == expected
    lines = clip_lines(report)
    assert lines[:3] == ["up.wav:", "     480 ms  up           score 200",
                         "    1240 ms  up           score 200"]
    assert lines[3] == f"  note: {expected[0]}"
    assert json.loads(report_json(report))["notes"] == expected


def test_no_note_without_a_repeat_or_without_known_settings():
    assert clip_notes(_report(MLTK, [(480, "up"), (1240, "down")])) == []
    unknown = _report(None, [(480, "up"), (1240, "up")])    # --elf: the build's settings unknown
    assert clip_notes(unknown) == [] and not any("note" in line for line in clip_lines(unknown))
    assert "notes" not in json.loads(report_json(_report(MLTK, [(480, "up")])))


def test_run_reports_carry_the_detector_settings_and_the_input_window():
    from fwgen.deploy import DeployOptions, prepare
    from fwgen.link import Detection, Hello, StreamResult
    from fwgen.link.messages import FeatureDtype
    from fwgen.run.clips import _report as make_report
    from fwgen.zoo import resolve_model

    deployment = prepare(resolve_model("micro_speech"), DeployOptions())
    hello = Hello(0, 3, 1, 0, 7, 1024, 4096, bytes(8), "mps2_an505", 16000, 480, 320, 40, 49, 1,
                  4, FeatureDtype.INT8, 2, "silence\nunknown\nyes\nno")
    result = StreamResult(hello=hello, samples_sent=0)
    result.add(Detection(10, 58, 1030, 2, 240))
    report = make_report(Path("y.wav"), "mps2_an505", 495, result, False, False,
                         smoothing=deployment.smoothing, input_ms=990)
    assert report.smoothing is deployment.smoothing and report.input_ms == 990
    assert report.detections[0]["time_ms"] == 535
