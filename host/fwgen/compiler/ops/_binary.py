"""What ADD and MUL lower alike: broadcast geometry, checks, params struct and call."""
from __future__ import annotations

from typing import Any, Callable

from fwgen.compiler.lowering import LowerContext, Overlap, Step, decl, padded
from fwgen.compiler.ops._common import fused_range, require_per_tensor
from fwgen.tflite.model import Tensor


def broadcast(ctx: LowerContext) -> tuple[list[int], list[int], list[int]]:
    a, b, y = ctx.tensor(0), ctx.tensor(1), ctx.output()
    rank = max(len(a.shape), len(b.shape), len(y.shape))
    ctx.require(rank <= 4, f"rank {rank}", "ranks up to 4")
    sa, sb, so = padded(a.shape, 4), padded(b.shape, 4), padded(y.shape, 4)
    for i in range(4):
        ok = sa[i] in (1, so[i]) and sb[i] in (1, so[i]) and so[i] == max(sa[i], sb[i])
        ctx.require(ok, f"broadcast of {list(a.shape)} with {list(b.shape)} to {list(y.shape)}",
                    "numpy-style broadcasting")

    def strides(shape: list[int]) -> list[int]:
        out, acc = [0] * 4, 1
        for i in reversed(range(4)):
            out[i] = 0 if shape[i] == 1 else acc
            acc *= shape[i]
        return out

    return so, strides(sa), strides(sb)


def binary_step(ctx: LowerContext, kernel: str,
                quant_params: Callable[[Tensor, Tensor, Tensor], dict[str, Any]]) -> Step:
    """`kernel(&params, in1, in2, out)` over a fwgen_nn_binary_params_t; `quant_params(a, b, y)`
    gives the op's own multipliers and shifts. In place when an input has the output's shape."""
    a, b, y = ctx.tensor(0), ctx.tensor(1), ctx.output()
    for t, role in ((a, "input 1"), (b, "input 2"), (y, "output")):
        require_per_tensor(ctx, t, role)
    dims, st1, st2 = broadcast(ctx)
    lo, hi = fused_range(ctx, y)
    params = {"out_dims": dims, "in1_strides": st1, "in2_strides": st2,
              "input1_offset": -a.zero_point, "input2_offset": -b.zero_point,
              "output_offset": y.zero_point, **quant_params(a, b, y),
              "act_min": lo, "act_max": hi}
    arrays: list = []
    in1, in2 = ctx.input_ref(0, arrays), ctx.input_ref(1, arrays)
    call = f"{kernel}(&{ctx.name('params')}, {in1}, {in2}, {ctx.ref(y.index)})"
    overlaps = [Overlap(t.index, y.index, 0) for t in (a, b)
                if not t.is_constant and tuple(t.shape) == tuple(y.shape)]
    return Step(op=ctx.op, kernel=kernel, call=call, arrays=arrays,
                decls=[decl("fwgen_nn_binary_params_t", ctx.name("params"), params)],
                overlaps=overlaps, macs=y.size)
