"""`fwgen run --elf FILE`: a hand-built ELF runs on a twin without a build, after checks that it
is a 32-bit ARM executable whose code loads into the twin's flash and whose architecture the
twin's core runs; mistakes are clear errors before QEMU starts."""
from __future__ import annotations

from pathlib import Path

import pytest

import fwgen.project.build
from fwgen.boards import get_board
from fwgen.cli import main
from fwgen.errors import FwgenError
from fwgen.run.elf import check_twin_elf, core_runs

from test_flash_images import make_elf

AN505 = get_board("mps2_an505")


def _patched(path: Path, offset: int, data: bytes) -> Path:
    raw = bytearray(path.read_bytes())
    raw[offset:offset + len(data)] = data
    path.write_bytes(bytes(raw))
    return path


def test_an_arm_elf_in_the_twins_flash_passes(tmp_path):
    elf = make_elf(tmp_path / "fw.elf", AN505.memory.flash.origin)
    check_twin_elf(elf, AN505)


@pytest.mark.parametrize("make,expected", [
    (lambda p: (p.write_bytes(b"not an elf at all"), p)[1], "not an ELF file"),
    (lambda p: _patched(make_elf(p, 0x10000000), 18, (62).to_bytes(2, "little")),
     "not an ARM ELF (it is for EM_X86_64, 32-bit)"),
    (lambda p: _patched(make_elf(p, 0x10000000), 16, (1).to_bytes(2, "little")),
     "not an executable"),
    (lambda p: make_elf(p, 0x08000000),
     "loads at 0x08000000-0x08000040, outside mps2_an505's flash (0x10000000-0x10400000)"),
])
def test_what_is_refused(tmp_path, make, expected):
    elf = make(tmp_path / "fw.elf")
    with pytest.raises(FwgenError, match=expected.replace("(", r"\(").replace(")", r"\)")) as err:
        check_twin_elf(elf, AN505)
    assert err.value.where == str(elf)


def test_which_architectures_a_core_runs():
    assert core_runs("cortex-m33", 17) and core_runs("cortex-m33", 13)   # v8-M.main runs v7E-M
    assert core_runs("cortex-m4", 13) and core_runs("cortex-m7", 13)
    assert not core_runs("cortex-m4", 17)                                # not v8-M code
    assert not core_runs("cortex-m0", 13)


@pytest.fixture
def no_build(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a firmware was built for --elf")
    monkeypatch.setattr(fwgen.project.build, "run_pio", refuse)


@pytest.mark.parametrize("extra,expected", [
    (["--model", "micro_speech"], "--model: --elf runs the ELF as it is"),
    (["--stride", "2"], "--stride: --elf runs the ELF as it is"),
    (["--smoothing", "minimum_count=1"], "--smoothing: --elf runs the ELF as it is"),
    (["--out", "p"], "--out: --elf runs the ELF as it is"),
])
def test_build_options_are_refused_with_elf(capsys, tmp_path, shared_data, no_build, extra,
                                            expected):
    elf = make_elf(tmp_path / "fw.elf", AN505.memory.flash.origin)
    code = main(["run", "--elf", str(elf), *extra, str(shared_data / "micro_speech" / "yes_1000ms.wav")])
    err = capsys.readouterr().err
    assert code == 2 and expected in err and "Traceback" not in err


def test_a_wrong_elf_fails_before_qemu(capsys, tmp_path, shared_data, no_build):
    elf = make_elf(tmp_path / "fw.elf", 0x08000000)
    code = main(["run", "--board", "mps2_an505", "--elf", str(elf),
                 str(shared_data / "micro_speech" / "yes_1000ms.wav")])
    err = capsys.readouterr().err
    assert code == 2 and "outside mps2_an505's flash" in err
    code = main(["run", "--elf", str(tmp_path / "missing.elf"),
                 str(shared_data / "micro_speech" / "yes_1000ms.wav")])
    assert code == 2 and "missing.elf: ELF file not found" in capsys.readouterr().err
