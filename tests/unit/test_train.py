"""Architectures, int8 quantization, training helpers and clip-level evaluation."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fwgen.errors import FwgenError
from fwgen.train import architectures as arch
from fwgen.train.evaluate import clip_predictions, confusion_matrix, summarize
from fwgen.train.features import (INT8_FEATURE_SCALE, FeatureSet, int8_features_to_float)
from fwgen.train.training import class_weights, representative_patches
from fwgen.zoo import graph_stats

tf = pytest.importorskip("tensorflow")


def _ops(model: bytes) -> dict[str, int]:
    return graph_stats(model).ops


def _representative(shape: tuple[int, ...], n: int = 8, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape).astype(np.float32) for _ in range(n)]


def test_micro_speech_topology() -> None:
    model = arch.micro_speech(4)
    # conv 10x8x1x8 (no bias: batch norm follows) + BN (4 x 8) + dense 4000x4 + 4
    assert model.count_params() == 640 + 32 + 16000 + 4
    assert tuple(model.outputs[0].shape[1:]) == (4,)
    conv = model.get_layer("conv")
    assert conv.kernel_size == (10, 8) and conv.strides == (2, 2) and conv.filters == 8
    assert tuple(conv.output.shape[1:]) == (25, 20, 8)


def test_yamnet_256_trunk() -> None:
    model = arch.yamnet_256(10)
    assert tuple(model.inputs[0].shape[1:]) == (96, 64, 1)
    weights = {w.path: int(np.prod(w.shape)) for w in model.weights}
    conv = sum(v for k, v in weights.items() if k.endswith("/kernel") and "logits" not in k)
    # stem 3x3x1x32, then depthwise 3x3xC and pointwise CxF for 64/1 128/2 128/1 256/2 256/1
    expected = 9 * 32
    channels = 32
    for filters, _ in arch.YAMNET_256_LAYERS:
        expected += 9 * channels + channels * filters
        channels = filters
    assert conv == expected == 130_688
    assert tuple(model.get_layer("embedding").output.shape[1:]) == (256,)


def test_make_divisible_matches_mobilenet_rule() -> None:
    assert [arch.make_divisible(c * 0.4) for c in (16, 24, 40, 80, 112, 160, 960)] == \
        [8, 16, 16, 32, 48, 64, 384]
    assert arch.make_divisible(3) == 8


def test_unknown_architecture() -> None:
    with pytest.raises(FwgenError, match="unknown architecture"):
        arch.build("resnet", 3)


def test_quantized_micro_speech_is_int8_batch_one() -> None:
    from ai_edge_litert.interpreter import Interpreter

    model = arch.micro_speech(4)
    blob = __import__("fwgen.train.quantize", fromlist=["x"]).to_int8_tflite(
        model, _representative((49, 40, 1)))
    interpreter = Interpreter(model_content=blob)
    (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
    assert tuple(inp["shape"]) == (1, 49, 40, 1) and inp["dtype"] == np.int8
    assert tuple(out["shape"]) == (1, 4) and out["dtype"] == np.int8
    ops = _ops(blob)
    assert ops == {"CONV_2D": 1, "RESHAPE": 1, "FULLY_CONNECTED": 1, "SOFTMAX": 1}
    assert graph_stats(blob).macs == 336_000  # TFLM's micro_speech figure


def test_yamnet_and_tagger_convert_to_the_compiler_op_set() -> None:
    from fwgen.train.quantize import to_int8_tflite

    yamnet = to_int8_tflite(arch.yamnet_256(5), _representative((96, 64, 1), 4))
    assert _ops(yamnet) == {"CONV_2D": 6, "DEPTHWISE_CONV_2D": 5, "MEAN": 1,
                            "FULLY_CONNECTED": 1, "SOFTMAX": 1}
    assert abs(graph_stats(yamnet).macs - 23.9e6) < 0.2e6
    tagger = to_int8_tflite(arch.mobilenet_v3_tagger(5, n_frames=32, n_mels=32),
                            _representative((32, 32, 1), 4))
    ops = _ops(tagger)
    assert set(ops) <= {"CONV_2D", "DEPTHWISE_CONV_2D", "HARD_SWISH", "MUL", "ADD", "MEAN",
                        "FULLY_CONNECTED", "SOFTMAX", "RELU6", "RESHAPE"}
    assert ops["HARD_SWISH"] >= 10 and ops["MUL"] >= 8 and ops["ADD"] >= 9


def test_empty_representative_set() -> None:
    from fwgen.train.quantize import to_int8_tflite

    with pytest.raises(FwgenError, match="empty"):
        to_int8_tflite(arch.micro_speech(2), [])
    with pytest.raises(FwgenError, match="shape"):
        to_int8_tflite(arch.micro_speech(2), [np.zeros((10, 10), np.float32)])


def test_anchor_pins_the_input_to_the_int8_feature_quantization() -> None:
    from fwgen.train.quantize import quantized_io, to_int8_tflite

    rng = np.random.default_rng(0)
    q = rng.integers(-100, 90, (20, 49, 40)).astype(np.int8)  # never reaches -128 / 127
    x = int8_features_to_float(q)[..., np.newaxis]
    features = FeatureSet(x, np.zeros(20, np.int32), np.arange(20, dtype=np.int32),
                          [str(i) for i in range(20)], np.zeros(20, np.int32))
    patches = representative_patches(features, 10, "microfrontend")
    assert len(patches) == 11
    io = quantized_io(to_int8_tflite(arch.micro_speech(3), patches))
    assert io.input_zero_point == -128
    assert io.input_scale == pytest.approx(INT8_FEATURE_SCALE, rel=1e-6)
    # With that quantization, quantizing the float input gives back the int8 features.
    back = np.round(x[..., 0] / io.input_scale) + io.input_zero_point
    np.testing.assert_array_equal(back.astype(np.int8), q)


def test_int8_feature_scale_is_tflm_micro_speech(shared_data) -> None:
    from fwgen.train.quantize import quantized_io

    blob = (shared_data / "micro_speech" / "micro_speech_quantized.tflite").read_bytes()
    io = quantized_io(blob)
    assert (io.input_scale, io.input_zero_point) == (INT8_FEATURE_SCALE, -128)


def test_class_weights() -> None:
    weights = class_weights(np.array([0, 0, 0, 1, 2, 2]), 4)
    assert weights == pytest.approx({0: 6 / 9, 1: 2.0, 2: 1.0, 3: 0.0})


def test_clip_level_aggregation() -> None:
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])
    clip = np.array([0, 0, 1, 1])
    # clip 0: mean (0.55, 0.45) -> 0; clip 1: mean (0.45, 0.55) -> 1
    np.testing.assert_array_equal(clip_predictions(probs, clip, 2), [0, 1])
    matrix = confusion_matrix(np.array([0, 1, 1]), np.array([0, 0, 1]), 2)
    np.testing.assert_array_equal(matrix, [[1, 0], [1, 1]])
    summary = summarize(np.array([0, 1, 1]), np.array([0, 0, 1]), ["a", "b"])
    assert summary["accuracy"] == pytest.approx(2 / 3)
    assert summary["per_class"] == {"a": {"clips": 1, "recall": 1.0},
                                    "b": {"clips": 2, "recall": 0.5}}


# ------------------------------------------------------------------------------------------
# CLI argument checks (no TensorFlow needed) and a small end-to-end run
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("argv, message", [
    (["train", "--model", "nope"], "no zoo model named"),
    (["train", "--model", "micro_speech", "--data", "/nonexistent/ds"], "not found"),
    (["train", "--model", "micro_speech", "--data", "synthetic", "--epochs", "0"], "--epochs"),
    (["evaluate", "/nonexistent/m.tflite", "--data", "synthetic"], "model not found"),
    (["quantize", "/nonexistent/m.keras", "--data", "synthetic"], "model not found"),
])
def test_cli_rejects_bad_arguments(argv: list[str], message: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    from fwgen.cli import main

    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_quantize_wants_a_float_model(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    from fwgen.cli import main

    model = tmp_path / "m.tflite"
    model.write_bytes(b"x")
    assert main(["quantize", str(model), "--data", "synthetic"]) == 2
    assert "expected a .keras file or a SavedModel" in capsys.readouterr().err


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_cli_user_mistakes_are_clear_errors(tmp_path, monkeypatch, shared_data: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """What a user gets wrong with train/quantize/evaluate: exit 2, a message naming the
    problem, no traceback, nothing written. None of these cases gets as far as TensorFlow."""
    from fwgen.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    (tmp_path / "layout" / "sub").mkdir(parents=True)
    (tmp_path / "layout" / "notes.txt").write_text("not a dataset")
    (tmp_path / "words" / "yes").mkdir(parents=True)   # right layout, no clips
    (tmp_path / "words" / "no").mkdir()
    (tmp_path / "junk.keras").write_bytes(b"not a zip archive")
    no_metadata = shared_data / "micro_speech" / "micro_speech_quantized.tflite"  # TFLM's
    shipped_model = Path(__file__).resolve().parents[2] / "models" / "micro_speech" / \
        "micro_speech.tflite"
    cases = [
        (["train", "--model", "micro_speech", "--data", "empty", "--out", "o"],
         "no folder for word(s) yes, no"),
        (["train", "--model", "micro_speech", "--data", "layout", "--out", "o"],
         "no folder for word(s) yes, no"),
        (["train", "--model", "yamnet_256", "--data", "layout", "--out", "o"],
         "not an ESC-50 folder"),
        (["train", "--model", "micro_speech", "--data", "words", "--out", "o",
          "--no-progress"], "the training split is empty"),
        (["train", "--model", "micro_speeh", "--data", "synthetic", "--out", "o"],
         "did you mean micro_speech"),
        (["quantize", "junk.keras", "--zoo", "micro_speech", "--data", "synthetic",
          "--out", "o/q.tflite"], "not a .keras model file"),
        (["quantize", "junk.keras", "--data", "synthetic"], "no settings for this model"),
        (["evaluate", str(no_metadata), "--data", "synthetic", "--out", "o"],
         "carries no fwgen or MLTK (SL_PARAMSv1) metadata"),
        # Output paths that cannot be written are refused before any training starts.
        (["train", "--model", "micro_speech", "--data", "synthetic", "--out", "junk.keras"],
         "the output folder is a file"),
        (["train", "--model", "micro_speech", "--data", "synthetic", "--out", "junk.keras/sub"],
         "a parent is a file"),
        (["evaluate", str(shipped_model), "--data", "synthetic", "--out", "junk.keras"],
         "the output folder is a file"),
        (["quantize", str(shipped_model.with_suffix(".keras")), "--zoo", "micro_speech",
          "--data", "synthetic", "--out", "empty"], "the output path is a folder"),
    ]
    before = _tree(tmp_path)
    for argv, message in cases:
        assert main(argv) == 2, argv
        captured = capsys.readouterr()
        assert message in captured.err, (argv, captured.err)
        assert "Traceback" not in captured.err + captured.out
        assert _tree(tmp_path) == before, argv


@pytest.mark.slow
@pytest.mark.skipif(__import__("shutil").which("espeak-ng") is None, reason="needs espeak-ng")
def test_train_quantize_evaluate_end_to_end(tmp_path) -> None:
    """Tiny synthetic set → 2 epochs → int8 .tflite with metadata → evaluate → quantize."""
    import dataclasses
    import json

    from fwgen import zoo
    from fwgen.tflite.metadata import read_model_metadata
    from fwgen.train.datasets.synthetic import SyntheticKeywordSpec, generate_keywords
    from fwgen.train.evaluate import evaluate_model
    from fwgen.train.training import quantize_saved_model, train_zoo_model

    spec = SyntheticKeywordSpec(keywords=("yes", "no"), unknown_words=("cat", "up", "dog"),
                                clips_per_keyword=24, clips_per_unknown_word=6,
                                noise_seconds=2.0, seed=3)
    data = generate_keywords(tmp_path / "data", spec)
    model_def = zoo.get_model("micro_speech")
    recipe = dataclasses.replace(model_def.training, augment_copies=1, batch_size=16,
                                 representative_examples=20,
                                 dataset={"kind": "speech_commands",
                                          "validation_percentage": 20,
                                          "testing_percentage": 20})
    stages: set[str] = set()
    result = train_zoo_model(model_def, data, tmp_path / "out", epochs=2, recipe=recipe,
                             progress=lambda s, d, t, i: stages.add(s))
    assert {"features:train", "train", "quantize", "evaluate"} <= stages
    meta = read_model_metadata(result.tflite_path)
    assert meta is not None and meta.classes == model_def.classes
    assert meta.input["zero_point"] == -128
    assert meta.provenance["epochs_run"] == 2
    report = json.loads(result.report_path.read_text())
    assert set(report["evaluation"]) >= {"float", "int8", "float_int8_agreement"}
    assert (tmp_path / "out" / "confusion.png").stat().st_size > 1000
    evaluation = evaluate_model(result.tflite_path, data, split="test",
                                out_dir=tmp_path / "eval", runtime="tflm",
                                dataset_options=recipe.dataset)
    assert evaluation["int8"]["accuracy"] == report["evaluation"]["int8"]["accuracy"]
    written = json.loads((tmp_path / "eval" / "evaluation.json").read_text())
    assert written["float"]["accuracy"] == evaluation["float"]["accuracy"]  # side by side
    assert written["int8"]["accuracy"] == evaluation["int8"]["accuracy"]
    assert (tmp_path / "eval" / "confusion.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert evaluation["int8"]["runtime"] == "tflm"
    requantized = quantize_saved_model(result.keras_path, data, meta, tmp_path / "q.tflite",
                                       examples=10)
    again = read_model_metadata(requantized)
    assert again is not None and again.classes == meta.classes
    assert again.provenance["calibration_clips"] == 10
    import hashlib

    keras_sha = hashlib.sha256(result.keras_path.read_bytes()).hexdigest()
    assert meta.provenance["float_model"] == {"path": "micro_speech.keras", "sha256": keras_sha}
    assert again.provenance["float_model"] == {"path": "out/micro_speech.keras",
                                               "sha256": keras_sha}


def test_savedmodel_quantizes_like_keras(tmp_path) -> None:
    from fwgen.train.evaluate import load_keras
    from fwgen.train.quantize import to_int8_tflite

    model = arch.micro_speech(3)
    model.export(str(tmp_path / "saved"))
    wrapped = load_keras(tmp_path / "saved")
    x = np.random.default_rng(1).normal(size=(2, 49, 40, 1)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(wrapped(x)), np.asarray(model(x)), rtol=1e-5,
                               atol=1e-6)
    stats = graph_stats(to_int8_tflite(wrapped, _representative((49, 40, 1), 4)))
    assert stats.input_shape == (1, 49, 40, 1) and stats.macs == 320_000 + 4000 * 3
    (tmp_path / "broken.keras").write_bytes(b"not a zip")
    with pytest.raises(FwgenError, match="not a .keras model file"):
        load_keras(tmp_path / "broken.keras")
    import zipfile

    with zipfile.ZipFile(tmp_path / "empty.keras", "w") as archive:
        archive.writestr("readme.txt", "a zip, but no Keras model inside")
    with pytest.raises(FwgenError, match="cannot load the Keras model"):
        load_keras(tmp_path / "empty.keras")


@pytest.mark.parametrize("clip", ["yes", "no", "noise", "silence"])
def test_training_features_are_the_reference_microfrontend(shared_data: Path, clip: str) -> None:
    """Training sees exactly what the board computes: the feature pipeline `fwgen train` uses,
    with micro_speech's zoo settings, gives the reference (MLTK-semantics) int8 features of
    golden.npz bit for bit, and the float model input is their exact dequantization."""
    from fwgen import zoo
    from fwgen.audio import read_wav
    from fwgen.train.features import FeaturePipeline

    golden = np.load(shared_data / "frontend" / "golden.npz")[f"micro_speech/{clip}_1000ms/int8"]
    settings = dict(zoo.get_model("micro_speech").metadata.frontend)
    pipeline = FeaturePipeline(settings, 16000)
    audio = read_wav(shared_data / "micro_speech" / f"{clip}_1000ms.wav")
    np.testing.assert_array_equal(pipeline.int8_features(audio), golden)
    patches = pipeline.clip(audio)
    assert patches.shape == (1, 49, 40, 1)
    np.testing.assert_array_equal(patches[0, ..., 0],
                                  (golden.astype(np.float32) + 128) * np.float32(INT8_FEATURE_SCALE))


def test_early_stopping_restores_the_best_epoch() -> None:
    """Validation accuracy that cannot improve (constant inputs, two labels) stops training
    after `early_stopping_patience` epochs instead of running all of them."""
    import dataclasses

    from fwgen import zoo
    from fwgen.train.training import fit

    rng = np.random.default_rng(0)
    n = 64
    x = rng.normal(size=(n, 49, 40, 1)).astype(np.float32)
    y = (np.arange(n) % 4).astype(np.int32)
    train = FeatureSet(x, y, np.arange(n, dtype=np.int32), [str(i) for i in range(n)], y)
    vx = np.zeros((8, 49, 40, 1), dtype=np.float32)
    vy = np.array([0, 1] * 4, dtype=np.int32)
    validation = FeatureSet(vx, vy, np.arange(8, dtype=np.int32), [str(i) for i in range(8)], vy)
    recipe = dataclasses.replace(zoo.get_model("micro_speech").training, batch_size=16,
                                 early_stopping_patience=2)
    history = fit(arch.micro_speech(4), train, validation, recipe, 4, epochs=30)
    assert len(history["loss"]) == 1 + 2
    assert len(set(history["val_accuracy"])) == 1


# ------------------------------------------------------------------------------------------
# issue 13: evaluate after a re-quantization finds the float model the int8 one came from
# ------------------------------------------------------------------------------------------

def _tiny_speech_commands(root: Path) -> Path:
    """A Speech Commands folder small enough to quantize from in seconds (noise clips)."""
    import soundfile

    rng = np.random.default_rng(0)
    for word in ("yes", "no", "cat"):
        (root / word).mkdir(parents=True)
        for i in range(6):
            clip = (rng.normal(0, 3000, 16000)).astype(np.int16)
            soundfile.write(str(root / word / f"s{i:02d}{word}_nohash_0.wav"), clip, 16000,
                            subtype="PCM_16")
    (root / "_background_noise_").mkdir()
    soundfile.write(str(root / "_background_noise_" / "noise.wav"),
                    rng.normal(0, 1000, 32000).astype(np.int16), 16000, subtype="PCM_16")
    return root


def test_requantized_model_records_and_finds_its_float_model(
        tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    """`fwgen quantize float/m.keras --out int8/q.tflite`: the int8 model's metadata names the
    float model (path relative to the .tflite, sha256) and evaluation finds it there, not by
    looking for int8/q.keras; a changed or missing float model is said, not silently '-'."""
    import hashlib

    from fwgen import zoo
    from fwgen.tflite.metadata import read_model_metadata
    from fwgen.train.evaluate import evaluate_model
    from fwgen.train.training import quantize_saved_model

    data = _tiny_speech_commands(tmp_path / "data")
    (tmp_path / "float").mkdir()
    keras_path = tmp_path / "float" / "m.keras"
    arch.micro_speech(4).save(keras_path)
    out = tmp_path / "int8" / "q.tflite"
    meta = zoo.get_model("micro_speech").metadata
    quantize_saved_model(keras_path, data, meta, out, examples=6)
    recorded = read_model_metadata(out).provenance["float_model"]
    assert recorded == {"path": "../float/m.keras",
                        "sha256": hashlib.sha256(keras_path.read_bytes()).hexdigest()}
    report = evaluate_model(out, data, split="train")
    assert report["float_model"] == str(keras_path.resolve())
    assert report["float"]["accuracy"] is not None and "float_model_note" not in report
    keras_path.write_bytes(keras_path.read_bytes() + b"\0")   # retrained/overwritten since
    report = evaluate_model(out, data, split="train")
    assert "float" not in report and report["float_model"] is None
    assert report["float_model_note"] == (f"the float model the int8 one was quantized from, "
                                          f"{keras_path.resolve()}, changed since (sha256 differs)")
    keras_path.unlink()
    report = evaluate_model(out, data, split="train")
    assert report["float_model_note"] == (f"the float model the int8 one was quantized from, "
                                          f"{keras_path.resolve()}, no longer exists")
    from fwgen.cli import main

    assert main(["evaluate", str(out), "--data", str(data), "--split", "train",
                 "--out", str(tmp_path / "evaluation")]) == 0
    assert (f"float column: none, the float model the int8 one was quantized from, "
            f"{keras_path.resolve()}, no longer exists") in capsys.readouterr().out


def test_float_model_of_a_tflite_without_a_record(tmp_path) -> None:
    """No record (TFLM's or MLTK's models, or fwgen's before issue 13): the sibling .keras as
    before, else a note saying why there is no float column."""
    from fwgen.train.float_model import find_float_model

    tflite = tmp_path / "m.tflite"
    tflite.write_bytes(b"")
    assert find_float_model(tflite, {}) == (None, "no float model recorded in the metadata and "
                                                  f"no {tmp_path / 'm.keras'} beside it")
    (tmp_path / "m.keras").write_bytes(b"PK")
    assert find_float_model(tflite, {}) == (tmp_path / "m.keras", None)
    # fwgen before issue 13 recorded only the file name
    (tmp_path / "old.keras").write_bytes(b"PK")
    assert find_float_model(tflite, {"float_model": "old.keras"}) == (tmp_path / "old.keras", None)


# ------------------------------------------------------------------------------------------
# issue 13: `fwgen train --no-progress` says what it is doing; TensorFlow's noise stays out
# ------------------------------------------------------------------------------------------

def test_stage_lines_announce_every_stage() -> None:
    """One line when a stage starts, one per epoch, one when it ends (with its seconds), and
    for long stages a line at most every `every_s` seconds in between."""
    from fwgen.train.progress import StageLines

    now = [0.0]
    lines: list[str] = []
    log = StageLines(lines.append, clock=lambda: now[0], every_s=30.0)
    log("dataset", 0, 1, {"data": "synthetic"})
    now[0] = 2.0
    log("dataset", 1, 1, {"clips": 12})
    for done in (1, 2, 3, 4):
        now[0] += 20.0
        log("features:train", done, 4, {})
    log("train", 0, 2, {})
    log("train", 1, 2, {"loss": 0.5, "accuracy": 0.75})
    log("train", 2, 2, {"loss": 0.25, "accuracy": 0.875})
    log("quantize", 0, 1, {})
    log("quantize", 1, 1, {})
    log("evaluate", 0, 1, {})
    now[0] += 1.5
    log("evaluate", 1, 1, {})
    assert lines == [
        "dataset: data synthetic",
        "dataset: done in 2 s (clips 12)",
        "features (train): 1/4",
        "features (train): 3/4",
        "features (train): done in 60 s (4)",
        "training: up to 2 epochs",
        "epoch 1/2  loss 0.5  accuracy 0.75",
        "epoch 2/2  loss 0.25  accuracy 0.875",
        "training: done in 0 s",
        "int8 quantization",
        "int8 quantization: done in 0 s",
        "evaluation",
        "evaluation: done in 2 s",
    ]
    lines.clear()
    log("train", 0, 30, {})
    log("train", 1, 30, {"loss": 0.5})
    log("train", 30, 30, {"stopped_after": 1})
    assert lines == ["training: up to 30 epochs", "epoch 1/30  loss 0.5",
                     "training: early stopping after 1 epochs (the best epoch's weights kept)",
                     "training: done in 0 s"]


def _write_split_lists(root: Path) -> None:
    """validation_list.txt / testing_list.txt: one speaker of each word in each."""
    files = sorted(p.relative_to(root).as_posix() for p in root.glob("*/*.wav")
                   if not p.parent.name.startswith("_"))
    (root / "validation_list.txt").write_text("\n".join(f for f in files if "s00" in f) + "\n")
    (root / "testing_list.txt").write_text("\n".join(f for f in files if "s01" in f) + "\n")


@pytest.mark.slow
def test_train_no_progress_prints_each_stage_and_no_tensorflow_noise(tmp_path) -> None:
    """The CLI in a fresh process, as a user runs it: a line per stage on stdout, and nothing
    from TensorFlow, CUDA, absl or LiteRT on stderr unless -v."""
    import re
    import subprocess
    import sys

    data = _tiny_speech_commands(tmp_path / "data")
    _write_split_lists(data)
    argv = [sys.executable, "-m", "fwgen", "train", "--model", "micro_speech", "--data",
            str(data), "--epochs", "1", "--no-progress"]
    env = {k: v for k, v in __import__("os").environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    run = subprocess.run(argv + ["--out", str(tmp_path / "out")], capture_output=True,
                         text=True, env=env, timeout=900)
    assert run.returncode == 0, run.stderr
    starts = [line.split(":")[0] for line in run.stdout.splitlines()]
    order = [starts.index(s) for s in ("dataset", "features (train)", "training",
                                       "int8 quantization", "evaluation")]
    assert order == sorted(order), run.stdout
    assert "epoch 1/1" in run.stdout
    noise = re.compile(r"^[IWEF]\d{4} |absl|cuda|oneDNN|XNNPACK|Saved artifact|tensorflow|"
                       r"fully_quantize|inference_type",
                       re.IGNORECASE | re.MULTILINE)
    assert not noise.search(run.stderr), run.stderr
    assert not noise.search(run.stdout), run.stdout
    verbose = subprocess.run([*argv[:3], "-v", *argv[3:], "--out", str(tmp_path / "out2")],
                             capture_output=True, text=True, env=env, timeout=900)
    assert verbose.returncode == 0, verbose.stderr
    assert re.search(r"^[IWE]\d{4} ", verbose.stderr, re.MULTILINE), verbose.stderr
