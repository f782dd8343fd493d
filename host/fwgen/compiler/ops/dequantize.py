"""DEQUANTIZE: int8 -> float32 graph output."""
from __future__ import annotations

from fwgen.compiler.geometry import elementwise_distance
from fwgen.compiler.lowering import LowerContext, OpLowering, OpSignature, Overlap, Step, register
from fwgen.compiler.ops._common import require_per_tensor, same_shape_count


@register
class Dequantize(OpLowering):
    opcode = "DEQUANTIZE"
    summary = "DEQUANTIZE int8 -> float32 (graph outputs)"
    signature = OpSignature(options="DequantizeOptions")

    def lower(self, ctx: LowerContext) -> Step:
        x, y = ctx.tensor(0), ctx.output()
        require_per_tensor(ctx, x, "input")
        ctx.require(y.dtype == "float32", f"output type {y.dtype}", "float32 output")
        n = same_shape_count(ctx)
        call = (f"fwgen_nn_dequantize_s8_f32({n}, {float(x.scale)!r}, {x.zero_point}, "
                f"{ctx.ref(x.index)}, {ctx.ref(y.index)})")
        return Step(op=ctx.op, kernel="fwgen_nn_dequantize_s8_f32", call=call, macs=n,
                    overlaps=[Overlap(x.index, y.index, elementwise_distance(n, 1, 4))])
