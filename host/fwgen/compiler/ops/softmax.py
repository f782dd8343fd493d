"""SOFTMAX -> fwgen_nn_softmax_s8 (TFLM's int8 fixed-point softmax constants)."""
from __future__ import annotations

import math

import numpy as np

from fwgen.compiler.lowering import (
    LowerContext, OpLowering, OpSignature, Overlap, Step, decl, register)
from fwgen.compiler.ops._common import require_probability_output, require_per_tensor
from fwgen.compiler.quant import quantize_multiplier

SCALED_DIFF_INTEGER_BITS = 5


def softmax_params(input_scale: float, beta: float) -> tuple[int, int, int]:
    """TFLM PreprocessSoftmaxScaling + CalculateInputRadius (all in double)."""
    real = min(float(beta) * float(input_scale) * float(1 << (31 - SCALED_DIFF_INTEGER_BITS)),
               float((1 << 31) - 1))
    multiplier, left_shift = quantize_multiplier(real)
    radius = ((1 << SCALED_DIFF_INTEGER_BITS) - 1) * float(1 << (31 - SCALED_DIFF_INTEGER_BITS)) \
        / float(1 << left_shift)
    diff_min = -int(math.floor(radius))
    return multiplier, left_shift, diff_min


@register
class Softmax(OpLowering):
    opcode = "SOFTMAX"
    summary = "int8 SOFTMAX (output scale 1/256, zero point -128)"
    signature = OpSignature(options="SoftmaxOptions", options_required=True)  # beta

    def lower(self, ctx: LowerContext) -> Step:
        x, y = ctx.tensor(0), ctx.output()
        require_per_tensor(ctx, x, "input")
        require_probability_output(ctx, y)
        depth = x.shape[-1] if x.shape else 1
        beta = float(ctx.option("Beta", 1.0))
        # TFLM aborts on beta <= 0 (its multiplier must be positive)
        ctx.require(math.isfinite(beta) and beta > 0, f"option Beta {str(np.float32(beta))}",
                    "a positive, finite beta")
        # TFLM's QuantizeMultiplierGreaterThanOne aborts unless beta * scale * 2^26 > 1
        real = beta * float(x.scale) * float(1 << (31 - SCALED_DIFF_INTEGER_BITS))
        ctx.require(real > 1.0, f"input scale {str(np.float32(x.scale))} * Beta {str(np.float32(beta))} = "
                    f"{beta * x.scale:.3g}",
                    f"input scale * beta above 2^-{31 - SCALED_DIFF_INTEGER_BITS} "
                    f"({2.0 ** -(31 - SCALED_DIFF_INTEGER_BITS):.3g}), as TFLM's int8 softmax requires")
        mult, shift, diff_min = softmax_params(x.scale, beta)
        params = {"rows": x.size // max(depth, 1), "depth": depth, "input_multiplier": mult,
                  "input_left_shift": shift, "diff_min": diff_min}
        call = f"fwgen_nn_softmax_s8(&{ctx.name('params')}, {ctx.ref(x.index)}, {ctx.ref(y.index)})"
        return Step(op=ctx.op, kernel="fwgen_nn_softmax_s8", call=call,
                    decls=[decl("fwgen_nn_softmax_params_t", ctx.name("params"), params)],
                    overlaps=[Overlap(x.index, y.index, 0)], macs=x.size)
