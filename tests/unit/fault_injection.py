"""Model fault injection: mutated .tflite files fed to `fwgen validate` and `fwgen build
--render-only`, each outcome classified. Not a test module: tests/unit/test_model_faults.py
runs a few hundred cases per CI run, benchmarks/model_faults.py runs thousands.

Mutations come in two kinds. Byte mutations (bit flips, overwrites, truncations, insertions,
deletions) mostly stop in the reader. Structural mutations go through the flatbuffer object
API (tflite_micro's generated schema), so the file stays well formed and reaches the graph
checks, every lowering and TFLM with odd options, op codes, types, shapes, quantization and
tensor references.

Cases run in worker processes that call the CLI's `main()` in-process (no interpreter start
per case); a worker that dies is a crash, recorded with its signal, and a case that does not
answer within its timeout is a hang. Either way the worker's process group is killed and a
fresh worker takes the next case.
"""
from __future__ import annotations

import contextlib
import copy
import io
import json
import logging
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"
# settings for a seed model that carries no metadata of its own (build needs classes, frontend)
FALLBACK_SETTINGS = REPO / "models" / "micro_speech" / "model.yaml"
BOARD = "mps2_an505"      # 4 MB of RAM: every seed model fits, so a fit error means a mutation

VERBS = ("validate", "build")


# ---------------------------------------------------------------- seed models

@dataclass(frozen=True)
class Seed:
    name: str
    path: Path
    data: bytes
    settings: Path | None     # --settings for build, when the model has no metadata


def seed_models(include_shared: bool = True, names: tuple[str, ...] | None = None
                ) -> tuple[list[Seed], list[str]]:
    """The zoo's models and ../shared/data's; returns (seeds, reasons for the ones skipped)."""
    from fwgen.tflite.metadata import read_model_metadata

    paths = sorted(REPO.glob("models/*/*.tflite"))
    skipped: list[str] = []
    if include_shared:
        if SHARED_DATA.is_dir():
            paths += sorted(SHARED_DATA.rglob("*.tflite"))
        else:
            skipped.append(f"../shared/data models skipped: {SHARED_DATA} is absent")
    seeds = []
    for p in paths:
        name = p.stem if p.is_relative_to(REPO) else f"shared/{p.stem}"
        if names is not None and name not in names:
            continue
        settings = None if read_model_metadata(p) is not None else FALLBACK_SETTINGS
        seeds.append(Seed(name, p, p.read_bytes(), settings))
    return seeds, skipped


# ---------------------------------------------------------------- mutations

@dataclass(frozen=True)
class Case:
    seed: Seed
    kind: str            # "bytes" or "structure"
    mutation: str        # what was changed, for the report
    data: bytes

    @property
    def label(self) -> str:
        return f"{self.seed.name}: {self.mutation}"


_INTS = [0, 1, -1, 2, 3, 7, 127, -128, 255, 2**15, 2**31 - 1, -(2**31)]
_FLOATS = [0.0, -1.0, 1e30, float("nan"), float("inf"), 1e-30, 1e-7]
_BYTES = [0x00, 0xFF, 0x7F, 0x80, 0x01]


def _table_positions(data: bytes) -> np.ndarray:
    """Byte positions outside the large weight buffers: the first and last KiB, where the
    flatbuffer's tables, vectors and offsets sit (a flip inside weights only changes a weight)."""
    n = len(data)
    return np.r_[0:min(n, 1024), max(0, n - 4096):n]


def byte_mutation(seed: Seed, rng: np.random.Generator) -> Case:
    data = bytearray(seed.data)
    n = len(data)
    tables = _table_positions(seed.data)
    pick = int(rng.integers(6))

    def pos() -> int:
        return int(tables[rng.integers(len(tables))] if rng.random() < 0.85 else rng.integers(n))

    if pick == 0:
        flips = [(pos(), int(rng.integers(8))) for _ in range(int(rng.integers(1, 5)))]
        for p, bit in flips:
            data[p] ^= 1 << bit
        what = "flip " + ", ".join(f"bit {b} of byte {p}" for p, b in flips)
    elif pick == 1:
        p, v = pos(), _BYTES[rng.integers(len(_BYTES))]
        width = int(rng.choice([1, 2, 4]))
        data[p:p + width] = bytes([v]) * min(width, n - p)
        what = f"bytes {p}..{p + width - 1} = 0x{v:02x}"
    elif pick == 2:
        p = pos()
        word = int(rng.choice(_INTS))
        data[p:p + 4] = (word & 0xFFFFFFFF).to_bytes(4, "little")[:max(0, n - p)]
        what = f"int32 {word} at byte {p}"
    elif pick == 3:
        cut = int(rng.integers(0, n))
        data = data[:cut]
        what = f"truncate to {cut} bytes"
    elif pick == 4:
        p, k = pos(), int(rng.integers(1, 9))
        data[p:p] = bytes(rng.integers(0, 256, k, dtype=np.uint8))
        what = f"insert {k} bytes at {p}"
    else:
        p, k = pos(), int(rng.integers(1, 9))
        del data[p:p + k]
        what = f"delete {k} bytes at {p}"
    return Case(seed, "bytes", what, bytes(data))


