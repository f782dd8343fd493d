"""The model zoo: ``models/<name>/model.yaml`` plus fwgen-trained int8 weights beside it.

Each model folder holds

* ``model.yaml`` — name, version, description, the architecture (a builder in
  `fwgen.train.architectures` and its options), the deployment settings (frontend ``fe.*`` keys,
  classes, smoothing: the same structure as a .tflite's fwgen metadata), and the training recipe;
* ``<name>.tflite`` — int8 weights fwgen trained itself with `fwgen train` (metadata embedded);
* ``report.json`` — the training/evaluation report of those weights, when they exist;
* ``samples/`` — optional short test clips.

Loading is pure data (no TensorFlow): YAML into frozen dataclasses, validated once, with errors
naming the file and field.

`resolve_model(name_or_tflite, settings=None) -> ModelSource` is where every verb turns what the
user named (a zoo model, or a .tflite with its metadata or a settings file) into the flatbuffer
and deployment settings it deploys: the model is resolved once, here.
"""
from __future__ import annotations

import difflib
import hashlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from fwgen.errors import FwgenError
from fwgen.tflite.metadata import ModelMetadata

LOG = logging.getLogger(__name__)

MODEL_FILE = "model.yaml"
REPORT_FILE = "report.json"


@dataclass(frozen=True)
class TrainingRecipe:
    """How `fwgen train` trains a zoo model (every field can be overridden on the CLI)."""

    data: str = "synthetic"
    dataset: dict[str, Any] = field(default_factory=dict)
    epochs: int = 30
    batch_size: int = 64
    learning_rate: float = 1e-3
    early_stopping_patience: int = 8
    augment_copies: int = 2
    representative_examples: int = 300
    seed: int = 1

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, where: str) -> "TrainingRecipe":
        data = dict(data or {})
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(data) - known)
        if unknown:
            raise FwgenError(f"unknown training field(s) {', '.join(unknown)}",
                             where=f"{where}: training", hint=f"known: {', '.join(sorted(known))}")
        for key in ("epochs", "batch_size", "early_stopping_patience", "augment_copies",
                    "representative_examples"):
            if key in data and (not isinstance(data[key], int) or data[key] < 1):
                raise FwgenError(f"{key} must be a positive integer, got {data[key]!r}",
                                 where=f"{where}: training")
        if "dataset" in data and not isinstance(data["dataset"], Mapping):
            raise FwgenError("dataset must be a mapping", where=f"{where}: training")
        return cls(**data)


@dataclass(frozen=True)
class ZooModel:
    """One zoo entry (see the module docstring)."""

    name: str
    version: str
    description: str
    architecture: str
    architecture_options: dict[str, Any]
    reference: str
    metadata: ModelMetadata
    training: TrainingRecipe
    folder: Path

    @property
    def weights(self) -> Path:
        return self.folder / f"{self.name}.tflite"

    @property
    def has_weights(self) -> bool:
        return self.weights.is_file()

    @property
    def report(self) -> Path:
        return self.folder / REPORT_FILE

    @property
    def classes(self) -> tuple[str, ...]:
        return self.metadata.classes

    def samples(self) -> list[Path]:
        folder = self.folder / "samples"
        return sorted(folder.glob("*.wav")) if folder.is_dir() else []

    def require_weights(self) -> Path:
        if not self.has_weights:
            raise FwgenError(f"zoo model '{self.name}' has no trained weights yet",
                             where=str(self.weights),
                             hint=f"train them: fwgen train --model {self.name} "
                                  f"--data {self.training.data} --out {self.folder}")
        return self.weights


