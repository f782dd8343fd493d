"""HARD_SWISH -> fwgen_nn_hard_swish_s8 (TFLM's int16 fixed-point parameters)."""
from __future__ import annotations

import numpy as np

from fwgen.compiler.lowering import (
    LowerContext, OpLowering, OpSignature, Overlap, Step, decl, register)
from fwgen.compiler.ops._common import require_per_tensor, same_shape_count
from fwgen.compiler.quant import quantize_multiplier


def downscale_to_int16(multiplier: int) -> int:
    """TFLM DownScaleInt32ToInt16Multiplier: round a Q31 multiplier to Q15."""
    if multiplier >= 2**31 - 1 - (1 << 15):
        return 2**15 - 1
    return (multiplier + (1 << 15)) >> 16


def hard_swish_params(input_scale: float, output_scale: float) -> dict[str, int]:
    """The float32 arithmetic of TFLM's HardSwishPrepare, then QuantizeMultiplier on each."""
    hires = np.float32(1.0 / 128.0) * np.float32(input_scale)
    reluish_scale = np.float32(3.0) / np.float32(32768.0)
    out_m, out_e = quantize_multiplier(float(np.float32(hires / np.float32(output_scale))))
    rel_m, rel_e = quantize_multiplier(float(np.float32(hires / reluish_scale)))
    return {"output_multiplier_fixedpoint_int16": downscale_to_int16(out_m),
            "output_multiplier_exponent": out_e,
            "reluish_multiplier_fixedpoint_int16": downscale_to_int16(rel_m),
            "reluish_multiplier_exponent": rel_e}


@register
class HardSwish(OpLowering):
    opcode = "HARD_SWISH"
    summary = "int8 HARD_SWISH"
    signature = OpSignature(options="HardSwishOptions")

    def lower(self, ctx: LowerContext) -> Step:
        x, y = ctx.tensor(0), ctx.output()
        require_per_tensor(ctx, x, "input")
        require_per_tensor(ctx, y, "output")
        n = same_shape_count(ctx)
        q = hard_swish_params(x.scale, y.scale)
        ctx.require(q["output_multiplier_exponent"] <= 0, "an output scale below input scale / 128",
                    "output scale >= input scale / 128 (TFLM's limit)")
        params = {"size": n, "input_zero_point": x.zero_point, "output_zero_point": y.zero_point, **q}
        call = f"fwgen_nn_hard_swish_s8(&{ctx.name('params')}, {ctx.ref(x.index)}, {ctx.ref(y.index)})"
        return Step(op=ctx.op, kernel="fwgen_nn_hard_swish_s8", call=call,
                    decls=[decl("fwgen_nn_hard_swish_params_t", ctx.name("params"), params)],
                    overlaps=[Overlap(x.index, y.index, 0)], macs=n)
