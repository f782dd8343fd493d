"""Checks and helpers shared by several lowerings (not an op itself)."""
from __future__ import annotations

import numpy as np

from fwgen.compiler.lowering import LowerContext
from fwgen.compiler.quant import SUPPORTED_ACTIVATIONS, activation_range
from fwgen.tflite.model import Tensor


def require_int8(ctx: LowerContext, t: Tensor, role: str) -> None:
    ctx.require(t.dtype == "int8", f"{role} tensor '{t.name}' of type {t.dtype}", "int8 tensors")
    ctx.require(t.quant is not None, f"{role} tensor '{t.name}' without quantization parameters",
                "quantized int8 tensors")


def require_per_tensor(ctx: LowerContext, t: Tensor, role: str) -> None:
    require_int8(ctx, t, role)
    assert t.quant is not None
    ctx.require(t.quant.scale.size == 1, f"per-channel quantization of {role} tensor '{t.name}'",
                "per-tensor quantized activations")


def require_probability_output(ctx: LowerContext, y: Tensor) -> None:
    """LOGISTIC/SOFTMAX outputs: TFLM's kernels fix int8 output scale 1/256, zero point -128."""
    require_per_tensor(ctx, y, "output")
    ctx.require(y.zero_point == -128 and float(np.float32(y.scale)) == 1.0 / 256,
                f"output scale {y.scale} zero point {y.zero_point}", "output scale 1/256, zero point -128")


def require_weights(ctx: LowerContext, t: Tensor, role: str = "filter") -> None:
    ctx.require(t.is_constant, f"a non-constant {role} '{t.name}'", f"constant int8 {role} tensors")
    require_int8(ctx, t, role)
    assert t.quant is not None
    ctx.require(bool(np.all(t.quant.zero_point == 0)), f"{role} '{t.name}' with a non-zero zero point",
                "symmetric int8 weights (zero point 0)")


def bias_values(ctx: LowerContext, k: int, channels: int) -> np.ndarray | None:
    if not ctx.has_input(k):
        return None
    b = ctx.tensor(k)
    ctx.require(b.is_constant and b.dtype == "int32", f"bias '{b.name}' of type {b.dtype}",
                "constant int32 bias")
    ctx.require(b.size == channels, f"bias '{b.name}' with {b.size} values for {channels} channels",
                "one bias per output channel")
    return np.asarray(b.data, dtype=np.int64).reshape(-1)


# TensorType codes QuantizedBiasType may hold: FLOAT32 (0, the schema's default: unset) or the
# int32 bias fwgen's int8 kernels take; TFLM refuses a bias of another type than the option says
_BIAS_TYPES = {0: "unset", 2: "INT32"}


def require_bias_type_option(ctx: LowerContext) -> None:
    value = ctx.option("QuantizedBiasType", 0)
    ctx.require(value in _BIAS_TYPES, f"option QuantizedBiasType {value!r}",
                "QuantizedBiasType unset (0) or INT32 (2), the int32 bias of int8 kernels")


def fused_range(ctx: LowerContext, out: Tensor) -> tuple[int, int]:
    act = ctx.option("FusedActivationFunction", "NONE")
    ctx.require(act in SUPPORTED_ACTIVATIONS, f"fused activation {act}", ", ".join(SUPPORTED_ACTIVATIONS))
    return activation_range(act, out.scale, out.zero_point)


def same_shape_count(ctx: LowerContext) -> int:
    a, o = ctx.tensor(0), ctx.output()
    ctx.require(a.size == o.size, f"input of {a.size} elements with output of {o.size}",
                "same element count in input and output")
    return o.size