def _schema():
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated  # noqa: PLC0415

    return schema_py_generated


_UNPACKED: dict[str, object] = {}


def _unpacked(seed: Seed):
    if seed.name not in _UNPACKED:
        _UNPACKED[seed.name] = _schema().ModelT.InitFromPackedBuf(bytearray(seed.data), 0)
    return copy.deepcopy(_UNPACKED[seed.name])


def _names(enum) -> dict[int, str]:
    return {v: k for k, v in vars(enum).items() if not k.startswith("_")}


# Each structural mutation edits the unpacked model and returns what it did (None: not
# applicable to this model, draw another).
Mutator = Callable[[object, object, np.random.Generator], "str | None"]


def _op(m, rng):
    ops = m.subgraphs[0].operators or []
    if not ops:
        return None, None
    i = int(rng.integers(len(ops)))
    return i, ops[i]


def _op_name(m, s, op) -> str:
    code = m.operatorCodes[op.opcodeIndex]
    return _names(s.BuiltinOperator).get(max(code.builtinCode, code.deprecatedBuiltinCode), "?")


def _option_value(m, s, rng):
    i, op = _op(m, rng)
    opts = op.builtinOptions if op is not None else None
    fields = sorted(k for k, v in vars(opts).items() if isinstance(v, (bool, int, float))) if opts else []
    if not fields:
        return None
    name = fields[int(rng.integers(len(fields)))]
    old = getattr(opts, name)
    new = (not old) if isinstance(old, bool) else \
        int(rng.choice(_INTS)) if isinstance(old, int) else float(rng.choice(_FLOATS))
    setattr(opts, name, new)
    return f"operator {i} ({_op_name(m, s, op)}) option {name} {old!r} -> {new!r}"


def _softmax_beta(m, s, rng):
    ops = [(i, op) for i, op in enumerate(m.subgraphs[0].operators or [])
           if _op_name(m, s, op) == "SOFTMAX" and op.builtinOptions is not None]
    if not ops:
        return None
    i, op = ops[int(rng.integers(len(ops)))]
    op.builtinOptions.beta = float(rng.choice([0.0, -1.0, float("nan"), 1e-30, 1e30]))
    return f"operator {i} (SOFTMAX) beta -> {op.builtinOptions.beta!r}"


_OPTION_TYPES = ["LocalResponseNormalizationOptions", "Conv2DOptions", "DepthwiseConv2DOptions",
                 "Pool2DOptions", "FullyConnectedOptions", "SoftmaxOptions", "ReshapeOptions",
                 "AddOptions", "ConcatenationOptions", "ReducerOptions", "L2NormOptions"]


def _options_type(m, s, rng):
    i, op = _op(m, rng)
    if op is None:
        return None
    choice = _OPTION_TYPES[int(rng.integers(len(_OPTION_TYPES)))] if rng.random() < 0.8 else "NONE"
    old = _names(s.BuiltinOptions).get(op.builtinOptionsType, "?")
    if choice == old:
        return None
    op.builtinOptionsType = getattr(s.BuiltinOptions, choice)
    op.builtinOptions = None if choice == "NONE" else getattr(s, choice + "T")()
    return f"operator {i} ({_op_name(m, s, op)}) options {old} -> {choice}"


_OPCODES = ["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX", "LOGISTIC", "RESHAPE",
            "ADD", "MUL", "MEAN", "AVERAGE_POOL_2D", "MAX_POOL_2D", "QUANTIZE", "HARD_SWISH",
            "RELU", "TANH", "CONCATENATION", "PAD", "TRANSPOSE"]


