"""`fwgen run` end to end as a user runs it, and Ctrl-C in the middle leaves no QEMU behind."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time


def fwgen(*args: str) -> list[str]:
    return [sys.executable, "-m", "fwgen", *args]


def qemu_processes(marker: str) -> list[str]:
    out = subprocess.run(["ps", "-ww", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if "qemu-system-arm" in line and marker in line]


def test_run_prints_detections_as_json(shared_data, repo_root, tmp_path):
    clips = shared_data / "micro_speech"
    proc = subprocess.run(
        fwgen("run", "--board", "stm32h7", "--model", str(clips / "micro_speech_quantized.tflite"),
              "--settings", str(repo_root / "models" / "micro_speech" / "model.yaml"),
              "--out", str(tmp_path / "proj"), "--json", "--html", str(tmp_path / "run.html"),
              str(clips / "yes_1000ms.wav"), str(clips / "no_1000ms.wav")),
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "runs on its emulator twin mps2_an500" in proc.stderr
    reports = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [[d["class"] for d in r["detections"]] for r in reports] == [["yes"], ["no"]]
    assert all(r["board"] == "mps2_an500" and r["stats"]["cycle_unit"] == 2 for r in reports)
    assert all(0 <= r["detections"][0]["time_ms"] <= 1000 for r in reports)
    assert not qemu_processes(str(tmp_path))
    # --html: the page of what the M7 twin computed, every stage of both clips equal to the host's
    page = (tmp_path / "run.html").read_text()
    assert page.count('<article class="clip"') == 2 and page.count("<img ") == 2
    assert page.count("<audio ") == 2 and page.count("bit-exact with the host") == 6


def test_ctrl_c_leaves_no_emulator(shared_data, repo_root, tmp_path):
    clips = shared_data / "micro_speech"
    wav = str(clips / "yes_1000ms.wav")
    proc = subprocess.Popen(
        fwgen("run", "--board", "mps2_an505", "--model", str(clips / "micro_speech_quantized.tflite"),
              "--settings", str(repo_root / "models" / "micro_speech" / "model.yaml"),
              "--out", str(tmp_path / "proj"), *[wav] * 8),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not qemu_processes(str(tmp_path)):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.2)
        assert qemu_processes(str(tmp_path)), "QEMU never started"
        time.sleep(1.0)                                   # mid-stream
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        assert "interrupted" in err
    finally:
        if proc.poll() is None:
            proc.kill()
    time.sleep(0.5)
    assert not qemu_processes(str(tmp_path))


def test_an_error_mid_stream_leaves_no_emulator(shared_data, repo_root, tmp_path):
    """A firmware that stops answering in time (here: a 50 ms timeout) is a clear exit-2 error,
    and QEMU is gone afterwards."""
    clips = shared_data / "micro_speech"
    proc = subprocess.run(
        fwgen("run", "--board", "mps2_an505", "--model", str(clips / "micro_speech_quantized.tflite"),
              "--settings", str(repo_root / "models" / "micro_speech" / "model.yaml"),
              "--out", str(tmp_path / "proj"), "--timeout", "0.05", str(clips / "yes_1000ms.wav")),
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "fwgen run: error:" in proc.stderr
    time.sleep(0.5)
    assert not qemu_processes(str(tmp_path))


def test_a_repeated_detection_says_which_setting_allowed_it(repo_root, tmp_path):
    """suppression_ms 300 ms (the model's is 1500) lets one spoken yes be reported several
    times: fwgen run prints, under the clip, a note per repeat naming suppression_ms."""
    wav = repo_root / "models" / "micro_speech" / "samples" / "yes_0.wav"
    argv = ["run", "--board", "mps2_an505", "--model", "micro_speech", "--out", str(tmp_path / "p"),
            "--smoothing", "suppression_ms=300,minimum_count=1"]
    proc = subprocess.run(fwgen(*argv, str(wav)), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    detections = [line for line in proc.stdout.splitlines() if " ms  yes " in line]
    notes = [line for line in proc.stdout.splitlines() if line.startswith("  note: 'yes' at ")]
    assert len(detections) >= 2 and len(notes) == len(detections) - 1, proc.stdout
    assert all("suppression_ms = 300 ms had ended" in n for n in notes)
    proc = subprocess.run(fwgen(*argv, "--json", str(wav)), capture_output=True, text=True,
                          timeout=600)
    report = json.loads(proc.stdout)
    assert [f"  note: {n}" for n in report["notes"]] == notes
