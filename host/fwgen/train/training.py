"""`fwgen train`: features from fwgen's frontend → Keras training → full-int8 .tflite + metadata.

The steps, each callable on its own:

1. `open_dataset(data, ...)` (`fwgen.train.datasets.loader`): ``synthetic`` (generated with
   espeak-ng, cached), a Speech Commands folder, or an ESC-50 folder (``meta/esc50.csv``).
2. `compute_features` with the model's own frontend settings (`fwgen.train.features`), training
   examples augmented `augment_copies` times.
3. Training: Adam, sparse categorical cross-entropy, class weights (inverse frequency),
   learning-rate halving on plateau, early stopping on validation accuracy (best weights kept).
4. `to_int8_tflite` with a representative set of training patches; for microfrontend models the
   input tensor is pinned to the int8 feature quantization, so features go in unchanged.
5. Metadata (frontend, classes, smoothing, provenance) embedded; float and int8 evaluated on
   the test split (`fwgen.train.evaluate`).

The caller resolves the zoo: `train_zoo_model` takes the `ZooModel` (and its recipe),
`quantize_saved_model` the dataset options, so this package never imports `fwgen.zoo`.
TensorFlow is imported inside the functions that need it.
"""
from __future__ import annotations

import json
import logging
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from fwgen import __version__
from fwgen.errors import FwgenError
from fwgen.frontend.spec import LOGMEL, MICROFRONTEND, frontend_spec
from fwgen.tflite.metadata import ModelMetadata, write_model_metadata
from fwgen.train.datasets.loader import open_dataset
from fwgen.train.features import (INT8_FEATURE_SCALE, INT8_FEATURE_ZERO_POINT, FeaturePipeline,
                                  FeatureSet, compute_features)
from fwgen.train.float_model import float_model_record
from fwgen.train.progress import Progress, no_progress
from fwgen.train.tf_logging import load_tensorflow

if TYPE_CHECKING:  # the caller resolves the zoo; train never imports it at run time
    from fwgen.zoo import TrainingRecipe, ZooModel

LOG = logging.getLogger(__name__)


@dataclass
class TrainResult:
    keras_path: Path
    tflite_path: Path
    report_path: Path
    report: dict[str, Any]
    history: dict[str, list[float]] = field(default_factory=dict)


def class_weights(labels: np.ndarray, n_classes: int) -> dict[int, float]:
    """Inverse-frequency weights, normalised so a balanced set gets 1.0 everywhere."""
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    present = counts > 0
    weights = np.zeros(n_classes)
    weights[present] = counts[present].sum() / (present.sum() * counts[present])
    return {i: float(w) for i, w in enumerate(weights)}


def representative_patches(features: FeatureSet, count: int, kind: str,
                           seed: int = 0) -> list[np.ndarray]:
    """Calibration patches drawn from the training features.

    For microfrontend models one extra patch carries the two ends of the int8 feature range,
    so the converter calibrates the input to exactly (INT8_FEATURE_SCALE, -128) — the int8
    features then feed the model unchanged.
    """
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(features), size=min(count, len(features)), replace=False)
    patches = [features.x[i] for i in sorted(picks)]
    if kind == MICROFRONTEND and patches:
        anchor = patches[0].copy()
        anchor.flat[0] = 0.0
        anchor.flat[1] = np.float32(255 * INT8_FEATURE_SCALE)
        patches.append(anchor)
    return patches


def _keras_progress(progress: Progress, epochs: int) -> Any:
    import keras  # noqa: PLC0415

    class _Callback(keras.callbacks.Callback):  # type: ignore[misc]
        def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
            progress("train", epoch + 1, epochs,
                     {k: float(v) for k, v in (logs or {}).items()})

    return _Callback()


