"""What every operator must look like before it is compiled (TFLM's Prepare checks, made by
fwgen first): its options table, its input count, absent (-1) inputs, tensor types and
quantization. Each error names the op, its index, what is wrong and how to fix it.

The models here are micro_speech (RESHAPE, DEPTHWISE_CONV_2D, FULLY_CONNECTED, SOFTMAX) with
one edit each; several of them crashed the TFLM interpreter (issue 14) while fwgen compiled
them, or were compiled with default option values."""
from __future__ import annotations

import numpy as np
import pytest

from fwgen.compiler import compile_model
from fwgen.errors import FwgenError

from compiler_helpers import compare_with_tflm, mutate


@pytest.fixture(scope="module")
def micro_speech(shared_data):
    return (shared_data / "micro_speech" / "micro_speech_quantized.tflite").read_bytes()


def _error(data: bytes) -> str:
    with pytest.raises(FwgenError) as info:
        compile_model(data)
    assert info.value.hint, str(info.value)
    return str(info.value)


def options(k: int, kind: str | None):
    """Operator k gets a default-valued options table of type `kind` (None: no table)."""
    def edit(m, s):
        op = m.subgraphs[0].operators[k]
        op.builtinOptionsType = getattr(s.BuiltinOptions, kind or "NONE")
        op.builtinOptions = getattr(s, kind + "T")() if kind else None
    return edit


def inputs(k: int, change):
    def edit(m, s):
        op = m.subgraphs[0].operators[k]
        op.inputs = np.array(change(list(op.inputs)), np.int32)
    return edit


def softmax_beta(value: float):
    def edit(m, s):
        m.subgraphs[0].operators[3].builtinOptions.beta = value
    return edit


# ---------------------------------------------------------------- options tables

def test_options_of_another_op_are_refused(micro_speech):
    text = _error(mutate(micro_speech, options(1, "LocalResponseNormalizationOptions")))
    assert "operator 1 (DEPTHWISE_CONV_2D)" in text
    assert "LocalResponseNormalizationOptions" in text and "DepthwiseConv2DOptions" in text
    assert "re-export" in text


def test_options_on_an_op_that_reads_none_are_refused(micro_speech):
    # builtin LOGISTIC over the SOFTMAX op code: LOGISTIC has no options table
    def logistic(m, s):
        code = m.operatorCodes[m.subgraphs[0].operators[3].opcodeIndex]
        code.builtinCode = code.deprecatedBuiltinCode = s.BuiltinOperator.LOGISTIC
    text = _error(mutate(micro_speech, logistic))
    assert "operator 3 (LOGISTIC)" in text and "SoftmaxOptions" in text and "no options" in text


@pytest.mark.parametrize("k, op, kind", [(1, "DEPTHWISE_CONV_2D", "DepthwiseConv2DOptions"),
                                         (3, "SOFTMAX", "SoftmaxOptions")])
def test_an_absent_options_table_is_refused_where_tflm_would_read_zeros(micro_speech, k, op, kind):
    # TFLM fills the op's parameters with zeros: stride 0, or beta 0 (TFLM aborts)
    text = _error(mutate(micro_speech, options(k, None)))
    assert f"operator {k} ({op})" in text and f"no {kind}" in text


@pytest.mark.parametrize("k", [0, 2])
def test_an_absent_options_table_is_fine_where_zeros_are_the_defaults(micro_speech, k):
    compile_model(mutate(micro_speech, options(k, None)))   # RESHAPE, FULLY_CONNECTED


# ---------------------------------------------------------------- option values

@pytest.mark.parametrize("beta", [0.0, -1.0, float("nan"), float("inf")])
def test_softmax_beta_must_be_positive_and_finite(micro_speech, beta):
    # beta 0 and -1 abort the TFLM interpreter (SIGABRT)
    text = _error(mutate(micro_speech, softmax_beta(beta)))
    assert "operator 3 (SOFTMAX)" in text and f"Beta {beta!r}" in text


# ---------------------------------------------------------------- inputs and outputs

@pytest.mark.parametrize("k, op, change, message", [
    (3, "SOFTMAX", lambda i: [-1], "input 0 is absent (-1)"),
    (1, "DEPTHWISE_CONV_2D", lambda i: i[:2] + [-1], "input 2 is absent (-1)"),   # TFLM: SIGSEGV
    (1, "DEPTHWISE_CONV_2D", lambda i: [-1] + i[1:], "input 0 is absent (-1)"),
    (3, "SOFTMAX", lambda i: i + [-1], "2 inputs, SOFTMAX takes 1"),
    (1, "DEPTHWISE_CONV_2D", lambda i: i + [i[2]], "4 inputs, DEPTHWISE_CONV_2D takes 2 to 3"),
    (2, "FULLY_CONNECTED", lambda i: i[:1], "1 input, FULLY_CONNECTED takes 2 to 3"),
])
def test_inputs_are_counted_and_absent_ones_refused(micro_speech, k, op, change, message):
    text = _error(mutate(micro_speech, inputs(k, change)))
    assert f"operator {k} ({op})" in text and message in text


