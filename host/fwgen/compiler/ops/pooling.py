"""AVERAGE_POOL_2D / MAX_POOL_2D -> fwgen_nn_avg_pool2d_s8 / fwgen_nn_max_pool2d_s8."""
from __future__ import annotations

from fwgen.compiler.geometry import window, windowed_distance
from fwgen.compiler.lowering import (
    LowerContext, OpLowering, OpSignature, Overlap, Step, decl, nhwc, register)
from fwgen.compiler.ops._common import fused_range, require_per_tensor
from fwgen.compiler.ops._conv import INT16_MAX


class _Pool(OpLowering):
    kernel = ""
    signature = OpSignature(options="Pool2DOptions", options_required=True)   # filter, strides

    def lower(self, ctx: LowerContext) -> Step:
        x, y = ctx.tensor(0), ctx.output()
        require_per_tensor(ctx, x, "input")
        require_per_tensor(ctx, y, "output")
        ctx.require(len(x.shape) == 4 and len(y.shape) == 4, f"input shape {list(x.shape)}", "4-D NHWC tensors")
        n, in_h, in_w, ch = x.shape
        k_h, k_w = int(ctx.option("FilterHeight", 1)), int(ctx.option("FilterWidth", 1))
        s_h, s_w = int(ctx.option("StrideH", 1)), int(ctx.option("StrideW", 1))
        padding = ctx.option("Padding", "SAME")
        ctx.require(padding in ("SAME", "VALID"), f"padding {padding}", "SAME, VALID")
        ctx.require(min(k_h, k_w, s_h, s_w) >= 1 and max(k_h, k_w, s_h, s_w) <= INT16_MAX,
                    f"filter {k_h}x{k_w} stride {s_h}x{s_w}",
                    f"sizes from 1 to {INT16_MAX} (the kernel's int16 fields)")
        win = window(padding, in_h, in_w, k_h, k_w, s_h, s_w)
        ctx.require(max(win.pad_top, win.pad_left) <= INT16_MAX,
                    f"padding {win.pad_top}x{win.pad_left}", f"padding up to {INT16_MAX}")
        ctx.require(tuple(y.shape) == (n, win.out_h, win.out_w, ch),
                    f"output shape {list(y.shape)} (expected {[n, win.out_h, win.out_w, ch]})",
                    "outputs shaped as TFLite computes them")
        lo, hi = fused_range(ctx, y)
        params = {"input": nhwc(x.shape), "output": nhwc(y.shape), "filter_h": k_h, "filter_w": k_w,
                  "stride_h": s_h, "stride_w": s_w, "pad_top": win.pad_top, "pad_left": win.pad_left,
                  "act_min": lo, "act_max": hi, "reverse": "@reverse@"}
        call = f"{self.kernel}(&{ctx.name('params')}, {ctx.ref(x.index)}, {ctx.ref(y.index)})"
        dist = windowed_distance(x.shape, y.shape, win, s_h, s_w, k_h, k_w)
        return Step(op=ctx.op, kernel=self.kernel, call=call,
                    decls=[decl("fwgen_nn_pool_params_t", ctx.name("params"), params)],
                    overlaps=[Overlap(x.index, y.index, dist[0], dist[1])] if dist is not None else [],
                    macs=y.size * k_h * k_w, comment=f"{k_h}x{k_w}/{s_h} {padding}")


@register
class AveragePool2D(_Pool):
    opcode = "AVERAGE_POOL_2D"
    kernel = "fwgen_nn_avg_pool2d_s8"
    summary = "int8 AVERAGE_POOL_2D"


@register
class MaxPool2D(_Pool):
    opcode = "MAX_POOL_2D"
    kernel = "fwgen_nn_max_pool2d_s8"
    summary = "int8 MAX_POOL_2D"