def _opcode(m, s, rng):
    codes = m.operatorCodes or []
    if not codes:
        return None
    k = int(rng.integers(len(codes)))
    code = codes[k]
    new = getattr(s.BuiltinOperator, _OPCODES[int(rng.integers(len(_OPCODES)))])
    if rng.random() < 0.4:   # the two fields disagree: TFLite takes the larger
        other = getattr(s.BuiltinOperator, _OPCODES[int(rng.integers(len(_OPCODES)))])
        code.builtinCode, code.deprecatedBuiltinCode = new, other
        return f"operator code {k}: builtin_code {new}, deprecated_builtin_code {other}"
    code.builtinCode = code.deprecatedBuiltinCode = new
    return f"operator code {k} -> {_names(s.BuiltinOperator)[new]}"


def _tensor(m, rng):
    ts = m.subgraphs[0].tensors or []
    if not ts:
        return None, None
    i = int(rng.integers(len(ts)))
    return i, ts[i]


def _tensor_type(m, s, rng):
    i, t = _tensor(m, rng)
    if t is None:
        return None
    types = _names(s.TensorType)
    new = int(rng.choice([s.TensorType.INT8, s.TensorType.UINT8, s.TensorType.INT16,
                          s.TensorType.INT32, s.TensorType.FLOAT32, s.TensorType.INT64,
                          s.TensorType.BOOL, 99]))
    old, t.type = t.type, new
    return f"tensor {i} type {types.get(old, old)} -> {types.get(new, new)}"


def _tensor_shape(m, s, rng):
    i, t = _tensor(m, rng)
    if t is None or t.shape is None or len(t.shape) == 0:
        return None
    t.shape = np.array(t.shape, np.int32)
    d = int(rng.integers(len(t.shape)))
    t.shape[d] = int(rng.choice([0, 1, 2, 3, 1000, 2**20, -1]))
    return f"tensor {i} shape dim {d} -> {int(t.shape[d])}"


def _quantized(m, rng):
    ts = [(i, t) for i, t in enumerate(m.subgraphs[0].tensors or [])
          if t.quantization is not None and t.quantization.scale is not None
          and len(t.quantization.scale)]
    if not ts:
        return None, None
    return ts[int(rng.integers(len(ts)))]


def _quant_scale(m, s, rng):
    i, t = _quantized(m, rng)
    if t is None:
        return None
    q = t.quantization
    q.scale = np.array(q.scale, np.float32)
    k = int(rng.integers(len(q.scale)))
    q.scale[k] = float(rng.choice(_FLOATS))
    return f"tensor {i} scale[{k}] -> {float(q.scale[k])!r}"


def _quant_zero_point(m, s, rng):
    i, t = _quantized(m, rng)
    if t is None or t.quantization.zeroPoint is None or not len(t.quantization.zeroPoint):
        return None
    q = t.quantization
    q.zeroPoint = np.array(q.zeroPoint, np.int64)
    k = int(rng.integers(len(q.zeroPoint)))
    q.zeroPoint[k] = int(rng.choice([-129, 128, 1000, -(2**40), 5, -5, 127]))
    return f"tensor {i} zero_point[{k}] -> {int(q.zeroPoint[k])}"


def _quant_structure(m, s, rng):
    i, t = _quantized(m, rng)
    if t is None:
        return None
    q = t.quantization
    pick = int(rng.integers(3))
    if pick == 0:
        t.quantization = None
        return f"tensor {i} quantization removed"
    if pick == 1:
        n = int(rng.choice([1, 2, len(q.scale) + 1, max(1, len(q.scale) - 1)]))
        q.scale = np.resize(np.array(q.scale, np.float32), n)
        if q.zeroPoint is not None:
            q.zeroPoint = np.resize(np.array(q.zeroPoint, np.int64), n)
        return f"tensor {i} {n} scales"
    q.quantizedDimension = int(rng.choice([1, 2, 3, 7, -1]))
    return f"tensor {i} quantized_dimension -> {q.quantizedDimension}"


def _op_input(m, s, rng):
    i, op = _op(m, rng)
    if op is None or op.inputs is None or not len(op.inputs):
        return None
    n = len(m.subgraphs[0].tensors)
    op.inputs = np.array(op.inputs, np.int32)
    k = int(rng.integers(len(op.inputs)))
    op.inputs[k] = int(rng.choice([-1, -1, 0, n - 1, int(rng.integers(n)), n, -2]))
    return f"operator {i} ({_op_name(m, s, op)}) input {k} -> tensor {int(op.inputs[k])}"


