"""MEAN -> fwgen_nn_mean_s8 (int32 accumulators in a scratch buffer of the arena)."""
from __future__ import annotations

import numpy as np

from fwgen.compiler.lowering import LowerContext, OpLowering, OpSignature, Step, decl, register
from fwgen.compiler.ops._common import require_per_tensor
from fwgen.compiler.quant import quantize_multiplier


def mean_multiplier(input_scale: float, output_scale: float, num: int) -> tuple[int, int]:
    """TFLM: QuantizeMultiplier(in/out) then divide the multiplier by the element count,
    pre-shifted left by min(floor(log2(num)), 32, 31 + shift) bits to keep precision."""
    m, s = quantize_multiplier(float(input_scale) / float(output_scale))
    shift = min(int(num).bit_length() - 1, 32, 31 + s)
    return int((m << shift) // num), s - shift


@register
class Mean(OpLowering):
    opcode = "MEAN"
    summary = "int8 MEAN over constant axes (keep_dims or not)"
    signature = OpSignature(inputs=(2, 2), options="ReducerOptions")

    def lower(self, ctx: LowerContext) -> Step:
        x, axes_t, y = ctx.tensor(0), ctx.tensor(1), ctx.output()
        require_per_tensor(ctx, x, "input")
        require_per_tensor(ctx, y, "output")
        ctx.require(axes_t.is_constant, "a non-constant axis tensor", "constant axes")
        rank = len(x.shape)
        ctx.require(1 <= rank <= 4, f"rank {rank}", "ranks 1 to 4")
        axes = sorted({int(a) + rank if int(a) < 0 else int(a) for a in np.asarray(axes_t.data).reshape(-1)})
        ctx.require(all(0 <= a < rank for a in axes), f"axes {axes} for rank {rank}", "axes within the rank")
        keep = [1 if i in axes else d for i, d in enumerate(x.shape)]
        strides = [0] * rank
        acc = 1
        for i in reversed(range(rank)):
            if i not in axes:
                strides[i] = acc
                acc *= keep[i]
        num_outputs = acc
        ctx.require(y.size == num_outputs, f"output of {y.size} elements (expected {num_outputs})",
                    "outputs shaped as TFLite computes them")
        num = int(np.prod([x.shape[a] for a in axes])) if axes else 1
        ctx.require(num > 0, "an empty reduction", "non-empty inputs")
        mult, shift = mean_multiplier(x.scale, y.scale, num)
        params = {"rank": rank, "dims": list(x.shape) + [1] * (4 - rank),
                  "out_strides": strides + [0] * (4 - rank), "num_outputs": num_outputs,
                  "num_reduced": num, "input_zero_point": x.zero_point, "output_zero_point": y.zero_point,
                  "multiplier": mult, "shift": shift}
        call = f"fwgen_nn_mean_s8(&{ctx.name('params')}, {ctx.ref(x.index)}, {ctx.ref(y.index)}, @s0@)"
        return Step(op=ctx.op, kernel="fwgen_nn_mean_s8", call=call,
                    decls=[decl("fwgen_nn_mean_params_t", ctx.name("params"), params)],
                    scratch=[4 * num_outputs], macs=x.size, comment=f"axes {axes}")
