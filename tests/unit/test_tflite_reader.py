"""The .tflite reader and the graph/op validator: structure, and clear errors."""
from __future__ import annotations

import numpy as np
import pytest

from fwgen.compiler import compile_model
from fwgen.errors import FwgenError
from fwgen.tflite import read_model

from compiler_helpers import fused_tanh, mutate, softmax_to_tanh, to_float_only


@pytest.fixture(scope="module")
def micro_speech(shared_data):
    return (shared_data / "micro_speech" / "micro_speech_quantized.tflite").read_bytes()


def test_reads_micro_speech_graph(micro_speech):
    m = read_model(micro_speech)
    assert [op.opcode for op in m.operators] == ["RESHAPE", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX"]
    dw = m.operators[1]
    assert dw.options["DepthMultiplier"] == 8
    assert dw.options["Padding"] == "SAME"
    assert dw.options["FusedActivationFunction"] == "RELU"
    assert (dw.options["StrideH"], dw.options["StrideW"]) == (2, 2)
    inp = m.tensors[m.inputs[0]]
    assert inp.shape == (1, 1960) and inp.dtype == "int8"
    assert inp.zero_point == -128 and inp.scale == pytest.approx(0.10171568)
    filt = m.tensors[dw.inputs[1]]
    assert filt.data.shape == (1, 10, 8, 8) and filt.data.dtype == np.int8
    assert filt.quant.per_channel and filt.quant.scale.size == 8 and filt.quant.axis == 3
    assert m.operators[0].options["NewShape"] == [-1, 49, 40, 1]


@pytest.mark.parametrize("data, message", [
    (b"", "only 0 bytes"),
    (b"\x00" * 16, "TFL3"),
])
def test_rejects_non_models(data, message):
    with pytest.raises(FwgenError, match=message):
        read_model(data)


def test_rejects_truncated_model(micro_speech):
    for cut in (8, 100, 1000, len(micro_speech) // 2, len(micro_speech) - 1000):
        with pytest.raises(FwgenError) as info:
            compile_model(micro_speech[:cut])
        assert "not a valid .tflite model" in str(info.value) or "operator" in str(info.value)


def test_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(FwgenError, match="cannot read model"):
        read_model(tmp_path / "absent.tflite")


def test_unsupported_option_names_op_index_and_alternatives(micro_speech):
    with pytest.raises(FwgenError) as info:
        compile_model(mutate(micro_speech, fused_tanh))
    text = str(info.value)
    assert "operator 1 (DEPTHWISE_CONV_2D)" in text and "TANH" in text and "RELU6" in text


def test_unsupported_op_names_op_index_and_supported_list(micro_speech):
    with pytest.raises(FwgenError) as info:
        compile_model(mutate(micro_speech, softmax_to_tanh))
    text = str(info.value)
    assert "operator 3 (TANH)" in text and "CONV_2D" in text and "SOFTMAX" in text


def test_float_only_model_is_rejected(micro_speech):
    with pytest.raises(FwgenError, match="no int8 activations|float"):
        compile_model(mutate(micro_speech, to_float_only))


def test_float_tensor_inside_graph_is_rejected(micro_speech):
    def float_middle(m, s):
        t = m.subgraphs[0].tensors[2]  # Relu: between DEPTHWISE_CONV_2D and FULLY_CONNECTED
        t.type = s.TensorType.FLOAT32
    with pytest.raises(FwgenError) as info:
        compile_model(mutate(micro_speech, float_middle))
    assert "operator 1" in str(info.value) or "operator 2" in str(info.value)


def test_bad_model_name_is_rejected(micro_speech):
    with pytest.raises(FwgenError, match="C identifier"):
        compile_model(micro_speech, name="My-Model")


def _logistic_over_conv(m, s):
    """Operator 3's code: builtin_code LOGISTIC (14), deprecated_builtin_code CONV_2D (3)."""
    op = m.subgraphs[0].operators[3]
    code = m.operatorCodes[op.opcodeIndex]
    code.builtinCode, code.deprecatedBuiltinCode = s.BuiltinOperator.LOGISTIC, s.BuiltinOperator.CONV_2D
    op.builtinOptionsType, op.builtinOptions = s.BuiltinOptions.NONE, None


def test_op_code_is_the_larger_of_builtin_and_deprecated_code(micro_speech):
    # TFLite's schema_utils GetBuiltinCode (and TFLM): max(builtin_code, deprecated_builtin_code);
    # the `tflite` package's BuiltinCode() returns the deprecated field below 127 instead
    data = mutate(micro_speech, _logistic_over_conv)
    assert read_model(data).operators[3].opcode == "LOGISTIC"
    from fwgen.zoo import graph_stats     # fwgen models show counts ops the same way

    assert graph_stats(data).ops.get("LOGISTIC") == 1
    compiled = compile_model(data)
    assert "fwgen_nn_logistic_s8" in compiled.kernels


def test_op_code_above_127_comes_from_builtin_code(micro_speech):
    def gelu(m, s):   # GELU is 150: only builtin_code can hold it, the deprecated field says 127
        code = m.operatorCodes[m.subgraphs[0].operators[3].opcodeIndex]
        code.builtinCode, code.deprecatedBuiltinCode = s.BuiltinOperator.GELU, 127
    assert read_model(mutate(micro_speech, gelu)).operators[3].opcode == "GELU"


def test_op_code_matches_tflm_bit_exactly(micro_speech):
    from compiler_helpers import compare_with_tflm

    diff, total, _ = compare_with_tflm(mutate(micro_speech, _logistic_over_conv), runs=4)
    assert total == 16 and diff == 0
