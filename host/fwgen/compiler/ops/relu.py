"""RELU (rescale + clamp) and RELU6 (clamp in the input's quantization), as TFLM does them."""
from __future__ import annotations

import numpy as np

from fwgen.compiler.lowering import LowerContext, OpLowering, Overlap, Step, decl, register
from fwgen.compiler.ops._common import require_per_tensor, same_shape_count
from fwgen.compiler.quant import quantize_multiplier, round_half_away


def _step(ctx: LowerContext, params: dict) -> Step:
    x, y = ctx.tensor(0), ctx.output()
    call = f"fwgen_nn_requantize_s8(&{ctx.name('params')}, {ctx.ref(x.index)}, {ctx.ref(y.index)})"
    return Step(op=ctx.op, kernel="fwgen_nn_requantize_s8", call=call,
                decls=[decl("fwgen_nn_requant_params_t", ctx.name("params"), params)],
                overlaps=[Overlap(x.index, y.index, 0)], macs=params["size"])


@register
class Relu(OpLowering):
    opcode = "RELU"
    summary = "int8 RELU"

    def lower(self, ctx: LowerContext) -> Step:
        x, y = ctx.tensor(0), ctx.output()
        require_per_tensor(ctx, x, "input")
        require_per_tensor(ctx, y, "output")
        n = same_shape_count(ctx)
        m, s = quantize_multiplier(float(x.scale) / float(y.scale))
        return _step(ctx, {"size": n, "input_zero_point": x.zero_point, "output_offset": y.zero_point,
                           "multiplier": m, "shift": s, "act_min": max(-128, y.zero_point), "act_max": 127})


@register
class Relu6(OpLowering):
    opcode = "RELU6"
    summary = "int8 RELU6 (TFLM clamps in the input's quantization)"

    def lower(self, ctx: LowerContext) -> Step:
        x, y = ctx.tensor(0), ctx.output()
        require_per_tensor(ctx, x, "input")
        require_per_tensor(ctx, y, "output")
        n = same_shape_count(ctx)
        six = x.zero_point + round_half_away(float(np.float32(6.0) / np.float32(x.scale)))
        return _step(ctx, {"size": n, "input_zero_point": x.zero_point, "output_offset": 0,
                           "multiplier": 0, "shift": 0, "act_min": max(-128, min(127, x.zero_point)),
                           "act_max": max(-128, min(127, six))})
