"""The C fixed-point primitives (firmware/nn/nn_quant.c) against their Python twins."""
from __future__ import annotations

import ctypes
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fwgen import native
from fwgen.compiler import quant


def _lib():
    lib = native.load_core()
    lib.fwgen_nn_requantize.restype = ctypes.c_int32
    lib.fwgen_nn_requantize.argtypes = [ctypes.c_int32, ctypes.c_int32, ctypes.c_int32]
    lib.fwgen_nn_quantize_multiplier.restype = None
    lib.fwgen_nn_quantize_multiplier.argtypes = [ctypes.c_double, ctypes.POINTER(ctypes.c_int32),
                                                 ctypes.POINTER(ctypes.c_int32)]
    lib.fwgen_nn_doubling_high_mul.restype = ctypes.c_int32
    lib.fwgen_nn_doubling_high_mul.argtypes = [ctypes.c_int32, ctypes.c_int32]
    return lib


def test_quantize_multiplier_known_values():
    assert quant.quantize_multiplier(0.0) == (0, 0)
    assert quant.quantize_multiplier(0.5) == (1 << 30, 0)
    assert quant.quantize_multiplier(1.0) == (1 << 30, 1)
    assert quant.quantize_multiplier(0.75) == (3 << 29, 0)
    # significand that rounds up to 2^31 is halved and the exponent bumped
    assert quant.quantize_multiplier(1.0 - 2.0**-40) == (1 << 30, 1)
    assert quant.quantize_multiplier(2.0**-40) == (0, 0)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.floats(min_value=1e-12, max_value=1e6, allow_nan=False, allow_infinity=False))
def test_quantize_multiplier_c_twin(real):
    lib = _lib()
    m, s = ctypes.c_int32(), ctypes.c_int32()
    lib.fwgen_nn_quantize_multiplier(real, ctypes.byref(m), ctypes.byref(s))
    assert (m.value, s.value) == quant.quantize_multiplier(real)
    if m.value:
        assert math.isclose(m.value * 2.0 ** (s.value - 31), real, rel_tol=2**-30)


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(st.integers(-(2**31), 2**31 - 1), st.integers(0, 2**31 - 1), st.integers(-31, 30))
def test_requantize_c_twin(x, multiplier, shift):
    lib = _lib()
    if shift > 0:
        x = max(min(x, (2**31 - 1) >> shift), -(2**31) >> shift)  # TFLM's precondition: no overflow
    assert lib.fwgen_nn_requantize(x, multiplier, shift) == int(quant.requantize(x, multiplier, shift))


def test_doubling_high_mul_saturates_and_rounds():
    lib = _lib()
    assert lib.fwgen_nn_doubling_high_mul(-(2**31), -(2**31)) == 2**31 - 1
    assert int(quant.doubling_high_mul(-(2**31), -(2**31))) == 2**31 - 1
    for a, b in [(3, 1 << 30), (-3, 1 << 30), (5, 1 << 29), (-5, 1 << 29), (123456789, 987654321)]:
        exact = a * b / 2**31
        assert abs(lib.fwgen_nn_doubling_high_mul(a, b) - exact) <= 0.5
        assert lib.fwgen_nn_doubling_high_mul(a, b) == int(quant.doubling_high_mul(a, b))


def test_rounding_divide_by_pot_rounds_half_away_from_zero():
    values = np.array([5, -5, 6, -6, 7, -7, 1024, -1025])
    assert quant.rounding_divide_by_pot(values, 1).tolist() == [3, -3, 3, -3, 4, -4, 512, -513]
    assert quant.rounding_divide_by_pot(values, 2).tolist() == [1, -1, 2, -2, 2, -2, 256, -256]


def test_activation_ranges():
    assert quant.activation_range("NONE", 0.1, 3) == (-128, 127)
    assert quant.activation_range("RELU", 0.1, -20) == (-20, 127)
    assert quant.activation_range("RELU6", 0.05, -128) == (-128, -8)
    assert quant.activation_range("RELU6", 0.01, 0) == (0, 127)
