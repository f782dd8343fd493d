"""The model zoo: model.yaml files, shipped weights and their metadata, `fwgen models`."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fwgen import zoo
from fwgen.cli import main
from fwgen.errors import FwgenError
from fwgen.frontend.spec import frontend_kind, without_kind
from fwgen.tflite.metadata import read_model_metadata

MICRO_SPEECH_FRONTEND = {
    "fe.sample_rate_hz": 16000, "fe.window_size_ms": 30, "fe.window_step_ms": 20,
    "fe.filterbank_n_channels": 40, "fe.noise_reduction_enable": True, "fe.pcan_enable": True,
    "fe.log_scale_enable": True,
}


def test_every_zoo_model_loads() -> None:
    models = zoo.list_models()
    names = [m.name for m in models]
    assert "micro_speech" in names and "yamnet_256" in names and "mn04_tagger" in names
    for model in models:
        assert model.metadata.classes
        assert model.training.epochs >= 1


def test_micro_speech_definition_matches_the_issue() -> None:
    model = zoo.get_model("micro_speech")
    assert model.classes == ("silence", "unknown", "yes", "no")
    for key, value in MICRO_SPEECH_FRONTEND.items():
        assert model.metadata.frontend[key] == value
    assert model.metadata.smoothing == {"average_window_duration_ms": 1000,
                                        "detection_threshold": 185, "suppression_ms": 1500,
                                        "minimum_count": 3}


def test_micro_speech_weights_carry_their_settings() -> None:
    model = zoo.get_model("micro_speech")
    meta = read_model_metadata(model.require_weights())
    assert meta is not None
    assert meta.classes == model.classes
    assert meta.frontend == model.metadata.frontend
    assert meta.smoothing == model.metadata.smoothing
    assert meta.name == "micro_speech" and meta.version == model.version
    assert meta.input == {"features": "int8", "quantize": False, "scale": pytest.approx(
        0.10171568393707275, rel=1e-6), "zero_point": -128}
    assert meta.provenance["dataset"] == "synthetic"
    stats = zoo.graph_stats(model.weights.read_bytes())
    assert stats.input_shape == (1, 49, 40, 1) and stats.output_shape == (1, 4)
    assert stats.macs == 336_000


def _tflm_classify(model: bytes, features: np.ndarray) -> np.ndarray:
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(model)
    interpreter.set_input(features.reshape(1, 49, 40, 1), 0)
    interpreter.invoke()
    return np.array(interpreter.get_output(0)).reshape(-1)


@pytest.mark.parametrize("clip, expected", [("yes_1000ms.wav", "yes"), ("no_1000ms.wav", "no"),
                                            ("noise_1000ms.wav", "silence"),
                                            ("silence_1000ms.wav", "silence")])
def test_micro_speech_recognizes_real_recordings(shared_data: Path, clip: str,
                                                 expected: str) -> None:
    """fwgen's synthetic-trained weights on the human recordings TFLM ships, run by the TFLM
    interpreter on features from fwgen's C frontend (what the board computes), one inference
    each. The silence clip is near-digital silence (-84 dBFS, about 2 LSB of white noise)."""
    from fwgen.frontend import Frontend
    from fwgen.train.datasets.base import read_wav

    model = zoo.get_model("micro_speech")
    meta = read_model_metadata(model.weights)
    assert meta is not None
    features = Frontend(without_kind(meta.frontend), output="int8").process(
        read_wav(shared_data / "micro_speech" / clip, 16000))
    scores = _tflm_classify(model.weights.read_bytes(), np.asarray(features, dtype=np.int8))
    assert meta.classes[int(np.argmax(scores))] == expected


def _stream_detections(model_path: Path, audio: np.ndarray,
                       scores: list[int] | None = None) -> list[str]:
    """Detections of a clip streamed exactly as `fwgen run` streams it: its default padding (the
    clip's own noise floor) of `default_pad` (half the model window, 7,920 samples here), one
    inference per 20 ms frame over the last 49 frames, the MLTK-semantics detector with the
    device's averaging queue (window / interval + 1 results, as `fwgen.deploy.prepare` sizes
    it)."""
    import inspect

    from tflite_micro.python.tflite_micro import runtime

    from fwgen.detect import Detector, SmoothingSettings
    from fwgen.frontend import Frontend
    from fwgen.deploy import default_pad, pad_clip
    from fwgen.frontend.spec import frontend_spec
    from fwgen.run.clips import run_clips

    meta = read_model_metadata(model_path)
    assert meta is not None
    spec = frontend_spec(meta.frontend)
    mode = inspect.signature(run_clips).parameters["pad_mode"].default
    padded = pad_clip(audio, default_pad(spec, 49), mode)
    features = np.asarray(Frontend(without_kind(meta.frontend), output="int8").process(padded))
    interpreter = runtime.Interpreter.from_bytes(model_path.read_bytes())
    interval_ms = spec.window_step * 1000 // spec.sample_rate
    smoothing = dict(meta.smoothing)
    smoothing.setdefault("max_results", max(SmoothingSettings().max_results,
                                            smoothing["average_window_duration_ms"]
                                            // interval_ms + 1))
    detector = Detector(meta.classes, SmoothingSettings.from_dict(smoothing))
    found = []
    for end in range(49, len(features) + 1):
        interpreter.set_input(features[end - 49:end].reshape(1, 49, 40, 1).astype(np.int8), 0)
        interpreter.invoke()
        result = detector.process(np.array(interpreter.get_output(0)).reshape(-1),
                                  end * interval_ms)
        if result.is_new:
            found.append(meta.classes[result.class_index])
            if scores is not None:
                scores.append(int(result.score))
    return found


def test_micro_speech_calls_digital_silence_silence() -> None:
    """Exact zeros (a muted microphone) and a few LSB of white noise, one inference each."""
    from fwgen.frontend import Frontend

    model = zoo.get_model("micro_speech")
    meta = read_model_metadata(model.weights)
    assert meta is not None
    rng = np.random.default_rng(0)
    for audio in (np.zeros(16000, dtype=np.int16),
                  np.round(rng.normal(0.0, 1.0, 16000)).astype(np.int16),
                  np.round(rng.normal(0.0, 4.0, 16000)).astype(np.int16)):
        features = Frontend(without_kind(meta.frontend), output="int8").process(audio)
        scores = _tflm_classify(model.weights.read_bytes(), np.asarray(features, dtype=np.int8))
        assert meta.classes[int(np.argmax(scores))] == "silence"


def test_micro_speech_streaming_detections() -> None:
    """The README demo: every shipped sample gives the detection its name says."""
    from fwgen.train.datasets.base import read_wav

    model = zoo.get_model("micro_speech")
    for path in model.samples():
        expected = [] if path.name.startswith(("silence", "noise")) else [path.name.split("_")[0]]
        assert _stream_detections(model.weights, read_wav(path, 16000)) == expected, path.name


@pytest.mark.parametrize("clip, expected", [("yes_1000ms.wav", ["yes"]),
                                            ("silence_1000ms.wav", []),
                                            ("noise_1000ms.wav", [])])
def test_micro_speech_streams_real_recordings(shared_data: Path, clip: str,
                                              expected: list[str]) -> None:
    from fwgen.train.datasets.base import read_wav

    model = zoo.get_model("micro_speech")
    audio = read_wav(shared_data / "micro_speech" / clip, 16000)
    assert _stream_detections(model.weights, audio) == expected


def test_micro_speech_samples_are_16k_mono_int16() -> None:
    import soundfile

    samples = zoo.get_model("micro_speech").samples()
    assert any("yes" in p.name for p in samples) and any("no" in p.name for p in samples)
    for path in samples:
        info = soundfile.info(str(path))
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")


def test_micro_speech_report_numbers() -> None:
    report = json.loads(zoo.get_model("micro_speech").report.read_text())
    assert report["evaluation"]["int8"]["accuracy"] >= 0.9
    assert report["evaluation"]["clips"] >= 100


def test_unknown_model_suggests_names() -> None:
    with pytest.raises(FwgenError, match="did you mean micro_speech"):
        zoo.get_model("micro")


def test_bad_model_file(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "model.yaml").write_text("name: bad\narchitecture: resnet\ndeploy: {}\n")
    with pytest.raises(FwgenError, match="unknown architecture"):
        zoo.list_models(tmp_path)
    (folder / "model.yaml").write_text("name: other\narchitecture: micro_speech\ndeploy: {}\n")
    with pytest.raises(FwgenError, match="differs from its folder"):
        zoo.list_models(tmp_path)
    (folder / "model.yaml").write_text(
        "name: bad\narchitecture: micro_speech\ndeploy: {frontend: {fe.window_size_ms: 30}, "
        "classes: [a]}\ntraining: {epochs: 0}\n")
    with pytest.raises(FwgenError, match="epochs"):
        zoo.list_models(tmp_path)


def test_graph_stats_of_tflm_micro_speech(shared_data: Path) -> None:
    stats = zoo.graph_stats((shared_data / "micro_speech" /
                             "micro_speech_quantized.tflite").read_bytes())
    assert stats.macs == 336_000  # DESIGN.md's TFLM figure
    assert stats.input_shape == (1, 1960)
    assert stats.ops == {"RESHAPE": 1, "DEPTHWISE_CONV_2D": 1, "FULLY_CONNECTED": 1,
                         "SOFTMAX": 1}


def test_models_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "micro_speech" in out and "int8 weights" in out
    assert main(["models", "show", "micro_speech"]) == 0
    out = capsys.readouterr().out
    assert "silence, unknown, yes, no" in out and "MACs 336,000" in out
    assert main(["models", "show", "nope"]) == 2
    assert "no zoo model named" in capsys.readouterr().err
    assert main(["models", "show", "micro_speech", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["macs"] == 336_000 and info["classes"] == ["silence", "unknown", "yes", "no"]
    # What the issue asks `models show` to explain: input shape, parameters, frontend, and the
    # expected arena and flash on each board (every board in boards/).
    assert info["input_shape"] == [1, 49, 40, 1] and info["params"] == 16_654
    assert info["frontend"]["fe.window_size_ms"] == 30 and info["arena_bytes"] > 0
    boards = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "boards")
                    .glob("*.yaml"))
    assert sorted(info["boards"]) == boards
    assert all(b["weights_fit"] and b["arena_fits"] for b in info["boards"].values())


def test_mn04_tagger_fits_stm32h7_and_u5_flash(capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's size target: the tagger fits STM32H7/U5 flash (not the 1 MB STM32L4)."""
    assert main(["models", "show", "mn04_tagger", "--json"]) == 0
    boards = json.loads(capsys.readouterr().out)["boards"]
    for board in ("nucleo_h743zi", "b_u585i_iot02a"):
        assert boards[board]["weights_fit"] and boards[board]["arena_fits"], board
    assert not boards["b_l475e_iot01a"]["weights_fit"]


