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

    return collapse(so, sa, sb)


def collapse(so: list[int], sa: list[int], sb: list[int]) -> tuple[list[int], list[int], list[int]]:
    """The output's dims and each input's element strides (0 = broadcast) after merging neighbour
    axes that both inputs broadcast alike: equal shapes become one row of all elements, a channel
    vector over pixels rows of channels (the kernels' inner loop runs over whole rows)."""
    axes: list[list[int]] = []     # [size, input 1 full, input 2 full], outermost first
    for o, a, b in zip(so, sa, sb):
        if o == 1:
            continue
        full = [a == o, b == o]
        if axes and axes[-1][1:] == full:
            axes[-1][0] *= o
        else:
            axes.append([o, *full])
    axes = [[1, True, True]] * (4 - len(axes)) + axes

    def strides(which: int) -> list[int]:
        out, acc = [0] * 4, 1
        for i in reversed(range(4)):
            size, *full = axes[i]
            out[i] = acc if full[which] and size > 1 else 0
            acc *= size if full[which] else 1
        return out

    return [size for size, *_ in axes], strides(0), strides(1)


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
