"""FFT plans shared by both frontends' C FFTs: the split of a power-of-two complex FFT into
radix-4 and radix-2 stages, and the decimation-in-time input order those stages need.

Both C FFTs (firmware/frontend/fft.c in fixed point, logmel.c in float32) compute an N/2-point
complex FFT in place, stage by stage, from input that Python permuted once into a table. They
differ only in where the radix-2 stage of a non-power-of-four size goes:

* fixed point, like kiss_fft: radix-4 stages first, the radix-2 stage innermost
  (`radix_stages(n)`, e.g. 256 -> [4, 4, 4, 2]);
* float log-mel: the radix-2 stage outermost (`radix_stages(n, radix2_first=True)`,
  256 -> [2, 4, 4, 4]): evens then odds, each in base-4 digit-reversed order.

`dit_input_order(n, radices)[p]` is the complex sample that slot p of the first stage reads.
"""
from __future__ import annotations

import math

import numpy as np

from fwgen.errors import FwgenError


def radix_stages(n_complex: int, *, radix2_first: bool = False) -> list[int]:
    """Stages of an n_complex-point FFT, outermost first: as many 4s as fit, plus one 2."""
    if n_complex < 1 or n_complex & (n_complex - 1):
        raise FwgenError(f"a complex FFT of {n_complex} points is not a power of two")
    log2 = n_complex.bit_length() - 1
    radices = [4] * (log2 // 2)
    if log2 % 2:
        radices = [2] + radices if radix2_first else radices + [2]
    return radices


def dit_input_order(n_complex: int, radices: list[int]) -> np.ndarray:
    """Decimation-in-time input order for `radices` (outermost first; kiss_fft's kf_work
    recursion, flattened): uint16 [n_complex]."""
    if math.prod(radices) != n_complex:
        raise FwgenError(f"radices {radices} do not multiply to {n_complex}")
    order = np.zeros(n_complex, dtype=np.uint16)

    def visit(out: int, src: int, fstride: int, level: int) -> None:
        p = radices[level]
        m = n_complex // math.prod(radices[:level + 1])
        for j in range(p):
            if m == 1:
                order[out + j] = src + j * fstride
            else:
                visit(out + j * m, src + j * fstride, fstride * p, level + 1)

    visit(0, 0, 1, 0)
    return order
