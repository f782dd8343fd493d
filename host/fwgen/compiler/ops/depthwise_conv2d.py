"""DEPTHWISE_CONV_2D -> fwgen_nn_depthwise_conv2d_s8."""
from __future__ import annotations

import numpy as np

from fwgen.compiler.lowering import LowerContext, OpLowering, OpSignature, Step, register
from fwgen.compiler.ops._common import require_per_tensor, require_weights
from fwgen.compiler.ops._conv import conv_geometry, conv_parts, one_channel_defines, one_channel_fits


@register
class DepthwiseConv2D(OpLowering):
    opcode = "DEPTHWISE_CONV_2D"
    summary = "int8 DEPTHWISE_CONV_2D, any depth multiplier/stride/dilation, per-channel weights"
    signature = OpSignature(inputs=(2, 3), options="DepthwiseConv2DOptions",
                            options_required=True)  # an absent (-1) bias crashes TFLM

    def lower(self, ctx: LowerContext) -> Step:
        x, w, y = ctx.tensor(0), ctx.tensor(1), ctx.output()
        require_per_tensor(ctx, x, "input")
        require_per_tensor(ctx, y, "output")
        require_weights(ctx, w)
        ctx.require(len(x.shape) == 4 and len(w.shape) == 4 and len(y.shape) == 4 and w.shape[0] == 1,
                    f"shapes {list(x.shape)} * {list(w.shape)}", "4-D NHWC input and [1, kh, kw, C] filter")
        in_c = x.shape[3]
        _, k_h, k_w, out_c = w.shape
        ctx.require(in_c > 0 and out_c % in_c == 0, f"filter depth {out_c} for input depth {in_c}",
                    "output channels = input channels * depth multiplier")
        mult = out_c // in_c
        # TFLM's kernel loops over the option, not over the filter's channels
        option = ctx.option("DepthMultiplier", mult)
        ctx.require(option == mult, f"option DepthMultiplier {option!r}",
                    f"DepthMultiplier = filter channels / input channels ({out_c} / {in_c} = {mult})")
        g = conv_geometry(ctx, x, y, k_h, k_w, out_c)
        assert w.quant is not None
        ctx.require(w.quant.scale.size in (1, out_c) and (w.quant.scale.size == 1 or w.quant.axis == 3),
                    "filter quantized along an axis other than the channels",
                    "per-tensor or per-channel (axis 3) filter scales")
        sums = np.asarray(w.data, np.int64).reshape(-1, out_c).sum(axis=0)
        parts = conv_parts(ctx, x, w, y, g, out_c, sums, defines=_one_channel_paths)
        call = (f"fwgen_nn_depthwise_conv2d_s8(&{ctx.name('params')}, {mult}, &{ctx.name('quant')}, "
                f"{ctx.ref(x.index)}, {ctx.name('filter')}, {parts.bias_ref}, {ctx.ref(y.index)})")
        return Step(op=ctx.op, kernel="fwgen_nn_depthwise_conv2d_s8", call=call, decls=parts.decls,
                    arrays=parts.arrays, overlaps=parts.overlaps, macs=y.size * k_h * k_w,
                    comment=f"{k_h}x{k_w}/{g.stride_h} {g.padding} x{mult}", defines=parts.defines)


def _one_channel_paths(p: dict, path: str, shifts, bias) -> tuple[str, ...]:
    """The DSP variant takes nn_dsp_conv1ch.h for one input channel where it fits (as CONV_2D's
    1CH path does): the fwgen_nn_paths.h macros of that header's path for this layer, so that a
    model listing its one-channel paths lists this layer's too."""
    return one_channel_defines(p, shifts, bias) if one_channel_fits(p) else ()
