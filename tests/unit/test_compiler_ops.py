"""Per-op random models (hypothesis over shapes, strides, padding, dilation, per-channel weights,
fused activations, broadcasting), each quantized by TF's converter and compared with TFLM.

Every example costs a Keras conversion (~1 s), so example counts are small; the hypothesis
database keeps failing cases for the next run.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fwgen.testing import testmodels
from fwgen.compiler.validate import random_inputs
from fwgen.tflite import read_model

from compiler_helpers import compare_with_tflm

tf = pytest.importorskip("tensorflow")
L = tf.keras.layers

# derandomize: the same examples on every run and machine (CI is deterministic); no database, so
# a failure found once is not silently replayed elsewhere.
SETTINGS = settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck),
                    derandomize=True, database=None)
ACTIVATIONS = st.sampled_from([None, "relu", "relu6"])
SCALES = st.sampled_from([0.3, 1.0, 4.0])
WEIGHTED = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")


def _check(factory, shape, scale=1.0, runs=6, expect=None, float_io=False):
    build = testmodels.single_op_float_io if float_io else testmodels.single_op
    data = build(factory, shape, scale=scale)
    model = read_model(data)
    ops = [op.opcode for op in model.operators]
    if expect is not None:
        assert expect in ops, ops
        for op in model.operators:
            if op.opcode == expect and expect in WEIGHTED:
                # the converter quantizes these filters per output channel; the test exists to
                # exercise per-channel multipliers, so make sure it does
                w = model.tensors[op.inputs[1]]
                channels = w.shape[3] if expect == "DEPTHWISE_CONV_2D" else w.shape[0]
                assert w.quant.scale.size == channels, (expect, w.quant.scale.size, w.shape)
    diff, total, _ = compare_with_tflm(data, runs=runs)
    assert total > 0
    assert diff == 0, f"{diff} of {total} elements differ from TFLM in {ops}"


def _act(x, activation):
    if activation == "relu":
        return L.ReLU()(x)
    if activation == "relu6":
        return L.ReLU(6.0)(x)
    return x


@SETTINGS
@given(h=st.integers(3, 9), w=st.integers(3, 9), cin=st.integers(1, 4), cout=st.integers(1, 6),
       k=st.integers(1, 4), stride=st.integers(1, 3), dilation=st.integers(1, 2),
       padding=st.sampled_from(["same", "valid"]), act=ACTIVATIONS, bias=st.booleans(), scale=SCALES)
def test_conv2d(h, w, cin, cout, k, stride, dilation, padding, act, bias, scale):
    if dilation > 1:
        stride = 1
    if padding == "valid" and (h < (k - 1) * dilation + 1 or w < (k - 1) * dilation + 1):
        padding = "same"
    _check(lambda x: _act(L.Conv2D(cout, k, strides=stride, dilation_rate=dilation, padding=padding,
                                   use_bias=bias)(x), act), (h, w, cin), scale, expect="CONV_2D")


@SETTINGS
@given(h=st.integers(3, 8), w=st.integers(3, 8), groups=st.integers(2, 3), per_group=st.integers(1, 3),
       out_per_group=st.integers(1, 3))
def test_grouped_conv2d(h, w, groups, per_group, out_per_group):
    _check(lambda x: L.Conv2D(groups * out_per_group, 3, padding="same", groups=groups)(x),
           (h, w, groups * per_group), expect="CONV_2D")


@SETTINGS
@given(h=st.integers(3, 9), w=st.integers(3, 9), c=st.integers(1, 5), mult=st.integers(1, 3),
       k=st.integers(1, 4), stride=st.integers(1, 3), dilation=st.integers(1, 2),
       padding=st.sampled_from(["same", "valid"]), act=ACTIVATIONS, scale=SCALES)
def test_depthwise_conv2d(h, w, c, mult, k, stride, dilation, padding, act, scale):
    if dilation > 1:
        stride = 1
    if padding == "valid" and (h < (k - 1) * dilation + 1 or w < (k - 1) * dilation + 1):
        padding = "same"
    _check(lambda x: _act(L.DepthwiseConv2D(k, strides=stride, depth_multiplier=mult,
                                            dilation_rate=dilation, padding=padding)(x), act),
           (h, w, c), scale, expect="DEPTHWISE_CONV_2D")


@SETTINGS
@given(n=st.integers(1, 40), units=st.integers(1, 12), act=ACTIVATIONS, bias=st.booleans(), scale=SCALES)
def test_fully_connected(n, units, act, bias, scale):
    _check(lambda x: _act(L.Dense(units, use_bias=bias)(x), act), (n,), scale, expect="FULLY_CONNECTED")


@SETTINGS
@given(h=st.integers(2, 9), w=st.integers(2, 9), c=st.integers(1, 4), pool=st.integers(1, 3),
       stride=st.integers(1, 3), padding=st.sampled_from(["same", "valid"]),
       kind=st.sampled_from(["avg", "max"]))
def test_pooling(h, w, c, pool, stride, padding, kind):
    layer = L.AveragePooling2D if kind == "avg" else L.MaxPooling2D
    if padding == "valid" and (h < pool or w < pool):
        padding = "same"
    _check(lambda x: layer(pool, strides=stride, padding=padding)(x), (h, w, c),
           expect="AVERAGE_POOL_2D" if kind == "avg" else "MAX_POOL_2D")


@SETTINGS
@given(h=st.integers(1, 6), w=st.integers(1, 6), c=st.integers(1, 6),
       axes=st.sampled_from([(1, 2), (1,), (2,), (3,), (1, 3), (1, 2, 3)]), keep=st.booleans(),
       scale=SCALES)
def test_mean(h, w, c, axes, keep, scale):
    dims = {1: h, 2: w, 3: c}
    if all(dims[a] == 1 for a in axes):   # a mean over size-1 axes is dropped by the converter
        dims[axes[0]] = 2
    h, w, c = dims[1], dims[2], dims[3]

    def build(x):
        y = L.Conv2D(c, 1)(x)   # rescales, so MEAN's input and output quantization differ
        return L.Lambda(lambda t: tf.reduce_mean(t, axis=list(axes), keepdims=keep))(y)
    _check(build, (h, w, c), scale, expect="MEAN")


@SETTINGS
@given(h=st.integers(1, 5), w=st.integers(1, 5), c=st.integers(1, 6),
       other=st.sampled_from(["full", "channel", "pixel", "scalar"]), op=st.sampled_from(["add", "mul"]),
       act=ACTIVATIONS)
def test_binary_broadcast(h, w, c, other, op, act):
    def build(x):
        y = L.Conv2D(c, 1)(x)
        if other == "channel":
            y = L.GlobalAveragePooling2D(keepdims=True)(y)
        elif other == "pixel":
            y = L.Lambda(lambda t: tf.reduce_mean(t, axis=3, keepdims=True))(y)
        elif other == "scalar":
            y = L.Lambda(lambda t: tf.reduce_mean(t, axis=[1, 2, 3], keepdims=True))(y)
        z = L.Add()([x, y]) if op == "add" else L.Multiply()([x, y])
        return _act(z, act)
    _check(build, (h, w, c), expect=op.upper())


@SETTINGS
@given(n=st.integers(2, 30), units=st.integers(2, 12), scale=SCALES)
def test_softmax(n, units, scale):
    _check(lambda x: L.Softmax()(L.Dense(units)(x)), (n,), scale, expect="SOFTMAX")


@pytest.mark.parametrize("scale", [0.05, 0.5, 3.0, 20.0])
def test_logistic_every_input_value(scale):
    # 256 inputs: after quantization the int8 values sweep the whole range
    _check(lambda x: L.Activation("sigmoid")(x), (256,), scale, runs=12, expect="LOGISTIC")


@pytest.mark.parametrize("scale", [0.05, 0.5, 3.0, 20.0])
def test_hard_swish_every_input_value(scale):
    def hswish(x):
        return L.Multiply()([x, L.Rescaling(1 / 6)(L.ReLU(6.0)(L.Rescaling(1.0, offset=3.0)(x)))])
    _check(hswish, (256,), scale, runs=12, expect="HARD_SWISH")


@SETTINGS
@given(h=st.integers(1, 5), w=st.integers(1, 5), c=st.integers(1, 4),
       pads=st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 2), st.integers(0, 2)))
def test_pad(h, w, c, pads):
    _check(lambda x: L.ZeroPadding2D(((pads[0], pads[1]), (pads[2], pads[3])))(L.Conv2D(c, 1)(x)),
           (h, w, c), expect="PAD" if any(pads) else None)


@SETTINGS
@given(h=st.integers(1, 5), w=st.integers(1, 5), c=st.integers(1, 4),
       perm=st.permutations([1, 2, 3]))
def test_transpose(h, w, c, perm):
    _check(lambda x: L.Permute(tuple(perm))(L.Conv2D(c, 1)(x)), (h, w, c),
           expect="TRANSPOSE" if list(perm) != [1, 2, 3] else None)


@SETTINGS
@given(h=st.integers(1, 5), w=st.integers(1, 5), c=st.integers(1, 4), c2=st.integers(1, 4),
       axis=st.sampled_from([1, 2, 3]))
def test_concatenation(h, w, c, c2, axis):
    def build(x):
        a = L.Conv2D(c2, 1)(x)
        b = L.Conv2D(c2, 1)(x)
        return L.Concatenate(axis=axis)([a, b])
    _check(build, (h, w, c), expect="CONCATENATION")


@pytest.mark.parametrize("scale", [0.5, 2.0, 8.0])
def test_relu_and_relu6_standalone(scale):
    # activations after an ADD with other consumers cannot be fused, so TFLite keeps the ops
    def build(x):
        y = L.Add()([x, x])
        return L.Concatenate()([L.ReLU()(y), L.ReLU(6.0)(y), y])
    data = testmodels.single_op(build, (4, 4, 3), scale=scale)
    assert {"RELU", "RELU6"} <= {op.opcode for op in read_model(data).operators}
    diff, total, _ = compare_with_tflm(data, runs=6)
    assert total > 0 and diff == 0


def test_reshape_is_aliased():
    data = testmodels.single_op(lambda x: L.Reshape((6, 4))(L.Conv2D(2, 1)(x)), (3, 4, 2))
    diff, total, compiled = compare_with_tflm(data)
    assert diff == 0 and total > 0
    assert "aliased" in compiled.files["model.c"]
    assert np.prod(compiled.output.shape) == 24


@pytest.mark.parametrize("kind", ["conv", "depthwise"])
def test_input_offset_is_folded_into_bias_without_padding(kind):
    def build(x):
        if kind == "conv":
            return L.Conv2D(5, 3, padding="valid")(x)
        return L.DepthwiseConv2D(3, padding="valid", depth_multiplier=2)(x)
    data = testmodels.single_op(build, (7, 6, 3), scale=2.0)
    diff, total, compiled = compare_with_tflm(data, runs=6)
    assert total > 0 and diff == 0
    c = compiled.files["model.c"]
    assert "bias + input offset * filter sums" in c and ".input_offset = 0," in c


@SETTINGS
@given(h=st.integers(1, 6), w=st.integers(1, 6), c=st.integers(1, 4), scale=st.sampled_from([0.01, 0.3, 1.0, 25.0]),
       inner=st.sampled_from(["conv", "relu6", "mean"]))
def test_quantize_dequantize_at_float_edges(h, w, c, scale, inner):
    """float32 in -> QUANTIZE -> int8 op -> DEQUANTIZE -> float32 out, over input ranges from
    0.01 to 25 (random inputs reach 5 % beyond the representable range: saturation)."""
    def build(x):
        if inner == "conv":
            return L.Conv2D(c, 1)(x)
        if inner == "relu6":
            return L.ReLU(6.0)(L.Conv2D(c, 1)(x))
        return L.Lambda(lambda t: tf.reduce_mean(t, axis=[1, 2], keepdims=True))(L.Conv2D(c, 1)(x))
    data = testmodels.single_op_float_io(build, (h, w, c), scale=scale)
    m = read_model(data)
    assert m.operators[0].opcode == "QUANTIZE" and m.operators[-1].opcode == "DEQUANTIZE"
    assert m.tensors[m.inputs[0]].dtype == "float32" and m.tensors[m.outputs[0]].dtype == "float32"
    diff, total, compiled = compare_with_tflm(data, runs=6)
    assert total > 0 and diff == 0
    # random float inputs (what validate feeds) span the QUANTIZE's range and 5 % beyond it
    q = m.tensors[m.operators[0].outputs[0]]
    lo, hi = (-128 - q.zero_point) * q.scale, (127 - q.zero_point) * q.scale
    assert compiled.input.real_range == pytest.approx((lo, hi))
    x = np.concatenate([r[0].ravel() for r in random_inputs(compiled.inputs, 200)])
    assert x.min() < lo and x.max() > hi
