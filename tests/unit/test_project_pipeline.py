"""Pieces of the app's semantics that the host reference and `fwgen run` share, and CLI parsing."""
from __future__ import annotations

import numpy as np
import pytest

from fwgen.cli.options import parse_smoothing
from fwgen.errors import FwgenError
from fwgen.deploy import pad_clip
from fwgen.deploy.reference import frame_time_ms, inference_frames
from fwgen.project.size import overflow_from_linker


@pytest.mark.parametrize("total,window,stride,expected", [
    (49, 49, 1, [48]),
    (48, 49, 1, []),
    (52, 49, 1, [48, 49, 50, 51]),
    (60, 49, 4, [48, 52, 56]),
    (99, 49, 25, [48, 73, 98]),
])
def test_inference_frames(total, window, stride, expected):
    assert inference_frames(total, window, stride) == expected


def test_inference_stride_must_be_positive():
    with pytest.raises(FwgenError, match="stride"):
        inference_frames(10, 5, 0)


def test_frame_time():
    # micro_speech: 30 ms windows every 20 ms at 16 kHz: frame f ends at 20 f + 30 ms
    assert [frame_time_ms(f, 480, 320, 16000) for f in (0, 1, 48)] == [30, 50, 990]
    assert frame_time_ms(1, 400, 160, 16000) == 35      # integer division, as the firmware


def test_pad_clip_reflects_edges():
    """--pad reflect (the default is the clip's noise floor: tests/unit/test_padding.py)."""
    x = np.arange(1, 6, dtype=np.int16)
    assert pad_clip(x, 2, "reflect").tolist() == [3, 2, 1, 2, 3, 4, 5, 4, 3]
    assert pad_clip(x, 2, "zeros").tolist() == [0, 0, 1, 2, 3, 4, 5, 0, 0]
    assert pad_clip(x, 0).tolist() == x.tolist()
    assert pad_clip(x, 12, "reflect").size == 5 + 24      # longer than the clip still works
    assert pad_clip(x, 12).size == 5 + 24
    assert pad_clip(x, 2, "reflect").dtype == np.int16 and pad_clip(x, 2).dtype == np.int16
    with pytest.raises(FwgenError, match="unknown padding"):
        pad_clip(x, 2, "noise")


def test_parse_smoothing():
    assert parse_smoothing(None) == {}
    assert parse_smoothing(["minimum_count=1,suppression_ms=500", "detection_threshold=200"]) == \
        {"minimum_count": 1, "suppression_ms": 500, "detection_threshold": 200}
    assert parse_smoothing(['{"minimum_count": 2}']) == {"minimum_count": 2}
    assert parse_smoothing(["ignored_classes=silence+unknown"]) == \
        {"ignored_classes": ["silence", "unknown"]}
    with pytest.raises(FwgenError, match="KEY=VALUE"):
        parse_smoothing(["minimum_count"])
    with pytest.raises(FwgenError, match="must be an integer"):
        parse_smoothing(["minimum_count=many"])


def test_overflow_parsing():
    text = ("ld: firmware.elf section `.stack' will not fit in region `RAM'\n"
            "ld: region `RAM' overflowed by 11016 bytes\n")
    assert overflow_from_linker(text) == {"RAM": 11016}
    assert overflow_from_linker("all good") == {}


def test_build_cli_rejects_unknown_board(capsys):
    from fwgen.cli import main

    assert main(["build", "--model", "micro_speech", "--board", "esp32"]) == 2
    assert "unknown board 'esp32'" in capsys.readouterr().err


def test_run_cli_checks_files_first(capsys, tmp_path):
    from fwgen.cli import main

    assert main(["run", "--board", "mps2_an505", str(tmp_path / "missing.wav")]) == 2
    assert "audio file not found" in capsys.readouterr().err


