"""Deployment settings carried inside a .tflite file: fwgen's own and MLTK's ``SL_PARAMSv1``.

A model fwgen trains carries everything `fwgen build` needs besides the graph: the frontend
settings (MLTK ``fe.*`` key names), the class names, the detector's smoothing defaults, the model
name/version and its training provenance. They live in the flatbuffer's ``Model.metadata`` list
as an entry named ``fwgen`` whose buffer holds UTF-8 JSON (sorted keys, so identical inputs give
identical bytes)::

    {"format": "fwgen-model-metadata", "format_version": 1,
     "name": "micro_speech", "version": "1",
     "frontend": {"fe.frontend": "microfrontend", "fe.sample_rate_hz": 16000, ...},
     "classes": ["silence", "unknown", "yes", "no"],
     "smoothing": {"average_window_duration_ms": 1000, "detection_threshold": 185,
                   "suppression_ms": 1500, "minimum_count": 3},
     "input": {"features": "int8", "scale": 0.1017..., "zero_point": -128},
     "provenance": {...}}

Models trained with Silicon Labs' MLTK carry an entry named ``SL_PARAMSv1`` instead: a
flatbuffer "dictionary" of typed key/value entries (table ``Dictionary {schema_version: uint8;
entries: [Entry]}``, ``Entry {key: string; value: union Value}``, one small table per scalar
type). `read_model_metadata` understands both, so MLTK models deploy without flags; a model with
neither needs a settings file (the same JSON/YAML structure as above) or gets a clear error.

Writing never re-serializes the graph: the original flatbuffer is kept byte for byte, 64-byte
aligned, behind a new root `Model` table whose vectors point forward into it (flatbuffer offsets
only point forward, which is why the new tables go in front). Only the `buffers` and `metadata`
vectors are new; every other field is a reference to the original.
"""
from __future__ import annotations

import json
import logging
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

METADATA_NAME = "fwgen"
MLTK_METADATA_NAME = "SL_PARAMSv1"
FORMAT = "fwgen-model-metadata"
FORMAT_VERSION = 1
TFLITE_FILE_IDENTIFIER = b"TFL3"

#: Smoothing keys (MLTK's names, so MLTK parameters map one to one). MLTK's keyword spotters
#: (keyword_spotting_on_off_v3: [242, 242, 255]) give per-class thresholds in
#: detection_threshold_list, which overrides detection_threshold (fwgen.detect.settings).
SMOOTHING_KEYS = ("average_window_duration_ms", "detection_threshold", "suppression_ms",
                  "minimum_count", "detection_threshold_list")

# tflite schema.fbs field slots (vtable index) of the tables the writer touches.
_MODEL_FIELDS = 8  # version, operator_codes, subgraphs, description, buffers,
#                    metadata_buffer, metadata, signature_defs
_M_VERSION, _M_OPCODES, _M_SUBGRAPHS, _M_DESCRIPTION = 0, 1, 2, 3
_M_BUFFERS, _M_METADATA_BUFFER, _M_METADATA, _M_SIGNATURE_DEFS = 4, 5, 6, 7
_BLOCK_ALIGNMENT = 64  # keeps the original's 16-byte aligned buffer data aligned

# MLTK dictionary.fbs union `Value` type codes, in declaration order.
_MLTK_TYPES = ("NONE", "boolean", "i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64", "f32",
               "f64", "str", "str_list", "int32_list", "float_list", "bin")
_MLTK_SCALAR_FORMATS = {"boolean": "<?", "i8": "<b", "u8": "<B", "i16": "<h", "u16": "<H",
                        "i32": "<i", "u32": "<I", "i64": "<q", "u64": "<Q", "f32": "<f",
                        "f64": "<d"}
MLTK_SCHEMA_VERSION = 1


# ============================================================================================
# The metadata record
# ============================================================================================

