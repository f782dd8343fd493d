"""fwgen.process: children die with fwgen however it ends, and SIGTERM/SIGHUP unwind as Ctrl-C.

The deaths fwgen cannot clean up after are tested for real: a parent Python that starts
children through fwgen is SIGKILLed, and its children and grandchildren must be gone within
a few seconds (issue 14: they used to be reparented to PID 1 and run on)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from fwgen import process

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")

GONE_WITHIN_S = 5.0


def gone(pid: int) -> bool:
    """`pid` has exited (a zombie counts: it runs nothing)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] == "Z"


def wait_gone(pids: list[int], within: float = GONE_WITHIN_S) -> list[int]:
    """The pids still running after `within` seconds (killed then, so nothing is left)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and not all(gone(p) for p in pids):
        time.sleep(0.05)
    left = [p for p in pids if not gone(p)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    return left


# A stand-in tool: writes its pid and its own child's pid to a file, then waits.
TOOL = textwrap.dedent("""
    import json, subprocess, sys, time
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    with open(sys.argv[1] + ".tmp", "w") as f:
        json.dump({"tool": __import__("os").getpid(), "grandchild": child.pid}, f)
    __import__("os").replace(sys.argv[1] + ".tmp", sys.argv[1])
    time.sleep(120)
""")

# A stand-in for fwgen: starts the tool the way it is told, reports, then waits to be killed.
PARENT = textwrap.dedent("""
    import subprocess, sys, time
    from fwgen import process
    how, report, tool = sys.argv[1], sys.argv[2], sys.argv[3]
    argv = [sys.executable, "-c", tool, report]
    if how == "start":
        process.start(argv)
    elif how == "detached":
        process.start(argv, detached=True)
    elif how == "run":
        process.run(argv, capture_output=True)
    elif how == "popen":        # what fwgen did before: its own session, nothing else
        subprocess.Popen(argv, start_new_session=True)
    time.sleep(120)
""")


def start_parent(how: str, tmp_path: Path) -> tuple[subprocess.Popen, dict[str, int]]:
    report = tmp_path / f"{how}.json"
    parent = subprocess.Popen([sys.executable, "-c", PARENT, how, str(report), TOOL],
                              stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 30
    while not report.exists():
        assert parent.poll() is None and time.monotonic() < deadline, "the tool never started"
        time.sleep(0.05)
    time.sleep(0.3)    # the watchdog is up (it starts right after the tool)
    return parent, json.loads(report.read_text())


@pytest.mark.parametrize("how", ["start", "run"])
def test_children_and_grandchildren_die_when_fwgen_is_killed(how, tmp_path):
    parent, pids = start_parent(how, tmp_path)
    parent.kill()
    parent.wait()
    assert wait_gone([pids["tool"], pids["grandchild"]]) == []


def test_a_plain_new_session_is_what_outlived_fwgen(tmp_path):
    """The check above can fail: what fwgen did before (start_new_session alone) survives."""
    parent, pids = start_parent("popen", tmp_path)
    parent.kill()
    parent.wait()
    assert wait_gone([pids["tool"], pids["grandchild"]], within=1.0) == \
        [pids["tool"], pids["grandchild"]]


def test_a_detached_child_outlives_fwgen(tmp_path):
    parent, pids = start_parent("detached", tmp_path)
    parent.kill()
    parent.wait()
    time.sleep(1.0)
    try:
        assert not gone(pids["tool"]) and not gone(pids["grandchild"])
    finally:
        os.killpg(pids["tool"], signal.SIGKILL)
    assert wait_gone([pids["tool"], pids["grandchild"]]) == []


PDEATHSIG = ("import ctypes; v = ctypes.c_int(); ctypes.CDLL(None).prctl(2, ctypes.byref(v)); "
             "print(v.value)")     # prctl(PR_GET_PDEATHSIG): the child's own parent-death signal


def test_a_child_gets_its_own_session_and_the_parent_death_signal():
    proc = process.start([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert os.getsid(proc.pid) == proc.pid and os.getpgid(proc.pid) == proc.pid
    finally:
        process.end_group(proc)
    assert proc.returncode == -signal.SIGTERM
    probe = process.run([sys.executable, "-c", PDEATHSIG], capture_output=True, text=True,
                        timeout=30)
    assert int(probe.stdout) == signal.SIGTERM
    with process.start([sys.executable, "-c", PDEATHSIG], detached=True, text=True,
                       stdout=subprocess.PIPE) as detached:
        assert int(detached.communicate(timeout=30)[0]) == 0


def test_reserved_popen_arguments_are_refused():
    for name in ("start_new_session", "preexec_fn", "process_group"):
        with pytest.raises(TypeError, match=name):
            process.start(["true"], **{name: None})


def test_run_ends_the_whole_group_on_a_timeout(tmp_path):
    report = tmp_path / "run.json"
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        process.run([sys.executable, "-c", TOOL, str(report)], timeout=3)
    assert time.monotonic() - started < 3 + 2 * process.KILL_GRACE_S + 5
    pids = json.loads(report.read_text())
    assert wait_gone([pids["tool"], pids["grandchild"]], within=1.0) == []


def test_run_returns_like_subprocess_run(tmp_path):
    done = process.run([sys.executable, "-c", "import sys; print(sys.stdin.read() + 'out'); "
                        "sys.exit(3)"], input="in-", capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (3, "in-out\n", "")
    assert process.run(["true"]).returncode == 0


def test_signals_as_interrupts_restores_the_handlers_and_is_inert_off_the_main_thread():
    before = {sig: signal.getsignal(sig) for sig in process.signals.HANDLED}
    with process.signals_as_interrupts():
        assert all(signal.getsignal(sig) is not before[sig] for sig in before)
    assert {sig: signal.getsignal(sig) for sig in before} == before
    seen: list[object] = []
    worker = threading.Thread(target=lambda: seen.append(
        process.signals_as_interrupts().__enter__()))
    worker.start()
    worker.join(10)
    assert seen == [None] and {sig: signal.getsignal(sig) for sig in before} == before


# A verb that is sent `sig` while it works and cleans up in `finally` (sent `sig` once more).
VERB = textwrap.dedent("""
    import os, signal, sys, time
    import fwgen.cli.boards_cmd as boards
    from fwgen.cli import main
    sig, done = int(sys.argv[1]), sys.argv[2]

    def invoke(self, args):
        try:
            os.kill(os.getpid(), sig)
            time.sleep(30)
        finally:
            os.kill(os.getpid(), sig)      # a repeat while cleaning up is ignored
            time.sleep(0.2)
            open(done, "w").close()
        return 0

    boards.BoardsCommand.invoke = invoke
    sys.exit(main(["boards"]))
""")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT],
                         ids=lambda s: s.name)
def test_term_and_hup_stop_a_verb_as_ctrl_c_does(sig, tmp_path):
    done = tmp_path / "cleaned-up"
    if sig == signal.SIGINT:   # Python's own Ctrl-C: a repeat would interrupt the cleanup
        script = VERB.replace("os.kill(os.getpid(), sig)      # a repeat", "pass  # a repeat")
    else:
        script = VERB
    proc = subprocess.run([sys.executable, "-c", script, str(int(sig)), str(done)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 128 + sig, proc.stderr
    by = "" if sig == signal.SIGINT else f" ({sig.name})"
    assert proc.stderr.strip() == f"fwgen boards: interrupted{by}"
    assert done.exists()
    assert process.interrupt_signal(process.Interrupted(sig)) == sig
    assert process.interrupt_signal(KeyboardInterrupt()) == signal.SIGINT
