"""The port smoke app on each QEMU twin: boot banner (runtime + FPU checks), UART echo,
SysTick instruction counter, semihosting exit status, no QEMU left behind."""
from __future__ import annotations

import subprocess
import sys

import pytest

from fwgen.boards import get_board
from fwgen.project.platformio import pio_environment, provision
from fwgen.project.render import ProjectSpec, render_project
from fwgen.runners.qemu import QemuRunner

TWINS = ("mps2_an505", "mps2_an386", "mps2_an500")


def read_line(port, limit: float = 10.0) -> bytes:
    import time
    deadline = time.monotonic() + limit
    line = b""
    while not line.endswith(b"\n") and time.monotonic() < deadline:
        line += port.read(1)
    return line


@pytest.mark.parametrize("twin_id", TWINS)
def test_smoke(twin_id, tmp_path):
    board = get_board(twin_id)
    provision()
    render_project(ProjectSpec(board=board, app="smoke"), tmp_path)
    proc = subprocess.run([sys.executable, "-m", "platformio", "run", "-d", str(tmp_path)],
                          capture_output=True, text=True, env=pio_environment())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    elf = tmp_path / ".pio" / "build" / twin_id / "firmware.elf"
    with QemuRunner(board).run("emulate", elf=elf) as session:
        port = session.serial
        banner = read_line(port).decode()
        assert banner == (f"fwgen-smoke board={twin_id} hz={board.clock_hz} emulator=1 "
                          "runtime=ok fpu=ok\n")
        port.write(b"fwg!")
        echoed = b""
        while len(echoed) < 4:
            chunk = port.read(4 - len(echoed))
            assert chunk, "no echo"
            echoed += chunk
        assert echoed == b"fwg!"
        port.write(b"c")
        fields = dict(kv.split("=") for kv in read_line(port).decode().split())
        per_tick = int(fields["per_tick"])
        assert per_tick == 1_000_000_000 // board.clock_hz
        # 10000 iterations of a volatile add loop: a few instructions each, counted by SysTick
        assert 30_000 <= int(fields["cycles"]) * per_tick <= 200_000
        port.write(b"e")
        assert session.wait(10) == 3
    assert session.proc.poll() is not None
