"""CONV_2D -> fwgen_nn_conv2d_s8 (per-channel requantization, grouped, dilated)."""
from __future__ import annotations

import numpy as np

from fwgen.compiler.lowering import LowerContext, OpLowering, OpSignature, Step, register
from fwgen.compiler.ops._common import require_bias_type_option, require_per_tensor, require_weights
from fwgen.compiler.ops._conv import conv_geometry, conv_parts


@register
class Conv2D(OpLowering):
    opcode = "CONV_2D"
    summary = "int8 CONV_2D, SAME/VALID padding, any stride/dilation, groups, per-channel weights"
    signature = OpSignature(inputs=(2, 3), options="Conv2DOptions", options_required=True)

    def lower(self, ctx: LowerContext) -> Step:
        x, w, y = ctx.tensor(0), ctx.tensor(1), ctx.output()
        require_per_tensor(ctx, x, "input")
        require_per_tensor(ctx, y, "output")
        require_weights(ctx, w)
        require_bias_type_option(ctx)
        ctx.require(len(x.shape) == 4 and len(w.shape) == 4 and len(y.shape) == 4,
                    f"shapes {list(x.shape)} * {list(w.shape)}", "4-D NHWC input and OHWI filter")
        in_c = x.shape[3]
        out_c, k_h, k_w, k_c = w.shape
        ctx.require(k_c > 0 and in_c % k_c == 0 and out_c % (in_c // k_c) == 0,
                    f"filter depth {k_c} for input depth {in_c}", "input depth = groups * filter depth")
        g = conv_geometry(ctx, x, y, k_h, k_w, out_c)
        assert w.quant is not None
        ctx.require(w.quant.scale.size in (1, out_c) and (w.quant.scale.size == 1 or w.quant.axis == 0),
                    "filter quantized along an axis other than the output channels",
                    "per-tensor or per-output-channel filter scales")
        sums = np.asarray(w.data, np.int64).reshape(out_c, -1).sum(axis=1)
        parts = conv_parts(ctx, x, w, y, g, out_c, sums)
        call = (f"fwgen_nn_conv2d_s8(&{ctx.name('params')}, &{ctx.name('quant')}, {ctx.ref(x.index)}, "
                f"{ctx.name('filter')}, {parts.bias_ref}, {ctx.ref(y.index)})")
        return Step(op=ctx.op, kernel="fwgen_nn_conv2d_s8", call=call, decls=parts.decls,
                    arrays=parts.arrays, overlaps=parts.overlaps, macs=y.size * k_h * k_w * k_c,
                    comment=f"{k_h}x{k_w}/{g.stride_h} {g.padding} {in_c}->{out_c}")
