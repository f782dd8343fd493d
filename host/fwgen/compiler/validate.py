"""Proof before flashing: run the generated C and the TFLM interpreter on the same inputs.

`validate_model()` compiles a .tflite model, builds the generated C for the host, runs it and
TFLM's interpreter on every input, and reports the elements that differ (must be 0), both
arenas, the const data and, when the caller passes a way to measure it (`measure_code`, e.g.
`fwgen.project.model_size.code_bytes`: a board's firmware flags are the project layer's), the
code size.
"""
from __future__ import annotations

import logging
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from fwgen.compiler.compile import CompiledModel, TensorSpec, compile_model, locate
from fwgen.compiler.host import HostModel
from fwgen.compiler.oracle import run_isolated
from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)


@dataclass
class ValidationReport:
    model: str
    runs: int
    differing_elements: int
    total_elements: int
    max_abs_difference: float
    arena_bytes: int
    tflm_arena_bytes: int | None
    weights_bytes: int
    code_bytes: int | None
    macs: int
    first_mismatch: dict | None = None
    per_output: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.differing_elements == 0

    def as_dict(self) -> dict:
        d = asdict(self)
        d["ok"] = self.ok
        return d


def random_inputs(specs: Sequence[TensorSpec], count: int, seed: int = 0) -> list[list[np.ndarray]]:
    """`count` input sets: int8 uniform over the whole range; float32 uniform over the values the
    input's QUANTIZE can represent (a little beyond, to exercise saturation)."""
    rng = np.random.default_rng(seed)
    runs = []
    for _ in range(count):
        run = []
        for s in specs:
            if s.dtype == "int8":
                run.append(rng.integers(-128, 128, s.shape).astype(np.int8))
            else:
                lo, hi = s.real_range if s.real_range is not None else (-1.0, 1.0)
                pad = 0.05 * (hi - lo)
                run.append(rng.uniform(lo - pad, hi + pad, s.shape).astype(np.float32))
        runs.append(run)
    return runs


def load_inputs(path: Path, specs: Sequence[TensorSpec]) -> list[list[np.ndarray]]:
    """Input sets from .npy (single-input models; one example or a leading batch of examples)
    or .npz (one array per input, in input order or by input name)."""
    where = str(path)
    if path.is_dir():
        raise FwgenError("is a directory, not a .npy/.npz file", where=where,
                         hint="pass the .npy or .npz file holding the input examples")
    try:
        with open(path, "rb") as f:
            magic = f.read(6)
        if magic != b"\x93NUMPY" and magic[:4] != b"PK\x03\x04":
            raise FwgenError("not a NumPy .npy/.npz file (its first bytes are neither the .npy "
                             "magic nor a zip header)", where=where,
                             hint="save the examples with numpy.save('x.npy', array) or "
                                  "numpy.savez('x.npz', **{input_name: array})")
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            arrays = [loaded]
        else:
            names = list(loaded.keys())
            by_name = [s.name for s in specs]
            keys = by_name if set(by_name) <= set(names) else names
            arrays = [loaded[n] for n in keys]
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        detail = "it holds Python objects" if "pickle" in str(exc) or "Object arrays" in str(exc) else exc
        raise FwgenError(f"not a readable NumPy .npy/.npz file ({detail})", where=where,
                         hint="save numeric arrays with numpy.save('x.npy', array) or "
                              "numpy.savez('x.npz', **{input_name: array})") from None
    if len(arrays) != len(specs):
        raise FwgenError(f"{len(arrays)} input arrays for a model with {len(specs)} inputs", where=where,
                         hint="one array per model input: " + ", ".join(f"'{s.name}' {list(s.shape)} "
                                                                        f"{s.dtype}" for s in specs))
    sets: list[list[np.ndarray]] | None = None
    for k, (a, s) in enumerate(zip(arrays, specs)):
        n = int(np.prod(s.shape))
        what = f"input {k} ('{s.name}', {list(s.shape)} {s.dtype})"
        if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
            raise FwgenError(f"{what} got an array of type {a.dtype}", where=where,
                             hint="save integer (int8 inputs) or float (float32 inputs) arrays")
        if a.size == 0 or a.size % n != 0:
            raise FwgenError(f"{what} got {a.size} values of shape {list(a.shape)}, not a multiple "
                             f"of {n}", where=where,
                             hint=f"save one example of shape {list(s.shape)} or a batch "
                                  f"[N, {', '.join(str(d) for d in s.shape)}]")
        if s.dtype == "int8" and a.dtype != np.int8:
            if not np.issubdtype(a.dtype, np.integer) or a.min(initial=0) < -128 or a.max(initial=0) > 127:
                raise FwgenError(f"{what} must hold int8 values, got {a.dtype} with values in "
                                 f"[{a.min()}, {a.max()}]", where=where,
                                 hint=f"quantize real values x as clip(round(x / {s.scale:g}) "
                                      f"{'-' if s.zero_point < 0 else '+'} {abs(s.zero_point)}, "
                                      "-128, 127) and save them as int8")
        if np.issubdtype(a.dtype, np.floating) and not np.all(np.isfinite(a)):
            raise FwgenError(f"{what} holds NaN or infinite values", where=where,
                             hint="replace them with finite numbers")
        examples = a.reshape(-1, n)
        if sets is None:
            sets = [[] for _ in range(len(examples))]
        if len(examples) != len(sets):
            raise FwgenError(f"inputs hold different numbers of examples ({len(sets)} and "
                             f"{len(examples)} for {what})", where=where)
        for i, e in enumerate(examples):
            sets[i].append(e.astype(s.dtype).reshape(s.shape))
    return sets or []


