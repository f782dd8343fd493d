"""TRANSPOSE -> fwgen_nn_transpose_s8."""
from __future__ import annotations

import numpy as np

from fwgen.compiler.lowering import LowerContext, OpLowering, OpSignature, Step, decl, register
from fwgen.compiler.ops._common import require_per_tensor


@register
class Transpose(OpLowering):
    opcode = "TRANSPOSE"
    summary = "int8 TRANSPOSE up to rank 6 with a constant permutation"
    signature = OpSignature(inputs=(2, 2), options="TransposeOptions")

    def lower(self, ctx: LowerContext) -> Step:
        x, p, y = ctx.tensor(0), ctx.tensor(1), ctx.output()
        require_per_tensor(ctx, x, "input")
        ctx.require(p.is_constant, "a non-constant permutation", "constant permutations")
        rank = len(x.shape)
        perm = [int(v) for v in np.asarray(p.data).reshape(-1)]
        ctx.require(1 <= rank <= 6 and sorted(perm) == list(range(rank)), f"permutation {perm}",
                    "a permutation of the input axes, rank <= 6")
        in_strides = [int(np.prod(x.shape[i + 1:], dtype=np.int64)) for i in range(rank)]
        out_dims = [x.shape[a] for a in perm]
        ctx.require(tuple(out_dims) == tuple(y.shape), f"output shape {list(y.shape)}", "permuted input shape")
        params = {"rank": rank, "out_dims": out_dims + [1] * (6 - rank),
                  "in_strides": [in_strides[a] for a in perm] + [0] * (6 - rank)}
        call = f"fwgen_nn_transpose_s8(&{ctx.name('params')}, {ctx.ref(x.index)}, {ctx.ref(y.index)})"
        return Step(op=ctx.op, kernel="fwgen_nn_transpose_s8", call=call,
                    decls=[decl("fwgen_nn_transpose_params_t", ctx.name("params"), params)])
