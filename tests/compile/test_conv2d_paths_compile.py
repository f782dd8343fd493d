"""A build of the CONV_2D DSP variant compiles only the code paths its model's layers take (the
generated fwgen_nn_paths.h), and all of them without that header (the kernel tests' images)."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from fwgen.boards import get_board
from fwgen.compiler import compile_model
from fwgen.project.toolchain import CROSS_CC, compile_flags
from fwgen.zoo import get_model

# each path's own functions: nn_conv2d_s8.c's (noinline there), nn_dsp_conv1ch.h's three
# one-channel paths and its plain loop (the 1CH path's)
PATH_SYMBOLS = {"PAIR": ("conv_pixel_pair",), "PIXEL": ("conv_pixel",), "GENERIC": ("conv_generic",),
                "1X1": ("conv_1x1_fast4", "conv_1x1_any"), "1CH ring": ("fwgen_nn_dsp_1ch_rows",),
                "1CH 3x3": ("fwgen_nn_dsp_1ch_3x3",), "1CH w8": ("fwgen_nn_dsp_1ch_w8",),
                "1CH plain": ("fwgen_nn_dsp_1ch_plain",)}

pytestmark = pytest.mark.skipif(shutil.which(CROSS_CC) is None or shutil.which("arm-none-eabi-nm") is None,
                                reason=f"needs {CROSS_CC} and arm-none-eabi-nm")


def _symbols(repo_root, tmp_path, files: dict[str, str]) -> set[str]:
    for rel, text in files.items():
        (tmp_path / rel).write_text(text)
    obj = tmp_path / "conv.o"
    argv = [CROSS_CC, *compile_flags(get_board("b_u585i_iot02a")), "-Werror", f"-I{tmp_path}",
            f"-I{repo_root / 'firmware'}", "-c", str(repo_root / "firmware/nn/dsp/nn_conv2d_s8.c"),
            "-o", str(obj)]
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    nm = subprocess.run(["arm-none-eabi-nm", str(obj)], capture_output=True, text=True, check=True)
    names = {line.split()[-1] for line in nm.stdout.splitlines() if line.strip()}
    # GCC's clones keep the name before the first dot (fwgen_nn_dsp_conv1ch.constprop.0)
    return {name.split(".")[0] for name in names}


def _paths(symbols: set[str]) -> set[str]:
    return {path for path, names in PATH_SYMBOLS.items()
            if any(s == n for s in symbols for n in names)}


def test_without_the_header_every_path_is_compiled(repo_root, tmp_path):
    assert _paths(_symbols(repo_root, tmp_path, {})) == set(PATH_SYMBOLS) - {"1CH plain"}


@pytest.mark.parametrize("model, paths", [("micro_speech", {"1CH w8", "1CH plain"}),
                                          ("yamnet_256", {"1CH 3x3", "1CH plain", "1X1"})])
def test_a_model_build_compiles_only_its_paths(repo_root, tmp_path, model, paths):
    compiled = compile_model(get_model(model).require_weights())
    symbols = _symbols(repo_root, tmp_path, compiled.files)
    assert _paths(symbols) == paths
    assert "fwgen_nn_conv2d_s8" in symbols
