"""CONCATENATION -> fwgen_nn_concatenation_s8 (TFLM requires one shared quantization)."""
from __future__ import annotations

import numpy as np

from fwgen.compiler.lowering import (
    ConstArray, LowerContext, OpLowering, OpSignature, Step, register)
from fwgen.compiler.ops._common import require_per_tensor


@register
class Concatenation(OpLowering):
    opcode = "CONCATENATION"
    summary = "int8 CONCATENATION of tensors sharing one quantization"
    signature = OpSignature(inputs=(1, 255), options="ConcatenationOptions")

    def lower(self, ctx: LowerContext) -> Step:
        y = ctx.output()
        require_per_tensor(ctx, y, "output")
        act = ctx.option("FusedActivationFunction", "NONE")
        ctx.require(act == "NONE", f"fused activation {act}", "NONE")
        rank = len(y.shape)
        axis = int(ctx.option("Axis", 0))
        axis = axis + rank if axis < 0 else axis
        ctx.require(0 <= axis < max(rank, 1), f"axis {axis}", "an axis within the rank")
        inputs = [ctx.tensor(k) for k in range(len(ctx.op.inputs))]
        for t in inputs:
            require_per_tensor(ctx, t, "input")
            ctx.require(t.scale == y.scale and t.zero_point == y.zero_point,
                        f"input '{t.name}' quantized differently from the output",
                        "inputs sharing the output's scale and zero point")
            ctx.require(len(t.shape) == rank, f"input rank {len(t.shape)}", "equal ranks")
        outer = int(np.prod(y.shape[:axis], dtype=np.int64))
        inner = [int(np.prod(t.shape[axis:], dtype=np.int64)) for t in inputs]
        ctx.require(sum(inner) * outer == y.size, "input sizes that do not add up to the output",
                    "inputs matching the output outside the axis")
        arrays: list[ConstArray] = [ConstArray(ctx.name("inner"), "int32_t", np.array(inner, np.int64))]
        refs = [ctx.input_ref(k, arrays) for k in range(len(inputs))]
        call = (f"fwgen_nn_concatenation_s8({len(inputs)}, {outer}, {ctx.name('inner')}, "
                f"(const int8_t *const[]){{{', '.join(refs)}}}, {ctx.ref(y.index)})")
        return Step(op=ctx.op, kernel="fwgen_nn_concatenation_s8", call=call, arrays=arrays)
