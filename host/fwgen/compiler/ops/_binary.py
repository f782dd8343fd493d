"""Broadcast geometry shared by ADD and MUL."""
from __future__ import annotations

from fwgen.compiler.lowering import LowerContext, padded


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