def _device_copy(ref, *, feature_delta=0, logit_delta=0, drop_detection=False):
    """A StreamResult carrying what a device would send for `ref` (optionally perturbed)."""
    from fwgen.link import Detection, Features, Logits, StreamResult

    result = StreamResult(hello=None, samples_sent=0)
    for i, row in enumerate(ref.features):
        row = row.copy()
        if i == 2:
            row[5] += feature_delta
        result.add(Features(frame_index=i, dtype=0, data=row.astype("<u2").tobytes()))
    for i, (frame, row) in enumerate(zip(ref.logit_frames, ref.logits)):
        values = [int(v) for v in row]
        if i == 1:
            values[0] += logit_delta
        result.add(Logits(inference_index=i, frame_index=frame, values=tuple(values)))
    for e in ref.detections[:len(ref.detections) - int(drop_detection)]:
        result.add(Detection(inference_index=e.inference_index, frame_index=e.frame_index,
                             time_ms=e.time_ms, class_index=e.class_index, score=e.score))
    return result


def test_stage_differences_names_the_stage_that_differs():
    from fwgen.deploy.reference import Event, ReferenceResult, stage_differences

    rng = np.random.default_rng(4)
    ref = ReferenceResult(features=rng.integers(0, 600, (6, 8)).astype(np.uint16),
                          logits=rng.integers(-128, 100, (3, 4)).astype(np.int8),
                          logit_frames=[3, 4, 5], detections=[Event(2, 5, 180, 1, 200)])
    assert stage_differences(_device_copy(ref), ref) == []
    problems = stage_differences(_device_copy(ref, feature_delta=1), ref)
    assert len(problems) == 1 and problems[0].startswith("features: 1 values differ, first at (2, 5)")
    problems = stage_differences(_device_copy(ref, logit_delta=1), ref)
    assert len(problems) == 1 and problems[0].startswith("logits: 1 values differ, first at (1, 0)")
    problems = stage_differences(_device_copy(ref, drop_detection=True), ref)
    assert len(problems) == 1 and problems[0].startswith("detections")
    short = _device_copy(ref)
    short.features.pop()
    assert stage_differences(short, ref)[0].startswith("features: device sent frames")


def test_build_stride_and_smoothing_options_reach_the_generated_config():
    """`fwgen build --stride 3 --smoothing minimum_count=1,suppression_ms=700` ends up in the
    app configuration and the detector configuration the firmware is compiled with."""
    from fwgen.deploy import DeployOptions, prepare
    from fwgen.zoo import resolve_model

    source = resolve_model("micro_speech")
    default = prepare(source, DeployOptions())
    custom = prepare(source, DeployOptions(stride=3, smoothing=parse_smoothing(
        ["minimum_count=1,suppression_ms=700"])))
    assert default.stride == 1 and custom.stride == 3
    assert "#define FWGEN_APP_STRIDE_FRAMES   1u" in default.files["app_config.h"]
    assert "#define FWGEN_APP_STRIDE_FRAMES   3u" in custom.files["app_config.h"]
    assert (default.smoothing.minimum_count, default.smoothing.suppression_ms) != (1, 700)
    assert (custom.smoothing.minimum_count, custom.smoothing.suppression_ms) == (1, 700)
    detect_c = [text for name, text in custom.files.items() if name.startswith("detect") and name.endswith(".c")]
    assert len(detect_c) == 1
    assert ".minimum_count = 1," in detect_c[0] and ".suppression_ms = 700u," in detect_c[0]
    assert custom.inputs["stride"] == "3"


def test_clip_report_summarises_features_and_logits():
    from pathlib import Path

    from fwgen.cli.run_cmd import clip_lines
    from fwgen.run import ClipReport

    report = ClipReport(path=Path("a.wav"), board="mps2_an505", classes=("silence", "yes", "no"),
                        pad_ms=0, detections=[{"time_ms": 740, "class": "yes", "score": 201}],
                        features=np.array([[0, 7], [653, 2]], dtype=np.uint16),
                        logits=np.array([[5, -3, 1], [-9, 40, 2], [-9, 41, 2]], dtype=np.int8))
    assert clip_lines(report) == [
        "a.wav:",
        "     740 ms  yes          score 201",
        "  features  2 frames x 2 values (uint16), min 0 max 653",
        "  logits    3 inferences; top class: silence 1, yes 2",
    ]
    data = report.as_dict()
    assert data["features"] == [[0, 7], [653, 2]] and data["logits"][1] == [-9, 40, 2]
