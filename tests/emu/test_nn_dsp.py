"""Kernel variants == portable kernels, bit for bit, on the Cortex-M33, M4F and M7 twins.

For every kernel with a variant in firmware/nn/dsp/, one image per twin (fwgen.testing.harness:
built like shipped firmware, so it links the board's variant) also holds the portable kernel under
another name (a wrapper C file that #defines the function name and #includes firmware/nn/<file>),
runs both on the same inputs and counts differing output bytes: the layers of the zoo models (and
TFLM's micro_speech model) that call the kernel, as fwgen's compiler lowers them, and random shapes
and parameters (every path of each variant: depth multipliers, 1x1, grouped, padding, strides,
dilations, reverse order, channel tails), and windows at the variants' stack limits; for ADD
(benchmarks/nn_kernels.py add_edge_cases) MLTK on_off_v3's residual shapes, every pair of int8
inputs for four parameter sets, the clamps, broadcasts and the parameters past its fast
loop. benchmarks/nn_kernels.py builds the same images and prints the instructions per call.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from fwgen.testing.harness import TWIN_BOARDS, tools_missing

ROOT = Path(__file__).resolve().parents[2]
SEED = 11


def _bench():
    spec = importlib.util.spec_from_file_location("nn_kernels", ROOT / "benchmarks" / "nn_kernels.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module     # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cases():
    if tools_missing():
        pytest.skip(f"needs {', '.join(tools_missing())}")
    bench = _bench()
    kernels = bench.variant_kernels()
    if not kernels:
        pytest.skip("no kernel variant in firmware/nn/dsp/")
    return bench, (bench.zoo_cases(kernels) + bench.edge_cases(kernels)
                   + bench.random_cases(kernels, 18, SEED))


@pytest.mark.parametrize("board_id", TWIN_BOARDS)
def test_variants_match_the_portable_kernels(cases, tmp_path, board_id):
    bench, all_cases = cases
    results = bench.run_cases(board_id, all_cases, tmp_path)
    assert len(results) == len(all_cases)
    wrong = [f"{r.case.kernel} {r.case.label}: status {r.status:#x}, {r.mismatches} bytes differ"
             for r in results if r.status != 0 or r.mismatches != 0]
    assert not wrong, "\n".join(wrong)
    # the images really ran both kernels over real work
    assert all(r.portable > 0 and r.variant > 0 for r in results if r.case.macs > 1000)
    kernels = {r.case.kernel for r in results}
    assert kernels == set(bench.variant_kernels())


def _one_channel_cases(bench, kernels):
    """The one-input-channel convolutions among the cases (nn_dsp_conv1ch.h's calls)."""
    import re

    picked = [c for c in bench.zoo_cases(kernels) + bench.edge_cases(kernels)
              if c.kernel in ("fwgen_nn_conv2d_s8", "fwgen_nn_depthwise_conv2d_s8")
              and (re.search(r"\b\d+x\d+x1 ", c.label) or "1->" in c.label
                   or c.label.startswith("tflm_micro_speech op1"))]
    assert len(picked) > 30
    return picked


@pytest.mark.parametrize("board_id, listed", [(b, ("W8",)) for b in TWIN_BOARDS]
                         + [("mps2_an505", ("3X3",)), ("mps2_an505", ())])
def test_one_channel_paths_a_build_leaves_out_take_the_plain_loop(cases, tmp_path, board_id, listed):
    """A build whose fwgen_nn_paths.h lists only some of nn_dsp_conv1ch.h's paths (as a model's
    build does) computes every other one-channel call with the plain loop, bit for bit."""
    import struct
    import subprocess

    from fwgen.testing.harness import Twin, build_image, run_image

    bench, _ = cases
    one = _one_channel_cases(bench, bench.variant_kernels())
    files = bench.image_files(one)
    files["fwgen_nn_paths.h"] = ("#define FWGEN_NN_1CH_PATHS_LISTED 1\n"
                                 + "".join(f"#define FWGEN_NN_1CH_USES_{p} 1\n" for p in listed))
    twin = Twin.from_board(board_id)
    elf = build_image(twin, tmp_path / "image", bench.MAIN, files, modules=("nn",))
    run_image(twin, elf, cwd=tmp_path, icount=True, timeout=900)
    words = struct.unpack(f"<{len(one) * bench.RESULT_WORDS}I", (tmp_path / "results.bin").read_bytes())
    wrong = [f"{c.kernel} {c.label}: status {words[i * 5]:#x}, {words[i * 5 + 3]} bytes differ"
             for i, c in enumerate(one) if words[i * 5] != 0 or words[i * 5 + 3] != 0]
    assert not wrong, "\n".join(wrong)
    # the image holds the listed paths' functions and the plain loop, none of the others
    symbols = subprocess.run(["arm-none-eabi-nm", str(elf)], capture_output=True, text=True,
                             check=True).stdout
    paths = {"3X3": "fwgen_nn_dsp_1ch_3x3", "W8": "fwgen_nn_dsp_1ch_w8",
             "RING": "fwgen_nn_dsp_1ch_rows"}
    assert {p for p, name in paths.items() if name in symbols} == set(listed)
    assert "fwgen_nn_dsp_1ch_plain" in symbols
