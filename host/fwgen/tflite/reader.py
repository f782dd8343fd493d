"""Parse a .tflite flatbuffer with the `tflite` package into `fwgen.tflite.model` dataclasses.

The flatbuffer accessors trust offsets inside the file, so a corrupted file can make them raise
almost anything (struct.error, IndexError, ValueError, UnicodeDecodeError...). Every such failure
is turned into a `FwgenError` naming the file and what was being read; vector lengths are checked
against the file size first so a corrupted length cannot make the reader loop for long.
"""
from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import Any, Callable, TypeVar

import flatbuffers
import numpy as np
import tflite

from fwgen.errors import FwgenError
from fwgen.tflite.model import Model, Operator, Quantization, Tensor

LOG = logging.getLogger(__name__)

T = TypeVar("T")

_DTYPES: dict[int, str] = {
    tflite.TensorType.FLOAT32: "float32",
    tflite.TensorType.FLOAT16: "float16",
    tflite.TensorType.INT32: "int32",
    tflite.TensorType.UINT8: "uint8",
    tflite.TensorType.INT64: "int64",
    tflite.TensorType.BOOL: "bool",
    tflite.TensorType.INT16: "int16",
    tflite.TensorType.INT8: "int8",
    tflite.TensorType.FLOAT64: "float64",
}
_TYPE_NAMES = {v: k for k, v in vars(tflite.TensorType).items() if not k.startswith("_")}
_OP_NAMES = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
_OPTION_CLASSES = {v: k for k, v in vars(tflite.BuiltinOptions).items() if not k.startswith("_")}

# Options whose values are enums: converted to names so error messages and code read well.
_ENUMS = {
    "Padding": {v: k for k, v in vars(tflite.Padding).items() if not k.startswith("_")},
    "FusedActivationFunction": {v: k for k, v in vars(tflite.ActivationFunctionType).items()
                                if not k.startswith("_")},
}

MAX_MODEL_BYTES = 2**31 - 1
_BUILTIN_CODE_SLOT = 10   # vtable offset of OperatorCode.builtin_code (field 3: 4 + 2 * 3)
_OFFSET = re.compile(r"at offset (\d+)")


def read_model(source: Path | str | bytes | bytearray, *, where: str | None = None) -> Model:
    """Read a .tflite model from a path or from bytes. Raises FwgenError on any malformed input."""
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        where = where or "<model bytes>"
    else:
        path = Path(source)
        where = where or str(path)
        if path.is_dir():
            raise FwgenError("is a directory, not a .tflite model file", where=where,
                             hint="pass the path of the .tflite file inside it")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise FwgenError(f"cannot read model: {exc.strerror or exc}", where=where) from None
    return _Reader(data, where).model()


def builtin_code(oc: Any) -> int:
    """An OperatorCode's operator as TFLite's schema_utils GetBuiltinCode (and TFLM) read it: the
    larger of `builtin_code` (schema v3a, int32) and `deprecated_builtin_code` (v3, int8).

    The `tflite` package's `BuiltinCode()` returns `deprecated_builtin_code` whenever
    `builtin_code` is below 127, so a file whose two fields disagree would be read as another
    operator than TFLM runs; the int32 field is read from the table itself here."""
    tab = oc._tab   # the generated accessor hides the raw field
    slot = tab.Offset(_BUILTIN_CODE_SLOT)
    builtin = tab.Get(flatbuffers.number_types.Int32Flags, slot + tab.Pos) if slot else 0
    return max(int(builtin), int(oc.DeprecatedBuiltinCode()))


CORRUPTED_HINT = ("re-export the model with tf.lite.TFLiteConverter; the file may be truncated or "
                  "corrupted")


def describe_corruption(what: str, exc: Exception, size: int) -> str:
    """What a failed flatbuffer read means, with the byte offset it wanted when the exception
    reveals it (flatbuffers' struct errors say "at offset N"), never the raw exception text."""
    found = _OFFSET.search(str(exc))
    if found is None:
        return f"{what} is corrupted ({type(exc).__name__})"
    offset = int(found.group(1))
    if offset >= size - 3:
        return (f"{what} points to byte offset {offset}, beyond the end of the "
                f"{size}-byte file (truncated?)")
    return f"{what} is corrupted (bad read at byte offset {offset} of {size})"