def validate_model(model: Path, *, inputs: Path | None = None, random: int = 0, seed: int = 0,
                   compiled: CompiledModel | None = None,
                   measure_code: Callable[[CompiledModel], int | None] | None = None,
                   where: str | None = None) -> ValidationReport:
    """fwgen's generated C and TFLM on the same inputs. TFLM runs in a child process, so a model
    that crashes it is reported (FwgenError naming the signal) instead of ending this one."""
    if isinstance(model, (bytes, bytearray)):
        data = bytes(model)
        where = where or "<model bytes>"
        compiled = compiled or compile_model(data, where=where)
    else:
        where = where or str(model)
        compiled = compiled or compile_model(Path(model), where=where)
        data = Path(model).read_bytes()
    sets: list[list[np.ndarray]] = []
    if inputs is not None:
        sets += load_inputs(Path(inputs), compiled.inputs)
    if random or not sets:
        sets += random_inputs(compiled.inputs, random or 10, seed)
    try:
        ours = HostModel(compiled)
    except FwgenError as exc:   # generated C that does not build: say for which model
        raise locate(exc, where)
    tflm = run_isolated(data, sets, where=where)
    diff = total = 0
    max_abs = 0.0
    first = None
    per_output = [{"name": s.name, "differing": 0, "elements": 0} for s in compiled.outputs]
    for r, run in enumerate(sets):
        got = ours.run(run)
        want = tflm.outputs[r]
        for k, (a, b) in enumerate(zip(got, want)):
            b = np.asarray(b).reshape(a.shape)
            mism = a != b
            n = int(mism.sum())
            diff += n
            total += a.size
            per_output[k]["differing"] += n
            per_output[k]["elements"] += a.size
            if n:
                d = np.abs(a.astype(np.float64) - b.astype(np.float64))
                max_abs = max(max_abs, float(d.max()))
                if first is None:
                    idx = tuple(int(i) for i in np.argwhere(mism)[0])
                    first = {"run": r, "output": k, "index": list(idx),
                             "fwgen": a[idx].item(), "tflm": b[idx].item()}
    code = measure_code(compiled) if measure_code else None
    return ValidationReport(model=str(model) if not isinstance(model, (bytes, bytearray)) else "<bytes>",
                            runs=len(sets), differing_elements=diff, total_elements=total,
                            max_abs_difference=max_abs, arena_bytes=compiled.arena_bytes,
                            tflm_arena_bytes=tflm.arena_used_bytes, weights_bytes=compiled.weights_bytes,
                            code_bytes=code, macs=compiled.macs, first_mismatch=first, per_output=per_output)
