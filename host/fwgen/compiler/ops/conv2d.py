"""CONV_2D -> fwgen_nn_conv2d_s8 (per-channel requantization, grouped, dilated)."""
from __future__ import annotations

import numpy as np

from fwgen.compiler.geometry import window, windowed_distance
from fwgen.compiler.lowering import ConstArray, LowerContext, OpLowering, Overlap, Step, decl, nhwc, register
from fwgen.compiler.ops._common import bias_values, fused_range, require_per_tensor, require_weights
from fwgen.compiler.quant import conv_multipliers


@register
class Conv2D(OpLowering):
    opcode = "CONV_2D"
    summary = "int8 CONV_2D, SAME/VALID padding, any stride/dilation, groups, per-channel weights"

    def lower(self, ctx: LowerContext) -> Step:
        x, w, y = ctx.tensor(0), ctx.tensor(1), ctx.output()
        require_per_tensor(ctx, x, "input")
        require_per_tensor(ctx, y, "output")
        require_weights(ctx, w)
        ctx.require(len(x.shape) == 4 and len(w.shape) == 4 and len(y.shape) == 4,
                    f"shapes {list(x.shape)} * {list(w.shape)}", "4-D NHWC input and OHWI filter")
        n, in_h, in_w, in_c = x.shape
        out_c, k_h, k_w, k_c = w.shape
        ctx.require(k_c > 0 and in_c % k_c == 0 and out_c % (in_c // k_c) == 0,
                    f"filter depth {k_c} for input depth {in_c}", "input depth = groups * filter depth")
        s_h, s_w = int(ctx.option("StrideH", 1)), int(ctx.option("StrideW", 1))
        d_h, d_w = int(ctx.option("DilationHFactor", 1)), int(ctx.option("DilationWFactor", 1))
        padding = ctx.option("Padding", "SAME")
        ctx.require(padding in ("SAME", "VALID"), f"padding {padding}", "SAME, VALID")
        ctx.require(min(s_h, s_w, d_h, d_w) >= 1, f"stride {s_h}x{s_w} dilation {d_h}x{d_w}",
                    "strides and dilations >= 1")
        win = window(padding, in_h, in_w, k_h, k_w, s_h, s_w, d_h, d_w)
        ctx.require(tuple(y.shape) == (n, win.out_h, win.out_w, out_c),
                    f"output shape {list(y.shape)} (expected {[n, win.out_h, win.out_w, out_c]})",
                    "outputs shaped as TFLite computes them")
        assert w.quant is not None
        ctx.require(w.quant.scale.size in (1, out_c) and (w.quant.scale.size == 1 or w.quant.axis == 0),
                    "filter quantized along an axis other than the output channels",
                    "per-tensor or per-output-channel filter scales")
        lo, hi = fused_range(ctx, y)
        mults, shifts = conv_multipliers(x.scale, w.quant.scale, y.scale, out_c)
        bias = bias_values(ctx, 2, out_c)
        input_offset = -x.zero_point
        if win.no_padding(in_h, in_w, k_h, k_w, s_h, s_w, d_h, d_w) and input_offset != 0:
            # every tap of every pixel is inside the input, so sum (x + off) * w = sum x * w +
            # off * sum w exactly: fold the input offset into the bias once, here
            folded = (bias if bias is not None else 0) + input_offset * np.asarray(w.data, np.int64).reshape(out_c, -1).sum(axis=1)
            if np.all(np.abs(folded) < 2**31):
                bias, input_offset = np.asarray(folded, np.int64), 0
        arrays = [
            ConstArray(ctx.name("filter"), "int8_t", np.asarray(w.data).reshape(-1), f"{w.name} {list(w.shape)}"),
            ConstArray(ctx.name("multiplier"), "int32_t", np.array(mults, np.int64)),
            ConstArray(ctx.name("shift"), "int8_t", np.array(shifts, np.int64)),
        ]
        bias_ref = "NULL"
        if bias is not None:
            arrays.append(ConstArray(ctx.name("bias"), "int32_t", bias,
                                     "bias" if input_offset else "bias + input offset * filter sums"))
            bias_ref = ctx.name("bias")
        params = {
            "input": nhwc(x.shape), "filter": nhwc(w.shape), "output": nhwc(y.shape),
            "stride_h": s_h, "stride_w": s_w, "dilation_h": d_h, "dilation_w": d_w,
            "pad_top": win.pad_top, "pad_left": win.pad_left,
            "input_offset": input_offset, "output_offset": y.zero_point,
            "act_min": lo, "act_max": hi, "reverse": "@reverse@",
        }
        quant = {"multiplier": ctx.name("multiplier"), "shift": ctx.name("shift")}
        decls = [decl("fwgen_nn_conv_params_t", ctx.name("params"), params),
                 decl("fwgen_nn_per_channel_t", ctx.name("quant"), quant)]
        call = (f"fwgen_nn_conv2d_s8(&{ctx.name('params')}, &{ctx.name('quant')}, {ctx.ref(x.index)}, "
                f"{ctx.name('filter')}, {bias_ref}, {ctx.ref(y.index)})")
        dist = windowed_distance(x.shape, y.shape, win, s_h, s_w, k_h, k_w, d_h, d_w)
        overlaps = [Overlap(x.index, y.index, dist[0], dist[1])] if dist is not None else []
        return Step(op=ctx.op, kernel="fwgen_nn_conv2d_s8", call=call, decls=decls, arrays=arrays,
                    overlaps=overlaps, macs=y.size * k_h * k_w * k_c,
                    comment=f"{k_h}x{k_w}/{s_h} {padding} {in_c}->{out_c}")
