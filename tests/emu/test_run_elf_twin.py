"""`fwgen run --elf FILE` runs a firmware ELF that was built elsewhere on a twin: the same
detections, bit for bit, as the host pipeline on the stream fwgen run sends; an ELF for another
twin is refused (by its flash region before QEMU starts, by its HELLO when the memory maps
agree)."""
from __future__ import annotations

import json
import subprocess
import sys


def fwgen(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fwgen", *args], capture_output=True, text=True,
                          timeout=600)


def test_a_built_elf_runs_without_a_build(twin_elf, shared_data, reference, deployment):
    clips = shared_data / "micro_speech"
    proc = fwgen("run", "--board", "mps2_an505", "--elf", str(twin_elf("mps2_an505")), "--json",
                 str(clips / "yes_1000ms.wav"), str(clips / "no_1000ms.wav"))
    assert proc.returncode == 0, proc.stderr
    assert "building" not in proc.stderr
    reports = [json.loads(line) for line in proc.stdout.splitlines()]
    for report, name in zip(reports, ("yes", "no")):
        ref = reference(name)
        got = [(d["inference_index"], d["frame_index"], d["stream_time_ms"], d["class_index"],
                d["score"]) for d in report["detections"]]
        assert got == [(e.inference_index, e.frame_index, e.time_ms, e.class_index, e.score)
                       for e in ref.detections]
        assert [d["class"] for d in report["detections"]] == [name]
        assert report["stats"]["inferences"] == ref.logits.shape[0]


def test_an_elf_for_another_twin_is_refused(twin_elf, shared_data):
    wav = str(shared_data / "micro_speech" / "yes_1000ms.wav")
    proc = fwgen("run", "--board", "mps2_an386", "--elf", str(twin_elf("mps2_an505")), wav)
    assert proc.returncode == 2 and "outside mps2_an386's flash" in proc.stderr
    proc = fwgen("run", "--board", "mps2_an500", "--elf", str(twin_elf("mps2_an386")), wav)
    assert proc.returncode == 2, proc.stderr
    assert "the firmware reports board 'mps2_an386', not mps2_an500" in proc.stderr
    assert "--board mps2_an386" in proc.stderr
