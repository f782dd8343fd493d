"""PAD / PADV2 -> fwgen_nn_pad_s8 (pad value: output zero point, or PADV2's constant)."""
from __future__ import annotations

import numpy as np

from fwgen.compiler.lowering import LowerContext, OpLowering, OpSignature, Step, decl, register
from fwgen.compiler.ops._common import require_per_tensor


class _Pad(OpLowering):
    def lower(self, ctx: LowerContext) -> Step:
        x, p, y = ctx.tensor(0), ctx.tensor(1), ctx.output()
        require_per_tensor(ctx, x, "input")
        require_per_tensor(ctx, y, "output")
        ctx.require(x.scale == y.scale and x.zero_point == y.zero_point,
                    "a PAD that changes quantization", "identical input/output quantization")
        ctx.require(p.is_constant, "non-constant paddings", "constant paddings")
        rank = len(x.shape)
        pads = np.asarray(p.data, dtype=np.int64).reshape(-1, 2) if p.data is not None else None
        ctx.require(pads is not None and pads.shape[0] == rank and 1 <= rank <= 6 and bool(np.all(pads >= 0)),
                    "paddings not shaped [rank, 2] or negative", "non-negative [rank, 2] paddings, rank <= 6")
        out_dims = [int(d + a + b) for d, (a, b) in zip(x.shape, pads)]
        ctx.require(tuple(out_dims) == tuple(y.shape), f"output shape {list(y.shape)}", "padded input shape")
        value = y.zero_point
        if self.opcode == "PADV2" and ctx.has_input(2):
            c = ctx.tensor(2)
            ctx.require(c.is_constant and c.dtype == "int8", "a non-constant pad value", "constant int8 pad value")
            value = int(np.asarray(c.data).reshape(-1)[0])
        params = {"rank": rank, "in_dims": list(x.shape) + [1] * (6 - rank),
                  "out_dims": out_dims + [1] * (6 - rank),
                  "before": [int(a) for a in pads[:, 0]] + [0] * (6 - rank), "pad_value": value}
        call = f"fwgen_nn_pad_s8(&{ctx.name('params')}, {ctx.ref(x.index)}, {ctx.ref(y.index)})"
        return Step(op=ctx.op, kernel="fwgen_nn_pad_s8", call=call,
                    decls=[decl("fwgen_nn_pad_params_t", ctx.name("params"), params)])


@register
class Pad(_Pad):
    opcode = "PAD"
    summary = "int8 PAD with constant paddings"
    signature = OpSignature(inputs=(2, 2), options="PadOptions")


@register
class PadV2(_Pad):
    opcode = "PADV2"
    summary = "int8 PADV2 with a constant pad value"
    signature = OpSignature(inputs=(2, 3), optional=(2,), options="PadV2Options")
