"""Helpers for the compiler tests (model mutation, TFLM comparison). Not a test module."""
from __future__ import annotations

from typing import Callable

import flatbuffers
import numpy as np

from fwgen.compiler import compile_model
from fwgen.compiler.host import HostModel
from fwgen.compiler.reference import TflmModel
from fwgen.compiler.validate import random_inputs


def schema():
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated  # noqa: PLC0415

    return schema_py_generated


def mutate(model: bytes, edit: Callable) -> bytes:
    """Unpack a .tflite with the object API, let `edit(model_t, schema)` change it, repack."""
    s = schema()
    m = s.ModelT.InitFromPackedBuf(bytearray(model), 0)
    edit(m, s)
    builder = flatbuffers.Builder(1024)
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


# edits for `mutate` on micro_speech (RESHAPE, DEPTHWISE_CONV_2D, FULLY_CONNECTED, SOFTMAX)

def to_float_only(m, s) -> None:
    """Every int8 activation becomes float32 without quantization: a float model."""
    for t in m.subgraphs[0].tensors:
        data = m.buffers[t.buffer].data
        if t.type == s.TensorType.INT8 and (data is None or len(data) == 0):
            t.type = s.TensorType.FLOAT32
            t.quantization = None


def softmax_to_tanh(m, s) -> None:
    """Operator 3 (SOFTMAX) becomes TANH, an operator fwgen does not support."""
    code = m.operatorCodes[m.subgraphs[0].operators[3].opcodeIndex]
    code.builtinCode = code.deprecatedBuiltinCode = s.BuiltinOperator.TANH


def fused_tanh(m, s) -> None:
    """Operator 1 (DEPTHWISE_CONV_2D) gets a fused TANH, an unsupported option."""
    m.subgraphs[0].operators[1].builtinOptions.fusedActivationFunction = s.ActivationFunctionType.TANH


def compare_with_tflm(data: bytes, runs: int = 8, seed: int = 0, inputs=None):
    """(differing elements, total elements, compiled) over random (or given) input sets."""
    compiled = compile_model(data)
    ours, tflm = HostModel(compiled), TflmModel(data)
    sets = inputs if inputs is not None else random_inputs(compiled.inputs, runs, seed)
    diff = total = 0
    for run in sets:
        for a, b in zip(ours.run(run), tflm.run(run)):
            b = np.asarray(b).reshape(a.shape)
            diff += int((a != b).sum())
            total += a.size
    return diff, total, compiled
