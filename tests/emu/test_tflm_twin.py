"""--runtime tflm on the three QEMU twins: the zoo micro_speech, yamnet_256 and a model
fwgen's compiler refuses (TANH, built here with TF's converter; `--runtime auto` picks TFLM for
it) built with TensorFlow Lite Micro + CMSIS-NN from the TFLM tree in FWGEN_TFLM_DIR; features,
logits and detections equal the host pipeline, whose inference is TFLM's own interpreter.

No registry ships TFLM's sources, so without a tree (CI) every test here skips, saying so.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from fwgen.boards import get_board
from fwgen.deploy import (DeployOptions, default_pad, pad_clip, prepare, run_reference,
                          stage_differences)
from fwgen.link import Output

ROOT = Path(__file__).resolve().parents[2]
TREE = os.environ.get("FWGEN_TFLM_DIR")
pytestmark = pytest.mark.skipif(
    not TREE, reason="FWGEN_TFLM_DIR names no TFLM tree (TFLM's create_tflm_tree.py output): "
                     "the TFLM runtime cannot be compiled here")
ALL = int(Output.FEATURES | Output.LOGITS | Output.DETECTIONS)
TWINS = ("mps2_an505", "mps2_an386", "mps2_an500")


def tanh_kws(x):
    """micro_speech's input and classes, with a TANH fwgen's compiler does not support."""
    import tensorflow as tf  # noqa: PLC0415

    x = tf.keras.layers.Conv2D(8, (10, 8), strides=(2, 2), padding="same")(x)
    x = tf.keras.layers.Activation("tanh")(x)
    x = tf.keras.layers.Reshape((25 * 20 * 8,))(x)
    x = tf.keras.layers.Dense(4)(x)
    return tf.keras.layers.Softmax()(x)


@pytest.fixture(scope="session")
def tanh_model(tmp_path_factory) -> Path:
    from fwgen.testing import testmodels

    cache = tmp_path_factory.mktemp("tflm-models")
    data = testmodels.cached(cache, "tanh_kws", lambda: testmodels.single_op(
        tanh_kws, (49, 40, 1), seed=3, scale=20.0))
    path = cache / "tanh_kws.tflite"
    path.write_bytes(data)
    return path


@pytest.fixture(scope="session")
def tflm_firmware(tmp_path_factory):
    """(deployment, ELF) per (model, settings, twin, runtime), built once per session."""
    from fwgen.project.build import build_firmware
    from fwgen.zoo import resolve_model

    built = {}

    def get(model: str | Path, twin_id: str, *, settings: Path | None = None,
            runtime: str = "tflm"):
        key = (str(model), twin_id, runtime)
        if key not in built:
            twin = get_board(twin_id)
            deployment = prepare(resolve_model(model, settings), DeployOptions(runtime=runtime))
            out = tmp_path_factory.mktemp(f"tflm-{twin_id}")
            firmware = build_firmware(deployment, twin, out, include_twin=False, envs=(twin.id,))
            built[key] = deployment, firmware.elf(twin.id)
        return built[key]
    return get


def stream_and_compare(deployment, elf: Path, twin_id: str, wav: Path):
    from fwgen.audio import read_wav
    from fwgen.device import TwinDevice

    samples = pad_clip(read_wav(wav, expect_rate=deployment.frontend.sample_rate),
                       default_pad(deployment.frontend, deployment.n_frames))
    ref = run_reference(samples, deployment)
    with TwinDevice(elf, get_board(twin_id)) as session:
        result = session.stream(samples, outputs=ALL, timeout=300)
    assert result.errors == []
    assert ref.logits.shape[0] > 0
    assert stage_differences(result, ref) == []
    return result, ref


@pytest.mark.parametrize("twin_id", TWINS)
def test_micro_speech_on_each_twin(twin_id, tflm_firmware):
    deployment, elf = tflm_firmware("micro_speech", twin_id)
    assert deployment.runtime == "tflm"
    result, _ = stream_and_compare(deployment, elf, twin_id,
                                   ROOT / "models" / "micro_speech" / "samples" / "yes_0.wav")
    assert [deployment.classes[d.class_index] for d in result.detections] == ["yes"]


@pytest.mark.parametrize("twin_id", TWINS)
def test_yamnet_256_on_each_twin(twin_id, tflm_firmware):
    deployment, elf = tflm_firmware("yamnet_256", twin_id)
    wav = sorted((ROOT / "models" / "yamnet_256" / "samples").glob("*.wav"))[0]
    stream_and_compare(deployment, elf, twin_id, wav)


@pytest.mark.parametrize("twin_id", TWINS)
def test_a_model_the_compiler_refuses(twin_id, tflm_firmware, tanh_model):
    """--runtime auto takes TFLM for a TANH model, says why, and the twin matches TFLM."""
    from fwgen.zoo import resolve_model

    settings = ROOT / "models" / "micro_speech" / "model.yaml"
    auto = prepare(resolve_model(tanh_model, settings), DeployOptions(runtime="auto"))
    assert auto.runtime == "tflm" and "TANH is not supported" in auto.runtime_reason
    assert "TANH" in [op for op, _ in auto.compiled.ops]
    deployment, elf = tflm_firmware(tanh_model, twin_id, settings=settings)
    for name in ("yes_0.wav", "no_0.wav"):
        stream_and_compare(deployment, elf, twin_id,
                           ROOT / "models" / "micro_speech" / "samples" / name)
