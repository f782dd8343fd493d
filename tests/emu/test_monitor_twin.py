"""`fwgen flash` + `fwgen monitor` on the M33 twin, as a user runs them: --play gives the same
detections as `fwgen run` (the host reference of the same padded stream, bit for bit), and a
monitor watching the twin follows it when flashing again restarts QEMU on another port."""
from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest

from fwgen.audio import write_wav
from fwgen.device import twin_state

TWIN = "mps2_an505"


def fwgen(*args: str) -> list[str]:
    return [sys.executable, "-m", "fwgen", *args]


@pytest.fixture()
def env(tmp_path, monkeypatch):
    """A cache of its own, so the twin's record is this test's; no twin outlives the test."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("FWGEN_CACHE_DIR", str(cache))
    yield dict(os.environ, FWGEN_CACHE_DIR=str(cache))
    twin_state.stop_twin(TWIN)


def flash(elf, env) -> twin_state.TwinRecord:
    proc = subprocess.run(fwgen("flash", "--board", TWIN, str(elf)), env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    record = twin_state.running_record(TWIN)
    assert record is not None
    return record


@pytest.mark.parametrize("clip", ["yes", "no"])
def test_monitor_play_gives_the_detections_fwgen_run_gives(clip, twin_elf, clip_stream, reference,
                                                           deployment, env, tmp_path):
    samples = clip_stream(clip)                  # padded as fwgen run pads the clip
    wav = write_wav(tmp_path / f"{clip}_as_run_streams_it.wav", samples,
                    deployment.frontend.sample_rate)
    record = flash(twin_elf(TWIN), env)
    log = tmp_path / "monitor.jsonl"
    proc = subprocess.run(fwgen("monitor", "--board", TWIN, "--play", str(wav), "--json",
                                "--log", str(log)),
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert lines[0] == {"type": "CONNECTED", "port": record.url,
                        "reason": f"the running twin of {TWIN} (started by fwgen flash)"}
    hello = next(x for x in lines if x["type"] == "HELLO")
    assert hello["board"] == TWIN and hello["cycle_unit"] == 2
    assert hello["model_hash"] == deployment.source.sha256[:16]
    assert any(x["type"] == "NOTE" and "as fast as the link allows" in x["text"] for x in lines)

    ref = reference(clip)
    got = [(d["inference_index"], d["frame_index"], d["time_ms"], d["class_index"], d["score"])
           for d in lines if d["type"] == "DETECTION"]
    assert got == [(e.inference_index, e.frame_index, e.time_ms, e.class_index, e.score)
                   for e in ref.detections]
    assert [deployment.classes[c] for _, _, _, c, _ in got] == [clip]
    stats = next(x for x in lines if x["type"] == "STATS")
    assert stats["audio_samples"] == samples.size
    assert (stats["frames"], stats["inferences"]) == (ref.features.shape[0], ref.logits.shape[0])
    assert stats["audio_lost"] == stats["rx_crc_errors"] == 0
    assert lines[-1]["type"] == "END"

    rx = [json.loads(line) for line in log.read_text().splitlines()]
    logged = [r["message"] for r in rx if r["event"] == "rx"
              and r["message"]["type"] == "DETECTION"]
    assert logged == [x for x in lines if x["type"] == "DETECTION"]
    assert twin_state.running_twin(TWIN) == record.url      # the twin keeps running


def test_monitor_follows_the_twin_when_flashing_again_restarts_it(twin_elf, env):
    elf = twin_elf(TWIN)
    first = flash(elf, env)
    monitor = subprocess.Popen(fwgen("monitor", "--board", TWIN, "--json", "--timeout", "300"),
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(json.loads(x)) for x in monitor.stdout],
                     daemon=True).start()
    seen: list[dict] = []

    def until(kind: str, n: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while sum(x["type"] == kind for x in seen) < n:
            assert monitor.poll() is None, monitor.stderr.read()
            assert time.monotonic() < deadline, seen
            try:
                seen.append(lines.get(timeout=0.5))
            except queue.Empty:
                pass

    try:
        until("HELLO", 1)                               # the boot HELLO (QEMU waited for us)
        second = flash(elf, env)                        # replaces the twin: new QEMU, new port
        until("HELLO", 2)
        monitor.send_signal(signal.SIGINT)
        _, err = monitor.communicate(timeout=60)
    finally:
        if monitor.poll() is None:
            monitor.kill()
            monitor.communicate()
    assert monitor.returncode == 130 and "Traceback" not in err
    types = [x["type"] for x in seen]
    assert types[:2] == ["CONNECTED", "HELLO"] and seen[0]["port"] == first.url
    lost, back = types.index("PORT_LOST"), types.index("RECONNECTED")
    assert seen[lost]["port"] == first.url and seen[back]["port"] == second.url != first.url
    assert seen[back]["previous"] == first.url and types.index("HELLO", back) > back
    assert f"gaps: {first.url}" in err
