"""The kernel-variant bench's cases and image sources (benchmarks/nn_kernels.py), without a
toolchain: every variant in firmware/nn/dsp/ gets zoo and random cases, and the image compiles
the portable kernel from firmware/nn/ under another name instead of copying it."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("nn_kernels", ROOT / "benchmarks" / "nn_kernels.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_every_variant_has_a_portable_kernel_and_random_cases(bench):
    kernels = bench.variant_kernels()
    assert kernels, "firmware/nn/dsp/ holds the DSP variants"
    for kernel in kernels:
        assert (bench.NN_DIR / f"{kernel.removeprefix('fwgen_')}.c").is_file()
        cases = bench.random_cases([kernel], 6, seed=3)
        assert len(cases) == 6
        assert all(c.kernel == kernel and c.call.startswith(f"{kernel}(") for c in cases)
        assert all("@in@" in c.call and "@out@" in c.call for c in cases)
        assert all(c.out_bytes > 0 and c.input_values.size > 0 for c in cases)


def test_random_cases_are_reproducible(bench):
    kernels = bench.variant_kernels()
    first = bench.random_cases(kernels, 4, seed=9)
    again = bench.random_cases(kernels, 4, seed=9)
    assert [c.label for c in first] == [c.label for c in again]
    assert all((a.input_values == b.input_values).all() for a, b in zip(first, again))


def test_the_image_renames_the_portable_kernel(bench):
    kernels = bench.variant_kernels()
    cases = bench.random_cases(kernels, 2, seed=5)
    files = bench.image_files(cases)
    for kernel in kernels:
        wrapper = files[f"portable_{kernel.removeprefix('fwgen_')}.c"]
        source = bench.NN_DIR / f"{kernel.removeprefix('fwgen_')}.c"
        assert f"#define {kernel} {kernel}_portable" in wrapper
        assert f'#include "{source}"' in wrapper       # compiled from firmware/nn, not copied
        assert f"fwgen_status_t {kernel}_portable(" in files["nn_cases.h"]
    body = files["nn_cases.c"]
    for i, c in enumerate(cases):
        assert f"case{i}_portable" in body and f"case{i}_variant" in body
        assert f"{c.kernel}_portable(" in body
    assert f"#define NN_CASES {len(cases)}u" in files["nn_cases.h"]
