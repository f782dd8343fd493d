"""ADD -> fwgen_nn_add_s8 (TFLM's 20-bit left shift and three multipliers)."""
from __future__ import annotations

from fwgen.compiler.lowering import LowerContext, OpLowering, Overlap, Step, decl, register
from fwgen.compiler.ops._binary import broadcast
from fwgen.compiler.ops._common import fused_range, require_per_tensor
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

    def lower(self, ctx: LowerContext) -> Step:
        a, b, y = ctx.tensor(0), ctx.tensor(1), ctx.output()
        for t, role in ((a, "input 1"), (b, "input 2"), (y, "output")):
            require_per_tensor(ctx, t, role)
        dims, st1, st2 = broadcast(ctx)
        lo, hi = fused_range(ctx, y)
        params = {"out_dims": dims, "in1_strides": st1, "in2_strides": st2,
                  "input1_offset": -a.zero_point, "input2_offset": -b.zero_point,
                  "output_offset": y.zero_point, **add_multipliers(a.scale, b.scale, y.scale),
                  "act_min": lo, "act_max": hi}
        arrays: list = []
        in1, in2 = ctx.input_ref(0, arrays), ctx.input_ref(1, arrays)
        call = f"fwgen_nn_add_s8(&{ctx.name('params')}, {in1}, {in2}, {ctx.ref(y.index)})"
        overlaps = [Overlap(t.index, y.index, 0) for t in (a, b)
                    if not t.is_constant and tuple(t.shape) == tuple(y.shape)]
        return Step(op=ctx.op, kernel="fwgen_nn_add_s8", call=call, arrays=arrays,
                    decls=[decl("fwgen_nn_binary_params_t", ctx.name("params"), params)],
                    overlaps=overlaps, macs=y.size)
