"""Clip-level evaluation of a float Keras model and its int8 .tflite side by side.

A clip's prediction is the class with the highest mean probability over the clip's patches
(one patch for keyword models; YAMNet-style models cover a clip with overlapping patches — the
ST model zoo's "clip-level accuracy"). int8 inference runs each patch through a TFLite
interpreter exactly as the board would see it: LiteRT (`ai_edge_litert`) by default, or the
TFLM interpreter (`tflite_micro`, the device oracle) with ``runtime="tflm"``.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from fwgen.errors import FwgenError
from fwgen.frontend.spec import frontend_spec
from fwgen.train.features import FeaturePipeline, FeatureSet, compute_features

if TYPE_CHECKING:
    from fwgen.tflite.metadata import ModelMetadata

LOG = logging.getLogger(__name__)

RUNTIMES = ("litert", "tflm")


class Int8Model:
    """A single-input int8 .tflite run one patch at a time; returns float probabilities."""

    def __init__(self, tflite: bytes, runtime: str = "litert"):
        if runtime not in RUNTIMES:
            raise FwgenError(f"unknown runtime '{runtime}'", hint=f"use {' or '.join(RUNTIMES)}")
        from ai_edge_litert.interpreter import Interpreter  # noqa: PLC0415

        from fwgen.train.tf_logging import native_stderr_quiet  # noqa: PLC0415

        with native_stderr_quiet():
            probe = Interpreter(model_content=tflite)
        (inp,) = probe.get_input_details()
        (out,) = probe.get_output_details()
        if inp["dtype"] != np.int8 or out["dtype"] != np.int8:
            raise FwgenError(f"model input/output are {inp['dtype'].__name__}/"
                             f"{out['dtype'].__name__}, fwgen deploys int8 models",
                             hint="quantize it: fwgen quantize MODEL.keras --data DIR")
        self.input_shape = tuple(int(d) for d in inp["shape"])
        self.in_scale, self.in_zero = (float(inp["quantization"][0]),
                                       int(inp["quantization"][1]))
        self.out_scale, self.out_zero = (float(out["quantization"][0]),
                                         int(out["quantization"][1]))
        self.runtime = runtime
        if runtime == "tflm":
            from tflite_micro.python.tflite_micro import runtime as tflm  # noqa: PLC0415

            with native_stderr_quiet():
                self._tflm = tflm.Interpreter.from_bytes(tflite)
        else:
            self._interp = probe
            with native_stderr_quiet():
                self._interp.allocate_tensors()
            self._in_index, self._out_index = inp["index"], out["index"]

    def quantize(self, x: np.ndarray) -> np.ndarray:
        q = np.round(np.asarray(x, dtype=np.float32) / np.float32(self.in_scale)) + self.in_zero
        return np.clip(q, -128, 127).astype(np.int8)

    def raw(self, q: np.ndarray) -> np.ndarray:
        """int8 output for one int8 input patch."""
        q = np.asarray(q, dtype=np.int8).reshape(self.input_shape)
        if self.runtime == "tflm":
            self._tflm.set_input(q, 0)
            self._tflm.invoke()
            return np.asarray(self._tflm.get_output(0)).reshape(-1)
        self._interp.set_tensor(self._in_index, q)
        self._interp.invoke()
        return np.asarray(self._interp.get_tensor(self._out_index)).reshape(-1)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Dequantized outputs for a batch of float patches, (n, classes)."""
        rows = [self.raw(self.quantize(patch)).astype(np.float32) for patch in x]
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        return (np.stack(rows) - self.out_zero) * np.float32(self.out_scale)


def clip_predictions(probabilities: np.ndarray, clip: np.ndarray, n_clips: int) -> np.ndarray:
    """Class index per clip from patch probabilities (mean over each clip's patches)."""
    if probabilities.size == 0:
        return np.zeros(0, dtype=np.int32)
    sums = np.zeros((n_clips, probabilities.shape[1]), dtype=np.float64)
    np.add.at(sums, clip, probabilities)
    return sums.argmax(axis=1).astype(np.int32)


