"""What CONV_2D and DEPTHWISE_CONV_2D lower alike: window geometry, per-channel constants, the
input offset folded into the bias, and the parameter structs (not an op itself)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from fwgen.compiler.geometry import Window, window, windowed_distance
from fwgen.compiler.lowering import ConstArray, LowerContext, Overlap, decl, nhwc
from fwgen.compiler.ops._common import bias_values, fused_range
from fwgen.compiler.quant import conv_multipliers
from fwgen.tflite.model import Tensor

INT16_MAX = 32767   # strides, dilations and padding are int16_t in fwgen_nn_conv_params_t


@dataclass(frozen=True)
class ConvGeometry:
    stride_h: int
    stride_w: int
    dilation_h: int
    dilation_w: int
    padding: str
    k_h: int
    k_w: int
    win: Window


def conv_geometry(ctx: LowerContext, x: Tensor, y: Tensor, k_h: int, k_w: int, out_c: int) -> ConvGeometry:
    """Strides, dilations and padding from the options; the output shape checked against them."""
    n, in_h, in_w, _ = x.shape
    s_h, s_w = int(ctx.option("StrideH", 1)), int(ctx.option("StrideW", 1))
    d_h, d_w = int(ctx.option("DilationHFactor", 1)), int(ctx.option("DilationWFactor", 1))
    padding = ctx.option("Padding", "SAME")
    ctx.require(padding in ("SAME", "VALID"), f"padding {padding}", "SAME, VALID")
    ctx.require(min(s_h, s_w, d_h, d_w) >= 1 and max(s_h, s_w, d_h, d_w) <= INT16_MAX,
                f"stride {s_h}x{s_w} dilation {d_h}x{d_w}",
                f"strides and dilations from 1 to {INT16_MAX} (the kernel's int16 fields)")
    win = window(padding, in_h, in_w, k_h, k_w, s_h, s_w, d_h, d_w)
    ctx.require(max(win.pad_top, win.pad_left) <= INT16_MAX,
                f"padding {win.pad_top}x{win.pad_left}", f"padding up to {INT16_MAX}")
    ctx.require(tuple(y.shape) == (n, win.out_h, win.out_w, out_c),
                f"output shape {list(y.shape)} (expected {[n, win.out_h, win.out_w, out_c]})",
                "outputs shaped as TFLite computes them")
    return ConvGeometry(s_h, s_w, d_h, d_w, padding, k_h, k_w, win)


@dataclass
class ConvParts:
    arrays: list[ConstArray]
    decls: list[str]
    bias_ref: str
    overlaps: list[Overlap]
    path: str = "NONE"   # the kernel variant's code path (FWGEN_NN_CONV_PATH_<path>)
    defines: tuple[str, ...] = ()   # the fwgen_nn_paths.h macros it needs (Step.defines)


def conv_parts(ctx: LowerContext, x: Tensor, w: Tensor, y: Tensor, g: ConvGeometry, out_c: int,
               filter_sums: np.ndarray, path: Callable[[dict], str] | None = None,
               defines: Callable[..., tuple[str, ...]] | None = None) -> ConvParts:
    """Constants and structs of a (depthwise) convolution. `filter_sums[c]` is the sum of output
    channel c's filter taps, used when the input offset can be folded into the bias. `path`
    chooses the kernel variant's code path from the parameters (params.path; none: 0), `defines`
    the fwgen_nn_paths.h macros of that choice (from the parameters, the path, the per-channel
    shifts and the bias as the kernel gets them)."""
    assert w.quant is not None
    _, in_h, in_w, _ = x.shape
    geometry = (in_h, in_w, g.k_h, g.k_w, g.stride_h, g.stride_w, g.dilation_h, g.dilation_w)
    lo, hi = fused_range(ctx, y)
    mults, shifts = conv_multipliers(x.scale, w.quant.scale, y.scale, out_c)
    bias = bias_values(ctx, 2, out_c)
    input_offset = -x.zero_point
    if g.win.no_padding(*geometry) and input_offset != 0:
        # every tap of every pixel is inside the input, so sum (x + off) * w = sum x * w +
        # off * sum w exactly: fold the input offset into the bias once, here
        folded = (bias if bias is not None else 0) + input_offset * filter_sums
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
        "stride_h": g.stride_h, "stride_w": g.stride_w, "dilation_h": g.dilation_h,
        "dilation_w": g.dilation_w, "pad_top": g.win.pad_top, "pad_left": g.win.pad_left,
        "input_offset": input_offset, "output_offset": y.zero_point,
        "act_min": lo, "act_max": hi, "reverse": "@reverse@",
    }
    chosen = path(params) if path is not None else "NONE"
    if path is not None:
        params["path"] = f"FWGEN_NN_CONV_PATH_{chosen}"
    quant = {"multiplier": ctx.name("multiplier"), "shift": ctx.name("shift")}
    decls = [decl("fwgen_nn_conv_params_t", ctx.name("params"), params),
             decl("fwgen_nn_per_channel_t", ctx.name("quant"), quant)]
    dist = windowed_distance(x.shape, y.shape, g.win, g.stride_h, g.stride_w, g.k_h, g.k_w,
                             g.dilation_h, g.dilation_w)
    overlaps = [Overlap(x.index, y.index, dist[0], dist[1])] if dist is not None else []
    macros = defines(params, chosen, shifts, bias) if defines is not None else ()
    return ConvParts(arrays, decls, bias_ref, overlaps, chosen, macros)


# Limits of nn_dsp_conv1ch.h (one input channel into many, taken by both convolutions' DSP
# variants: the same numbers; tests/unit/test_conv2d_paths.py checks that they agree)
ONE_CH_WIDE_MAX = 320        # FWGEN_NN_DSP_1CH_WIDE_MAX
ONE_CH_RING_MAX = 512        # FWGEN_NN_DSP_1CH_RING_MAX
ONE_CH_ROWS_MAX = 16         # FWGEN_NN_DSP_1CH_ROWS_MAX
ONE_CH_CHANNELS_MAX = 32     # FWGEN_NN_DSP_1CH_CHANNELS_MAX


def one_channel_fits(p: dict) -> bool:
    """fwgen_nn_dsp_1ch_fits(): one input channel, dilations 1, the stack buffers big enough."""
    out_c, k_h, k_w, out_w = p["output"]["c"], p["filter"]["h"], p["filter"]["w"], p["output"]["w"]
    pairs = (k_w + 1) // 2
    row_len = ((out_w - 1) * p["stride_w"] + 2 * pairs + 1) & ~1
    return (p["input"]["c"] == 1 and p["dilation_h"] == 1 and p["dilation_w"] == 1
            and 2 <= out_c <= ONE_CH_CHANNELS_MAX and out_w >= 2 and k_h <= ONE_CH_ROWS_MAX
            and (out_c + 1) // 2 * 2 * k_h * pairs <= ONE_CH_WIDE_MAX
            and (k_h + 1) * row_len <= ONE_CH_RING_MAX)


def one_channel_defines(p: dict, shifts, bias) -> tuple[str, ...]:
    """The fwgen_nn_paths.h macros of a layer on nn_dsp_conv1ch.h (one input channel): the one
    of its three paths that the header's runtime checks (fwgen_nn_dsp_1ch_3x3_fits,
    fwgen_nn_dsp_1ch_w8_fits) give this layer, so the build compiles only that one. `shifts`,
    `bias` (None: 0) as the kernel gets them."""
    out_c, k_h, k_w = p["output"]["c"], p["filter"]["h"], p["filter"]["w"]
    out_w, s_w = p["output"]["w"], p["stride_w"]
    table_ok = (p["act_min"] == -128 and p["act_max"] == 127
                and all(-22 <= int(v) <= -1 for v in shifts)
                and (bias is None or all(abs(int(b)) < 2**29 for b in bias)))
    if k_h == k_w == 3 and (out_w - 1) * s_w + 3 <= 96 and table_ok:
        path = "3X3"
    elif ((k_w + 1) // 2 == 4 and s_w == 2 and out_c * (4 * ((k_h + 1) & ~1) + 4) <= 352
          and (k_h + 1) * ((2 * out_w + 11) & ~3) <= 576 and table_ok):
        path = "W8"
    else:
        path = "RING"
    return ("FWGEN_NN_1CH_PATHS_LISTED", f"FWGEN_NN_1CH_USES_{path}")