def fit(model: Any, train: FeatureSet, validation: FeatureSet, recipe: TrainingRecipe,
        n_classes: int, *, epochs: int, progress: Progress = no_progress) -> dict[str, list]:
    """Train `model` in place; returns the Keras history."""
    import keras  # noqa: PLC0415

    keras.utils.set_random_seed(recipe.seed)
    model.compile(optimizer=keras.optimizers.Adam(recipe.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    monitor = "val_accuracy" if len(validation) else "accuracy"
    callbacks = [
        keras.callbacks.EarlyStopping(monitor=monitor, patience=recipe.early_stopping_patience,
                                      restore_best_weights=True, mode="max"),
        keras.callbacks.ReduceLROnPlateau(monitor=monitor.replace("accuracy", "loss"),
                                          factor=0.5, patience=3, min_lr=1e-5),
        _keras_progress(progress, epochs),
    ]
    history = model.fit(
        train.x, train.y, batch_size=recipe.batch_size, epochs=epochs, verbose=0,
        validation_data=(validation.x, validation.y) if len(validation) else None,
        class_weight=class_weights(train.y, n_classes), callbacks=callbacks, shuffle=True)
    return {k: [float(v) for v in vals] for k, vals in history.history.items()}


def _check_input_quantization(tflite: bytes) -> dict[str, Any]:
    from fwgen.train.quantize import quantized_io  # noqa: PLC0415

    io = quantized_io(tflite)
    return {"scale": io.input_scale, "zero_point": io.input_zero_point,
            "output_scale": io.output_scale, "output_zero_point": io.output_zero_point}


def train_zoo_model(model_def: ZooModel, data: str | Path, out_dir: Path, *,
                    epochs: int | None = None, recipe: TrainingRecipe | None = None,
                    progress: Progress = no_progress) -> TrainResult:
    """Train, quantize, embed metadata and evaluate one zoo model; files go to `out_dir`.

    Writes ``<name>.keras``, ``<name>.tflite``, ``report.json`` and ``confusion.png``.
    """
    from fwgen.train import architectures  # noqa: PLC0415
    from fwgen.train.evaluate import evaluate_features, write_confusion_png  # noqa: PLC0415
    from fwgen.train.quantize import to_int8_tflite  # noqa: PLC0415

    recipe = recipe or model_def.training
    epochs = epochs or recipe.epochs
    meta = model_def.metadata
    classes = list(meta.classes)
    started = time.time()

    where = f"zoo model {model_def.name}"
    spec = frontend_spec(meta.frontend, where)
    kind = spec.kind
    progress("dataset", 0, 1, {"data": str(data)})
    dataset = open_dataset(data, classes, recipe.dataset, sample_rate_hz=spec.sample_rate,
                           progress=progress)
    progress("dataset", 1, 1, {"classes": len(dataset.classes)})
    if tuple(dataset.classes) != tuple(classes):
        LOG.info("training on the dataset's classes %s", dataset.classes)
        classes = list(dataset.classes)
    pipeline = FeaturePipeline(dict(meta.frontend), dataset.clip_samples, where)
    rng = np.random.default_rng(recipe.seed)
    sets: dict[str, FeatureSet] = {}
    for split in ("train", "validation", "test"):
        examples = dataset.examples(split)
        copies = recipe.augment_copies if split == "train" else 1
        sets[split] = compute_features(
            pipeline, dataset, examples, classes, copies=copies,
            rng=rng if split == "train" else None,
            progress=lambda d, t, s=split: progress(f"features:{s}", d, t, {}))
    if not len(sets["train"]):
        raise FwgenError("the training split is empty", where=str(data))
    input_shape = tuple(sets["train"].x.shape[1:])
    LOG.info("features: %s", {k: len(v) for k, v in sets.items()})

    load_tensorflow()
    keras_model = architectures.build(model_def.architecture, len(classes),
                                      **_builder_options(model_def, input_shape))
    progress("train", 0, epochs, {})
    history = fit(keras_model, sets["train"], sets["validation"], recipe, len(classes),
                  epochs=epochs, progress=progress)
    epochs_run = len(history.get("loss", []))
    if epochs_run < epochs:  # early stopping: the stage ends here, not at `epochs`
        progress("train", epochs, epochs, {"stopped_after": epochs_run})

    progress("quantize", 0, 1, {})
    tflite = to_int8_tflite(keras_model, representative_patches(
        sets["train"], recipe.representative_examples, kind, recipe.seed),
        max_steps=recipe.representative_examples + 1)
    io = _check_input_quantization(tflite)
    if kind == MICROFRONTEND and (io["zero_point"] != INT8_FEATURE_ZERO_POINT or
                                 abs(io["scale"] / INT8_FEATURE_SCALE - 1) > 1e-6):
        raise FwgenError(f"input quantization came out as {io['scale']}/{io['zero_point']}, "
                         f"not the int8 feature quantization {INT8_FEATURE_SCALE}/-128",
                         hint="this is a bug in fwgen's calibration anchor; please report it")
    progress("quantize", 1, 1, {})

    progress("evaluate", 0, 1, {})
    test = sets["test"] if len(sets["test"]) else sets["validation"]
    evaluation = evaluate_features(keras_model, tflite, test, classes)
    progress("evaluate", 1, 1, {})

    provenance = {
        "fwgen_version": __version__, "tensorflow": _tf_version(),
        "python": platform.python_version(), "architecture": model_def.architecture,
        "dataset": str(data) if str(data) == "synthetic" else Path(data).name,
        "dataset_name": getattr(dataset, "name", ""),
        "clips": {k: len(v.clip_ids) for k, v in sets.items()},  # train: × augment_copies
        "augment_copies": recipe.augment_copies,
        "epochs_run": epochs_run, "epochs_max": epochs, "seed": recipe.seed,
        "test_accuracy_float": evaluation["float"]["accuracy"],
        "test_accuracy_int8": evaluation["int8"]["accuracy"],
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    keras_path = out_dir / f"{model_def.name}.keras"
    tflite_path = out_dir / f"{model_def.name}.tflite"
    report_path = out_dir / "report.json"
    keras_model.save(keras_path)
    provenance["float_model"] = float_model_record(keras_path, tflite_path)
    metadata = ModelMetadata(
        frontend=dict(meta.frontend), classes=tuple(classes), smoothing=dict(meta.smoothing),
        name=model_def.name, version=model_def.version,
        input=_input_description(kind, io), provenance=provenance)
    tflite = write_model_metadata(tflite, metadata)
    _atomic_write(tflite_path, tflite)
    report = {"model": model_def.name, "version": model_def.version, "classes": classes,
              "input_shape": list(input_shape), "params": int(keras_model.count_params()),
              "tflite_bytes": len(tflite), "split": "test" if len(sets["test"]) else
              "validation", "evaluation": evaluation, "history": history,
              "provenance": provenance, "seconds": round(time.time() - started, 1)}
    _atomic_write(report_path, (json.dumps(report, indent=1, sort_keys=True) + "\n").encode())
    write_confusion_png(np.asarray(evaluation["int8"]["confusion"]), classes,
                        out_dir / "confusion.png",
                        title=f"{model_def.name} int8, {report['split']} clips")
    return TrainResult(keras_path, tflite_path, report_path, report, history)


def _builder_options(model_def: ZooModel, input_shape: tuple[int, ...]) -> dict[str, Any]:
    options = dict(model_def.architecture_options)
    for key in ("kernel", "strides"):
        if key in options and isinstance(options[key], list):
            options[key] = tuple(options[key])
    if model_def.architecture == "mobilenet_v3_tagger":
        options.setdefault("n_frames", input_shape[0])
        options.setdefault("n_mels", input_shape[1])
    else:
        options["input_shape"] = tuple(input_shape)
    return options


def _input_description(kind: str, io: Mapping[str, Any]) -> dict[str, Any]:
    if kind == LOGMEL:
        return {"features": "float", "quantize": True, "scale": io["scale"],
                "zero_point": io["zero_point"]}
    return {"features": "int8", "quantize": False, "scale": io["scale"],
            "zero_point": io["zero_point"]}


def _tf_version() -> str:
    import tensorflow as tf  # noqa: PLC0415

    return str(tf.__version__)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def quantize_saved_model(model: Path, data: str | Path, metadata: ModelMetadata, out: Path, *,
                         examples: int = 300, seed: int = 0,
                         dataset_options: Mapping[str, Any] | None = None,
                         float_source: Path | None = None,
                         progress: Progress = no_progress) -> Path:
    """`fwgen quantize`: a float .keras/SavedModel → full-int8 .tflite with `metadata` embedded.

    The metadata records the float model it came from (`fwgen.train.float_model`: its path
    relative to `out` and its sha256): `model`, or `float_source` when `model` is a temporary
    conversion of it (an EfficientAT .pt imported to .keras).

    The representative set is `examples` training-split clips of `data` (opened with
    `dataset_options`: the CLI passes the zoo recipe's, `fwgen.zoo.dataset_options_for`),
    featurized with the metadata's frontend settings (fwgen's own C frontend).
    """
    from fwgen.train.evaluate import load_keras  # noqa: PLC0415
    from fwgen.train.quantize import to_int8_tflite  # noqa: PLC0415

    spec = frontend_spec(metadata.frontend)
    kind = spec.kind
    classes = list(metadata.classes)
    keras_model = load_keras(Path(model))
    n_out = int(keras_model.outputs[0].shape[-1])
    if n_out != len(classes):
        raise FwgenError(f"the model has {n_out} outputs but the settings name "
                         f"{len(classes)} classes", where=str(model))
    dataset = open_dataset(data, classes, dict(dataset_options or {}),
                           sample_rate_hz=spec.sample_rate)
    pipeline = FeaturePipeline(dict(metadata.frontend), dataset.clip_samples)
    rng = np.random.default_rng(seed)
    pool = dataset.examples("train")
    picks = [pool[i] for i in sorted(rng.choice(len(pool), size=min(examples, len(pool)),
                                                replace=False))] if pool else []
    features = compute_features(pipeline, dataset, picks, classes,
                                progress=lambda d, t: progress("features:train", d, t, {}))
    expected = tuple(int(d) for d in keras_model.inputs[0].shape[1:])
    if tuple(features.x.shape[1:]) != expected:
        raise FwgenError(f"the frontend settings give patches of {features.x.shape[1:]}, the "
                         f"model expects {expected}", where=str(model),
                         hint="check fe.window_step_ms, fe.filterbank_n_channels and "
                              "fe.sample_length_ms against the model input")
    progress("quantize", 0, 1, {})
    tflite = to_int8_tflite(keras_model, representative_patches(features, examples, kind, seed),
                            max_steps=examples + 1)
    io = _check_input_quantization(tflite)
    progress("quantize", 1, 1, {})
    provenance = dict(metadata.provenance)
    provenance.update({"quantized_by": f"fwgen {__version__}", "tensorflow": _tf_version(),
                       "float_model": float_model_record(float_source or Path(model), out),
                       "calibration_clips": len(picks), "calibration_data": str(data)})
    tagged = write_model_metadata(tflite, ModelMetadata(
        frontend=dict(metadata.frontend), classes=tuple(classes),
        smoothing=dict(metadata.smoothing), name=metadata.name or Path(model).stem,
        version=metadata.version, input=_input_description(kind, io), provenance=provenance))
    out.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(out, tagged)
    return out
