"""Kernel variants == portable kernels, bit for bit, on the Cortex-M33, M4F and M7 twins.

For every kernel with a variant in firmware/nn/dsp/, one image per twin (fwgen.testing.harness:
built like shipped firmware, so it links the board's variant) also holds the portable kernel under
another name (a wrapper C file that #defines the function name and #includes firmware/nn/<file>),
runs both on the same inputs and counts differing output bytes: the layers of the zoo models (and
TFLM's micro_speech model) that call the kernel, as fwgen's compiler lowers them, and random shapes
and parameters (every path of each variant: depth multipliers, 1x1, grouped, padding, strides,
dilations, reverse order, channel tails), and windows at the variants' stack limits. benchmarks/nn_kernels.py builds the same images and
prints the instructions per call.
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
