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
