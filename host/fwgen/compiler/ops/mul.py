"""MUL -> fwgen_nn_mul_s8."""
from __future__ import annotations

from fwgen.compiler.lowering import LowerContext, OpLowering, Overlap, Step, decl, register
from fwgen.compiler.ops._binary import broadcast
from fwgen.compiler.ops._common import fused_range, require_per_tensor
from fwgen.compiler.quant import quantize_multiplier


@register
class Mul(OpLowering):
    opcode = "MUL"
    summary = "int8 MUL with broadcasting up to 4-D"

    def lower(self, ctx: LowerContext) -> Step:
        a, b, y = ctx.tensor(0), ctx.tensor(1), ctx.output()
        for t, role in ((a, "input 1"), (b, "input 2"), (y, "output")):
            require_per_tensor(ctx, t, role)
        dims, st1, st2 = broadcast(ctx)
        lo, hi = fused_range(ctx, y)
        m, s = quantize_multiplier(float(a.scale) * float(b.scale) / float(y.scale))
        params = {"out_dims": dims, "in1_strides": st1, "in2_strides": st2,
                  "input1_offset": -a.zero_point, "input2_offset": -b.zero_point,
                  "output_offset": y.zero_point, "output_multiplier": m, "output_shift": s,
                  "act_min": lo, "act_max": hi}
        arrays: list = []
        in1, in2 = ctx.input_ref(0, arrays), ctx.input_ref(1, arrays)
        call = f"fwgen_nn_mul_s8(&{ctx.name('params')}, {in1}, {in2}, {ctx.ref(y.index)})"
        overlaps = [Overlap(t.index, y.index, 0) for t in (a, b)
                    if not t.is_constant and tuple(t.shape) == tuple(y.shape)]
        return Step(op=ctx.op, kernel="fwgen_nn_mul_s8", call=call, arrays=arrays,
                    decls=[decl("fwgen_nn_binary_params_t", ctx.name("params"), params)],
                    overlaps=overlaps, macs=y.size)
