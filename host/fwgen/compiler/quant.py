"""Quantization arithmetic, exactly as TFLM computes it (Python twin of firmware/nn/nn_quant.c).

Real multipliers are encoded TFLM-style as (multiplier, shift) with
    real = multiplier * 2**(shift - 31),  multiplier in [2**30, 2**31) (or 0)
`quantize_multiplier` follows TFLM's QuantizeMultiplier: `frexp` splits the double into a
significand in [0.5, 1) and an exponent; the significand is scaled by 2**31 and rounded half away
from zero (std::round); a significand that rounds up to 2**31 is halved with the exponent bumped;
exponents below -31 flush to (0, 0) and above 30 saturate.

`requantize` is TFLM's MultiplyByQuantizedMultiplier: a saturating *rounding doubling high
multiply* (round(x * m / 2**31)) followed by a rounding right shift (half away from zero), the
two-step "gemmlowp" rounding TFLM uses everywhere (LiteRT's single-rounding variant differs by ±1).

Where TFLM computes a real multiplier from float32 tensor scales, the helpers here take the
scales as float32 and reproduce the precision of each step (float or double) as TFLM does it.
"""
from __future__ import annotations

import math

import numpy as np

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


def quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLM QuantizeMultiplier(double) -> (multiplier, shift)."""
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    scaled = q * float(1 << 31)
    q_fixed = int(math.floor(abs(scaled) + 0.5)) * (1 if scaled >= 0 else -1)  # std::round
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    if shift > 30:
        shift, q_fixed = 30, (1 << 31) - 1
    return int(q_fixed), int(shift)


def doubling_high_mul(a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    """TFLM SaturatingRoundingDoublingHighMul on int64 arrays holding int32 values."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    s = ab + nudge
    # C division truncates toward zero
    q = np.where(s >= 0, s // (1 << 31), -((-s) // (1 << 31)))
    return np.where((a == INT32_MIN) & (b == INT32_MIN), INT32_MAX, q)


def rounding_divide_by_pot(x: np.ndarray | int, exponent: np.ndarray | int) -> np.ndarray:
    """TFLM RoundingDivideByPOT: x / 2**exponent, rounding half away from zero."""
    x = np.asarray(x, dtype=np.int64)
    e = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << e) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> e) + (remainder > threshold)


def requantize(x: np.ndarray | int, multiplier: np.ndarray | int, shift: np.ndarray | int) -> np.ndarray:
    """TFLM MultiplyByQuantizedMultiplier(int32 x, multiplier, shift), vectorized."""
    x = np.asarray(x, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    scaled = ((x << left) + 2**31) % 2**32 - 2**31  # int32 wrap, as the C code does
    return rounding_divide_by_pot(doubling_high_mul(scaled, multiplier), right)


def f32(value: float) -> np.float32:
    return np.float32(value)


def conv_multipliers(input_scale: float, filter_scales: np.ndarray, output_scale: float,
                     channels: int) -> tuple[list[int], list[int]]:
    """Per-channel (multiplier, shift) of CONV_2D/DEPTHWISE_CONV_2D (TFLM
    PopulateConvolutionQuantizationParams): double(in) * double(filter[c]) / double(out)."""
    scales = np.asarray(filter_scales, dtype=np.float32).reshape(-1)
    mults, shifts = [], []
    for c in range(channels):
        s = scales[c] if scales.size > 1 else scales[0]
        m, sh = quantize_multiplier(float(input_scale) * float(s) / float(output_scale))
        mults.append(m)
        shifts.append(sh)
    return mults, shifts


def fc_multiplier(input_scale: float, filter_scale: float, output_scale: float) -> tuple[int, int]:
    """FULLY_CONNECTED per-tensor multiplier (TFLM GetQuantizedConvolutionMultipler): the input
    and filter scales are multiplied in float32, then divided by the output scale in double."""
    product = float(np.float32(input_scale) * np.float32(filter_scale))
    return quantize_multiplier(product / float(output_scale))


def quantize_float(value: float, scale: float, zero_point: int) -> int:
    """TFLM's `zero_point + (int)round(value / scale)` with float32 division (activation ranges)."""
    q = np.float32(value) / np.float32(scale)
    return int(zero_point) + int(np.round(q) if abs(q) < 2**31 else np.sign(q) * 2**31)


def round_half_away(x: float) -> int:
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def activation_range(activation: str, scale: float, zero_point: int,
                     qmin: int = -128, qmax: int = 127) -> tuple[int, int]:
    """TFLM CalculateActivationRangeQuantized for a fused activation name (NONE/RELU/RELU6/RELU_N1_TO_1)."""
    def quant(f: float) -> int:
        q = float(np.float32(f) / np.float32(scale))
        return int(zero_point) + round_half_away(q)

    if activation == "NONE":
        return qmin, qmax
    if activation == "RELU":
        return max(qmin, quant(0.0)), qmax
    if activation == "RELU6":
        return max(qmin, quant(0.0)), min(qmax, quant(6.0))
    if activation == "RELU_N1_TO_1":
        return max(qmin, quant(-1.0)), min(qmax, quant(1.0))
    raise ValueError(activation)


SUPPORTED_ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")
