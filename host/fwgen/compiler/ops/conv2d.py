"""CONV_2D -> fwgen_nn_conv2d_s8 (per-channel requantization, grouped, dilated)."""
from __future__ import annotations

import numpy as np

from fwgen.compiler.lowering import LowerContext, OpLowering, OpSignature, Step, register
from fwgen.compiler.ops._common import require_bias_type_option, require_per_tensor, require_weights
from fwgen.compiler.ops._conv import conv_geometry, conv_parts, one_channel_defines, one_channel_fits

# Limits of the DSP variant's paths (firmware/nn/dsp/nn_conv2d_s8.c: the same numbers;
# tests/unit/test_conv2d_paths.py checks that they agree; nn_dsp_conv1ch.h's are in _conv)
ONE_BY_ONE_TAPS_MAX = 320    # CONV_1X1_TAPS_MAX (1X1 and QUAD)
PAIR_TAPS_MAX = 256          # CONV_PAIR_TAPS_MAX
PIXEL_TAPS_MAX = 512         # CONV_TAPS_MAX
PATHS = ("1CH", "1X1", "QUAD", "PAIR", "PIXEL", "GENERIC")   # FWGEN_NN_CONV_PATH_<name> in nn.h


def conv2d_path(p: dict) -> str:
    """The DSP variant's code path for a layer with parameters `p` (fwgen_nn_conv_params_t's
    fields, as conv_parts() writes them): one of PATHS. The only place the choice is made; the
    build compiles only the paths its layers take (fwgen_nn_paths.h)."""
    taps = p["filter"]["h"] * p["filter"]["w"] * p["filter"]["c"]
    if p["filter"]["c"] == 1 and one_channel_fits(p):
        return "1CH"
    if p["filter"]["c"] == p["input"]["c"] and taps <= ONE_BY_ONE_TAPS_MAX:   # no groups
        return "1X1" if p["filter"]["h"] == p["filter"]["w"] == 1 else "QUAD"
    if taps <= PAIR_TAPS_MAX:
        return "PAIR"
    if taps <= PIXEL_TAPS_MAX:
        return "PIXEL"
    return "GENERIC"


def path_define(path: str) -> str:
    """The fwgen_nn_paths.h macro that compiles `path` into the DSP variant."""
    return f"FWGEN_NN_CONV2D_USES_{path}"


def path_defines(p: dict, path: str, shifts, bias) -> tuple[str, ...]:
    """Every fwgen_nn_paths.h macro a layer on `path` needs: the path's, and on the 1CH path
    nn_dsp_conv1ch.h's own choice among its paths (_conv.one_channel_defines)."""
    extra = one_channel_defines(p, shifts, bias) if path == "1CH" else ()
    return (path_define(path),) + extra


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
        parts = conv_parts(ctx, x, w, y, g, out_c, sums, path=conv2d_path, defines=path_defines)
        call = (f"fwgen_nn_conv2d_s8(&{ctx.name('params')}, &{ctx.name('quant')}, {ctx.ref(x.index)}, "
                f"{ctx.name('filter')}, {parts.bias_ref}, {ctx.ref(y.index)})")
        return Step(op=ctx.op, kernel="fwgen_nn_conv2d_s8", call=call, decls=parts.decls,
                    arrays=parts.arrays, overlaps=parts.overlaps, macs=y.size * k_h * k_w * k_c,
                    comment=f"{k_h}x{k_w}/{g.stride_h} {g.padding} {in_c}->{out_c}",
                    defines=parts.defines)
