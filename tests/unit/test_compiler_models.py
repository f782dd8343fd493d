"""Whole models built with Keras and quantized with TF's converter: bit-exact with TFLM,
arena targets. Conversions are slow, so the .tflite files are cached for the session."""
from __future__ import annotations

import numpy as np
import pytest

from fwgen.compiler import compile_model
from fwgen.compiler.reference import TflmModel
from fwgen.compiler.validate import random_inputs
from fwgen.testing import testmodels
from fwgen.tflite import read_model

from compiler_helpers import compare_with_tflm

pytest.importorskip("tensorflow")


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("quantized-models")


@pytest.fixture(scope="session")
def yamnet(model_cache):
    return testmodels.cached(model_cache, "yamnet_256", testmodels.yamnet_256)


def _params(data: bytes) -> int:
    m = read_model(data)
    return sum(t.size for t in m.tensors if t.is_constant and t.dtype == "int8")


def test_yamnet_256_structure(yamnet):
    m = read_model(yamnet)
    ops = [op.opcode for op in m.operators]
    assert ops.count("CONV_2D") == 6 and ops.count("DEPTHWISE_CONV_2D") == 5
    assert ops[-3:] == ["MEAN", "FULLY_CONNECTED", "SOFTMAX"]
    assert m.tensors[m.inputs[0]].shape == (1, 96, 64, 1)
    assert 125_000 <= _params(yamnet) <= 140_000   # ~132 K weights (10-class head)


def test_yamnet_256_bit_exact_and_under_100_kb(yamnet):
    diff, total, compiled = compare_with_tflm(yamnet, runs=3, seed=5)
    assert total == 30 and diff == 0
    assert compiled.arena_bytes <= 100_000
    tflm = TflmModel(yamnet)
    tflm.run(random_inputs(compiled.inputs, 1)[0])
    assert compiled.arena_bytes < 0.65 * tflm.arena_used_bytes()
    assert compiled.macs == pytest.approx(23.9e6, rel=0.01)


def test_yamnet_256_trunk_bit_exact(model_cache):
    # the full model averages 24,576 activations into 256: compare every trunk activation too
    data = testmodels.cached(model_cache, "yamnet_256_trunk", testmodels.yamnet_256_trunk)
    diff, total, compiled = compare_with_tflm(data, runs=2, seed=6)
    assert total == 2 * 12 * 8 * 256 and diff == 0
    assert compiled.arena_bytes <= 100_000


def test_mobilenet_v3_block_bit_exact(model_cache):
    data = testmodels.cached(model_cache, "mobilenet_v3_block", testmodels.mobilenet_v3_block)
    ops = {op.opcode for op in read_model(data).operators}
    assert {"HARD_SWISH", "MUL", "ADD", "MEAN", "DEPTHWISE_CONV_2D", "CONV_2D", "LOGISTIC"} <= ops
    diff, total, compiled = compare_with_tflm(data, runs=10, seed=7)
    assert total == 50 and diff == 0
    out = [compiled.output.shape]
    assert out == [(1, 5)]


def test_float_io_model_bit_exact(model_cache):
    """A float-in/float-out model (QUANTIZE ... DEQUANTIZE at the edges)."""
    import tensorflow as tf  # noqa: PLC0415

    L = tf.keras.layers

    def build() -> bytes:
        return testmodels.single_op_float_io(
            lambda x: L.Dense(3)(L.GlobalAveragePooling2D()(L.Conv2D(4, 3, padding="same", activation="relu")(x))),
            (6, 6, 3), seed=3)

    data = testmodels.cached(model_cache, "float_io_conv", build)
    m = read_model(data)
    assert m.tensors[m.inputs[0]].dtype == "float32" and m.tensors[m.outputs[0]].dtype == "float32"
    assert m.operators[0].opcode == "QUANTIZE" and m.operators[-1].opcode == "DEQUANTIZE"
    diff, total, compiled = compare_with_tflm(data, runs=10, seed=8)
    assert total == 30 and diff == 0
    assert compiled.input.dtype == "float32" and "float" in compiled.files["model.h"]
    lo, hi = compiled.input.real_range    # the random inputs above cover QUANTIZE's whole range
    x = np.concatenate([r[0].ravel() for r in random_inputs(compiled.inputs, 10, 8)])
    assert lo < 0 < hi and x.min() < lo and x.max() > hi


