"""`fwgen test` on the M33 twin: a labelled folder made of the micro_speech samples scores with
zero host/device differences, the accuracy the host pipeline alone gives, a JUnit file with one
case per clip and exit 0; a floor above the accuracy gives exit 1; Ctrl-C leaves a partial
report and no QEMU."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from fwgen.audio import read_wav
from fwgen.deploy import DEFAULT_PAD_MODE, DeployOptions, default_pad, pad_clip, prepare, run_reference
from fwgen.hil import Hit, predicted_label
from fwgen.zoo import resolve_model

SAMPLES = Path(__file__).resolve().parents[2] / "models" / "micro_speech" / "samples"
LABELS = {"yes": "yes", "no": "no", "silence": "silence", "noise": "_background_noise_"}


def fwgen(*args: str) -> list[str]:
    return [sys.executable, "-m", "fwgen", *args]


def qemu_processes(marker: str) -> list[str]:
    out = subprocess.run(["ps", "-ww", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if "qemu-system-arm" in line and marker in line]


def make_dataset(root: Path, relabel: dict[str, str] | None = None) -> Path:
    """The samples in label folders by their names (yes_0.wav -> yes/), noise as background."""
    for wav in sorted(SAMPLES.glob("*.wav")):
        label = (relabel or {}).get(wav.stem, LABELS[wav.stem.split("_")[0]])
        (root / label).mkdir(parents=True, exist_ok=True)
        shutil.copy(wav, root / label / wav.name)
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hil") / "proj"


def host_accuracy(dataset: Path) -> tuple[float, dict[str, list[Hit]]]:
    """The host pipeline alone (no device): accuracy by the same rule, and each clip's hits."""
    deployment = prepare(resolve_model("micro_speech"), DeployOptions())
    pad = default_pad(deployment.frontend, deployment.n_frames)
    pad_ms = pad * 1000 // deployment.frontend.sample_rate
    right = total = 0
    hits = {}
    for wav in sorted(dataset.rglob("*.wav")):
        label = wav.parent.name
        ref = run_reference(pad_clip(read_wav(wav), pad, DEFAULT_PAD_MODE), deployment)
        name = wav.relative_to(dataset).as_posix()
        hits[name] = [Hit(e.time_ms - pad_ms, deployment.classes[e.class_index], e.score)
                      for e in ref.detections]
        if label != "_background_noise_":
            total += 1
            right += predicted_label(hits[name], deployment.classes, label) == label
    return right / total, hits