@dataclass(frozen=True)
class ModelMetadata:
    """What a deployment needs to know about a model besides its graph.

    `frontend` holds ``fe.*`` settings (MLTK names; ``fe.frontend`` names the frontend:
    ``microfrontend`` or ``logmel``, which `fwgen.frontend.spec` reads), `smoothing` the detector defaults (`SMOOTHING_KEYS`),
    `input` how features reach the model input, `provenance` how the model was made.
    `source` says where the record came from: ``fwgen``, ``mltk`` or a settings file path.
    """

    frontend: dict[str, Any]
    classes: tuple[str, ...]
    smoothing: dict[str, Any] = field(default_factory=dict)
    name: str | None = None
    version: str | None = None
    input: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    source: str = METADATA_NAME

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"format": FORMAT, "format_version": FORMAT_VERSION,
                               "frontend": dict(self.frontend), "classes": list(self.classes),
                               "smoothing": dict(self.smoothing)}
        if self.name is not None:
            out["name"] = self.name
        if self.version is not None:
            out["version"] = self.version
        if self.input:
            out["input"] = dict(self.input)
        if self.provenance:
            out["provenance"] = dict(self.provenance)
        return out

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = METADATA_NAME) -> "ModelMetadata":
        """Validate a metadata/settings mapping; errors name `source` and the field."""
        if not isinstance(data, Mapping):
            raise FwgenError("settings must be a mapping (JSON object / YAML dict)", where=source)
        fmt = data.get("format", FORMAT)
        if fmt != FORMAT:
            raise FwgenError(f"format is {fmt!r}, expected {FORMAT!r}", where=source)
        version = data.get("format_version", FORMAT_VERSION)
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise FwgenError(f"format_version {version!r} is newer than this fwgen understands "
                             f"({FORMAT_VERSION})", where=source, hint="upgrade fwgen")
        known = {"format", "format_version", "frontend", "classes", "smoothing", "name",
                 "version", "input", "provenance"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise FwgenError(f"unknown field(s) {', '.join(unknown)}", where=source,
                             hint=f"known fields: {', '.join(sorted(known))}")
        frontend = data.get("frontend")
        if not isinstance(frontend, Mapping) or not frontend:
            raise FwgenError("'frontend' must be a non-empty mapping of fe.* settings",
                             where=source)
        bad = [k for k in frontend if not str(k).startswith("fe.")]
        if bad:
            raise FwgenError(f"frontend keys must start with 'fe.': {', '.join(map(str, bad))}",
                             where=f"{source}: frontend")
        classes = data.get("classes")
        if (not isinstance(classes, (list, tuple)) or not classes
                or not all(isinstance(c, str) and c for c in classes)):
            raise FwgenError("'classes' must be a non-empty list of class names", where=source)
        if len(set(classes)) != len(classes):
            raise FwgenError("'classes' has duplicate names", where=source)
        smoothing = data.get("smoothing") or {}
        if not isinstance(smoothing, Mapping):
            raise FwgenError("'smoothing' must be a mapping", where=source)
        bad = sorted(set(smoothing) - set(SMOOTHING_KEYS))
        if bad:
            raise FwgenError(f"unknown smoothing key(s) {', '.join(bad)}",
                             where=f"{source}: smoothing",
                             hint=f"known: {', '.join(SMOOTHING_KEYS)}")
        for key, value in smoothing.items():
            listed = key == "detection_threshold_list"
            values = value if listed and isinstance(value, (list, tuple)) else [value]
            if (listed and values is not value) or not values or any(
                    not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0 for v in values):
                what = ("a non-empty list of non-negative numbers, one per class" if listed
                        else "a non-negative number")
                raise FwgenError(f"{key} must be {what}, got {value!r}",
                                 where=f"{source}: smoothing")
        for key in ("input", "provenance"):
            if not isinstance(data.get(key) or {}, Mapping):
                raise FwgenError(f"'{key}' must be a mapping", where=source)
        name = data.get("name")
        model_version = data.get("version")
        return cls(frontend=dict(frontend), classes=tuple(classes), smoothing=dict(smoothing),
                   name=None if name is None else str(name),
                   version=None if model_version is None else str(model_version),
                   input=dict(data.get("input") or {}),
                   provenance=dict(data.get("provenance") or {}), source=source)

    @classmethod
    def from_json(cls, blob: bytes, *, source: str = METADATA_NAME) -> "ModelMetadata":
        try:
            data = json.loads(blob.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FwgenError(f"metadata is not valid JSON: {exc}", where=source,
                             hint="the file's metadata is corrupted: rewrite it (fwgen train or "
                                  "quantize write it) or give the settings with --settings") from exc
        return cls.from_dict(data, source=source)


# ============================================================================================
# Reading
# ============================================================================================

def _model_bytes(model: bytes | bytearray | Path | str) -> bytes:
    if isinstance(model, (bytes, bytearray)):
        return bytes(model)
    path = Path(model)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FwgenError(f"cannot read model: {exc.strerror}", where=str(path)) from exc


def _root(buf: bytes, where: str) -> Any:
    import tflite  # noqa: PLC0415

    if len(buf) < 8 or buf[4:8] != TFLITE_FILE_IDENTIFIER:
        raise FwgenError("not a TFLite flatbuffer (file identifier 'TFL3' missing)", where=where,
                         hint="give a .tflite file (tf.lite.TFLiteConverter's output)")
    try:
        return tflite.Model.GetRootAsModel(buf, 0)
    except Exception as exc:  # flatbuffers raises struct/index errors on garbage
        raise _corrupt("the model header", exc, buf, where) from None


def _corrupt(what: str, exc: Exception, buf: bytes, where: str) -> FwgenError:
    from fwgen.tflite.reader import CORRUPTED_HINT, describe_corruption  # noqa: PLC0415

    return FwgenError(f"not a valid .tflite model: {describe_corruption(what, exc, len(buf))}",
                      where=where, hint=CORRUPTED_HINT)


def _buffer_data(buf: bytes, model: Any, index: int, where: str) -> bytes:
    from fwgen.tflite.reader import CORRUPTED_HINT  # noqa: PLC0415

    if not 0 <= index < model.BuffersLength():
        raise FwgenError(f"not a valid .tflite model: metadata points to buffer {index}, the "
                         f"model has {model.BuffersLength()}", where=where, hint=CORRUPTED_HINT)
    buffer = model.Buffers(index)
    if buffer.Offset() > 1:  # large-model layout: data outside the flatbuffer
        start, size = buffer.Offset(), buffer.Size()
        if start + size > len(buf):
            raise FwgenError(f"not a valid .tflite model: buffer {index} lies outside the file",
                             where=where, hint=CORRUPTED_HINT)
        return bytes(buf[start: start + size])
    if buffer.DataIsNone():
        return b""
    return buffer.DataAsNumpy().tobytes()


def metadata_entries(model: bytes | bytearray | Path | str) -> dict[str, bytes]:
    """All ``Model.metadata`` entries of a .tflite, name → buffer bytes."""
    where = str(model) if isinstance(model, (Path, str)) else "model"
    buf = _model_bytes(model)
    root = _root(buf, where)
    entries: dict[str, bytes] = {}
    try:
        for i in range(root.MetadataLength()):
            meta = root.Metadata(i)
            name = (meta.Name() or b"").decode("utf-8", errors="replace")
            entries[name] = _buffer_data(buf, root, meta.Buffer(), where)
    except FwgenError:
        raise
    except Exception as exc:  # flatbuffers raises struct/index errors on corrupted offsets
        raise _corrupt("the metadata list", exc, buf, where) from None
    return entries


def read_model_metadata(model: bytes | bytearray | Path | str) -> ModelMetadata | None:
    """fwgen's metadata of a model, else its MLTK ``SL_PARAMSv1`` parameters, else None."""
    where = str(model) if isinstance(model, (Path, str)) else "model"
    entries = metadata_entries(model)
    if METADATA_NAME in entries:
        return ModelMetadata.from_json(entries[METADATA_NAME],
                                       source=f"{where}: metadata '{METADATA_NAME}'")
    if MLTK_METADATA_NAME in entries:
        params = decode_mltk_parameters(entries[MLTK_METADATA_NAME],
                                        where=f"{where}: metadata '{MLTK_METADATA_NAME}'")
        return metadata_from_mltk(params, source=f"{where}: {MLTK_METADATA_NAME}")
    return None


def load_settings(path: Path | str) -> ModelMetadata:
    """A settings file (JSON or YAML, the metadata structure) as `ModelMetadata`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FwgenError(f"cannot read settings: {exc.strerror}", where=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise FwgenError(f"not a UTF-8 text file (byte {exc.start}: 0x{exc.object[exc.start]:02x})",
                         where=str(path),
                         hint="save the settings as UTF-8 JSON or YAML") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FwgenError(f"invalid JSON: {exc}", where=str(path)) from exc
    else:
        import yaml  # noqa: PLC0415

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise FwgenError(f"invalid YAML: {exc}", where=str(path)) from exc
    if isinstance(data, Mapping) and "frontend" not in data and any(
            str(k).startswith("fe.") for k in data):
        # A flat MLTK-style parameter dict (fe.* keys, classes, smoothing keys).
        return metadata_from_mltk(dict(data), source=str(path))
    return ModelMetadata.from_dict(data, source=str(path))


def resolve_metadata(model: Path | str, settings: Path | str | None = None) -> ModelMetadata:
    """The settings to deploy `model` with: `settings` if given, else the model's metadata.

    Raises a `FwgenError` telling the user to pass ``--settings`` when the model has neither
    fwgen nor MLTK metadata.
    """
    if settings is not None:
        return load_settings(settings)
    found = read_model_metadata(model)
    if found is None:
        raise FwgenError(
            "the model carries no fwgen or MLTK (SL_PARAMSv1) metadata, so its frontend "
            "settings, classes and smoothing are unknown", where=str(model),
            hint="pass --settings FILE (JSON/YAML with frontend fe.* keys, classes, smoothing; "
                 "see models/micro_speech/model.yaml), or train it with `fwgen train`")
    return found


# ============================================================================================
# MLTK SL_PARAMSv1
# ============================================================================================

def decode_mltk_parameters(blob: bytes, *, where: str = MLTK_METADATA_NAME) -> dict[str, Any]:
    """Decode MLTK's flatbuffer dictionary into a Python dict (typed values → Python values)."""
    from flatbuffers import table  # noqa: PLC0415
    from flatbuffers.number_types import UOffsetTFlags  # noqa: PLC0415

    try:
        (root_offset,) = struct.unpack_from("<I", blob, 0)
        root = table.Table(bytearray(blob), root_offset)
        o = root.Offset(4)  # slot 0: schema_version
        schema_version = struct.unpack_from("<B", blob, root.Pos + o)[0] if o else 0
        if schema_version == 0 or schema_version > MLTK_SCHEMA_VERSION:
            raise FwgenError(f"unsupported SL_PARAMSv1 schema version {schema_version}",
                             where=where)
        out: dict[str, Any] = {}
        o = root.Offset(6)  # slot 1: entries
        if not o:
            return out
        vec = root.Vector(o)
        for i in range(root.VectorLen(o)):
            entry = table.Table(root.Bytes, root.Indirect(vec + i * UOffsetTFlags.bytewidth))
            ko = entry.Offset(4)
            key = entry.String(entry.Pos + ko).decode("utf-8") if ko else ""
            to = entry.Offset(6)
            type_code = struct.unpack_from("<B", blob, entry.Pos + to)[0] if to else 0
            vo = entry.Offset(8)
            if not vo or type_code == 0:
                continue
            if type_code >= len(_MLTK_TYPES):
                raise FwgenError(f"entry '{key}' has unknown value type {type_code}",
                                 where=where)
            value_table = table.Table(root.Bytes, entry.Indirect(entry.Pos + vo))
            out[key] = _mltk_value(value_table, _MLTK_TYPES[type_code], blob)
        return out
    except FwgenError:
        raise
    except Exception as exc:
        raise FwgenError(f"corrupt SL_PARAMSv1 dictionary: {exc}", where=where) from exc


def _mltk_value(tab: Any, kind: str, blob: bytes) -> Any:
    o = tab.Offset(4)  # every value table has one field, slot 0
    if kind in _MLTK_SCALAR_FORMATS:
        if not o:  # flatbuffers omits fields equal to their default (zero / false)
            return False if kind == "boolean" else (0.0 if kind in ("f32", "f64") else 0)
        value = struct.unpack_from(_MLTK_SCALAR_FORMATS[kind], blob, tab.Pos + o)[0]
        if kind == "f32":  # the shortest decimal that round-trips through float32
            import numpy as np  # noqa: PLC0415

            value = float(str(np.float32(value)))
        return value
    if not o:
        return {"str": "", "bin": b""}.get(kind, [])
    if kind == "str":
        return tab.String(tab.Pos + o).decode("utf-8")
    start, n = tab.Vector(o), tab.VectorLen(o)
    if kind == "bin":
        return bytes(blob[start: start + n])
    if kind == "int32_list":
        return list(struct.unpack_from(f"<{n}i", blob, start))
    if kind == "float_list":
        import numpy as np  # noqa: PLC0415

        return [float(str(v)) for v in np.frombuffer(blob, "<f4", n, start)]
    if kind == "str_list":
        return [tab.String(start + 4 * i).decode("utf-8") for i in range(n)]
    raise FwgenError(f"unsupported SL_PARAMSv1 value type {kind}")


def encode_mltk_parameters(params: Mapping[str, Any]) -> bytes:
    """Encode a dict as an MLTK ``SL_PARAMSv1`` dictionary (types chosen like MLTK does:
    bool, smallest integer type, float32, str, list of str/int32/float, bytes)."""
    import flatbuffers  # noqa: PLC0415

    builder = flatbuffers.Builder(1024)
    entries = []
    for key, value in params.items():
        kind = _mltk_kind(key, value)
        value_offset = _mltk_build_value(builder, kind, value)
        key_offset = builder.CreateString(str(key))
        builder.StartObject(3)
        builder.PrependUOffsetTRelativeSlot(0, key_offset, 0)
        builder.PrependUint8Slot(1, _MLTK_TYPES.index(kind), 0)
        builder.PrependUOffsetTRelativeSlot(2, value_offset, 0)
        entries.append(builder.EndObject())
    builder.StartVector(4, len(entries), 4)
    for offset in reversed(entries):
        builder.PrependUOffsetTRelative(offset)
    entries_vector = builder.EndVector()
    builder.StartObject(2)
    builder.PrependUint8Slot(0, MLTK_SCHEMA_VERSION, 0)
    builder.PrependUOffsetTRelativeSlot(1, entries_vector, 0)
    builder.Finish(builder.EndObject())
    return bytes(builder.Output())


def _mltk_kind(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        for kind, lo, hi in (("u8", 0, 2**8), ("u16", 0, 2**16), ("u32", 0, 2**32),
                             ("u64", 0, 2**64), ("i8", -2**7, 2**7), ("i16", -2**15, 2**15),
                             ("i32", -2**31, 2**31), ("i64", -2**63, 2**63)):
            if lo <= value < hi:
                return kind
        raise FwgenError(f"{key}: integer {value} does not fit 64 bits")
    if isinstance(value, float):
        return "f32"
    if isinstance(value, str):
        return "str"
    if isinstance(value, (bytes, bytearray)):
        return "bin"
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, str) for v in value):
            return "str_list"
        if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return "int32_list"
        if all(isinstance(v, float) for v in value):
            return "float_list"
    raise FwgenError(f"{key}: value {value!r} has no SL_PARAMSv1 type")


def _mltk_build_value(builder: Any, kind: str, value: Any) -> int:
    if kind in _MLTK_SCALAR_FORMATS:
        builder.StartObject(1)
        prepend = {"boolean": builder.PrependBoolSlot, "i8": builder.PrependInt8Slot,
                   "u8": builder.PrependUint8Slot, "i16": builder.PrependInt16Slot,
                   "u16": builder.PrependUint16Slot, "i32": builder.PrependInt32Slot,
                   "u32": builder.PrependUint32Slot, "i64": builder.PrependInt64Slot,
                   "u64": builder.PrependUint64Slot, "f32": builder.PrependFloat32Slot,
                   "f64": builder.PrependFloat64Slot}[kind]
        prepend(0, value, 0)
        return builder.EndObject()
    if kind == "str":
        data = builder.CreateString(value)
    elif kind == "bin":
        data = builder.CreateByteVector(bytes(value))
    elif kind == "str_list":
        strings = [builder.CreateString(s) for s in value]
        builder.StartVector(4, len(strings), 4)
        for offset in reversed(strings):
            builder.PrependUOffsetTRelative(offset)
        data = builder.EndVector()
    elif kind == "int32_list":
        builder.StartVector(4, len(value), 4)
        for v in reversed(value):
            builder.PrependInt32(int(v))
        data = builder.EndVector()
    else:  # float_list
        builder.StartVector(4, len(value), 4)
        for v in reversed(value):
            builder.PrependFloat32(float(v))
        data = builder.EndVector()
    builder.StartObject(1)
    builder.PrependUOffsetTRelativeSlot(0, data, 0)
    return builder.EndObject()


#: MLTK parameter names that are smoothing settings (MLTK's audio classifier app).
_MLTK_SMOOTHING = {"average_window_duration_ms": "average_window_duration_ms",
                   "detection_threshold": "detection_threshold",
                   "detection_threshold_list": "detection_threshold_list",
                   "suppression_ms": "suppression_ms", "minimum_count": "minimum_count"}


def metadata_from_mltk(params: Mapping[str, Any], *, source: str = "mltk") -> ModelMetadata:
    """Map MLTK model parameters (``fe.*``, ``classes``, smoothing keys) to `ModelMetadata`.

    MLTK's audio models use the TFLM microfrontend: no ``fe.frontend`` key is added (absent
    means microfrontend, see `fwgen.frontend.spec.frontend_kind`); keys that are neither frontend,
    classes, name/version nor smoothing are kept under ``provenance["mltk"]``.
    """
    frontend = {k: v for k, v in params.items() if str(k).startswith("fe.")}
    if not frontend:
        raise FwgenError("MLTK parameters have no fe.* frontend settings", where=source,
                         hint="pass --settings FILE")
    classes = params.get("classes")
    if not classes:
        raise FwgenError("MLTK parameters have no 'classes' list", where=source,
                         hint="pass --settings FILE")
    smoothing = {ours: params[theirs] for theirs, ours in _MLTK_SMOOTHING.items()
                 if theirs in params}
    used = set(frontend) | {"classes", "name", "version"} | set(_MLTK_SMOOTHING)
    extra = {k: (v.hex() if isinstance(v, bytes) else v)
             for k, v in params.items() if k not in used}
    name = params.get("name")
    version = params.get("version")
    data = {"frontend": frontend, "classes": list(classes), "smoothing": smoothing,
            "provenance": {"mltk": extra} if extra else {}}
    if name is not None:
        data["name"] = name
    if version is not None:
        data["version"] = version
    return ModelMetadata.from_dict(data, source=source)


# ============================================================================================
# Writing
# ============================================================================================

def add_metadata_entry(model: bytes, name: str, data: bytes) -> bytes:
    """Return `model` with a ``Model.metadata`` entry `name` holding `data` (replacing one).

    The original flatbuffer is kept intact (see the module docstring); the new root table and
    the new `buffers`/`metadata` vectors are placed in front of it.
    """
    import flatbuffers  # noqa: PLC0415
    from flatbuffers import table  # noqa: PLC0415

    root = _root(model, "model")
    for i in range(root.BuffersLength()):
        if root.Buffers(i).Offset() > 1:
            raise FwgenError("models with buffers outside the flatbuffer (>2 GB layout) "
                             "cannot take metadata")
    tab: table.Table = root._tab  # noqa: SLF001  (flatbuffers' public table accessor)

    def field_target(slot: int) -> int | None:
        """Absolute position of the vector/string/table a Model field points to."""
        o = tab.Offset(4 + 2 * slot)
        return tab.Indirect(tab.Pos + o) if o else None

    def vector_targets(slot: int) -> list[int]:
        o = tab.Offset(4 + 2 * slot)
        if not o:
            return []
        start = tab.Vector(o)
        return [tab.Indirect(start + 4 * i) for i in range(tab.VectorLen(o))]

    vtable_fields = _vtable_fields(tab)
    if any(tab.Offset(4 + 2 * slot) for slot in range(_MODEL_FIELDS, vtable_fields)):
        raise FwgenError("the model uses Model fields newer than this fwgen knows",
                         hint="upgrade fwgen")
    version = root.Version()
    buffers = vector_targets(_M_BUFFERS)
    old_metadata = [(pos, root.Metadata(i)) for i, pos in enumerate(vector_targets(_M_METADATA))]

    builder = flatbuffers.Builder(len(model) + len(data) + 1024)
    builder.StartVector(1, len(model), _BLOCK_ALIGNMENT)
    builder.head = builder.head - len(model)
    builder.Bytes[builder.head: builder.head + len(model)] = model
    block = builder.EndVector()
    block_data_from_end = block - 4  # the vector's data follows its 4-byte length

    def old(position: int) -> int:
        """Builder offset (from the buffer's end) of a position inside the original model."""
        return block_data_from_end - position

    payload = None
    if data:  # Buffer.data is force_align: 16 in the schema
        builder.StartVector(1, len(data), 16)
        builder.head = builder.head - len(data)
        builder.Bytes[builder.head: builder.head + len(data)] = data
        payload = builder.EndVector()
    builder.StartObject(3)
    if payload is not None:
        builder.PrependUOffsetTRelativeSlot(0, payload, 0)
    new_buffer = builder.EndObject()
    buffer_index = len(buffers)

    name_offset = builder.CreateString(name)
    builder.StartObject(2)
    builder.PrependUOffsetTRelativeSlot(0, name_offset, 0)
    builder.PrependUint32Slot(1, buffer_index, 0)
    new_meta = builder.EndObject()

    builder.StartVector(4, len(buffers) + 1, 4)
    builder.PrependUOffsetTRelative(new_buffer)
    for position in reversed(buffers):
        builder.PrependUOffsetTRelative(old(position))
    buffers_vector = builder.EndVector()

    kept = [pos for pos, meta in old_metadata if (meta.Name() or b"").decode() != name]
    builder.StartVector(4, len(kept) + 1, 4)
    builder.PrependUOffsetTRelative(new_meta)
    for position in reversed(kept):
        builder.PrependUOffsetTRelative(old(position))
    metadata_vector = builder.EndVector()

    builder.StartObject(_MODEL_FIELDS)
    builder.PrependUint32Slot(_M_VERSION, version, 0)
    for slot in (_M_OPCODES, _M_SUBGRAPHS, _M_DESCRIPTION, _M_METADATA_BUFFER,
                 _M_SIGNATURE_DEFS):
        target = field_target(slot)
        if target is not None:
            builder.PrependUOffsetTRelativeSlot(slot, old(target), 0)
    builder.PrependUOffsetTRelativeSlot(_M_BUFFERS, buffers_vector, 0)
    builder.PrependUOffsetTRelativeSlot(_M_METADATA, metadata_vector, 0)
    new_root = builder.EndObject()
    builder.Finish(new_root, file_identifier=TFLITE_FILE_IDENTIFIER)
    return bytes(builder.Output())


def _vtable_fields(tab: Any) -> int:
    """How many field slots the table's vtable declares."""
    vtable = tab.Pos - struct.unpack_from("<i", tab.Bytes, tab.Pos)[0]
    (vtable_size,) = struct.unpack_from("<H", tab.Bytes, vtable)
    return (vtable_size - 4) // 2


def write_model_metadata(model: bytes, metadata: ModelMetadata) -> bytes:
    """Return `model` carrying `metadata` as its ``fwgen`` metadata entry."""
    return add_metadata_entry(model, METADATA_NAME, metadata.to_json())