def zoo_root() -> Path:
    """The models/ folder: $FWGEN_MODELS, else the repository's models/ beside host/."""
    env = os.environ.get("FWGEN_MODELS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "models"


def load_model_file(path: Path) -> ZooModel:
    """Parse and validate one ``models/<name>/model.yaml``."""
    import yaml  # noqa: PLC0415

    where = str(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise FwgenError(f"cannot read: {exc.strerror}", where=where) from exc
    except yaml.YAMLError as exc:
        raise FwgenError(f"invalid YAML: {exc}", where=where) from exc
    if not isinstance(data, Mapping):
        raise FwgenError("must be a YAML mapping", where=where)
    known = {"name", "version", "description", "architecture", "architecture_options",
             "reference", "deploy", "training"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise FwgenError(f"unknown field(s) {', '.join(unknown)}", where=where,
                         hint=f"known: {', '.join(sorted(known))}")
    for key in ("name", "architecture", "deploy"):
        if key not in data:
            raise FwgenError(f"missing field '{key}'", where=where)
    name = str(data["name"])
    if name != path.parent.name:
        raise FwgenError(f"name '{name}' differs from its folder '{path.parent.name}'",
                         where=where)
    from fwgen.train.architectures import BUILDERS  # noqa: PLC0415  (no TensorFlow import)

    if data["architecture"] not in BUILDERS:
        raise FwgenError(f"unknown architecture '{data['architecture']}'", where=where,
                         hint=f"known: {', '.join(sorted(BUILDERS))}")
    options = data.get("architecture_options") or {}
    if not isinstance(options, Mapping):
        raise FwgenError("architecture_options must be a mapping", where=where)
    deploy = dict(data["deploy"]) if isinstance(data["deploy"], Mapping) else data["deploy"]
    if isinstance(deploy, dict):
        deploy.setdefault("name", name)
        deploy.setdefault("version", str(data.get("version", "1")))
    metadata = ModelMetadata.from_dict(deploy, source=f"{where}: deploy")
    return ZooModel(
        name=name, version=str(data.get("version", "1")),
        description=str(data.get("description", "")).strip(),
        architecture=str(data["architecture"]), architecture_options=dict(options),
        reference=str(data.get("reference", "")).strip(), metadata=metadata,
        training=TrainingRecipe.from_dict(data.get("training"), where), folder=path.parent)


def list_models(root: Path | None = None) -> list[ZooModel]:
    root = root or zoo_root()
    if not root.is_dir():
        return []
    return [load_model_file(p) for p in sorted(root.glob(f"*/{MODEL_FILE}"))]


def get_model(name: str, root: Path | None = None) -> ZooModel:
    """The zoo model `name`; an error suggests close names."""
    root = root or zoo_root()
    path = root / name / MODEL_FILE
    if path.is_file():
        return load_model_file(path)
    names = [p.parent.name for p in sorted(root.glob(f"*/{MODEL_FILE}"))]
    close = [n for n in names if n.startswith(name) or name in n] or \
        difflib.get_close_matches(name, names, n=3)
    hint = f"did you mean {' or '.join(close)}?" if close else \
        f"zoo models: {', '.join(names) or '(none)'}"
    raise FwgenError(f"no zoo model named '{name}'", where=str(root), hint=hint)


def dataset_options_for(metadata: ModelMetadata,
                        explicit: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Dataset options for a model: `explicit` if given, else its zoo recipe's (by metadata
    name), else none. Keeps `quantize`/`evaluate` on the dataset the model was trained with
    (e.g. synthetic sound events, not keywords, for a sound-event zoo model); `fwgen.train`
    takes the options from its caller and never looks into the zoo itself."""
    if explicit is not None:
        return dict(explicit)
    if metadata.name:
        try:
            return dict(get_model(metadata.name).training.dataset)
        except FwgenError:
            pass
    return {}


@dataclass(frozen=True)
class GraphStats:
    """Size and cost of a .tflite graph (first subgraph), computed from the flatbuffer."""

    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    params: int
    macs: int
    ops: dict[str, int]


def graph_stats(model: bytes) -> GraphStats:
    """Parameters (elements of constant tensors) and MACs of CONV_2D, DEPTHWISE_CONV_2D and
    FULLY_CONNECTED (one multiply-accumulate per weight use), op counts by name."""
    import numpy as np  # noqa: PLC0415
    import tflite  # noqa: PLC0415

    from fwgen.tflite.metadata import TFLITE_FILE_IDENTIFIER  # noqa: PLC0415
    from fwgen.tflite.reader import builtin_code  # noqa: PLC0415

    if len(model) < 8 or model[4:8] != TFLITE_FILE_IDENTIFIER:
        raise FwgenError("not a TFLite flatbuffer")
    root = tflite.Model.GetRootAsModel(model, 0)
    graph = root.Subgraphs(0)
    names = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}

    def shape(index: int) -> tuple[int, ...]:
        return tuple(int(d) for d in graph.Tensors(index).ShapeAsNumpy())

    params = 0
    for t in range(graph.TensorsLength()):
        tensor = graph.Tensors(t)
        buffer = root.Buffers(tensor.Buffer())
        if buffer is not None and buffer.DataLength() > 0:
            params += int(np.prod(shape(t))) if tensor.ShapeLength() else 1
    macs = 0
    ops: dict[str, int] = {}
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        code = root.OperatorCodes(op.OpcodeIndex())
        name = names.get(builtin_code(code), "CUSTOM")   # as the reader and TFLM read it
        ops[name] = ops.get(name, 0) + 1
        if name in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            out = shape(op.Outputs(0))
            weights = shape(op.Inputs(1))
            if name == "CONV_2D":  # weights [out_c, kh, kw, in_c]
                macs += int(np.prod(out)) * int(np.prod(weights[1:]))
            elif name == "DEPTHWISE_CONV_2D":  # weights [1, kh, kw, out_c]
                macs += int(np.prod(out)) * weights[1] * weights[2]
            else:  # weights [units, depth]
                macs += int(np.prod(out)) * weights[1]
    return GraphStats(shape(graph.Inputs(0)), shape(graph.Outputs(0)), params, macs, ops)


@dataclass(frozen=True)
class ModelSource:
    """A model to deploy: its flatbuffer and its deployment settings."""
    name: str
    path: Path
    data: bytes
    metadata: ModelMetadata

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _resolve_metadata(path: Path, settings: str | Path | None) -> ModelMetadata:
    """Settings for a .tflite: a settings file, a zoo model.yaml (its deploy section), or the
    model's own metadata."""
    from fwgen.tflite.metadata import resolve_metadata  # noqa: PLC0415

    if settings is not None and Path(settings).name == "model.yaml":
        return load_model_file(Path(settings)).metadata
    return resolve_metadata(path, settings)


def resolve_model(name_or_path: str | Path, settings: str | Path | None = None) -> ModelSource:
    """A zoo model name or a .tflite path (with optional settings file) as a ModelSource."""
    path = Path(name_or_path)
    if path.suffix == ".tflite" or path.exists():
        if path.is_dir():
            raise FwgenError("is a folder, not a .tflite model file", where=str(path),
                             hint="give a .tflite file or a zoo model name (fwgen models)")
        if not path.is_file():
            raise FwgenError("model file not found", where=str(path))
        metadata = _resolve_metadata(path, settings)
        name = metadata.name or path.stem
    else:
        zoo = get_model(str(name_or_path))
        path = zoo.require_weights()
        if settings is not None:
            metadata = _resolve_metadata(path, settings)
        else:
            from fwgen.tflite.metadata import read_model_metadata  # noqa: PLC0415
            metadata = read_model_metadata(path) or zoo.metadata
        name = zoo.name
    return ModelSource(name=name, path=path, data=path.read_bytes(), metadata=metadata)
