"""`fwgen test` end to end without an emulator: the device is a stand-in that sends back what
the host pipeline computes for the same stream (optionally with a planted difference), so exit
codes, floors, the reports and Ctrl-C are checked in seconds. The emulator tier runs the same
verb on a real twin (tests/emu/test_hil_twin.py)."""
from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from dataclasses import fields
from pathlib import Path
from types import SimpleNamespace

import pytest

import fwgen.run
from fwgen.cli import main
from fwgen.cli import test_cmd as verb
from fwgen.deploy import DeployOptions, prepare, run_reference
from fwgen.errors import FwgenError
from fwgen.zoo import resolve_model
from fwgen.link import Detection, Features, Log, Logits, Stats, StreamResult

SAMPLES = Path(__file__).resolve().parents[2] / "models" / "micro_speech" / "samples"
_REFERENCES: dict[bytes, object] = {}     # the host pipeline per stream, computed once


def reference(samples, deployment):
    key = samples.tobytes()
    if key not in _REFERENCES:
        _REFERENCES[key] = run_reference(samples, deployment)
    return _REFERENCES[key]


@pytest.fixture(scope="module")
def deployment():
    return prepare(resolve_model("micro_speech"), DeployOptions())


class MirrorDevice:
    """Answers each stream with the host pipeline's own results; `plant` = (clip number,
    inference, class) bumps one logit there; `interrupt_at` raises Ctrl-C at that clip."""

    description = "mirror"

    def __init__(self, deployment, plant=None, interrupt_at=None, model_hash=None, fail_at=None):
        self.deployment, self.plant, self.interrupt_at = deployment, plant, interrupt_at
        self.fail_at = fail_at
        self.model_hash = model_hash or bytes.fromhex(deployment.source.sha256)[:8]
        self.streams = 0
        self.closed = False

    def stream(self, samples, *, outputs, timeout=60.0):
        if self.streams == self.interrupt_at:
            raise KeyboardInterrupt
        if self.streams == self.fail_at:
            raise FwgenError("the firmware stopped: QEMU exited with status 1")
        ref = reference(samples, self.deployment)
        hello = SimpleNamespace(model_hash=self.model_hash, n_channels=ref.features.shape[1],
                                n_classes=len(self.deployment.classes))
        result = StreamResult(hello=hello, samples_sent=int(samples.size))
        for i, row in enumerate(ref.features):
            result.add(Features(i, 0, row.astype("<u2").tobytes()))
        logits = ref.logits.copy()
        if self.plant and self.plant[0] == self.streams:
            logits[self.plant[1], self.plant[2]] += 1
        for i, (frame, row) in enumerate(zip(ref.logit_frames, logits)):
            result.add(Logits(i, frame, tuple(int(v) for v in row)))
        for e in ref.detections:
            result.add(Detection(e.inference_index, e.frame_index, e.time_ms, e.class_index, e.score))
        result.add(Log(0, "stack 1200/16384 bytes"))
        result.add(Stats(**{**{f.name: 0 for f in fields(Stats)}, "frames": len(ref.features),
                            "inferences": len(logits), "cycle_unit": 2,
                            "inference_cycles": 1000 * len(logits)}))
        self.streams += 1
        return result

    def close(self):
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@pytest.fixture
def dataset(tmp_path):
    root = tmp_path / "ds"
    for label, names in {"yes": ["yes_0", "yes_1"], "no": ["no_0", "no_1"],
                         "silence": ["silence_0"], "_background_noise_": ["noise_0"]}.items():
        (root / label).mkdir(parents=True)
        for name in names:
            shutil.copy(SAMPLES / f"{name}.wav", root / label / f"{name}.wav")
    return root


@pytest.fixture
def device(monkeypatch, deployment):
    made = {}
    monkeypatch.setattr(fwgen.run, "twin_deployment", lambda **kwargs: deployment)

    def install(**kwargs):
        def fake_open(args, target, deployment):
            made["device"] = MirrorDevice(deployment, **kwargs)
            return made["device"]
        monkeypatch.setattr(verb.TestCommand, "_open", staticmethod(fake_open))
        return made
    return install


def run(dataset, tmp_path, *extra):
    return main(["test", "--board", "mps2_an505", "--emulate", "--dataset", str(dataset),
                 "--report", str(tmp_path / "r.json"), "--junit", str(tmp_path / "j.xml"),
                 "--no-progress", *extra])


def test_a_bit_exact_device_passes_with_every_report(dataset, tmp_path, device, capsys):
    made = device()
    code = run(dataset, tmp_path, "--confusion-png", str(tmp_path / "c.png"),
               "--min-accuracy", "1.0", "--max-false-accepts-per-hour", "0")
    out = capsys.readouterr().out
    assert code == 0, out
    assert made["device"].closed
    report = json.loads((tmp_path / "r.json").read_text())
    m = report["metrics"]
    assert report["passed"] and m["accuracy"] == m["host_accuracy"] == 1.0
    assert (m["clips"], m["negative_streams"], m["clips_with_differences"]) == (5, 1, 0)
    assert m["stack"] == {"used": 1200, "size": 16384} and m["cycles"]["unit"] == "instructions"
    cases = ET.parse(tmp_path / "j.xml").getroot().find("testsuite").findall("testcase")
    assert sorted(c.attrib["name"] for c in cases) == [
        "_background_noise_/noise_0.wav", "no/no_0.wav", "no/no_1.wav", "silence/silence_0.wav",
        "yes/yes_0.wav", "yes/yes_1.wav"]
    assert not any(c.find("failure") is not None for c in cases)
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
    assert "host/device differences: none" in out and "PASS" in out