def _op_input_count(m, s, rng):
    i, op = _op(m, rng)
    if op is None or op.inputs is None:
        return None
    n = len(m.subgraphs[0].tensors)
    inputs = list(np.array(op.inputs, np.int32))
    if len(inputs) > 1 and rng.random() < 0.5:
        inputs = inputs[:-1]
        what = "last input dropped"
    else:
        inputs.append(int(rng.choice([-1, int(rng.integers(n))])))
        what = f"extra input {inputs[-1]}"
    op.inputs = np.array(inputs, np.int32)
    return f"operator {i} ({_op_name(m, s, op)}) {what}"


def _op_output(m, s, rng):
    i, op = _op(m, rng)
    if op is None or op.outputs is None or not len(op.outputs):
        return None
    n = len(m.subgraphs[0].tensors)
    op.outputs = np.array(op.outputs, np.int32)
    op.outputs[0] = int(rng.choice([-1, 0, int(rng.integers(n)), n]))
    return f"operator {i} ({_op_name(m, s, op)}) output -> tensor {int(op.outputs[0])}"


def _graph_io(m, s, rng):
    g = m.subgraphs[0]
    n = len(g.tensors)
    which = "inputs" if rng.random() < 0.5 else "outputs"
    values = list(np.array(getattr(g, which) if getattr(g, which) is not None else [], np.int32))
    pick = int(rng.integers(3))
    if pick == 0 and values:
        values[0] = int(rng.integers(n))
    elif pick == 1:
        values.append(int(rng.integers(n)))
    else:
        values = []
    setattr(g, which, np.array(values, np.int32))
    return f"subgraph {which} -> {values}"


def _buffer(m, s, rng):
    i, t = _tensor(m, rng)
    if t is None:
        return None
    pick = int(rng.integers(3))
    if pick == 0:
        t.buffer = int(rng.choice([0, int(rng.integers(len(m.buffers))), len(m.buffers)]))
        return f"tensor {i} buffer -> {t.buffer}"
    b = m.buffers[t.buffer] if 0 <= t.buffer < len(m.buffers) else None
    if b is None or b.data is None or not len(b.data):
        return None
    data = np.array(b.data, np.uint8)
    if pick == 1:
        b.data = data[:int(rng.integers(len(data)))]
        return f"tensor {i} buffer {t.buffer} truncated to {len(b.data)} bytes"
    b.data = np.concatenate([data, np.zeros(int(rng.integers(1, 64)), np.uint8)])
    return f"tensor {i} buffer {t.buffer} extended to {len(b.data)} bytes"


def _op_order(m, s, rng):
    ops = m.subgraphs[0].operators or []
    if len(ops) < 2:
        return None
    a, b = (int(v) for v in rng.choice(len(ops), 2, replace=False))
    if rng.random() < 0.5:
        ops[a], ops[b] = ops[b], ops[a]
        return f"operators {a} and {b} swapped"
    del ops[a]
    return f"operator {a} deleted"


def _metadata(m, s, rng):
    entries = [e for e in (m.metadata or []) if e.name == b"fwgen"]
    if not entries:
        return None
    b = m.buffers[entries[0].buffer]
    data = np.array(b.data, np.uint8)
    k = int(rng.integers(len(data)))
    data[k] = int(rng.choice([0x00, ord("{"), ord('"'), 0xFF]))
    b.data = data
    return f"fwgen metadata byte {k} -> 0x{int(data[k]):02x}"


MUTATORS: list[tuple[Mutator, int]] = [   # (mutation, weight)
    (_option_value, 4), (_softmax_beta, 1), (_options_type, 3), (_opcode, 2),
    (_tensor_type, 2), (_tensor_shape, 2), (_quant_scale, 3), (_quant_zero_point, 2),
    (_quant_structure, 2), (_op_input, 3), (_op_input_count, 2), (_op_output, 1),
    (_graph_io, 1), (_buffer, 2), (_op_order, 1), (_metadata, 1),
]