def test_an_optional_bias_may_be_absent(micro_speech):
    # FULLY_CONNECTED's bias is optional in TFLM: -1 or two inputs, both compile bit-exactly
    for change in (lambda i: i[:2] + [-1], lambda i: i[:2]):
        diff, total, _ = compare_with_tflm(mutate(micro_speech, inputs(2, change)), runs=2)
        assert total == 8 and diff == 0


def test_an_op_has_exactly_one_output(micro_speech):
    def two_outputs(m, s):
        op = m.subgraphs[0].operators[1]
        op.outputs = np.array(list(op.outputs) + [int(m.subgraphs[0].operators[2].outputs[0])], np.int32)
    text = _error(mutate(micro_speech, two_outputs))
    assert "operator 1 (DEPTHWISE_CONV_2D)" in text and "2 outputs" in text


# ---------------------------------------------------------------- tensor types and quantization

def _tensor_of(m, k: int, position: int):
    return m.subgraphs[0].tensors[m.subgraphs[0].operators[k].inputs[position]]


def test_bias_type_is_checked(micro_speech):
    def int8_bias(m, s):
        t = _tensor_of(m, 2, 2)
        t.type = s.TensorType.INT8
        m.buffers[t.buffer].data = np.array(m.buffers[t.buffer].data, np.uint8)[:4]
    text = _error(mutate(micro_speech, int8_bias))
    assert "operator 2 (FULLY_CONNECTED)" in text and "int8" in text and "int32" in text


def test_fully_connected_bias_scale_must_match_input_times_weights(micro_speech):
    # TFLM's GetQuantizedConvolutionMultipler: |input * weights scale - bias scale| / output
    # scale <= 0.02, else the interpreter refuses the model
    def bias_scale(m, s):
        q = _tensor_of(m, 2, 2).quantization
        q.scale = np.array(q.scale, np.float32) * 1000
    text = _error(mutate(micro_speech, bias_scale))
    assert "operator 2 (FULLY_CONNECTED)" in text and "bias scale" in text


def test_a_softmax_input_scale_of_1e_30_is_refused(micro_speech):
    # beta * input scale below 2^-26 aborts TFLM's softmax Prepare; fwgen compiled it
    def tiny(m, s):
        t = m.subgraphs[0].tensors[m.subgraphs[0].operators[3].inputs[0]]
        t.quantization.scale = np.array([1e-30], np.float32)
    text = _error(mutate(micro_speech, tiny))
    assert "operator 3 (SOFTMAX): input scale 1e-30 * Beta 1.0" in text


@pytest.mark.parametrize("beta", [1e-7, 1e-30])
def test_softmax_beta_times_input_scale_must_exceed_2_pow_minus_26(micro_speech, beta):
    # TFLM's QuantizeMultiplierGreaterThanOne aborts (SIGABRT) below: beta 1e-7 * scale 0.19
    text = _error(mutate(micro_speech, softmax_beta(beta)))
    assert "operator 3 (SOFTMAX)" in text and f"Beta {beta!r}" in text and "2^-26" in text


@pytest.mark.parametrize("value", [30817, 1, 0])
def test_depth_multiplier_option_must_match_the_filter(micro_speech, value):
    # TFLM's kernel loops over the option (30817 ran 28 s and read past the filter)
    def edit(m, s):
        m.subgraphs[0].operators[1].builtinOptions.depthMultiplier = value
    text = _error(mutate(micro_speech, edit))
    assert "operator 1 (DEPTHWISE_CONV_2D)" in text and f"DepthMultiplier {value}" in text


@pytest.mark.parametrize("value", [127, -128, 9])
def test_quantized_bias_type_option_is_checked(micro_speech, value):
    # TFLM refuses a QuantizedBiasType other than the bias tensor's type
    def edit(m, s):
        m.subgraphs[0].operators[2].builtinOptions.quantizedBiasType = value
    text = _error(mutate(micro_speech, edit))
    assert "operator 2 (FULLY_CONNECTED)" in text and f"QuantizedBiasType {value}" in text


@pytest.mark.parametrize("axis, scales, message", [
    (7, None, "quantized_dimension 7 is outside the tensor's 4 dimensions"),   # TFLM refuses
    (0, 3, "3 scales along dimension 0 of size 1"),
])
def test_quantization_axis_and_scale_count_are_checked(micro_speech, axis, scales, message):
    def edit(m, s):
        q = _tensor_of(m, 1, 1).quantization        # the depthwise filter [1, 10, 8, 8]
        q.quantizedDimension = axis
        if scales is not None:
            q.scale = np.array(q.scale, np.float32)[:scales]
            q.zeroPoint = np.array(q.zeroPoint, np.int64)[:scales]
    text = _error(mutate(micro_speech, edit))
    assert message in text and "tensor " in text


@pytest.mark.parametrize("field, value, says", [
    ("dilationHFactor", 32768, "dilation 32768x1"),
    ("strideW", 70000, "stride 2x70000"),
])
def test_window_options_must_fit_the_kernel_parameters(micro_speech, field, value, says):
    # the kernels' parameter structs hold strides, dilations and padding as int16: 32768
    # compiled to C that does not build (-Werror=overflow)
    def edit(m, s):
        setattr(m.subgraphs[0].operators[1].builtinOptions, field, value)
    text = _error(mutate(micro_speech, edit))
    assert "operator 1 (DEPTHWISE_CONV_2D)" in text and says in text and "32767" in text
