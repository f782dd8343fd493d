"""`fwgen test --emulate` on the L4 and H7 boards: each runs on its own twin (B-L475E-IOT01A on
the Cortex-M4F mps2-an386, NUCLEO-H743ZI on the Cortex-M7 mps2-an500), both commands at once,
and a tiny labelled folder scores with zero host/device differences on each."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "models" / "micro_speech" / "samples"
BOARDS = {"b_l475e_iot01a": ("mps2_an386", "cortex-m4"), "nucleo_h743zi": ("mps2_an500", "cortex-m7")}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("l4h7") / "ds"
    for label, wav in (("yes", "yes_0.wav"), ("no", "no_0.wav")):
        (root / label).mkdir(parents=True)
        shutil.copy(SAMPLES / wav, root / label / wav)
    return root


def test_the_l4_and_h7_twins_score_in_parallel(dataset, tmp_path):
    runs = {}
    for board in BOARDS:
        argv = [sys.executable, "-m", "fwgen", "test", "--board", board, "--emulate",
                "--dataset", str(dataset), "--out", str(tmp_path / board),
                "--report", str(tmp_path / f"{board}.json"), "--min-accuracy", "1.0"]
        runs[board] = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True)
    results = {board: (proc, *proc.communicate(timeout=900)) for board, proc in runs.items()}
    for board, (proc, out, err) in results.items():
        twin, core = BOARDS[board]
        assert proc.returncode == 0, f"{board}:\n{out}\n{err}"
        assert f"{board} runs on its emulator twin {twin}" in err
        report = json.loads((tmp_path / f"{board}.json").read_text())
        m = report["metrics"]
        assert report["board"] == twin and m["clips"] == 2 and m["accuracy"] == 1.0
        assert m["clips_with_differences"] == 0
        assert all(c["differences"] == [] and c["stats"]["audio_lost"] == 0
                   for c in report["clips"])
        assert m["cycles"]["unit"] == "instructions" and m["cycles"]["inference_per_inference"] > 0
    # the cores differ, so do their instruction counts: each twin ran its own build
    per_inference = {b: json.loads((tmp_path / f"{b}.json").read_text())["metrics"]["cycles"]
                     ["inference_per_inference"] for b in BOARDS}
    assert len(set(per_inference.values())) == 2, per_inference
