"""LOGISTIC -> fwgen_nn_logistic_s8 (TFLM's Q4.27 input rescale)."""
from __future__ import annotations

import math

from fwgen.compiler.lowering import LowerContext, OpLowering, Overlap, Step, decl, register
from fwgen.compiler.ops._common import require_probability_output, require_per_tensor, same_shape_count

INPUT_INTEGER_BITS = 4


def logistic_params(input_scale: float) -> tuple[int, int, int]:
    """(multiplier, left_shift, range_radius) exactly as TFLM's LOGISTIC prepare derives them."""
    real = float(input_scale) * float(1 << (31 - INPUT_INTEGER_BITS))
    q, shift = math.frexp(real)
    scaled = q * float(1 << 31)
    multiplier = int(math.floor(abs(scaled) + 0.5)) * (1 if scaled >= 0 else -1)
    radius = ((1 << INPUT_INTEGER_BITS) - 1) * float(1 << (31 - INPUT_INTEGER_BITS)) / float(2.0 ** shift)
    return multiplier, shift, int(math.floor(radius))


@register
class Logistic(OpLowering):
    opcode = "LOGISTIC"
    summary = "int8 LOGISTIC (output scale 1/256, zero point -128)"

    def lower(self, ctx: LowerContext) -> Step:
        x, y = ctx.tensor(0), ctx.output()
        require_per_tensor(ctx, x, "input")
        require_probability_output(ctx, y)
        n = same_shape_count(ctx)
        mult, shift, radius = logistic_params(x.scale)
        params = {"size": n, "input_zero_point": x.zero_point, "input_range_radius": radius,
                  "input_multiplier": mult, "input_left_shift": shift}
        call = f"fwgen_nn_logistic_s8(&{ctx.name('params')}, {ctx.ref(x.index)}, {ctx.ref(y.index)})"
        return Step(op=ctx.op, kernel="fwgen_nn_logistic_s8", call=call,
                    decls=[decl("fwgen_nn_logistic_params_t", ctx.name("params"), params)],
                    overlaps=[Overlap(x.index, y.index, 0)], macs=n)
