"""`fwgen test --emulate`'s fast path without an emulator: --jobs and --twin-audio reach the
twins as asked, the semihosting file path's pieces (QEMU's command line, the pipe the link
reads, the board check) are exact. The twins themselves run in tests/emu/test_hil_twin.py and
tests/emu/test_hil_twins_l4_h7.py."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import serial

import fwgen.run
from fwgen.boards import get_board
from fwgen.cli import main
from fwgen.cli import test_cmd as verb
from fwgen.device.twin import PipePort
from fwgen.errors import FwgenError
from fwgen.hil import twins
from fwgen.project.build import check_audio_source
from fwgen.runners.qemu import QemuRunner

SAMPLES = Path(__file__).resolve().parents[2] / "models" / "micro_speech" / "samples"


@pytest.fixture
def dataset(tmp_path):
    root = tmp_path / "ds"
    for name in ("yes_0", "yes_1", "no_0"):
        (root / name[:-2]).mkdir(parents=True, exist_ok=True)
        shutil.copy(SAMPLES / f"{name}.wav", root / name[:-2] / f"{name}.wav")
    return root


@pytest.fixture
def opened(monkeypatch):
    """What fwgen test asked for: the twin deployment's audio source and the twins' number."""
    seen = {}
    real = fwgen.run.twin_deployment

    def deployment(**kwargs):
        seen["audio"] = kwargs["audio"]
        return real(**kwargs)

    def fake_open(args, target, deployment):
        seen.update(jobs=args.jobs, twin_audio=args.twin_audio, source=deployment.options.audio_source)
        raise FwgenError("stopped by the test")
    monkeypatch.setattr(fwgen.run, "twin_deployment", deployment)
    monkeypatch.setattr(verb.TestCommand, "_open", staticmethod(fake_open))
    return seen


@pytest.mark.parametrize("extra, jobs, source", [
    ([], min(os.cpu_count() or 1, 3), "semihost"),          # one per core, at most one per clip
    (["--jobs", "2"], 2, "semihost"),
    (["-j", "8"], 3, "semihost"),
    (["--jobs", "1", "--twin-audio", "uart"], 1, "link"),
])
def test_jobs_and_the_twin_audio_path(dataset, opened, extra, jobs, source, capsys):
    assert main(["test", "--board", "mps2_an505", "--emulate", "--dataset", str(dataset),
                 *extra]) == 2
    assert "stopped by the test" in capsys.readouterr().err
    assert opened == {"jobs": jobs, "twin_audio": "uart" if source == "link" else "semihost",
                      "audio": source, "source": source}


@pytest.mark.parametrize("extra, message", [
    (["--emulate", "--jobs", "0"], "--jobs: must be 1 or more, got 0"),
    (["--serial", "socket://127.0.0.1:1", "--jobs", "2"], "--jobs: only with --emulate"),
])
def test_option_errors(dataset, extra, message, capsys):
    assert main(["test", "--board", "mps2_an505", "--dataset", str(dataset), *extra]) == 2
    assert message in capsys.readouterr().err


def test_open_twins_refuses_what_it_cannot_run():
    deployment = SimpleNamespace(options=SimpleNamespace(audio_source="link"))
    with pytest.raises(FwgenError, match="--jobs: must be 1 or more"):
        twins.open_twins(deployment, get_board("mps2_an505"), jobs=0)
    with pytest.raises(FwgenError, match="audio source is link, not semihost"):
        twins.open_twins(deployment, get_board("mps2_an505"), jobs=1, audio="semihost")
    with pytest.raises(FwgenError, match="--twin-audio: unknown twin audio path 'x'"):
        twins.twin_audio_source("x")


@pytest.mark.parametrize("board", ["b_u585i_iot02a", "b_l475e_iot01a", "nucleo_h743zi", "xg24_dk2601b"])
def test_a_board_never_gets_the_semihosting_audio_source(board):
    deployment = SimpleNamespace(options=SimpleNamespace(audio_source="semihost"))
    with pytest.raises(FwgenError, match="only an emulator twin reads audio from a host file") as err:
        check_audio_source(deployment, get_board(board))
    assert err.value.where == "--audio"
    check_audio_source(deployment, get_board(get_board(board).twin))   # its twin may


def test_the_files_are_named_on_qemus_semihosting_command_line():
    runner = QemuRunner(get_board("mps2_an386"), dry_run=True)
    runner.run("emulate", elf=Path("fw.elf"), port=7, semihost_args=(
        "fwgen-audio=/proc/self/fd/5", "fwgen-link-out=/proc/self/fd/6"))
    argv = runner.commands[0]
    assert argv[argv.index("-semihosting-config") + 1] == \
        "enable=on,target=native,arg=fwgen-audio=/proc/self/fd/5,arg=fwgen-link-out=/proc/self/fd/6"
    with pytest.raises(FwgenError, match="no comma or space"):
        runner.argv(Path("fw.elf"), 7, semihost_args=("fwgen-audio=/a,b",))


class Uart:
    def __init__(self):
        self.written, self.closed = [], False

    def write(self, data):
        self.written.append(bytes(data))
        return len(data)

    def close(self):
        self.closed = True


def test_the_link_reads_the_pipe_and_writes_the_uart():
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    uart = Uart()
    port = PipePort(uart, read_fd)
    port.timeout = 0.05
    start = time.monotonic()
    assert port.read(10) == b"" and time.monotonic() - start >= 0.04   # waited its timeout
    os.write(write_fd, b"\x00abc\x00")
    assert port.in_waiting == 5
    assert port.read(3) == b"\x00ab" and port.read(100) == b"c\x00" and port.in_waiting == 0
    port.write(b"\x01\x02")
    assert uart.written == [b"\x01\x02"]
    os.close(write_fd)                                   # QEMU exited
    with pytest.raises(serial.SerialException, match="QEMU closed the link pipe"):
        port.read(1)
    port.close()
    assert uart.closed and port.in_waiting == 0
    with pytest.raises(OSError):
        os.fstat(read_fd)


def _bench_row(path: str, jobs: int) -> list[str]:
    text = (Path(__file__).resolve().parents[2] / "benchmarks" / "hil_twin.txt").read_text()
    for line in text.splitlines():
        cols = line.split()
        if cols[:4] == ["mps2_an505", "M33", path, str(jobs)]:
            return cols
    raise AssertionError(f"benchmarks/hil_twin.txt has no M33 {path} row with {jobs} job(s)")


def test_the_readme_quotes_the_benchmark():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    file_rt, uart_rt = float(_bench_row("semihost", 1)[9]), float(_bench_row("uart", 1)[9])
    assert f"{file_rt:.1f}× real time per core" in readme
    assert f"{uart_rt:.2f}× over the emulated UART" in readme