def test_a_planted_difference_exits_1_naming_stage_clip_and_index(dataset, tmp_path, device, capsys):
    device(plant=(2, 5, 3))                     # third clip (no/no_1.wav), inference 5, class "no"
    assert run(dataset, tmp_path) == 1
    out = capsys.readouterr().out
    assert "FAIL: 1 clip(s) differ between host and device; first: no/no_1.wav: logits: 1 values " \
           "differ, first at (5, 3)" in out
    case = [c for c in ET.parse(tmp_path / "j.xml").getroot().iter("testcase")
            if c.attrib["name"] == "no/no_1.wav"][0]
    assert case.find("failure").attrib["type"] == "host-device-difference"


def test_a_missed_floor_exits_1(dataset, tmp_path, device, capsys):
    device()
    shutil.move(dataset / "yes" / "yes_1.wav", dataset / "no" / "yes_1.wav")   # mislabelled
    assert run(dataset, tmp_path, "--min-accuracy", "0.9") == 1
    out = capsys.readouterr().out
    assert "FAIL: accuracy 0.8000 is below --min-accuracy 0.9" in out
    assert json.loads((tmp_path / "r.json").read_text())["metrics"]["accuracy"] == 0.8
    assert run(dataset, tmp_path, "--min-accuracy", "0.8") == 0


def test_ctrl_c_writes_a_partial_report_and_closes_the_device(dataset, tmp_path, device, capsys):
    made = device(interrupt_at=2)
    assert run(dataset, tmp_path) == 130
    assert made["device"].closed
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["interrupted"] and not report["passed"] and len(report["clips"]) == 2
    assert len(list(ET.parse(tmp_path / "j.xml").getroot().iter("testcase"))) == 2
    assert "interrupted" in capsys.readouterr().err


def test_an_error_mid_run_writes_a_partial_report_and_exits_2(dataset, tmp_path, device, capsys):
    made = device(fail_at=3)
    assert run(dataset, tmp_path) == 2
    assert made["device"].closed
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["interrupted"] and len(report["clips"]) == 3
    assert report["stopped_by"] == "stopped by an error (the firmware stopped: QEMU exited with status 1)"
    captured = capsys.readouterr()
    assert "stopped by an error" in captured.out and "QEMU exited with status 1" in captured.err


def test_the_progress_bar_shows_real_time_factor_and_time_left():
    progress = verb._Progress(2, 4.0, bar=True)
    clip = SimpleNamespace(duration_s=2.0, differences=[], negative=False, correct=True,
                           label="yes", predicted="yes", name="yes/a.wav")
    with progress:
        progress.advance(clip)
        info = progress.bar.tasks[0].fields["info"]
    assert progress.bar.tasks[0].completed == 1
    assert "x real time" in info and "s left" in info


def test_bad_files_are_named_and_strict_refuses_them(dataset, tmp_path, device, capsys):
    device()
    (dataset / "no" / "broken.wav").write_bytes(b"RIFF....")
    assert run(dataset, tmp_path) == 0
    err = capsys.readouterr().err
    assert "skipped no/broken.wav: cannot read audio" in err and "Traceback" not in err
    skipped = [c for c in ET.parse(tmp_path / "j.xml").getroot().iter("testcase")
               if c.find("skipped") is not None]
    assert [c.attrib["name"] for c in skipped] == ["no/broken.wav"]
    assert run(dataset, tmp_path, "--strict") == 2
    assert "no/broken.wav" in capsys.readouterr().err


def test_another_model_on_the_device_is_refused(dataset, tmp_path, device, capsys):
    device(model_hash=b"\x00" * 8)
    assert run(dataset, tmp_path) == 2
    assert "the device runs model 0000000000000000, not micro_speech" in capsys.readouterr().err


@pytest.mark.parametrize("extra, message", [
    ([], "give either --emulate (the twin) or --serial PORT"),
    (["--emulate", "--serial", "socket://x:1"], "give either --emulate"),
    (["--emulate", "--min-accuracy", "1.5"], "--min-accuracy: must be 0..1"),
    (["--emulate", "--max-false-accepts-per-hour", "-1"], "must be >= 0"),
])
def test_option_errors(dataset, extra, message, capsys):
    assert main(["test", "--board", "mps2_an505", "--dataset", str(dataset), *extra]) == 2
    assert message in capsys.readouterr().err


def test_a_false_accept_floor_needs_negative_streams(dataset, capsys):
    shutil.rmtree(dataset / "_background_noise_")
    assert main(["test", "--board", "mps2_an505", "--emulate", "--dataset", str(dataset),
                 "--max-false-accepts-per-hour", "2"]) == 2
    assert "no negative streams" in capsys.readouterr().err