def confusion_matrix(truth: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """Rows: true class, columns: predicted class."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (truth, predicted), 1)
    return matrix


def summarize(truth: np.ndarray, predicted: np.ndarray, classes: Sequence[str]) -> dict[str, Any]:
    matrix = confusion_matrix(truth, predicted, len(classes))
    per_class = {}
    for i, name in enumerate(classes):
        total = int(matrix[i].sum())
        per_class[name] = {"clips": total,
                           "recall": float(matrix[i, i] / total) if total else None}
    n = int(len(truth))
    return {"clips": n, "accuracy": float((truth == predicted).mean()) if n else None,
            "confusion": matrix.tolist(), "per_class": per_class}


def evaluate_features(keras_model: Any | None, tflite: bytes | None, features: FeatureSet,
                      classes: Sequence[str], *, runtime: str = "litert") -> dict[str, Any]:
    """Float and int8 clip-level results on one feature set ({"float": ..., "int8": ...})."""
    n_clips = len(features.clip_ids)
    truth = features.clip_labels
    report: dict[str, Any] = {"classes": list(classes), "clips": n_clips,
                              "patches": len(features)}
    float_pred = None
    if keras_model is not None:
        probs = np.asarray(keras_model.predict(features.x, batch_size=256, verbose=0))
        float_pred = clip_predictions(probs, features.clip, n_clips)
        report["float"] = summarize(truth, float_pred, classes)
    if tflite is not None:
        model = Int8Model(tflite, runtime)
        probs = model.predict(features.x)
        predicted = clip_predictions(probs, features.clip, n_clips)
        report["int8"] = summarize(truth, predicted, classes)
        report["int8"]["runtime"] = runtime
        if float_pred is not None:
            report["float_int8_agreement"] = float((float_pred == predicted).mean()) \
                if n_clips else None
    return report


def write_confusion_png(matrix: np.ndarray, classes: Sequence[str], path: Path, *,
                        title: str = "") -> Path:
    """A labelled confusion-matrix heat map (rows: true class, columns: predicted)."""
    from fwgen.plots import confusion_png  # noqa: PLC0415

    return confusion_png(matrix, classes, classes, path, title=title)


def format_table(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Rows (class, float recall, int8 recall) plus an accuracy row, for the CLI."""
    def pct(value: Any) -> str:
        return "-" if value is None else f"{100 * value:.1f} %"

    rows = []
    for name in report["classes"]:
        f = report.get("float", {}).get("per_class", {}).get(name, {})
        q = report.get("int8", {}).get("per_class", {}).get(name, {})
        rows.append((name, pct(f.get("recall")), pct(q.get("recall"))))
    rows.append(("accuracy", pct(report.get("float", {}).get("accuracy")),
                 pct(report.get("int8", {}).get("accuracy"))))
    return rows


def locate_models(model: Path) -> tuple[Path | None, Path | None]:
    """(keras, tflite) for a MODEL argument: the file given plus its counterpart (for a .tflite,
    the float model its metadata records, else its sibling .keras; for a float model, its
    sibling .tflite)."""
    keras_path, tflite_path, _ = _locate(Path(model))
    return keras_path, tflite_path


def _locate(model: Path) -> tuple[Path | None, Path | None, str | None]:
    """`locate_models` plus why a .tflite has no float model (None when it has one)."""
    from fwgen.train.float_model import find_float_model  # noqa: PLC0415

    if not model.exists():
        raise FwgenError("model not found", where=str(model))
    if model.suffix == ".tflite":
        keras_path, note = find_float_model(model, _own_provenance(model))
        return keras_path, model, note
    if model.suffix == ".keras" or model.is_dir():
        tflite_path = model.with_suffix(".tflite")
        return model, (tflite_path if tflite_path.is_file() else None), None
    raise FwgenError("expected a .tflite, a .keras file or a SavedModel folder",
                     where=str(model))


def _own_provenance(tflite: Path) -> dict[str, Any]:
    """The provenance in the .tflite's own metadata ({} when it has none or it is unreadable:
    the settings may come from --settings, and a float model is optional)."""
    from fwgen.tflite.metadata import read_model_metadata  # noqa: PLC0415

    try:
        meta = read_model_metadata(tflite)
    except FwgenError as exc:
        LOG.info("no float model record: %s", exc)
        return {}
    return dict(meta.provenance) if meta is not None else {}


def load_keras(path: Path) -> Any:
    """A float Keras model from a .keras file or a TensorFlow SavedModel folder."""
    import zipfile  # noqa: PLC0415

    if path.is_file() and not zipfile.is_zipfile(path):
        raise FwgenError("not a .keras model file (a .keras file is a zip archive written by "
                         "model.save)", where=str(path),
                         hint="pass a .keras file or a TensorFlow SavedModel folder")
    from fwgen.train.tf_logging import load_tensorflow  # noqa: PLC0415

    load_tensorflow()
    import keras  # noqa: PLC0415

    try:
        if path.is_dir():
            layer = keras.layers.TFSMLayer(str(path), call_endpoint="serving_default")
            return _savedmodel_as_keras(layer, path)
        return keras.models.load_model(path, compile=False)
    except FwgenError:
        raise
    except Exception as exc:  # Keras raises ValueError/OSError/TypeError for bad files
        raise FwgenError(f"cannot load the Keras model: {exc}", where=str(path)) from exc


def _savedmodel_as_keras(layer: Any, path: Path) -> Any:
    import keras  # noqa: PLC0415
    import tensorflow as tf  # noqa: PLC0415

    loaded = tf.saved_model.load(str(path))
    signature = loaded.signatures.get("serving_default")
    if signature is None:
        raise FwgenError("SavedModel has no serving_default signature", where=str(path))
    specs = list(signature.structured_input_signature[1].values())
    if len(specs) != 1:
        raise FwgenError(f"SavedModel has {len(specs)} inputs; fwgen deploys single-input models",
                         where=str(path))
    shape = tuple(specs[0].shape[1:])
    if any(d is None for d in shape):
        raise FwgenError(f"SavedModel input shape {tuple(specs[0].shape)} is not fixed",
                         where=str(path))
    inputs = keras.Input(shape=shape, name="features")
    outputs = layer(inputs)
    if isinstance(outputs, dict):
        if len(outputs) != 1:
            raise FwgenError("SavedModel has several outputs", where=str(path))
        outputs = next(iter(outputs.values()))
    return keras.Model(inputs, outputs, name=path.name)


def model_metadata(model: Path, settings: Path | None = None) -> ModelMetadata:
    """The settings (frontend, classes) MODEL is evaluated with: `settings`, or the metadata
    of the .tflite (MODEL or its sibling)."""
    from fwgen.tflite.metadata import load_settings, resolve_metadata  # noqa: PLC0415

    _, tflite_path = locate_models(Path(model))
    if tflite_path is not None:
        return resolve_metadata(tflite_path, settings)
    if settings is not None:
        return load_settings(settings)
    raise FwgenError("a float model alone carries no frontend settings or classes",
                     where=str(model), hint="pass --settings FILE, or evaluate the .tflite")


def evaluate_model(model: Path, data: str | Path, *, settings: Path | None = None,
                   split: str = "test", runtime: str = "litert",
                   out_dir: Path | None = None, dataset_options: dict[str, Any] | None = None,
                   progress: Any = None) -> dict[str, Any]:
    """`fwgen evaluate`: float vs int8 clip-level results of MODEL on a dataset split.

    Settings (frontend, classes) come from `settings` or the .tflite's metadata
    (`model_metadata`); the float model from the record quantization left in the .tflite's
    metadata (`fwgen.train.float_model`), else its sibling .keras; when there is none,
    ``float_model_note`` says why. Writes ``evaluation.json`` and ``confusion.png`` (int8, or
    float when there is no .tflite) into `out_dir` when given. `dataset_options` (partitioning etc.): the
    CLI passes those of the model's zoo recipe (`fwgen.zoo.dataset_options_for`), so a zoo
    model is scored on the partition it was trained against.
    """
    import json  # noqa: PLC0415

    from fwgen.train.datasets.base import check_split  # noqa: PLC0415
    from fwgen.train.datasets.loader import open_dataset  # noqa: PLC0415

    check_split(split)
    keras_path, tflite_path, float_note = _locate(Path(model))
    metadata = model_metadata(Path(model), settings)
    classes = list(metadata.classes)
    dataset = open_dataset(data, classes, dict(dataset_options or {}),
                           sample_rate_hz=frontend_spec(metadata.frontend).sample_rate)
    if tuple(dataset.classes) != tuple(classes):
        raise FwgenError(f"the dataset's classes {list(dataset.classes)} differ from the "
                         f"model's {classes}", where=str(data))
    pipeline = FeaturePipeline(dict(metadata.frontend), dataset.clip_samples)
    features = compute_features(pipeline, dataset, dataset.examples(split), classes,
                                progress=progress)
    if not len(features):
        raise FwgenError(f"the {split} split is empty", where=str(data))
    keras_model = load_keras(keras_path) if keras_path is not None else None
    tflite = tflite_path.read_bytes() if tflite_path is not None else None
    report = evaluate_features(keras_model, tflite, features, classes, runtime=runtime)
    report.update({"model": str(model), "data": str(data), "split": split,
                   "float_model": str(keras_path) if keras_path else None,
                   "int8_model": str(tflite_path) if tflite_path else None})
    if float_note:
        report["float_model_note"] = float_note
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "evaluation.json").write_text(json.dumps(report, indent=1, sort_keys=True)
                                                 + "\n")
        which = "int8" if "int8" in report else "float"
        write_confusion_png(np.asarray(report[which]["confusion"]), classes,
                            out_dir / "confusion.png",
                            title=f"{Path(model).name} {which}, {split} clips")
    return report
