"""MUL -> fwgen_nn_mul_s8."""
from __future__ import annotations

from fwgen.compiler.lowering import LowerContext, OpLowering, OpSignature, Step, register
from fwgen.compiler.ops._binary import binary_step
from fwgen.compiler.quant import quantize_multiplier
from fwgen.tflite.model import Tensor


@register
class Mul(OpLowering):
    opcode = "MUL"
    summary = "int8 MUL with broadcasting up to 4-D"
    signature = OpSignature(inputs=(2, 2), options="MulOptions")

    def lower(self, ctx: LowerContext) -> Step:
        return binary_step(ctx, "fwgen_nn_mul_s8", _multiplier)


def _multiplier(a: Tensor, b: Tensor, y: Tensor) -> dict[str, int]:
    m, s = quantize_multiplier(float(a.scale) * float(b.scale) / float(y.scale))
    return {"output_multiplier": m, "output_shift": s}