def structural_mutation(seed: Seed, rng: np.random.Generator) -> Case:
    """One to three object-API edits, repacked; redrawn when an edit does not apply or its value
    cannot be packed (a number that does not fit the field: not a representable file)."""
    import flatbuffers  # noqa: PLC0415

    s = _schema()
    weights = np.array([w for _, w in MUTATORS], float)
    while True:
        m = _unpacked(seed)
        done = []
        for _ in range(int(rng.choice([1, 1, 1, 2, 3]))):
            fn = MUTATORS[int(rng.choice(len(MUTATORS), p=weights / weights.sum()))][0]
            what = fn(m, s, rng)
            if what is not None:
                done.append(what)
        if not done:
            continue
        try:
            builder = flatbuffers.Builder(1024)
            builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
        except Exception:  # noqa: BLE001 (struct.error, OverflowError, TypeError: redraw)
            continue
        return Case(seed, "structure", "; ".join(done), bytes(builder.Output()))


def cases(seeds: list[Seed], count: int, seed: int = 0, structural_share: float = 0.5,
          weights: dict[str, float] | None = None) -> Iterator[Case]:
    """`count` mutated models drawn from `seeds` (weighted by name), reproducible by `seed`."""
    rng = np.random.default_rng(seed)
    w = np.array([(weights or {}).get(s.name, 1.0) for s in seeds], float)
    for _ in range(count):
        base = seeds[int(rng.choice(len(seeds), p=w / w.sum()))]
        yield structural_mutation(base, rng) if rng.random() < structural_share \
            else byte_mutation(base, rng)


# ---------------------------------------------------------------- running cases

def argv_for(verb: str, model: Path, seed: Seed, out: Path) -> list[str]:
    if verb == "validate":
        return ["validate", str(model), "--random", "1"]
    argv = ["build", "--model", str(model), "--board", BOARD, "--render-only", "--out", str(out)]
    return argv + (["--settings", str(seed.settings)] if seed.settings else [])


@dataclass
class Outcome:
    case: Case
    verb: str
    rc: int | None              # exit status; None for a crash or a hang
    stderr: str = ""
    traceback: str | None = None
    signal: int | None = None
    hung: bool = False
    leftovers: list[str] = field(default_factory=list)
    seconds: float = 0.0
    model_path: str = ""

    @property
    def names_file(self) -> bool:
        return self.model_path in self.stderr

    @property
    def status(self) -> str:
        if self.hung:
            return "hang"
        if self.signal is not None:
            return f"signal {signal.Signals(self.signal).name}"
        return f"exit {self.rc}"


