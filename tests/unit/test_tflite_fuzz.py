"""Fuzzing the reader and compiler with mutated model files: a corrupted or truncated file may
compile (when the mutation hits weights) or raise FwgenError — never any other exception."""
from __future__ import annotations

import struct
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fwgen.compiler import compile_model
from fwgen.errors import FwgenError

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck),
                derandomize=True, database=None)  # same mutations on every run: deterministic CI


MODEL = Path(__file__).resolve().parents[3] / "shared/data/micro_speech/micro_speech_quantized.tflite"


@lru_cache(maxsize=1)
def _model() -> bytes:
    if not MODEL.is_file():
        pytest.skip(f"reference model not found at {MODEL}")
    return MODEL.read_bytes()


def _compile_or_user_error(data: bytes) -> None:
    try:
        compile_model(data)
    except FwgenError as exc:
        assert str(exc)  # a message for the user, not an empty error


@FUZZ
@given(flips=st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 7)), min_size=1, max_size=8))
def test_bit_flips(flips):
    model = _model()
    data = bytearray(model)
    for pos, bit in flips:
        data[pos % len(data)] ^= 1 << bit
    _compile_or_user_error(bytes(data))


@FUZZ
@given(pos=st.integers(0, 10**9), chunk=st.binary(min_size=1, max_size=16))
def test_overwrites_in_the_flatbuffer_tables(pos, chunk):
    model = _model()
    # the tables (offsets, vectors, options) sit outside the large weight buffers: aim there
    tables = [i for i in range(len(model)) if i < 600 or i > len(model) - 2500]
    start = tables[pos % len(tables)]
    data = model[:start] + chunk + model[start + len(chunk):]
    _compile_or_user_error(data)


@FUZZ
@given(cut=st.integers(0, 10**9))
def test_truncation(cut):
    model = _model()
    _compile_or_user_error(model[:cut % len(model)])


@FUZZ
@given(st.binary(max_size=512))
def test_random_bytes_with_header(junk):
    _compile_or_user_error(junk[:4] + b"TFL3" + junk[4:])


# Structural mutations through the flatbuffer object API: the file stays well-formed, so these
# reach the graph checks and every lowering with odd option values, shapes, quantization
# parameters and tensor references (byte-level mutations mostly stop in the reader).
_VALUES = [0, 1, -1, 2, 3, 7, 127, -128, 255, 2**15, 2**31 - 1, -(2**31)]
_FLOATS = [0.0, -1.0, 1e30, float("nan"), float("inf"), 1e-30]
MUTATION = st.tuples(st.integers(0, 4), st.integers(0, 10**6), st.integers(0, 10**6),
                     st.integers(0, len(_VALUES) - 1))


def _apply(m, mutations) -> None:
    import numpy as np  # noqa: PLC0415

    g = m.subgraphs[0]
    for kind, a, b, v in mutations:
        if kind == 0:
            options = g.operators[a % len(g.operators)].builtinOptions
            names = sorted(k for k in vars(options) if not k.startswith("_")) if options is not None else []
            if names:
                name = names[b % len(names)]
                old = getattr(options, name)
                if isinstance(old, bool):
                    setattr(options, name, not old)
                elif isinstance(old, int):
                    setattr(options, name, _VALUES[v])
                elif isinstance(old, float):
                    setattr(options, name, _FLOATS[v % len(_FLOATS)])
        elif kind == 1:
            t = g.tensors[a % len(g.tensors)]
            if t.shape is not None and len(t.shape):
                t.shape = np.array(t.shape)
                t.shape[b % len(t.shape)] = [0, 1, 2, 3, 1000, 2**20][v % 6]
        elif kind in (2, 3):
            q = g.tensors[a % len(g.tensors)].quantization
            if q is not None and q.scale is not None and len(q.scale):
                if kind == 2:
                    q.scale = np.array(q.scale, np.float32)
                    q.scale[b % len(q.scale)] = _FLOATS[v % len(_FLOATS)]
                elif q.zeroPoint is not None and len(q.zeroPoint):
                    q.zeroPoint = np.array(q.zeroPoint, np.int64)
                    q.zeroPoint[b % len(q.zeroPoint)] = [-129, 128, 1000, -(2**40), 5][v % 5]
        else:
            op = g.operators[a % len(g.operators)]
            if op.inputs is not None and len(op.inputs):
                op.inputs = np.array(op.inputs)
                op.inputs[b % len(op.inputs)] = [-1, 0, len(g.tensors) - 1, b % len(g.tensors)][v % 4]


@settings(FUZZ, max_examples=400)
@given(st.lists(MUTATION, min_size=1, max_size=3))
def test_structural_mutations(mutations):
    from compiler_helpers import mutate  # noqa: PLC0415

    try:
        data = mutate(_model(), lambda m, s: _apply(m, mutations))
    except (TypeError, struct.error, OverflowError):
        return   # the value does not fit the field's type: not a representable file
    _compile_or_user_error(data)


@pytest.mark.parametrize("field, value, message", [
    ("scale", float("inf"), "quantization scale inf is not a positive finite number"),
    ("scale", 0.0, "quantization scale 0.0 is not a positive finite number"),
    ("zeroPoint", 300, "int8 zero point 300 outside"),
])
def test_corrupted_activation_quantization_names_the_tensor(field, value, message):
    import numpy as np  # noqa: PLC0415

    from compiler_helpers import mutate  # noqa: PLC0415

    def edit(m, s):
        q = m.subgraphs[0].tensors[m.subgraphs[0].outputs[0]].quantization
        setattr(q, field, np.array([value], np.float32 if field == "scale" else np.int64))

    with pytest.raises(FwgenError, match=message) as info:
        compile_model(mutate(_model(), edit))
    assert "tensor " in str(info.value) and "re-export" in str(info.value)
