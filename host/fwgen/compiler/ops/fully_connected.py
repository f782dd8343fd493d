"""FULLY_CONNECTED -> fwgen_nn_fully_connected_s8, input zero point folded into the bias."""
from __future__ import annotations

import numpy as np

from fwgen.compiler.lowering import (
    ConstArray, LowerContext, OpLowering, OpSignature, Step, decl, register)
from fwgen.compiler.ops._common import (
    bias_values, fused_range, require_bias_type_option, require_per_tensor, require_weights)
from fwgen.compiler.quant import conv_multipliers, fc_multiplier
from fwgen.tflite.model import Tensor


@register
class FullyConnected(OpLowering):
    opcode = "FULLY_CONNECTED"
    summary = "int8 FULLY_CONNECTED with int32 bias, default weights format"
    signature = OpSignature(inputs=(2, 3), optional=(2,), options="FullyConnectedOptions")

    def lower(self, ctx: LowerContext) -> Step:
        x, w, y = ctx.tensor(0), ctx.tensor(1), ctx.output()
        require_per_tensor(ctx, x, "input")
        require_per_tensor(ctx, y, "output")
        require_weights(ctx, w, "weights")
        require_bias_type_option(ctx)
        fmt = ctx.option("WeightsFormat", 0)
        ctx.require(fmt in (0, "DEFAULT"), f"weights format {fmt}", "the DEFAULT weights format")
        ctx.require(len(w.shape) == 2, f"weights shape {list(w.shape)}", "2-D [out, in] weights")
        out_depth, accum = w.shape
        ctx.require(accum > 0 and x.size % accum == 0, f"input of {x.size} elements for {accum}-wide weights",
                    "input element count a multiple of the weights' columns")
        batches = x.size // accum
        ctx.require(y.size == batches * out_depth, f"output of {y.size} elements",
                    "batches * output units output elements")
        assert w.quant is not None
        lo, hi = fused_range(ctx, y)
        per_channel = w.quant.scale.size > 1
        if per_channel:
            ctx.require(w.quant.scale.size == out_depth, "weights scales not one per output unit",
                        "per-tensor or per-output-unit weights scales")
            mults, shifts = conv_multipliers(x.scale, w.quant.scale, y.scale, out_depth)
        else:
            _check_bias_scale(ctx, x, w, y)
            m, s = fc_multiplier(x.scale, float(w.quant.scale[0]), y.scale)
            mults, shifts = [m], [s]
        weights = np.asarray(w.data, dtype=np.int64).reshape(out_depth, accum)
        bias = bias_values(ctx, 2, out_depth)
        if bias is None:
            bias = np.zeros(out_depth, np.int64)
        # sum_k (x + ioff) * w = sum_k x * w + ioff * sum_k w  (exact in int32)
        folded = bias + (-x.zero_point) * weights.sum(axis=1)
        if np.any(folded < -(2**31)) or np.any(folded >= 2**31):
            raise ctx.unsupported("a folded bias outside int32", "models whose bias fits int32")
        arrays = [
            ConstArray(ctx.name("weights"), "int8_t", np.asarray(w.data).reshape(-1), f"{w.name} {list(w.shape)}"),
            ConstArray(ctx.name("bias"), "int32_t", folded,
                       "bias - input_zero_point * row sums of the weights"),
            ConstArray(ctx.name("multiplier"), "int32_t", np.array(mults, np.int64)),
            ConstArray(ctx.name("shift"), "int8_t", np.array(shifts, np.int64)),
        ]
        params = {"batches": batches, "accum_depth": accum, "out_depth": out_depth,
                  "output_offset": y.zero_point, "act_min": lo, "act_max": hi,
                  "per_channel": int(per_channel)}
        quant = {"multiplier": ctx.name("multiplier"), "shift": ctx.name("shift")}
        decls = [decl("fwgen_nn_fc_params_t", ctx.name("params"), params),
                 decl("fwgen_nn_per_channel_t", ctx.name("quant"), quant)]
        call = (f"fwgen_nn_fully_connected_s8(&{ctx.name('params')}, &{ctx.name('quant')}, "
                f"{ctx.ref(x.index)}, {ctx.name('weights')}, {ctx.name('bias')}, {ctx.ref(y.index)})")
        return Step(op=ctx.op, kernel="fwgen_nn_fully_connected_s8", call=call, decls=decls,
                    arrays=arrays, macs=batches * out_depth * accum, comment=f"{accum}->{out_depth}")


def _check_bias_scale(ctx: LowerContext, x: Tensor, w: Tensor, y: Tensor) -> None:
    """TFLM's GetQuantizedConvolutionMultipler (per-tensor weights) refuses a bias whose scale
    differs from input scale * weights scale by more than 2 % of the output scale: the bias
    would be added in another unit than the products."""
    if not ctx.has_input(2):
        return
    b = ctx.tensor(2)
    product = float(np.float32(x.scale) * np.float32(w.scale))
    bias_scale = b.scale if b.quant is not None else 0.0
    ctx.require(abs(product - bias_scale) / float(y.scale) <= 0.02,
                f"bias scale {bias_scale!r} for input scale * weights scale {product!r}",
                "a bias scale equal to input scale * weights scale (within 2 % of the output "
                "scale, as TFLM requires)")