class _Reader:
    def __init__(self, data: bytes, where: str):
        self.data = data
        self.where = where

    def fail(self, what: str) -> FwgenError:
        return FwgenError(f"not a valid .tflite model: {what}", where=self.where, hint=CORRUPTED_HINT)

    def guard(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except FwgenError:
            raise
        except Exception as exc:  # flatbuffers raise many types on corrupted offsets
            raise self.fail(self.corruption(what, exc)) from None

    def corruption(self, what: str, exc: Exception) -> str:
        return describe_corruption(what, exc, len(self.data))

    def length(self, what: str, fn: Callable[[], int], item_bytes: int = 4) -> int:
        n = self.guard(what, fn)
        if not isinstance(n, int) or n < 0 or n * item_bytes > len(self.data):
            raise self.fail(f"{what} has an impossible length {n}")
        return n

    def model(self) -> Model:
        data = self.data
        if len(data) < 8:
            raise self.fail(f"only {len(data)} bytes")
        if len(data) > MAX_MODEL_BYTES:
            raise self.fail("larger than 2 GiB")
        if data[4:8] != b"TFL3":
            raise self.fail("missing the TFL3 file identifier")
        m = self.guard("model header", lambda: tflite.Model.GetRootAs(data, 0))
        version = self.guard("model version", m.Version)
        n_sub = self.length("subgraph list", m.SubgraphsLength)
        if n_sub < 1:
            raise self.fail("no subgraph")
        n_buf = self.length("buffer list", m.BuffersLength)
        n_codes = self.length("operator code list", m.OperatorCodesLength)
        codes = [self.opcode_name(m, i) for i in range(n_codes)]
        g = self.guard("subgraph 0", lambda: m.Subgraphs(0))
        n_t = self.length("tensor list", g.TensorsLength)
        tensors = [self.tensor(m, g, i, n_buf) for i in range(n_t)]
        n_op = self.length("operator list", g.OperatorsLength)
        ops = [self.operator(g, i, codes, n_t) for i in range(n_op)]
        inputs = self.indices("subgraph inputs", g.InputsAsNumpy, g.InputsLength, n_t)
        outputs = self.indices("subgraph outputs", g.OutputsAsNumpy, g.OutputsLength, n_t)
        desc = self.guard("description", m.Description)
        description = desc.decode("utf-8", "replace") if isinstance(desc, bytes) else ""
        return Model(tensors=tensors, operators=ops, inputs=inputs, outputs=outputs,
                     sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data),
                     version=int(version), description=description, num_subgraphs=n_sub)

    def opcode_name(self, m: Any, i: int) -> str:
        oc = self.guard(f"operator code {i}", lambda: m.OperatorCodes(i))
        code = self.guard(f"operator code {i}", lambda: builtin_code(oc))
        if code == tflite.BuiltinOperator.CUSTOM:
            name = self.guard(f"operator code {i}", oc.CustomCode)
            return "CUSTOM:" + (name.decode("utf-8", "replace") if name else "?")
        return _OP_NAMES.get(code, f"BUILTIN_{code}")

    def indices(self, what: str, as_numpy: Callable[[], Any], length: Callable[[], int],
                limit: int, optional_ok: bool = False) -> tuple[int, ...]:
        n = self.length(what, length)
        if n == 0:
            return ()
        arr = self.guard(what, as_numpy)
        values = tuple(int(v) for v in np.asarray(arr).reshape(-1)[:n])
        for v in values:
            if v >= limit or v < (-1 if optional_ok else 0):
                raise self.fail(f"{what} refers to tensor {v}, but there are {limit}")
        return values

    def tensor(self, m: Any, g: Any, i: int, n_buf: int) -> Tensor:
        what = f"tensor {i}"
        t = self.guard(what, lambda: g.Tensors(i))
        raw_name = self.guard(what, t.Name)
        name = raw_name.decode("utf-8", "replace") if isinstance(raw_name, bytes) else f"t{i}"
        ttype = self.guard(what, t.Type)
        dtype = _DTYPES.get(ttype)
        if dtype is None:
            dtype = _TYPE_NAMES.get(ttype, f"type{ttype}").lower()
        n_dims = self.length(f"{what} shape", t.ShapeLength)
        shape = tuple(int(v) for v in self.guard(f"{what} shape", t.ShapeAsNumpy)) if n_dims else ()
        if any(d < 0 for d in shape):
            raise self.fail(f"{what} ({name}) has a negative dimension {shape}")
        n_sig = self.length(f"{what} shape signature", t.ShapeSignatureLength)
        sig = tuple(int(v) for v in self.guard(what, t.ShapeSignatureAsNumpy)) if n_sig else None
        quant = self.quantization(t, what)
        buf_index = self.guard(what, t.Buffer)
        data = None
        if buf_index < 0 or buf_index >= max(n_buf, 1):
            raise self.fail(f"{what} ({name}) refers to buffer {buf_index}, but there are {n_buf}")
        if buf_index > 0:
            raw = self.buffer_bytes(m, buf_index, what)
            if raw is not None and len(raw) > 0:
                data = self.decode(raw, dtype, shape, f"{what} ({name})")
        return Tensor(index=i, name=name, shape=shape, dtype=dtype, quant=quant, data=data,
                      shape_signature=sig)

    def buffer_bytes(self, m: Any, index: int, what: str) -> bytes | None:
        b = self.guard(f"buffer {index}", lambda: m.Buffers(index))
        offset = self.guard(f"buffer {index}", b.Offset) if hasattr(b, "Offset") else 0
        if offset > 1:
            size = self.guard(f"buffer {index}", b.Size)
            if offset + size > len(self.data):
                raise self.fail(f"buffer {index} of {what} lies outside the file")
            return self.data[offset:offset + size]
        n = self.length(f"buffer {index}", b.DataLength, item_bytes=1)
        if n == 0:
            return None
        return bytes(self.guard(f"buffer {index}", b.DataAsNumpy))[:n]

    def decode(self, raw: bytes, dtype: str, shape: tuple[int, ...], what: str) -> np.ndarray:
        try:
            np_dtype = np.dtype(dtype)
        except TypeError:
            raise self.fail(f"{what} has unsupported constant type {dtype}") from None
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if len(raw) != count * np_dtype.itemsize:
            raise self.fail(f"{what} holds {len(raw)} bytes of data, its shape {list(shape)} "
                            f"needs {count * np_dtype.itemsize}")
        return np.frombuffer(raw, dtype=np_dtype.newbyteorder("<")).astype(np_dtype).reshape(shape)

    def quantization(self, t: Any, what: str) -> Quantization | None:
        q = self.guard(what, t.Quantization)
        if q is None:
            return None
        n_s = self.length(f"{what} scales", q.ScaleLength)
        n_z = self.length(f"{what} zero points", q.ZeroPointLength, item_bytes=8)
        if n_s == 0:
            return None
        scale = np.asarray(self.guard(f"{what} scales", q.ScaleAsNumpy), dtype=np.float32).reshape(-1)
        zp = (np.asarray(self.guard(f"{what} zero points", q.ZeroPointAsNumpy), dtype=np.int64).reshape(-1)
              if n_z else np.zeros(n_s, np.int64))
        if zp.size == 1 and scale.size > 1:
            zp = np.repeat(zp, scale.size)
        if zp.size != scale.size:
            raise self.fail(f"{what} has {scale.size} scales but {zp.size} zero points")
        axis = int(self.guard(what, q.QuantizedDimension))
        return Quantization(scale=scale, zero_point=zp, axis=axis)

    def operator(self, g: Any, i: int, codes: list[str], n_t: int) -> Operator:
        what = f"operator {i}"
        op = self.guard(what, lambda: g.Operators(i))
        idx = self.guard(what, op.OpcodeIndex)
        if idx < 0 or idx >= len(codes):
            raise self.fail(f"{what} uses operator code {idx}, but there are {len(codes)}")
        inputs = self.indices(f"{what} inputs", op.InputsAsNumpy, op.InputsLength, n_t, optional_ok=True)
        outputs = self.indices(f"{what} outputs", op.OutputsAsNumpy, op.OutputsLength, n_t)
        kind = self.guard(f"{what} options", op.BuiltinOptionsType)
        options = self.guard(f"{what} options", lambda: self.options(op, kind))
        options_type = "" if kind == 0 else _OPTION_CLASSES.get(kind, f"BuiltinOptions {kind}")
        return Operator(index=i, opcode=codes[idx], inputs=inputs, outputs=outputs, options=options,
                        options_type=options_type)

    def options(self, op: Any, kind: int) -> dict[str, Any]:
        if kind == 0:
            return {}
        cls_name = _OPTION_CLASSES.get(kind)
        cls = getattr(tflite, cls_name, None) if cls_name else None
        table = op.BuiltinOptions()
        if cls is None or table is None:
            return {}
        obj = cls()
        obj.Init(table.Bytes, table.Pos)
        out: dict[str, Any] = {}
        names = [n for n in dir(cls) if n[0].isupper() and not n.startswith("GetRootAs")
                 and n not in ("Init",) and not n.endswith(("Length", "IsNone", "BufferHasIdentifier"))]
        for name in names:
            if name.endswith("AsNumpy"):
                base = name[:-len("AsNumpy")]
                length = getattr(obj, base + "Length")()
                if length * 4 > len(self.data):
                    raise self.fail(f"option {base} has an impossible length")
                value = getattr(obj, name)()
                out[base] = [int(v) for v in np.asarray(value).reshape(-1)] if length else []
            elif name + "AsNumpy" in names:
                continue
            else:
                try:
                    value = getattr(obj, name)()
                except TypeError:
                    continue
                if isinstance(value, (int, float, bool)):
                    out[name] = _ENUMS.get(name, {}).get(value, value) if name in _ENUMS else value
        return out