def test_yamnet_256_weights() -> None:
    model = zoo.get_model("yamnet_256")
    meta = read_model_metadata(model.require_weights())
    assert meta is not None and frontend_kind(meta.frontend) == "logmel"
    assert meta.classes == model.classes and meta.frontend == model.metadata.frontend
    assert meta.input["features"] == "float" and meta.input["quantize"] is True
    stats = zoo.graph_stats(model.weights.read_bytes())
    assert stats.input_shape == (1, 96, 64, 1) and stats.output_shape == (1, len(model.classes))
    assert stats.macs == 23_902_720
    assert stats.ops == {"CONV_2D": 6, "DEPTHWISE_CONV_2D": 5, "MEAN": 1, "FULLY_CONNECTED": 1,
                         "SOFTMAX": 1}


def test_mn04_tagger_weights() -> None:
    model = zoo.get_model("mn04_tagger")
    meta = read_model_metadata(model.require_weights())
    assert meta is not None and frontend_kind(meta.frontend) == "logmel"
    assert meta.classes == model.classes and meta.frontend == model.metadata.frontend
    stats = zoo.graph_stats(model.weights.read_bytes())
    assert stats.input_shape == (1, 100, 128, 1)
    assert stats.ops["HARD_SWISH"] == 21 and stats.ops["MUL"] == 16 and stats.ops["ADD"] == 10
    assert set(stats.ops) == {"ADD", "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED",
                              "HARD_SWISH", "MEAN", "MUL", "SOFTMAX"}


