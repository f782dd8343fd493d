"""Generated model code and the firmware/nn kernels cross-compile cleanly for Cortex-M cores."""
from __future__ import annotations

import subprocess

import pytest

from fwgen.compiler import compile_model
from fwgen.compiler.size import CROSS_CC, flash_size

CORES = [
    ["-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"],
    ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"],
    ["-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"],
    ["-mcpu=cortex-m0plus", "-mthumb"],
]


@pytest.fixture(scope="module")
def compiled(shared_data):
    return compile_model(shared_data / "micro_speech" / "micro_speech_quantized.tflite")


@pytest.mark.parametrize("core", CORES, ids=lambda c: c[0].split("=")[1])
def test_model_and_kernels_compile_with_werror(compiled, core, repo_root, tmp_path):
    for rel, text in compiled.files.items():
        (tmp_path / rel).write_text(text)
    sources = [tmp_path / "model.c"] + sorted((repo_root / "firmware" / "nn").glob("*.c"))
    for i, src in enumerate(sources):
        argv = [CROSS_CC, *core, "-O2", "-std=c11", "-Wall", "-Wextra", "-Werror", "-Wshadow",
                "-Wdouble-promotion" if "cortex-m0plus" not in core[0] else "-Wall",
                f"-I{tmp_path}", f"-I{repo_root / 'firmware'}", "-c", str(src), "-o", str(tmp_path / f"{i}.o")]
        proc = subprocess.run(argv, capture_output=True, text=True)
        assert proc.returncode == 0, f"{src.name}: {proc.stderr}"


def test_flash_size_of_micro_speech(compiled):
    size = flash_size(compiled)
    assert compiled.weights_bytes <= size.const_bytes < compiled.weights_bytes + 1024
    assert 500 < size.code_bytes < 8000
