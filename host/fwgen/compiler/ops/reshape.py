"""RESHAPE (and the other pure re-shapes): the output aliases the input, no code."""
from __future__ import annotations

from fwgen.compiler.lowering import LowerContext, OpLowering, OpSignature, Step, register


class _Alias(OpLowering):
    def lower(self, ctx: LowerContext) -> Step:
        x, y = ctx.tensor(0), ctx.output()
        ctx.require(x.dtype == y.dtype and x.size == y.size,
                    f"{x.dtype}{list(x.shape)} -> {y.dtype}{list(y.shape)}", "same type and element count")
        ctx.require(x.quant is None or y.quant is None or
                    (x.scale == y.scale and x.zero_point == y.zero_point),
                    "a reshape that changes quantization", "identical input/output quantization")
        call = f"fwgen_nn_reshape({ctx.ref(x.index)}, {ctx.ref(y.index)}, {x.nbytes})"
        return Step(op=ctx.op, kernel="fwgen_nn_reshape", call=call, alias=(x.index, y.index))


@register
class Reshape(_Alias):
    opcode = "RESHAPE"
    summary = "RESHAPE (aliased in place, no copy)"
    signature = OpSignature(inputs=(1, 2), optional=(1,), options="ReshapeOptions")


@register
class Squeeze(_Alias):
    opcode = "SQUEEZE"
    summary = "SQUEEZE (aliased in place)"
    signature = OpSignature(options="SqueezeOptions")


@register
class ExpandDims(_Alias):
    opcode = "EXPAND_DIMS"
    summary = "EXPAND_DIMS (aliased in place)"
    signature = OpSignature(inputs=(2, 2), options="ExpandDimsOptions")
