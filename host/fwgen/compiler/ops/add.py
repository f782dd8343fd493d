"""ADD -> fwgen_nn_add_s8 (TFLM's 20-bit left shift and three multipliers)."""
from __future__ import annotations

from fwgen.compiler.lowering import LowerContext, OpLowering, OpSignature, Step, register
from fwgen.compiler.ops._binary import binary_step
from fwgen.compiler.quant import quantize_multiplier

LEFT_SHIFT = 20


def add_multipliers(s1: float, s2: float, so: float) -> dict[str, int]:
    twice_max = 2.0 * float(max(s1, s2))
    m1, sh1 = quantize_multiplier(float(s1) / twice_max)
    m2, sh2 = quantize_multiplier(float(s2) / twice_max)
    mo, sho = quantize_multiplier(twice_max / ((1 << LEFT_SHIFT) * float(so)))
    return {"input1_multiplier": m1, "input1_shift": sh1, "input2_multiplier": m2, "input2_shift": sh2,
            "left_shift": LEFT_SHIFT, "output_multiplier": mo, "output_shift": sho}


@register
class Add(OpLowering):
    opcode = "ADD"
    summary = "int8 ADD with broadcasting up to 4-D"
    signature = OpSignature(inputs=(2, 2), options="AddOptions")

    def lower(self, ctx: LowerContext) -> Step:
        return binary_step(ctx, "fwgen_nn_add_s8",
                           lambda a, b, y: add_multipliers(a.scale, b.scale, y.scale))
