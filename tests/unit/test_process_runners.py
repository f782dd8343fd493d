"""Every place fwgen starts a tool goes through fwgen.process (issue 14): QEMU for `fwgen run`
(and its log, which has no name in the temporary folder), a flash tool (`Runner.call`), the
host compiler (fwgen.native), PlatformIO (fwgen.project.platformio), and they die with a
SIGKILLed fwgen; the twin `fwgen flash` starts is detached on purpose and stays recorded."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from fwgen import process
from fwgen.boards import get_board
from fwgen.runners.qemu import QemuRunner
from test_process import wait_gone

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")

# Stand-ins for the tools: each prints, records its pid and its child's, and waits.
FAKE_TOOL = textwrap.dedent("""\
    #!/bin/sh
    echo "fake $(basename "$0") $*"
    sleep 120 &
    echo "$$ $!" > "$FAKE_REPORT.tmp" && mv "$FAKE_REPORT.tmp" "$FAKE_REPORT"
    wait
""")

PARENT = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    how, elf = sys.argv[1], Path(sys.argv[2])
    if how == "qemu":
        from fwgen.boards import get_board
        from fwgen.runners.qemu import QemuRunner
        session = QemuRunner(get_board("mps2_an505")).emulate(elf, connect=False)
    elif how == "flash-tool":
        from fwgen.runners.core import run_bounded
        run_bounded(["openocd", "-f", "board.cfg"], 120)
    elif how == "compiler":
        from fwgen import native
        native._run(["cmake", "--build", "x"])
    elif how == "platformio":
        from fwgen.project import platformio
        platformio.provision = lambda: None
        platformio.pio_command = lambda: ["pio"]
        platformio.run_pio(elf.parent, "env")
    time.sleep(120)
""")


@pytest.fixture
def fakes(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("qemu-system-arm", "openocd", "cmake", "pio"):
        (bin_dir / name).write_text(FAKE_TOOL)
        (bin_dir / name).chmod(0o755)
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("TMPDIR", str(tmpdir))
    monkeypatch.setenv("FAKE_REPORT", str(tmp_path / "report"))
    monkeypatch.setattr(tempfile, "tempdir", None)   # gettempdir() reads TMPDIR again
    elf = tmp_path / "fw.elf"
    elf.write_bytes(b"\x7fELF")
    return tmp_path, tmpdir, elf


def wait_report(path: Path, parent: subprocess.Popen | None = None) -> list[int]:
    deadline = time.monotonic() + 30
    while not path.exists():
        assert parent is None or parent.poll() is None, "the parent ended early"
        assert time.monotonic() < deadline, "the tool never started"
        time.sleep(0.05)
    return [int(p) for p in path.read_text().split()]


def test_qemus_log_never_has_a_name_in_the_temporary_folder(fakes):
    tmp_path, tmpdir, elf = fakes
    session = QemuRunner(get_board("mps2_an505")).emulate(elf, connect=False)
    try:
        pids = wait_report(tmp_path / "report")
        assert list(tmpdir.iterdir()) == []
        deadline = time.monotonic() + 10
        while "fake qemu-system-arm" not in session.output() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert session.output().startswith("fake qemu-system-arm -M mps2-an505")
        assert session.log_path is None and session.running
    finally:
        session.close()
    assert wait_gone(pids) == [] and list(tmpdir.iterdir()) == []
    assert session.output() == ""     # closed: nothing to read, and no error
    session.close()                   # idempotent


@pytest.mark.parametrize("how", ["qemu", "flash-tool", "compiler", "platformio"])
def test_a_tool_and_its_children_die_with_a_killed_fwgen_and_leave_no_file(how, fakes):
    tmp_path, tmpdir, elf = fakes
    parent = subprocess.Popen([sys.executable, "-c", PARENT, how, str(elf)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              start_new_session=True)
    pids = wait_report(tmp_path / "report", parent)
    time.sleep(0.3)      # the watchdog is up (it starts right after the tool)
    parent.kill()
    parent.wait()
    assert wait_gone(pids) == [], f"{how}: outlived fwgen"
    assert list(tmpdir.iterdir()) == []


TWIN_PARENT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from fwgen.boards import get_board
    from fwgen.flash.twin import start_twin
    from fwgen.runners.qemu import QemuRunner
    start_twin(QemuRunner(get_board("mps2_an505")), Path(sys.argv[1]))
    print("started", flush=True)
    time.sleep(120)
""")


def test_the_twin_fwgen_flash_starts_outlives_a_killed_fwgen_and_stays_recorded(fakes, monkeypatch):
    from fwgen.device import twin_state

    tmp_path, _, elf = fakes
    monkeypatch.setenv("FWGEN_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "bin" / "qemu-system-arm").write_text(
        "#!/bin/sh\necho 'QEMU waiting for connection on: disconnected:tcp:127.0.0.1'\n"
        "sleep 120\n")     # not exec: twin_state knows the twin by its command line
    parent = subprocess.Popen([sys.executable, "-c", TWIN_PARENT, str(elf)], text=True,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              start_new_session=True)
    assert parent.stdout.readline() == "started\n"
    parent.kill()
    parent.wait()
    board = get_board("mps2_an505")
    time.sleep(1.0)
    record = twin_state.running_record(board)
    try:
        assert record is not None, "the twin died with fwgen or lost its record"
        assert os.getsid(record.pid) == record.pid and not _has_watchdog(record.pid)
    finally:
        stopped = twin_state.stop_twin(board)
    assert stopped == record and wait_gone([record.pid]) == []


def _has_watchdog(pgid: int) -> bool:
    """A watchdog process of fwgen.process watches group `pgid`."""
    needle = f"{process.children.WATCHDOG}\0{os.getpid()}\0{pgid}\0".encode()
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and needle in Path(f"/proc/{entry}/cmdline").read_bytes():
                return True
        except OSError:
            continue
    return False


def test_a_child_that_is_not_detached_has_a_watchdog():
    proc = process.start(["sleep", "30"])
    try:
        deadline = time.monotonic() + 5
        while not _has_watchdog(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _has_watchdog(proc.pid)
    finally:
        process.end_group(proc)
    deadline = time.monotonic() + 5      # the watchdog leaves once the group is gone
    while _has_watchdog(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _has_watchdog(proc.pid)