def test_cli_and_zoo_do_not_import_tensorflow() -> None:
    import subprocess
    import sys

    code = ("import sys, fwgen.cli, fwgen.zoo, fwgen.tflite.metadata\n"
            "fwgen.cli.build_parser()\n"
            "fwgen.zoo.list_models()\n"
            "fwgen.tflite.metadata.read_model_metadata(fwgen.zoo.get_model('micro_speech').weights)\n"
            "heavy = [m for m in ('tensorflow', 'keras', 'ai_edge_litert') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", ["micro_speech", "yamnet_256", "mn04_tagger"])
def test_readme_accuracy_matches_the_shipped_report(name: str) -> None:
    """models/README.md quotes each shipped model's test figures: they must be the ones in its
    report.json (retraining without updating the README fails here)."""
    model = zoo.get_model(name)
    report = json.loads(model.report.read_text())
    evaluation = report["evaluation"]
    readme = (Path(__file__).resolve().parents[2] / "models" / "README.md").read_text()
    section = readme.split(f"## {name}: measured accuracy", 1)[1].split("\n## ", 1)[0]
    row = (f"| {evaluation['clips']} | {100 * evaluation['float']['accuracy']:.1f} % | "
           f"{100 * evaluation['int8']['accuracy']:.1f} % |")
    assert row in section, row