def _worker_main() -> None:
    """The worker's loop: one JSON request per stdin line, one JSON answer per case on the
    channel fd; fds 1 and 2 go to a log so native output cannot corrupt the answers."""
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    log = os.open(os.environ["FWGEN_FAULT_LOG"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    from fwgen.cli import main  # noqa: PLC0415

    for line in sys.stdin:
        request = json.loads(line)
        out, err = io.StringIO(), io.StringIO()
        rc, tb = None, None
        root = logging.getLogger()
        for handler in list(root.handlers):   # basicConfig binds the handler to this case's stderr
            root.removeHandler(handler)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                rc = main(request["argv"])
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
        except BaseException:  # noqa: BLE001 (any other exception is what the fuzzer looks for)
            tb = traceback.format_exc()
        channel.write(json.dumps({"rc": rc, "stderr": err.getvalue()[-4000:], "traceback": tb}) + "\n")


class Worker:
    """One long-lived `fwgen` process running cases; restarted after a crash or a hang."""

    def __init__(self, root: Path, tree: Path = REPO):
        self.root = root
        self.tree = tree          # the fwgen checkout under test (another one measures a baseline)
        self.tmp = root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen | None = None

    def _start(self) -> subprocess.Popen:
        env = dict(os.environ, TMPDIR=str(self.tmp), FWGEN_FAULT_LOG=str(self.root / "worker.log"),
                   FWGEN_CACHE_DIR=str(self.root / "cache"),
                   FWGEN_ROOT=str(self.tree),
                   PYTHONPATH=os.pathsep.join([str(self.tree / "host"), str(Path(__file__).parent)]))
        return subprocess.Popen([sys.executable, "-c", "import fault_injection as f; f._worker_main()"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=self.root,
                                env=env, start_new_session=True, text=True, bufsize=1)

    def stop(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            for pipe in (self.proc.stdin, self.proc.stdout):
                with contextlib.suppress(OSError):
                    pipe.close()   # type: ignore[union-attr]
            self.proc = None

    def run(self, case: Case, verb: str, timeout: float) -> Outcome:
        work = self.root / "case"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        model = work / f"{case.seed.name.replace('/', '_')}_mutant.tflite"
        model.write_bytes(case.data)
        out = work / "project"
        if self.proc is None or self.proc.poll() is not None:
            self.stop()
            self.proc = self._start()
        proc = self.proc
        start = time.monotonic()
        outcome = Outcome(case, verb, None, model_path=str(model))
        ready: list = []
        try:
            proc.stdin.write(json.dumps({"argv": argv_for(verb, model, case.seed, out)}) + "\n")
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], timeout)
            line = proc.stdout.readline() if ready else ""
        except (BrokenPipeError, OSError):   # the worker is gone
            ready, line = [proc.stdout], ""
        outcome.seconds = time.monotonic() - start
        if line:
            answer = json.loads(line)
            outcome.rc, outcome.stderr, outcome.traceback = answer["rc"], answer["stderr"], answer["traceback"]
            if outcome.traceback is None and "Traceback (most recent call last)" in outcome.stderr:
                outcome.traceback = outcome.stderr
        else:
            code = None
            if ready:   # end of file: the worker died; its exit status follows shortly
                with contextlib.suppress(subprocess.TimeoutExpired):
                    code = proc.wait(timeout=30)
            if code is None:
                outcome.hung = True
            elif code < 0:
                outcome.signal = -code
            else:
                outcome.rc = code
                outcome.traceback = f"the worker exited with status {code} during the case"
            self.stop()
        if verb == "build" and outcome.rc == 0:
            shutil.rmtree(out, ignore_errors=True)   # a rendered project is the expected result
        outcome.leftovers = sorted(
            [str(p.relative_to(self.root)) for p in work.iterdir() if p != model] +
            [str(p.relative_to(self.root)) for p in self.tmp.iterdir()])
        for p in self.tmp.iterdir():       # clean up, so the next case is judged on its own
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
        return outcome


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def of(self, verb: str | None = None) -> list[Outcome]:
        return [o for o in self.outcomes if verb is None or o.verb == verb]

    def figures(self, verb: str | None = None) -> dict[str, object]:
        rows = self.of(verb)
        errors = [o for o in rows if o.rc == 2]
        return {
            "cases": len(rows),
            "exit codes": dict(sorted(Counter(o.status for o in rows).items())),
            "tracebacks": sum(o.traceback is not None for o in rows),
            "signals": sum(o.signal is not None for o in rows),
            "hangs": sum(o.hung for o in rows),
            "leftovers": sum(bool(o.leftovers) for o in rows),
            "errors not naming the file": sum(not o.names_file for o in errors),
        }

    def failures(self) -> list[Outcome]:
        """Outcomes that miss the target: a traceback, a crash, a hang, a leftover, an error
        without the file's name, or an exit status other than 0 (accepted), 1 (validate's
        mismatch) or 2 (a user error)."""
        return [o for o in self.outcomes
                if o.traceback is not None or o.signal is not None or o.hung or o.leftovers
                or (o.rc == 2 and not o.names_file) or o.rc not in (0, 1, 2)]


def run_cases(case_list: list[Case], verbs: tuple[str, ...] = VERBS, workers: int = 1,
              timeout: float = 120.0, on_outcome: Callable[[Outcome], None] | None = None,
              tree: Path = REPO) -> Summary:
    """Every case into every verb, spread over `workers` processes."""
    summary = Summary()
    start = time.monotonic()
    jobs = [(c, v) for c in case_list for v in verbs]
    with tempfile.TemporaryDirectory(prefix="fwgen-faults-") as tmp:
        pool = [Worker(Path(tmp) / f"w{k}", tree) for k in range(max(1, workers))]
        try:
            if len(pool) == 1:
                for case, verb in jobs:
                    o = pool[0].run(case, verb, timeout)
                    summary.outcomes.append(o)
                    if on_outcome:
                        on_outcome(o)
            else:
                from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415
                import queue  # noqa: PLC0415

                free: queue.Queue[Worker] = queue.Queue()
                for w in pool:
                    free.put(w)

                def one(job: tuple[Case, str]) -> Outcome:
                    w = free.get()
                    try:
                        return w.run(job[0], job[1], timeout)
                    finally:
                        free.put(w)

                with ThreadPoolExecutor(len(pool)) as ex:
                    for o in ex.map(one, jobs):
                        summary.outcomes.append(o)
                        if on_outcome:
                            on_outcome(o)
        finally:
            for w in pool:
                w.stop()
    summary.seconds = time.monotonic() - start
    return summary
