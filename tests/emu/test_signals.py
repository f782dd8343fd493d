"""Signals to `fwgen run` leave no process and no temporary file behind (issue 14).

`fwgen run` on a twin is started in its own session with its own TMPDIR and an environment
marker, and gets SIGINT, SIGTERM, SIGHUP or SIGKILL at a fixed point: during the firmware build
(PlatformIO and its SCons running, from a fresh --out) or while QEMU streams. Every process
below fwgen is recorded (pid and start time) while the run is alive; afterwards each of them,
and every process that carries the marker (a grandchild that was reparented before it was
seen), must be gone within a few seconds, TMPDIR must be empty, and fwgen must exit 128 +
the signal with its own message and no traceback (SIGKILL: killed, nothing to print).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

MARKER = "FWGEN_SIGNAL_TEST"
GONE_WITHIN_S = 5.0      # after fwgen ends, its children must be gone by then
EXIT_WITHIN_S = 30.0     # after the signal, fwgen must have ended by then
POINT_WITHIN_S = 240.0   # the build or the stream must have begun by then

# (what must be running below fwgen, how long after it appears the signal goes)
POINTS = {
    "build": ("scons.py", 0.3),          # pio run -> its SCons build (and compilers)
    "stream": ("qemu-system-arm", 1.0),  # QEMU streaming the first clips
}
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL)


@dataclass(frozen=True)
class Proc:
    pid: int
    start: int        # /proc/PID/stat field 22: tells a reused pid from the process seen
    args: str


def _stat(pid: int) -> tuple[int, int, str] | None:
    """(ppid, start time, state) of `pid`, None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()
    return int(fields[1]), int(fields[19]), fields[0]


def _args(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"


def descendants(root: int) -> list[Proc]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            children.setdefault(stat[0], []).append(int(entry))
    found, stack = [], [root]
    while stack:
        for pid in children.get(stack.pop(), []):
            if (stat := _stat(pid)) is not None:
                found.append(Proc(pid, stat[1], _args(pid)))
            stack.append(pid)
    return found


def alive(proc: Proc) -> bool:
    stat = _stat(proc.pid)
    return stat is not None and stat[1] == proc.start and stat[2] != "Z"


def marked(token: str) -> list[Proc]:
    """Live processes whose environment carries this case's marker."""
    needle = f"{MARKER}={token}\0".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
        except OSError:
            continue
        stat = _stat(int(entry))
        if needle in environ and stat is not None and stat[2] != "Z":
            found.append(Proc(int(entry), stat[1], _args(int(entry))))
    return found


@dataclass
class Outcome:
    returncode: int
    stderr: str
    seen: dict[tuple[int, int], Proc] = field(default_factory=dict)
    survivors: list[Proc] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)


def run_and_signal(argv: list[str], tmp_path: Path, point: str, sig: signal.Signals) -> Outcome:
    """Start `argv`, send `sig` at `point`, and report what outlived it."""
    pattern, delay = POINTS[point]
    token = uuid.uuid4().hex
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    env = dict(os.environ, TMPDIR=str(tmpdir), **{MARKER: token})
    err_path = tmp_path / "stderr.txt"
    seen: dict[tuple[int, int], Proc] = {}   # (pid, start) -> the process, as last seen

    def watch() -> None:
        for proc in descendants(fwgen.pid):
            # the latest command line: a child first seen before its exec shows it now (one
            # that is exiting shows none)
            if (proc.pid, proc.start) not in seen or proc.args.strip(" ?"):
                seen[proc.pid, proc.start] = proc

    # Files, not pipes: an orphan holding a pipe would keep the test waiting.
    with open(tmp_path / "stdout.txt", "wb") as out, open(err_path, "wb") as err:
        fwgen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env,
                                 start_new_session=True)
    try:
        deadline = time.monotonic() + POINT_WITHIN_S
        while not any(pattern in p.args for p in seen.values()):
            assert fwgen.poll() is None, f"fwgen ended before {point}: {err_path.read_text()}"
            assert time.monotonic() < deadline, f"{point} never began"
            watch()
            time.sleep(0.05)
        until = time.monotonic() + delay
        while time.monotonic() < until:
            watch()
            time.sleep(0.05)
        watch()
        fwgen.send_signal(sig)
        deadline = time.monotonic() + EXIT_WITHIN_S
        while fwgen.poll() is None and time.monotonic() < deadline:
            watch()
            time.sleep(0.05)
        assert fwgen.poll() is not None, f"fwgen did not end within {EXIT_WITHIN_S:g} s of {sig.name}"
    finally:
        if fwgen.poll() is None:
            fwgen.kill()
            fwgen.wait()
    deadline = time.monotonic() + GONE_WITHIN_S
    survivors: list[Proc] = []
    while time.monotonic() < deadline:
        survivors = [p for p in seen.values() if alive(p)]
        survivors += [p for p in marked(token) if (p.pid, p.start) not in seen]
        if not survivors:
            break
        time.sleep(0.1)
    for proc in survivors:      # leave nothing running for the next test
        if alive(proc):
            os.kill(proc.pid, signal.SIGKILL)
    leftovers = sorted(p.name for p in tmpdir.iterdir())
    return Outcome(fwgen.returncode, err_path.read_text(errors="replace"), seen, survivors, leftovers)


def fwgen_run(shared_data: Path, repo_root: Path, out: Path, *extra: str) -> list[str]:
    clips = shared_data / "micro_speech"
    return [sys.executable, "-m", "fwgen", "run", "--board", "mps2_an505",
            "--model", str(clips / "micro_speech_quantized.tflite"),
            "--settings", str(repo_root / "models" / "micro_speech" / "model.yaml"),
            "--out", str(out), *extra, *[str(clips / "yes_1000ms.wav")] * 6]


@pytest.fixture(scope="module")
def built_project(shared_data, repo_root, tmp_path_factory) -> Path:
    """A project folder whose twin firmware is built, so the stream point comes quickly."""
    out = tmp_path_factory.mktemp("signals") / "proj"
    proc = subprocess.run(fwgen_run(shared_data, repo_root, out, "--dry-run"),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.parametrize("point", sorted(POINTS))
@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_a_signal_leaves_no_process_and_no_temporary_file(sig, point, shared_data, repo_root,
                                                          tmp_path, request):
    out = request.getfixturevalue("built_project") if point == "stream" else tmp_path / "proj"
    outcome = run_and_signal(fwgen_run(shared_data, repo_root, out), tmp_path, point, sig)
    assert any(POINTS[point][0] in p.args for p in outcome.seen.values())
    assert outcome.survivors == [], \
        f"outlived fwgen after {sig.name}:\n" + "\n".join(f"  {p.pid} {p.args[:160]}"
                                                          for p in outcome.survivors)
    assert outcome.leftovers == [], f"left in TMPDIR after {sig.name}: {outcome.leftovers}"
    if sig == signal.SIGKILL:
        assert outcome.returncode == -signal.SIGKILL
    else:
        assert outcome.returncode == 128 + sig, outcome.stderr
        assert "Traceback" not in outcome.stderr, outcome.stderr
        assert "fwgen run: interrupted" in outcome.stderr, outcome.stderr