# -- README figures come from the committed benchmark of what ships (benchmarks/zoo_models.txt) --

REPO = Path(__file__).resolve().parents[2]


def _int(text: str) -> int:
    return int(text.replace(",", ""))


def _zoo_benchmark() -> dict[str, dict[str, str]]:
    """benchmarks/zoo_models.txt's table: model name -> column -> cell."""
    lines = (REPO / "benchmarks" / "zoo_models.txt").read_text().splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("----"))
    spans, start = [], 0
    for dashes in lines[rule].split("  "):
        spans.append((start, start + len(dashes)))
        start += len(dashes) + 2
    header = [lines[rule - 1][a:b].strip() for a, b in spans]
    rows = {}
    for line in lines[rule + 1:]:
        if not line.strip():
            break
        cells = [line[a:b].strip() for a, b in spans]
        rows[cells[0]] = dict(zip(header, cells))
    return rows


def _readme_models_table() -> dict[str, tuple[int, int, int]]:
    """README.md's models table: model -> (arena fwgen, arena TFLM, weights), bytes."""
    return {name: figures for name, (_, _, figures) in _readme_models_rows().items()}


def _readme_models_rows() -> dict[str, tuple[str, str, tuple[int, int, int]]]:
    """README.md's models table: model -> (input cell, accuracy cell, byte figures)."""
    readme = (REPO / "README.md").read_text()
    table = readme.split("### Models (`models/`", 1)[1].split("\n\n", 2)[1]
    lines = [line for line in table.splitlines() if line.startswith("| `")]
    out = {}
    for line in lines:
        cells = [c.strip() for c in line.strip("|").split("|")]
        name = cells[0].split("`")[1]
        arena, tflm = (c.strip().removesuffix(" B") for c in cells[3].split("/"))
        out[name] = (cells[1], cells[2],
                     (_int(arena), _int(tflm), _int(cells[4].removesuffix(" B"))))
    return out


def test_zoo_benchmark_measured_the_shipped_files() -> None:
    """Each row of benchmarks/zoo_models.txt names the sha256 of the .tflite it measured: a
    retrained model without a rerun of benchmarks/zoo_models.py fails here."""
    import hashlib

    rows = _zoo_benchmark()
    shipped = {m.name: m for m in zoo.list_models() if m.has_weights}
    assert sorted(rows) == sorted(shipped)
    for name, model in shipped.items():
        data = model.weights.read_bytes()
        assert rows[name]["sha256"] == hashlib.sha256(data).hexdigest()[:16], name
        assert _int(rows[name]["tflite B"]) == len(data), name
        assert rows[name]["diff"] == "0", name


def test_readme_models_table_is_the_zoo_benchmark() -> None:
    """README.md's arena (fwgen / TFLM) and weights columns are benchmarks/zoo_models.txt's
    figures for the shipped files, byte for byte."""
    rows = _zoo_benchmark()
    table = _readme_models_table()
    assert sorted(table) == sorted(rows)
    for name, figures in table.items():
        row = rows[name]
        assert figures == (_int(row["arena fwgen"]), _int(row["arena TFLM"]),
                           _int(row["const B"])), name


@pytest.mark.parametrize("name", ["yamnet_256", "mn04_tagger"])
def test_models_readme_arena_sentence_is_the_zoo_benchmark(name: str) -> None:
    import re

    row = _zoo_benchmark()[name]
    readme = (REPO / "models" / "README.md").read_text()
    section = readme.split(f"## {name}: measured accuracy", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"in a ([\d.]+) KiB arena with ([\d.]+) KiB of\s+weights", section)
    assert found, section
    assert found.groups() == (f"{_int(row['arena fwgen']) / 1024:.1f}",
                              f"{_int(row['const B']) / 1024:.1f}")


