"""Fuzzing the reader and compiler with mutated model files: a corrupted or truncated file may
compile (when the mutation hits weights) or raise FwgenError — never any other exception."""
from __future__ import annotations

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
