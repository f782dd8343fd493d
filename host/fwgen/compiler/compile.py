"""The compiler driver: .tflite -> validated graph -> kernel calls -> memory plan -> model.h/.c."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fwgen import render
from fwgen.compiler import planner
from fwgen.compiler.checks import check_operators
from fwgen.compiler.lowering import C_TYPES, ConstArray, LowerContext, Step
from fwgen.compiler.ops import load_all, supported_ops
from fwgen.errors import FwgenError
from fwgen.tflite.model import Model, Tensor
from fwgen.tflite.reader import read_model

LOG = logging.getLogger(__name__)

FWGEN_ABI = 1
ARENA_ALIGN = 8          # the caller's arena alignment (documented in model.h)
BUFFER_ALIGN = 4         # every planned buffer starts on this boundary
MAX_TENSOR_BYTES = 64 << 20   # no microcontroller arena comes close; guards corrupted shapes
IDLE_KEY = "idle"             # the plan's buffer for compile_model(idle_scratch=...)
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")
PATHS_HEADER = "fwgen_nn_paths.h"   # a fixed name: the kernel variants include it


@dataclass(frozen=True)
class TensorSpec:
    """A model input or output as the caller sees it."""

    name: str
    shape: tuple[int, ...]
    dtype: str            # "int8" or "float32"
    scale: float
    zero_point: int
    offset: int           # byte offset inside the arena
    nbytes: int
    # real values the int8 graph represents at this edge, (lo, hi): for an int8 tensor its own
    # range, for a float32 input/output that of the QUANTIZE/DEQUANTIZE beside it
    real_range: tuple[float, float] | None = None


@dataclass
class CompiledModel:
    """The result of `compile_model`: generated files plus the figures that describe them."""

    name: str
    files: dict[str, str]
    arena_bytes: int
    weights_bytes: int
    macs: int
    inputs: list[TensorSpec]
    outputs: list[TensorSpec]
    kernels: list[str]
    sha256: str
    plan: dict[str, tuple[int, int]] = field(default_factory=dict)   # buffer -> (offset, size)
    inputs_kept: bool = False    # the inputs' bytes outlive the invoke (compile_model keep_inputs)
    idle_offset: int = 0         # arena bytes free between invokes (compile_model idle_scratch)
    idle_bytes: int = 0

    @property
    def input(self) -> TensorSpec:
        return self.inputs[0]

    @property
    def output(self) -> TensorSpec:
        return self.outputs[0]

    def kernel_sources(self, root: Path) -> list[Path]:
        """firmware/nn sources this model links (kernels it calls plus shared primitives)."""
        nn = root / "firmware" / "nn"
        names = {"nn_quant.c", "nn_fixedpoint.c"} | {f"{k[len('fwgen_'):]}.c" for k in self.kernels}
        return sorted(nn / n for n in names if (nn / n).exists())


def compile_model(model: Path | str | bytes | Model, *, name: str = "model",
                  where: str | None = None, keep_inputs: bool = False,
                  idle_scratch: int = 0) -> CompiledModel:
    """Compile an int8 .tflite model to C. Raises FwgenError for anything unsupported.

    `name` prefixes every generated symbol (`fwgen_<name>_invoke`, `FWGEN_<NAME>_ARENA_BYTES`)
    and names the files (`<name>.h`, `<name>.c`). `where` names the model in every error, before
    the op or tensor at fault (default: its path; pass the file's name when giving its bytes).
    `keep_inputs` plans no other buffer over the inputs, so they hold what the caller wrote
    after an invoke too (the app keeps its feature window there: it shifts one frame in).
    `idle_scratch` reserves that many 8-byte aligned bytes which no input overlaps but every
    activation may: free for the caller between invokes (the app's frontend scratch).
    """
    if not _IDENT.match(name):
        raise FwgenError(f"model name '{name}' is not a lower-case C identifier",
                         hint="use letters, digits and underscores, e.g. 'kws'")
    if where is None and isinstance(model, (str, Path)):
        where = str(model)
    try:
        m = model if isinstance(model, Model) else read_model(model, where=where)
        return _compile(m, name, keep_inputs, idle_scratch)
    except FwgenError as exc:
        if where is not None:
            locate(exc, where)
        raise


def locate(exc: FwgenError, where: str) -> FwgenError:
    """Put the model's file in front of what an error names (an op, a tensor), once."""
    if exc.where is None:
        exc.where = where
    elif not exc.where.startswith(where):
        exc.where = f"{where}: {exc.where}"
    return exc


def _compile(m: Model, name: str, keep_inputs: bool = False, idle_scratch: int = 0) -> CompiledModel:
    validate_graph(m)
    steps = lower_all(m)
    buffers, rules, tensor_buffer, scratch_keys = _buffers(m, steps, keep_inputs)
    if idle_scratch:
        # alive before the graph runs (-1, with the inputs) and never during it; 4 bytes of
        # slack let it start on an 8-byte boundary inside a 4-byte aligned place
        buffers.append(planner.Buffer(IDLE_KEY, idle_scratch + 4, -1, -1))
    arena = planner.plan(buffers, rules, align=BUFFER_ALIGN)
    planner.check(buffers, rules)
    offsets = {b.key: b.offset for b in buffers}
    idle_offset = (offsets[IDLE_KEY] + 7) // 8 * 8 if idle_scratch else 0
    _choose_directions(m, steps, buffers, rules, tensor_buffer)
    view = _view(m, steps, name, arena, offsets, tensor_buffer, scratch_keys)
    view["inputs_kept"] = int(keep_inputs)
    view["idle_offset"], view["idle_bytes"] = idle_offset, idle_scratch
    files = {f"{name}.h": render.render("model.h.j2", **view),
             f"{name}.c": render.render("model.c.j2", **view)}
    defines = sorted({d for s in steps for d in s.defines})
    if defines:   # the kernel variants' code paths the layers take (fwgen_nn_paths.h.j2)
        files[PATHS_HEADER] = render.render("fwgen_nn_paths.h.j2", defines=defines,
                                            banner=render.banner(
                                                f"{PATHS_HEADER}, the kernel code paths of {name}.c",
                                                {"model sha256": m.sha256}))
    arrays = [a for s in steps for a in s.arrays]
    return CompiledModel(
        name=name, files=files, arena_bytes=arena,
        weights_bytes=sum(a.nbytes for a in arrays),
        macs=sum(s.macs for s in steps),
        inputs=[_spec(m.tensors[i], offsets[tensor_buffer[i]], m) for i in m.inputs],
        outputs=[_spec(m.tensors[i], offsets[tensor_buffer[i]], m) for i in m.outputs],
        kernels=sorted({s.kernel for s in steps}), sha256=m.sha256,
        plan={b.key: (b.offset, b.size) for b in buffers}, inputs_kept=keep_inputs,
        idle_offset=idle_offset, idle_bytes=idle_scratch)


# ---------------------------------------------------------------- validation

def validate_graph(m: Model) -> None:
    """Graph-level checks; op-level checks happen in each lowering."""
    if m.num_subgraphs != 1:
        raise FwgenError(f"the model has {m.num_subgraphs} subgraphs",
                         hint="fwgen compiles single-subgraph models (no control flow ops)")
    if not m.inputs or not m.outputs:
        raise FwgenError("the model declares no inputs or no outputs", hint="re-export the model")
    registry = load_all()
    for op in m.operators:
        if op.opcode not in registry:
            raise FwgenError(f"operator {op.opcode} is not supported", where=op.describe(),
                             hint="supported operators: " + ", ".join(supported_ops()))
    check_operators(m, {name: lowering.signature for name, lowering in registry.items()})
    activations = [t for t in m.tensors if not t.is_constant]
    for t in activations:
        if t.dtype not in C_TYPES:
            raise FwgenError(f"tensor '{t.name}' has type {t.dtype}",
                             hint="fwgen compiles int8 graphs (float32 only at the graph edges)")
        if t.nbytes > MAX_TENSOR_BYTES or len(t.shape) > 6:
            raise FwgenError(f"tensor '{t.name}' of shape {list(t.shape)} is too large for a "
                             "microcontroller", hint=f"activations up to {MAX_TENSOR_BYTES} bytes, rank <= 6")
    for t in m.tensors:
        _check_quantization(t)
    if not any(t.dtype == "int8" for t in activations):
        first = next((op for op in m.operators if any(
            i >= 0 and m.tensors[i].dtype == "float32" for i in op.inputs + op.outputs)), None)
        raise FwgenError("the model has no int8 activations: it computes in float32",
                         where=first.describe() if first is not None else None,
                         hint="quantize it to int8 (TFLiteConverter with a representative dataset, "
                              "or `fwgen quantize`)")
    for i in m.inputs + m.outputs:
        t = m.tensors[i]
        if t.is_constant:
            raise FwgenError(f"graph input/output '{t.name}' is a constant", hint="re-export the model")
        if t.dtype not in ("int8", "float32"):
            raise FwgenError(f"graph input/output '{t.name}' has type {t.dtype}",
                             hint="int8 inputs/outputs, or float32 wrapped by QUANTIZE/DEQUANTIZE")
        sig = t.shape_signature
        if sig is not None and any(d < 0 for d in sig[1:]):
            raise FwgenError(f"graph input/output '{t.name}' has a dynamic shape {list(sig)}",
                             hint="fix every dimension except the batch when exporting")
    produced = set(m.inputs)
    for op in m.operators:
        for i in op.inputs:
            if i >= 0 and not m.tensors[i].is_constant and i not in produced:
                raise FwgenError(f"input tensor '{m.tensors[i].name}' is used before it is produced",
                                 where=op.describe(), hint="operators must be in execution order")
        for i in op.outputs:
            if m.tensors[i].is_constant:
                raise FwgenError(f"output tensor '{m.tensors[i].name}' is a constant", where=op.describe(),
                                 hint="re-export the model; an operator must write a tensor without data")
            produced.add(i)
    for i in m.outputs:
        if i not in produced:
            raise FwgenError(f"graph output '{m.tensors[i].name}' is never produced",
                             hint="re-export the model; every graph output must be some operator's output")
    for op in m.operators:
        for i in list(op.inputs) + list(op.outputs):
            t = m.tensors[i] if i >= 0 else None
            if t is not None and not t.is_constant and t.dtype == "float32":
                if not ((op.opcode == "QUANTIZE" and i in m.inputs and i in op.inputs) or
                        (op.opcode == "DEQUANTIZE" and i in m.outputs and i in op.outputs)):
                    raise FwgenError(f"float tensor '{t.name}' inside the graph", where=op.describe(),
                                     hint="fwgen runs int8 graphs; float is allowed only for a graph "
                                          "input feeding QUANTIZE or a graph output of DEQUANTIZE")


def _check_quantization(t: Tensor) -> None:
    """Scales finite and positive, int8 zero points in range: every multiplier is derived from
    these, so a corrupted value must stop here with the tensor's name, not deep in the math."""
    q = t.quant
    if q is None:
        return
    where = f"tensor {t.index} ('{t.name}')"
    hint = "re-export the model; the quantization parameters are corrupted"
    # a constant may carry scale 0 (an all-zero filter channel); an activation may not
    bad = ~np.isfinite(q.scale) | (q.scale < 0 if t.is_constant else q.scale <= 0)
    if bad.any():
        raise FwgenError(f"quantization scale {float(q.scale[np.argmax(bad)])!r} is not a "
                         f"{'finite, non-negative' if t.is_constant else 'positive finite'} number",
                         where=where, hint=hint)
    rank = len(t.shape)
    if not 0 <= q.axis < max(rank, 1):
        raise FwgenError(f"quantized_dimension {q.axis} is outside the tensor's {rank} dimensions",
                         where=where, hint=hint)
    if q.per_channel and (rank == 0 or q.scale.size != t.shape[q.axis]):
        size = t.shape[q.axis] if rank else 1
        raise FwgenError(f"{q.scale.size} scales along dimension {q.axis} of size {size}",
                         where=where, hint=hint)
    if t.dtype == "int8" and ((q.zero_point < -128) | (q.zero_point > 127)).any():
        zp = int(q.zero_point[np.argmax((q.zero_point < -128) | (q.zero_point > 127))])
        raise FwgenError(f"int8 zero point {zp} outside [-128, 127]", where=where, hint=hint)


def lower_all(m: Model) -> list[Step]:
    registry = load_all()
    steps = []
    for op in m.operators:
        ctx = LowerContext(m, op)
        try:
            steps.append(registry[op.opcode].lower(ctx))
        except FwgenError:
            raise
        except (ValueError, IndexError, KeyError, TypeError, AssertionError, ArithmeticError) as exc:
            raise FwgenError(f"cannot compile this operator ({type(exc).__name__}: {exc})",
                             where=op.describe(), hint="the model may be malformed") from None
    return steps


# ---------------------------------------------------------------- planning

def _buffers(m: Model, steps: list[Step], keep_inputs: bool = False):
    n_ops = len(m.operators)
    parent: dict[int, int] = {}

    def find(i: int) -> int:
        while parent.get(i, i) != i:
            i = parent[i]
        return i

    for s in steps:
        if s.alias:
            a, b = s.alias
            parent[find(b)] = find(a)
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    size: dict[int, int] = {}

    def touch(t: int, k: int) -> None:
        r = find(t)
        first[r] = min(first.get(r, k), k)
        last[r] = max(last.get(r, k), k)
        size[r] = max(size.get(r, 0), m.tensors[t].nbytes)

    for i in m.inputs:
        touch(i, -1)
        if keep_inputs:
            touch(i, n_ops)          # alive to the end: nothing is planned over it
    for i in m.outputs:
        touch(i, n_ops)
    for k, op in enumerate(m.operators):
        for i in list(op.inputs) + list(op.outputs):
            if i >= 0 and not m.tensors[i].is_constant:
                touch(i, k)
    key = {r: f"t{r}" for r in first}
    buffers = [planner.Buffer(key[r], size[r], first[r], last[r]) for r in sorted(first)]
    tensor_buffer = {t: key[find(t)] for t in range(len(m.tensors))
                     if not m.tensors[t].is_constant and find(t) in key}
    scratch_keys: dict[tuple[int, int], str] = {}
    rules: list[planner.OverlapRule] = []
    for k, s in enumerate(steps):
        for j, nbytes in enumerate(s.scratch):
            sk = f"op{k}_scratch{j}"
            scratch_keys[(k, j)] = sk
            buffers.append(planner.Buffer(sk, nbytes, k, k))
        for ov in s.overlaps:
            ri, ro = find(ov.input), find(ov.output)
            if ri != ro and ri in last and ro in first and last[ri] == k and first[ro] == k:
                rules.append(planner.OverlapRule(key[ri], key[ro], ov.distance, ov.up))
    return buffers, rules, tensor_buffer, scratch_keys


def _choose_directions(m: Model, steps: list[Step], buffers: list[planner.Buffer],
                       rules: list[planner.OverlapRule], tensor_buffer: dict[int, str]) -> None:
    """Substitute @reverse@ in each step: 1 where the plan put the output above its input."""
    by_key = {b.key: b for b in buffers}
    rule_map = {(r.input, r.output): r for r in rules}
    for s in steps:
        reverse = False
        for ov in s.overlaps:
            ki, ko = tensor_buffer[ov.input], tensor_buffer[ov.output]
            rule = rule_map.get((ki, ko))
            if rule is not None:
                a, b = by_key[ki], by_key[ko]
                reverse |= planner.reverse_needed(a.offset, b.offset, a.size, b.size, rule)
        flag = "1" if reverse else "0"
        s.decls = [d.replace("@reverse@", flag) for d in s.decls]
        s.call = s.call.replace("@reverse@", flag)


# ---------------------------------------------------------------- rendering

def _spec(t: Tensor, offset: int, m: Model | None = None) -> TensorSpec:
    q = t.quant
    edge = t
    if t.dtype == "float32" and m is not None:
        # the int8 tensor on the other side of the graph's QUANTIZE (input) or DEQUANTIZE (output)
        op = next((o for o in m.consumers(t.index) if o.opcode == "QUANTIZE"), None) or m.producer(t.index)
        if op is not None:
            other = op.outputs[0] if op.opcode == "QUANTIZE" else op.inputs[0]
            edge = m.tensors[other]
    eq = edge.quant
    real_range = None
    if eq is not None and edge.dtype == "int8":
        scale, zp = float(eq.scale[0]), int(eq.zero_point[0])
        real_range = ((-128 - zp) * scale, (127 - zp) * scale)
    return TensorSpec(name=t.name, shape=tuple(t.shape), dtype=t.dtype,
                      scale=float(q.scale[0]) if q is not None else 0.0,
                      zero_point=int(q.zero_point[0]) if q is not None else 0,
                      offset=offset, nbytes=t.nbytes, real_range=real_range)


def _c_float(value: float) -> str:
    return f"{np.float32(value)!r}".replace("np.float32(", "").rstrip(")") + "f"


def _array_view(a: ConstArray) -> dict:
    values = np.asarray(a.values).reshape(-1)
    per_row = 16 if a.ctype in ("int8_t", "uint8_t") else 8
    if a.ctype == "int32_t":
        rows = [", ".join("INT32_MIN" if int(v) == -(2**31) else str(int(v))
                          for v in values[i:i + per_row]) + "," for i in range(0, len(values), per_row)]
    else:
        rows = render.c_array_rows(values.tolist(), per_row=per_row)
    return {"name": a.name, "ctype": a.ctype, "count": max(len(values), 1), "rows": rows or ["0,"],
            "comment": a.comment or a.name, "nbytes": a.nbytes}


def _io_view(specs: list[TensorSpec], macro: str, kind: str) -> list[dict]:
    out = []
    for i, s in enumerate(specs):
        out.append({"index": i, "macro": f"{macro}_{kind}{i}", "name": s.name, "offset": s.offset,
                    "bytes": s.nbytes, "elements": int(np.prod(s.shape)) if s.shape else 1,
                    "dims": ", ".join(str(d) for d in s.shape), "rank": len(s.shape),
                    "ctype": C_TYPES[s.dtype], "scale": _c_float(s.scale), "zero_point": s.zero_point})
    return out


def _view(m: Model, steps: list[Step], name: str, arena: int, offsets: dict[str, int],
          tensor_buffer: dict[int, str], scratch_keys: dict[tuple[int, int], str]) -> dict:
    macro = f"FWGEN_{name.upper()}"

    def pointer(match: re.Match) -> str:
        kind, idx = match.group(1), int(match.group(2))
        if kind == "t":
            t = m.tensors[idx]
            return f"({C_TYPES[t.dtype]} *)(arena + {offsets[tensor_buffer[idx]]})"
        raise AssertionError(kind)

    view_steps = []
    for k, s in enumerate(steps):
        call = re.sub(r"@(t)(\d+)@", pointer, s.call)
        call = re.sub(r"@s(\d+)@", lambda mm: f"(int32_t *)(arena + {offsets[scratch_keys[(k, int(mm.group(1)))]]})",
                      call)
        outs = ", ".join(m.tensors[i].name for i in s.op.outputs)
        title = f"{k}: {s.op.opcode}" + (f" {s.comment}" if s.comment else "") + f" -> {outs}"
        view_steps.append({"title": title.replace("*/", "* /"), "call": call, "alias": s.alias is not None})
    arrays = [_array_view(a) for s in steps for a in s.arrays]
    inputs = [_spec(m.tensors[i], offsets[tensor_buffer[i]]) for i in m.inputs]
    outputs = [_spec(m.tensors[i], offsets[tensor_buffer[i]]) for i in m.outputs]
    return {
        "banner": render.banner(f"{name}.c/.h, ahead-of-time int8 inference",
                                {"model sha256": m.sha256, "model bytes": str(m.size_bytes)}),
        "name": name, "prefix": f"fwgen_{name}", "macro": macro, "abi": FWGEN_ABI,
        "guard": f"{macro}_H", "header": f"{name}.h",
        "arena_bytes": arena, "arena_align": ARENA_ALIGN,
        "weights_bytes": sum(a["nbytes"] for a in arrays),
        "macs": sum(s.macs for s in steps),
        "arrays": arrays, "decls": [d for s in steps for d in s.decls], "steps": view_steps,
        "inputs": _io_view(inputs, macro, "INPUT"), "outputs": _io_view(outputs, macro, "OUTPUT"),
        "num_ops": len(steps),
    }
