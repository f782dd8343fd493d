"""Which float model an int8 .tflite was quantized from: recorded at quantization, found later.

`fwgen quantize` and `fwgen train` put ``provenance.float_model = {"path": ..., "sha256": ...}``
in the int8 model's metadata: the float model's path relative to the .tflite's folder (so the
pair can move together) and the sha256 of its bytes (of every file, for a SavedModel folder).
`fwgen evaluate` finds the float column's model there, so a re-quantized ``q.tflite`` is
compared with the ``m.keras`` it came from, and says why there is no float column when the file
is gone or changed. Without a record (TFLM's, MLTK's or older fwgen models) the sibling
``<stem>.keras`` is used, as before.
"""
from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any, Mapping

LOG = logging.getLogger(__name__)


def model_digest(path: Path) -> str:
    """sha256 of a model file, or of a SavedModel folder (each file's relative path and bytes,
    in sorted order)."""
    path = Path(path)
    digest = hashlib.sha256()
    if path.is_dir():
        for item in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(item.relative_to(path).as_posix().encode() + b"\0")
            digest.update(item.read_bytes())
        return digest.hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def float_model_record(float_model: Path, tflite: Path) -> dict[str, str]:
    """The provenance entry for an int8 model written to `tflite` from `float_model`."""
    float_model, tflite = Path(float_model).resolve(), Path(tflite).resolve()
    relative = Path(os.path.relpath(float_model, tflite.parent)).as_posix()
    return {"path": relative, "sha256": model_digest(float_model)}


def find_float_model(tflite: Path, provenance: Mapping[str, Any]) -> tuple[Path | None, str | None]:
    """(the float model of `tflite`, None) or (None, why there is none), from the metadata's
    provenance record, else the sibling .keras."""
    tflite = Path(tflite)
    record = provenance.get("float_model")
    if isinstance(record, Mapping) and "path" in record:
        path = (tflite.parent / str(record["path"])).resolve()
        what = f"the float model the int8 one was quantized from, {path},"
        if not path.exists():
            return None, f"{what} no longer exists"
        if record.get("sha256") and model_digest(path) != record["sha256"]:
            return None, f"{what} changed since (sha256 differs)"
        return path, None
    if isinstance(record, str) and (tflite.parent / record).exists():
        return tflite.parent / record, None   # fwgen before the record: the file name only
    sibling = tflite.with_suffix(".keras")
    if sibling.is_file():
        return sibling, None
    return None, f"no float model recorded in the metadata and no {sibling} beside it"