def test_the_twin_scores_like_the_host_pipeline(project, tmp_path):
    dataset = make_dataset(tmp_path / "ds")
    proc = subprocess.run(
        fwgen("test", "--board", "mps2_an505", "--emulate", "--dataset", str(dataset),
              "--out", str(project), "--report", str(tmp_path / "r.json"),
              "--junit", str(tmp_path / "j.xml"), "--max-false-accepts-per-hour", "3600"),
        capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    m = report["metrics"]
    assert m["clips_with_differences"] == 0 and all(c["differences"] == [] for c in report["clips"])
    accuracy, hits = host_accuracy(dataset)
    assert m["accuracy"] == m["host_accuracy"] == accuracy
    assert {c["file"]: c["detections"] for c in report["clips"]} == \
        {name: [h.as_dict() for h in found] for name, found in hits.items()}
    assert m["cycles"]["unit"] == "instructions" and m["cycles"]["inference_per_inference"] > 0
    assert 0 < m["stack"]["used"] < m["stack"]["size"]
    assert m["negative_streams"] == 1 and m["false_accepts_per_hour"] is not None
    suite = ET.parse(tmp_path / "j.xml").getroot().find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == int(suite.attrib["tests"]) == len(list(SAMPLES.glob("*.wav")))
    assert sorted(c.attrib["name"] for c in cases) == sorted(hits)
    assert "host/device differences: none" in proc.stdout
    assert not qemu_processes(str(project))


def test_a_floor_above_the_accuracy_exits_1(project, tmp_path):
    dataset = make_dataset(tmp_path / "ds", relabel={"yes_1": "no"})
    for wav in dataset.rglob("*.wav"):                 # two clips are enough
        if wav.stem not in ("yes_0", "yes_1"):
            wav.unlink()
    proc = subprocess.run(
        fwgen("test", "--board", "mps2_an505", "--emulate", "--dataset", str(dataset),
              "--out", str(project), "--min-accuracy", "0.75"),
        capture_output=True, text=True, timeout=900)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "accuracy 50.0 % (1/2 clips; host pipeline alone 50.0 %)" in proc.stdout
    assert "FAIL: accuracy 0.5000 is below --min-accuracy 0.75" in proc.stdout


def test_ctrl_c_leaves_a_partial_report_and_no_emulator(project, tmp_path):
    """Two twins in parallel (--jobs 2), interrupted once the first clip is scored: both QEMUs
    go, and the report holds the clips scored by then."""
    dataset = tmp_path / "ds"
    (dataset / "yes").mkdir(parents=True)
    for i in range(200):
        shutil.copy(SAMPLES / "yes_0.wav", dataset / "yes" / f"yes_{i:03}.wav")
    proc = subprocess.Popen(
        fwgen("test", "--board", "mps2_an505", "--emulate", "--jobs", "2", "--dataset",
              str(dataset), "--out", str(project), "--report", str(tmp_path / "r.json")),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in proc.stderr:                         # progress: one line per clip
            lines.append(line)
            if line.startswith("[1/200]"):
                break
        assert len(qemu_processes(str(project))) == 2, "".join(lines)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, out + err
    finally:
        if proc.poll() is None:
            proc.kill()
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["interrupted"] and 1 <= len(report["clips"]) < 200
    assert "interrupted" in err
    time.sleep(0.5)
    assert not qemu_processes(str(project))


def test_a_twin_that_dies_stops_the_others_with_a_partial_report(project, tmp_path):
    """One of two parallel twins killed mid-run: fwgen test names the failure, exits 2 after
    writing the clips scored so far, and the other QEMU is stopped too."""
    dataset = tmp_path / "ds"
    (dataset / "no").mkdir(parents=True)
    for i in range(200):
        shutil.copy(SAMPLES / "no_0.wav", dataset / "no" / f"no_{i:03}.wav")
    proc = subprocess.Popen(
        fwgen("test", "--board", "mps2_an505", "--emulate", "--jobs", "2", "--dataset",
              str(dataset), "--out", str(project), "--report", str(tmp_path / "r.json")),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:
            if line.startswith("[1/200]"):
                break
        victim = qemu_processes(str(project))[0]
        os.kill(int(victim.split()[0]), signal.SIGKILL)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 2, out + err
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "QEMU exited" in err or "closed" in err, err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["interrupted"] and 1 <= len(report["clips"]) < 200
    assert not qemu_processes(str(project))


def test_a_board_on_a_serial_url_scores_the_same(project, tmp_path):
    """--serial: the firmware already running (here the twin, its UART on a TCP port, as a board
    farm's network serial port would be), reached by URL; nothing is built or flashed."""
    from fwgen.boards import get_board
    from fwgen.run import twin_deployment, twin_firmware
    from fwgen.runners.qemu import QemuRunner

    twin = get_board("mps2_an505")
    elf = twin_firmware(twin_deployment(model="micro_speech", twin=twin), twin, out=project)
    dataset = make_dataset(tmp_path / "ds")
    for wav in dataset.rglob("*.wav"):
        if wav.stem not in ("yes_0", "no_0"):
            wav.unlink()
    session = QemuRunner(twin).emulate(elf, connect=False)
    try:
        url = f"socket://127.0.0.1:{session.port}"
        proc = subprocess.run(
            fwgen("test", "--board", "mps2_an505", "--serial", url, "--dataset", str(dataset),
                  "--report", str(tmp_path / "r.json")),
            capture_output=True, text=True, timeout=600)
    finally:
        session.close()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["device"] == url and report["metrics"]["clips_with_differences"] == 0
    assert report["metrics"]["accuracy"] == 1.0


def _tampered_model_c(text: str) -> str:
    """model.c with the first weight of the fully connected layer (op2_weights) changed."""
    import re

    head = re.search(r"static const int8_t op2_weights\[[^\]]*\][^=]*=\s*\{\s*", text)
    assert head, "no op2_weights in model.c"
    value = re.match(r"-?\d+", text[head.end():])
    old = int(value.group(0))
    new = -100 if old > 0 else 100
    return text[:head.end()] + str(new) + text[head.end() + value.end():]


def test_a_planted_weight_difference_exits_1_naming_stage_clip_and_index(tmp_path):
    """The device runs a model with one weight changed, the host the real one: fwgen test fails
    and names the first differing stage (logits: features are unchanged), the clip and index."""
    from dataclasses import replace

    from fwgen.boards import get_board
    from fwgen.project.build import build_firmware
    from fwgen.runners.qemu import QemuRunner

    twin = get_board("mps2_an505")
    deployment = prepare(resolve_model("micro_speech"), DeployOptions())
    files = dict(deployment.files, **{"model.c": _tampered_model_c(deployment.files["model.c"])})
    elf = build_firmware(replace(deployment, files=files), twin, tmp_path / "tampered",
                         include_twin=False, envs=(twin.id,)).elf(twin.id)
    dataset = tmp_path / "ds"
    (dataset / "yes").mkdir(parents=True)
    shutil.copy(SAMPLES / "yes_0.wav", dataset / "yes" / "yes_0.wav")
    session = QemuRunner(twin).emulate(elf, connect=False)
    try:
        proc = subprocess.run(
            fwgen("test", "--board", "mps2_an505", "--serial", f"socket://127.0.0.1:{session.port}",
                  "--dataset", str(dataset), "--junit", str(tmp_path / "j.xml")),
            capture_output=True, text=True, timeout=600)
    finally:
        session.close()
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL: 1 clip(s) differ between host and device; first: yes/yes_0.wav: logits: " \
           in proc.stdout
    assert "first at (" in proc.stdout and "features:" not in proc.stdout
    case = ET.parse(tmp_path / "j.xml").getroot().find("testsuite").find("testcase")
    assert case.find("failure").attrib["type"] == "host-device-difference"
