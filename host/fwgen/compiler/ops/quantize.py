"""QUANTIZE: float32 graph input -> int8, or int8 -> int8 requantization."""
from __future__ import annotations

from fwgen.compiler.geometry import elementwise_distance
from fwgen.compiler.lowering import (
    LowerContext, OpLowering, OpSignature, Overlap, Step, decl, register)
from fwgen.compiler.ops._common import require_per_tensor, same_shape_count
from fwgen.compiler.quant import quantize_multiplier


@register
class Quantize(OpLowering):
    opcode = "QUANTIZE"
    summary = "QUANTIZE float32 -> int8 (graph inputs) and int8 -> int8"
    signature = OpSignature(options="QuantizeOptions")

    def lower(self, ctx: LowerContext) -> Step:
        x, y = ctx.tensor(0), ctx.output()
        require_per_tensor(ctx, y, "output")
        n = same_shape_count(ctx)
        if x.dtype == "float32":
            call = (f"fwgen_nn_quantize_f32_s8({n}, {float(y.scale)!r}, {y.zero_point}, "
                    f"{ctx.ref(x.index)}, {ctx.ref(y.index)})")
            return Step(op=ctx.op, kernel="fwgen_nn_quantize_f32_s8", call=call, macs=n,
                        overlaps=[Overlap(x.index, y.index, elementwise_distance(n, 4, 1))])
        require_per_tensor(ctx, x, "input")
        m, s = quantize_multiplier(float(x.scale) / float(y.scale))
        params = {"size": n, "input_zero_point": x.zero_point, "output_offset": y.zero_point,
                  "multiplier": m, "shift": s, "act_min": -128, "act_max": 127}
        call = f"fwgen_nn_requantize_s8(&{ctx.name('params')}, {ctx.ref(x.index)}, {ctx.ref(y.index)})"
        return Step(op=ctx.op, kernel="fwgen_nn_requantize_s8", call=call, macs=n,
                    decls=[decl("fwgen_nn_requant_params_t", ctx.name("params"), params)],
                    overlaps=[Overlap(x.index, y.index, 0)])
