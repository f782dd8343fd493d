"""fwgen.frontend.fft_plan: the stage split and input order both C FFTs are fed, checked against
hand-derived orders and against a direct evaluation of the stages in NumPy."""
from __future__ import annotations

import numpy as np
import pytest

from fwgen.errors import FwgenError
from fwgen.frontend.fft_plan import dit_input_order, radix_stages


def test_stage_splits():
    assert radix_stages(256) == [4, 4, 4, 4]
    assert radix_stages(128) == [4, 4, 4, 2]                      # kiss_fft: radix 2 innermost
    assert radix_stages(128, radix2_first=True) == [2, 4, 4, 4]   # log-mel: radix 2 outermost
    with pytest.raises(FwgenError, match="not a power of two"):
        radix_stages(96)


def test_hand_derived_orders():
    assert dit_input_order(16, [4, 4]).tolist() == [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14,
                                                   3, 7, 11, 15]   # base-4 digit reversal
    assert dit_input_order(8, [2, 4]).tolist() == [0, 2, 4, 6, 1, 3, 5, 7]
    assert dit_input_order(8, [4, 2]).tolist() == [0, 4, 1, 5, 2, 6, 3, 7]


def _dit_fft(x: np.ndarray, radices: list[int]) -> np.ndarray:
    """Decimation in time from the permuted input: butterflies of the innermost stage first."""
    n = len(x)
    data = x[dit_input_order(n, radices)].astype(np.complex128)
    size = 1
    for p in reversed(radices):
        block = size * p
        out = np.empty_like(data)
        for start in range(0, n, block):
            parts = [data[start + j * size:start + (j + 1) * size] for j in range(p)]
            k = np.arange(block)
            out[start:start + block] = sum(
                parts[j][k % size] * np.exp(-2j * np.pi * j * k / block) for j in range(p))
        data, size = out, block
    return data


@pytest.mark.parametrize("n", [4, 8, 32, 64, 128, 512])
@pytest.mark.parametrize("radix2_first", [False, True])
def test_orders_compute_the_fft(n, radix2_first):
    x = np.random.default_rng(n).normal(size=n) + 1j * np.random.default_rng(n + 1).normal(size=n)
    got = _dit_fft(x, radix_stages(n, radix2_first=radix2_first))
    assert np.allclose(got, np.fft.fft(x), atol=1e-9)