def test_readme_models_table_input_and_accuracy_are_the_shipped_ones() -> None:
    """The other figures of README.md's models table: the input patch is the shipped model's
    input tensor, the accuracy its report.json's (float / int8, test split)."""
    rows = _zoo_benchmark()
    for name, (input_cell, accuracy, _) in _readme_models_rows().items():
        _, frames, channels, _ = rows[name]["input"].split("x")
        assert input_cell.startswith(f"{frames}×{channels} "), (name, input_cell)
        evaluation = json.loads(zoo.get_model(name).report.read_text())["evaluation"]
        assert accuracy.startswith(f"{100 * evaluation['float']['accuracy']:.1f} % / "
                                   f"{100 * evaluation['int8']['accuracy']:.1f} % "), name


# -- the sound-event models ship demo clips too (models/<name>/samples/) -------------------------

SOUND_EVENT_MODELS = ["yamnet_256", "mn04_tagger"]


@pytest.mark.parametrize("name", SOUND_EVENT_MODELS)
def test_sound_event_samples_fit_the_models_frontend(name: str) -> None:
    """`fwgen run --model NAME models/NAME/samples/*.wav` from a fresh clone: the clips exist,
    are mono 16-bit PCM at the frontend's rate, and are named after one of the model's classes."""
    import soundfile

    from fwgen.frontend.spec import frontend_spec

    model = zoo.get_model(name)
    samples = model.samples()
    assert len(samples) >= 4, samples
    rate = frontend_spec(model.metadata.frontend).sample_rate
    for path in samples:
        info = soundfile.info(str(path))
        assert (info.samplerate, info.channels, info.subtype) == (rate, 1, "PCM_16"), path
        assert path.stat().st_size < 100_000, path
        assert path.stem.rsplit("_", 1)[0] in model.classes, path


def test_sound_event_samples_are_what_the_generator_writes(tmp_path: Path) -> None:
    """models/README.md says how they were made: fwgen.train.datasets.sound_events.write_samples
    with its defaults, into both models' folders."""
    from fwgen.train.datasets.sound_events import write_samples

    written = write_samples(tmp_path)
    for name in SOUND_EVENT_MODELS:
        shipped = zoo.get_model(name).samples()
        assert [p.name for p in shipped] == [p.name for p in written]
        for ours, theirs in zip(written, shipped):
            assert ours.read_bytes() == theirs.read_bytes(), theirs


@pytest.mark.parametrize("name", SOUND_EVENT_MODELS)
def test_sound_event_samples_stream_to_their_class(name: str) -> None:
    """The host pipeline (the firmware's C: log-mel frontend, generated model, detector) on
    each sample padded as `fwgen run` pads it: one detection of the class the file is named
    after, and none for the background clip (models/README.md lists these results)."""
    import inspect

    from fwgen.audio import read_wav
    from fwgen.deploy import DeployOptions, default_pad, pad_clip, prepare, run_reference
    from fwgen.run.clips import run_clips

    mode = inspect.signature(run_clips).parameters["pad_mode"].default
    deployment = prepare(zoo.resolve_model(name), DeployOptions())
    pad = default_pad(deployment.frontend, deployment.n_frames)
    for path in zoo.get_model(name).samples():
        label = path.stem.rsplit("_", 1)[0]
        audio = read_wav(path, expect_rate=deployment.frontend.sample_rate)
        result = run_reference(pad_clip(audio, pad, mode), deployment)
        found = [deployment.classes[e.class_index] for e in result.detections]
        assert found == ([] if label == "background" else [label]), (path.name, found)


# -- fwgen models show FILE.tflite: a user's own model, as mltk summarize shows one ----------------