def test_mobilenet_v3_tagger_bit_exact(model_cache):
    """The ZOO's EfficientAT-style mn04 tagger (hard-swish, SE, residuals, MLP head), small input."""
    from fwgen.train.architectures import mobilenet_v3_tagger  # noqa: PLC0415

    def build() -> bytes:
        testmodels._set_seed(1)
        model = mobilenet_v3_tagger(7, width=0.4, n_mels=32, n_frames=48)
        testmodels._randomize_batchnorm(model, np.random.default_rng(1))
        return testmodels.quantize(model, 1)

    data = testmodels.cached(model_cache, "mn04_tagger_48x32", build)
    assert len(read_model(data).operators) > 100
    diff, total, compiled = compare_with_tflm(data, runs=3, seed=9)
    assert total == 21 and diff == 0
    tflm = TflmModel(data)
    tflm.run(random_inputs(compiled.inputs, 1)[0])
    assert compiled.arena_bytes < 0.5 * tflm.arena_used_bytes()


_DIGEST = ("import hashlib, sys\n"
           "from fwgen.compiler import compile_model\n"
           "c = compile_model(sys.argv[1])\n"
           "for name in sorted(c.files):\n"
           "    print(name, hashlib.sha256(c.files[name].encode()).hexdigest())\n")


def test_generated_code_is_byte_identical_across_processes(model_cache, shared_data):
    """model.c/model.h do not depend on the process: same bytes under different hash seeds (set
    and dict order of strings), for a small model and one using every kind of kernel call."""
    import hashlib
    import os
    import subprocess
    import sys

    block = model_cache / "mobilenet_v3_block.for_determinism.tflite"
    block.write_bytes(testmodels.cached(model_cache, "mobilenet_v3_block", testmodels.mobilenet_v3_block))
    for path in (shared_data / "micro_speech" / "micro_speech_quantized.tflite", block):
        compiled = compile_model(path)
        here = "".join(f"{n} {hashlib.sha256(compiled.files[n].encode()).hexdigest()}\n"
                       for n in sorted(compiled.files))
        for seed in ("0", "12345"):
            env = dict(os.environ, PYTHONHASHSEED=seed)
            proc = subprocess.run([sys.executable, "-c", _DIGEST, str(path)], env=env,
                                  capture_output=True, text=True, timeout=300)
            assert proc.returncode == 0, proc.stderr[-2000:]
            assert proc.stdout == here, f"{path.name} differs under PYTHONHASHSEED={seed}"


def test_mltk_style_tenet_kws_bit_exact(model_cache):
    """A keyword spotter shaped like MLTK's keyword_spotting_on_off_v3 (TENet: [T, 1, F] input,
    9x1 depthwise, strided shortcuts, ADD with fused ReLU): bit-exact, and its arena well under
    TFLM's (MLTK's published TFLM arena for its v3 model is 102,153 B)."""
    data = testmodels.cached(model_cache, "tenet_kws", testmodels.tenet_kws)
    m = read_model(data)
    ops = [op.opcode for op in m.operators]
    assert m.tensors[m.inputs[0]].shape == (1, 98, 1, 104)
    assert ops.count("ADD") == 12 and ops.count("DEPTHWISE_CONV_2D") == 12 and "RELU" not in ops
    diff, total, compiled = compare_with_tflm(data, runs=3, seed=4)
    assert total == 9 and diff == 0
    tflm = TflmModel(data)
    tflm.run(random_inputs(compiled.inputs, 1)[0])
    assert compiled.arena_bytes < 0.35 * tflm.arena_used_bytes()