def _show(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["models", "show", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_models_show_file_without_metadata(shared_data: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """TFLM's micro_speech (no metadata): every layer with its shapes, parameters and MACs,
    what is missing and how to supply it, and the fit per board (arena + stack vs RAM)."""
    from fwgen.boards import load_boards

    path = shared_data / "micro_speech" / "micro_speech_quantized.tflite"
    code, out, _ = _show(capsys, str(path))
    assert code == 0
    assert "metadata    none" in out and "--settings FILE" in out
    assert ("1  DEPTHWISE_CONV_2D  1x49x40x1 int8  1x25x20x8 int8  1x10x8x8 int8, 8 int32"
            "     648  320,000  same stride 2x2 multiplier 8 relu") in out
    assert "2  FULLY_CONNECTED    1x25x20x8 int8  1x4 int8        4x4000 int8, 4 int32" in out
    assert "b_l475e_iot01a   arena + stack 12.1 KiB" in out
    code, out, _ = _show(capsys, str(path), "--json")
    info = json.loads(out)
    assert [layer["op"] for layer in info["layers"]] == ["RESHAPE", "DEPTHWISE_CONV_2D",
                                                         "FULLY_CONNECTED", "SOFTMAX"]
    stats = zoo.graph_stats(path.read_bytes())
    assert sum(layer["macs"] for layer in info["layers"]) == stats.macs == info["macs"] == 336_000
    assert sum(layer["params"] for layer in info["layers"]) == stats.params == info["params"]
    assert info["layers"][1]["outputs"] == [{"shape": [1, 25, 20, 8], "dtype": "int8"}]
    assert info["metadata"] is None and info["missing"] == ["frontend", "classes", "smoothing"]
    assert info["arena_bytes"] == 4168
    boards = load_boards()
    assert sorted(info["boards"]) == sorted(boards)
    for board_id, fit in info["boards"].items():
        board = boards[board_id]
        assert fit["arena_plus_stack"] == 4168 + board.stack_bytes
        assert fit["arena_fits"] == (4168 + board.stack_bytes <= board.memory.ram.length)


def test_models_show_file_with_settings_and_with_its_own_metadata(
        shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = zoo.get_model("micro_speech")
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"frontend": model.metadata.frontend,
                                    "classes": list(model.classes),
                                    "smoothing": model.metadata.smoothing}))
    path = shared_data / "micro_speech" / "micro_speech_quantized.tflite"
    code, out, _ = _show(capsys, str(path), "--settings", str(settings), "--json")
    info = json.loads(out)
    assert code == 0 and info["missing"] == [] and "metadata_note" not in info
    assert info["metadata"]["source"] == str(settings)
    assert info["metadata"]["classes"] == ["silence", "unknown", "yes", "no"]
    code, out, _ = _show(capsys, str(model.weights))
    assert code == 0
    assert f"metadata    micro_speech version 1, from {model.weights}: metadata 'fwgen'" in out
    assert "classes     silence, unknown, yes, no" in out
    assert "frontend    microfrontend: 30 ms windows every 20 ms, 40 channels" in out
    assert "smoothing   average_window_duration_ms 1000, detection_threshold 185" in out
    assert "missing" not in out


def test_models_show_file_names_missing_smoothing(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Metadata without smoothing (as MLTK models may be): the detector's defaults, said."""
    from dataclasses import replace

    from fwgen.tflite.metadata import write_model_metadata

    model = zoo.get_model("micro_speech")
    meta = read_model_metadata(model.weights)
    assert meta is not None
    path = tmp_path / "no_smoothing.tflite"
    path.write_bytes(write_model_metadata(model.weights.read_bytes(),
                                          replace(meta, smoothing={"suppression_ms": 750})))
    code, out, _ = _show(capsys, str(path), "--json")
    info = json.loads(out)
    assert code == 0 and info["missing"] == ["smoothing"]
    assert ("smoothing average_window_duration_ms, detection_threshold, minimum_count not "
            "given: the detector uses average_window_duration_ms 1000, detection_threshold "
            "185, minimum_count 3") in info["metadata_note"]


def test_models_show_file_errors_name_the_file(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    shipped = zoo.get_model("micro_speech").weights.read_bytes()
    text = tmp_path / "notes.tflite"
    text.write_text("not a model at all, just text\n")
    truncated = tmp_path / "truncated.tflite"
    truncated.write_bytes(shipped[:5000])
    for path, needle in ((text, "TFLite"), (truncated, "truncated"),
                         (tmp_path / "missing.tflite", "model file not found"),
                         (tmp_path, "is a folder")):
        code, out, err = _show(capsys, str(path))
        assert code == 2, path
        assert str(path) in err and needle in err, err
        assert "Traceback" not in err + out
    code, _, err = _show(capsys, str(zoo.get_model("micro_speech").weights), "--settings",
                         str(tmp_path / "nope.yaml"))
    assert code == 2 and "settings file not found" in err and "nope.yaml" in err


def test_models_show_zoo_model_lists_its_layers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _show(capsys, "micro_speech")
    assert code == 0
    assert "0  CONV_2D" in out and "1x49x40x1 int8  1x25x20x8 int8  8x10x8x1 int8, 8 int32" in out
    assert "arena + stack" in out
