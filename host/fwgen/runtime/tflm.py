"""The TFLM runtime: TensorFlow Lite Micro's interpreter, CMSIS-NN kernels on cores with the DSP
extension and TFLM's reference kernels elsewhere, built from a TFLM tree the user gives.

    runtime = TflmRuntime(RuntimeConfig(tflm_dir=Path("/opt/tflm-tree")))
    runtime.check()                       # FwgenError naming --tflm-dir / FWGEN_TFLM_DIR first
    compiled = runtime.compile(model_bytes, where="kws.tflite")
    compiled.files       # model.h, model_data.c (the flatbuffer), tflm_resolver.h, tflm_model.cc
    compiled.arena_bytes # TFLM's arena_used_bytes() on the host + ARENA_MARGIN_BYTES + scratch
    runtime.project_additions(compiled, boards)  # the extra script and its per-env settings

The tree is what TFLM's own exporter writes (`create_tflm_tree.py`, with
`OPTIMIZED_KERNEL_DIR=cmsis_nn` for CMSIS-NN); fwgen never copies or fetches TFLM's sources:
the generated PlatformIO project names the tree (`custom_tflm_dir`) and its extra script
(templates/platformio/tflm/tflm_build.py) compiles it as TFLM's release build for
cortex_m_generic does (`tflm_build_settings`). The host reference is TFLM's own interpreter
(PyPI tflite-micro, `fwgen.compiler.reference.TflmModel`), so `fwgen run` and `fwgen test` diff
the device against the interpreter it runs.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Iterable, Sequence

import numpy as np

from fwgen.errors import FwgenError
from fwgen.render import abi_version, banner, c_hex_rows, render
from fwgen.runtime.base import CompiledInference, HostInference, Runtime, RuntimeConfig

LOG = logging.getLogger(__name__)

TFLM_DIR_ENV = "FWGEN_TFLM_DIR"
ARENA_ALIGN = 16            # TFLM's arena and flatbuffer alignment (micro_arena_constants.h)
# micro_interpreter.h: "normally `tensor_arena` requires 16 bytes alignment to fully utilize the
# space. If it's not the case, the optimal arena size would be arena_used_bytes() + 16."
ARENA_MARGIN_BYTES = 16
TREE_URL = "https://github.com/tensorflow/tflite-micro"
EXPORT_COMMAND = ("python3 tensorflow/lite/micro/tools/project_generation/create_tflm_tree.py "
                  "--makefile_options=\"TARGET=cortex_m_generic TARGET_ARCH=project_generation "
                  "OPTIMIZED_KERNEL_DIR=cmsis_nn\" DIR")

# Files a usable tree has, and those CMSIS-NN needs on top (cmsis_gcc.h includes m-profile/).
TREE_FILES = ("tensorflow/lite/micro/micro_interpreter.h",
              "tensorflow/lite/micro/micro_mutable_op_resolver.h",
              "tensorflow/lite/schema/schema_generated.h",
              "third_party/flatbuffers/include/flatbuffers/flatbuffers.h",
              "third_party/gemmlowp/fixedpoint/fixedpoint.h")
M_PROFILE = "third_party/cmsis/CMSIS/Core/Include/m-profile"
CMSIS_NN_FILES = ("tensorflow/lite/micro/kernels/cmsis_nn/conv.cc",
                  "third_party/cmsis_nn/Include/arm_nnfunctions.h",
                  "third_party/cmsis/CMSIS/Core/Include/cmsis_gcc.h", M_PROFILE)
KERNELS_CMSIS_NN = "cmsis_nn"
KERNELS_REFERENCE = "reference"

# TFLM's release build for cortex_m_generic (tensorflow/lite/micro/tools/make/Makefile,
# targets/cortex_m_generic_makefile.inc, ext_libs/cmsis_nn.inc at 90b983c): flags for C and C++,
# then per language, the defines, and the optimisation of each part of the library.
TFLM_COMMON_FLAGS = ("-fno-unwind-tables", "-fno-asynchronous-unwind-tables",
                     "-ffunction-sections", "-fdata-sections", "-fmessage-length=0",
                     "-fomit-frame-pointer", "-funsigned-char")
TFLM_CXX_FLAGS = ("-std=c++17", "-fno-rtti", "-fno-exceptions", "-fno-threadsafe-statics")
TFLM_C_FLAGS = ("-std=c17",)
TFLM_DEFINES = ("TF_LITE_STATIC_MEMORY", "TF_LITE_DISABLE_X86_NEON",
                "KERNELS_OPTIMIZED_FOR_SPEED", "TF_LITE_STRIP_ERROR_STRINGS", "NDEBUG",
                "TF_LITE_MCU_DEBUG_LOG", "ARM_NN_ENABLE_F16=0", "ARM_NN_ENABLE_F32=0")
FRAMEWORK_OPT = "-Os"        # CORE_OPTIMIZATION_LEVEL
KERNEL_OPT = "-O2"           # KERNEL_OPTIMIZATION_LEVEL, THIRD_PARTY_KERNEL_OPTIMIZATION_LEVEL
TFLM_INCLUDES = (".", "third_party/flatbuffers/include", "third_party/gemmlowp",
                 "third_party/ruy", "third_party/kissfft")
CMSIS_INCLUDES = ("third_party/cmsis", "third_party/cmsis_nn", "third_party/cmsis/CMSIS/Core/Include",
                  "third_party/cmsis_nn/Include")
KERNEL_DIR = "tensorflow/lite/micro/kernels"

# MicroMutableOpResolver's Add methods at the pinned TFLM (micro_mutable_op_resolver.h); with a
# tree given, the tree's own header is read instead.
RESOLVER_METHODS = frozenset("""
AddAbs AddAdd AddAddN AddArgMax AddArgMin AddAssignVariable AddAveragePool2D AddBatchMatMul
AddBatchToSpaceNd AddBroadcastArgs AddBroadcastTo AddCallOnce AddCast AddCeil
AddConcatenation AddConv2D AddCos AddCumSum AddDepthToSpace AddDepthwiseConv2D AddDequantize
AddDiv AddDynamicUpdateSlice AddElu AddEmbeddingLookup AddEqual AddExp AddExpandDims AddFill
AddFloor AddFloorDiv AddFloorMod AddFullyConnected AddGather AddGatherNd AddGreater
AddGreaterEqual AddHardSwish AddIf AddL2Normalization AddL2Pool2D AddLeakyRelu AddLess
AddLessEqual AddLog AddLogSoftmax AddLogicalAnd AddLogicalNot AddLogicalOr AddLogistic
AddMaxPool2D AddMaximum AddMean AddMinimum AddMirrorPad AddMul AddNeg AddNotEqual AddPack AddPad
AddPadV2 AddPrelu AddQuantize AddReadVariable AddReduceAll AddReduceMax AddReduceMin AddRelu
AddRelu6 AddReshape AddResizeBilinear AddResizeNearestNeighbor AddReverseV2 AddRound AddRsqrt
AddSelectV2 AddShape AddSin AddSlice AddSoftmax AddSpaceToBatchNd AddSpaceToDepth AddSplit
AddSplitV AddSqrt AddSquare AddSquaredDifference AddSqueeze AddStridedSlice AddSub AddSum
AddSvdf AddTanh AddTranspose AddTransposeConv AddUnidirectionalSequenceLSTM AddUnpack
AddVarHandle AddWhile AddZerosLike""".split())
# Where TFLM's generator rule (`resolver_method`) misses the header's name.
RESOLVER_EXCEPTIONS = {"PADV2": "AddPadV2"}


def resolver_method(op: str) -> str:
    """The MicroMutableOpResolver method for a builtin op, by the rule TFLM's
    gen_micro_mutable_op_resolver uses (CONV_2D -> AddConv2D), with its known misses."""
    if op in RESOLVER_EXCEPTIONS:
        return RESOLVER_EXCEPTIONS[op]
    name = ""
    for part in re.split(r"[_-]", op.replace("TFLite", "")):
        name += part[0].upper() + part[1:].lower() if len(part) > 1 and part[0].isalpha() else part.upper()
    return "Add" + name.replace("Lstm", "LSTM").replace("BatchMatmul", "BatchMatMul")


def tree_resolver_methods(tree: Path) -> frozenset[str]:
    """The Add methods the tree's micro_mutable_op_resolver.h declares (TFLM's VerifyOpList)."""
    text = (tree / "tensorflow/lite/micro/micro_mutable_op_resolver.h").read_text(errors="replace")
    return frozenset(re.findall(r"TfLiteStatus (Add\w+)\(", text)) - {"AddBuiltin", "AddCustom"}


def resolver_ops(model, where: str | None, methods: frozenset[str] = RESOLVER_METHODS) -> list[tuple[str, str]]:
    """(op, Add method) for every op of the model, sorted by op name as TFLM's generator does;
    FwgenError for an op TFLM's resolver cannot register."""
    out: dict[str, str] = {}
    for op in model.operators:
        if op.opcode.startswith("CUSTOM"):
            raise FwgenError(f"custom operator {op.opcode[len('CUSTOM:'):] or '?'} has no TFLM "
                             f"registration fwgen can generate", where=_at(where, op.describe()),
                             hint="fwgen's TFLM runtime registers TFLM's builtin ops only")
        method = resolver_method(op.opcode)
        if method not in methods:
            raise FwgenError(f"operator {op.opcode} is not supported by TFLM's "
                             f"MicroMutableOpResolver (no {method})", where=_at(where, op.describe()),
                             hint="TFLM has no kernel for it; replace the op in the model")
        out[op.opcode] = method
    return sorted(out.items())


def _at(where: str | None, what: str) -> str:
    return f"{where}: {what}" if where else what


# ---------------------------------------------------------------- CMSIS-NN scratch

def cmsis_nn_scratch_bytes(model) -> int:
    """The largest scratch buffer CMSIS-NN's int8 kernels ask TFLM for on a DSP core
    (arm_*_get_buffer_size, non-MVE paths), over the model's ops. TFLM's host interpreter runs
    the reference kernels, which ask for none, so its arena_used_bytes() leaves this out."""
    largest = 0
    for op in model.operators:
        if op.opcode not in ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D"):
            continue
        x = model.tensors[op.inputs[0]].shape
        if len(x) != 4:
            continue
        in_c = x[3]
        if op.opcode == "AVERAGE_POOL_2D":
            need = model.tensors[op.outputs[0]].shape[-1] * 4          # int32 per channel
        else:
            w = model.tensors[op.inputs[1]].shape                          # [o|1, kh, kw, i|o]
            need = 2 * in_c * w[1] * w[2] * 2                              # two int16 im2col columns
            if op.opcode == "DEPTHWISE_CONV_2D":
                need = in_c * w[1] * w[2] * 2
        largest = max(largest, need)
    return -(-largest // ARENA_ALIGN) * ARENA_ALIGN + (ARENA_ALIGN if largest else 0)


def op_macs(model, op) -> int:
    """Multiply-accumulates of a CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED (one per weight
    use, as fwgen.zoo.graph_stats counts them); 0 for other ops."""
    if op.opcode not in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED") or len(op.inputs) < 2:
        return 0
    out = int(np.prod(model.tensors[op.outputs[0]].shape))
    w = model.tensors[op.inputs[1]].shape
    if op.opcode == "CONV_2D":
        return out * int(np.prod(w[1:]))
    if op.opcode == "DEPTHWISE_CONV_2D":
        return out * w[1] * w[2]
    return out * w[-1]


def model_macs(model) -> int:
    return sum(op_macs(model, op) for op in model.operators)


WEIGHTED_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV", "SVDF",
                "BATCH_MATMUL")


def int8_registrations(tree: Path, model, regs: dict[str, str]) -> dict[str, str]:
    """Add method -> CMSIS-NN's int8-only registration (Register_CONV_2D_INT8, ...) for the op
    types whose every node has int8 input, output and weights, where a CMSIS-NN tree defines
    one: TFLM's kernels for int8 only, as its own int8 builds register them, so the link leaves
    out the int4/int16 paths. {} for a reference-kernel tree."""
    if tree_kernels(tree) != KERNELS_CMSIS_NN:
        return {}
    defined = set()
    for path in sorted((tree / KERNEL_DIR / "cmsis_nn").glob("*.cc")):
        defined.update(re.findall(r"\b(Register_\w+_INT8)\(\)\s*\{", path.read_text(errors="replace")))
    int8: dict[str, bool] = {}
    for op in model.operators:
        edges = [op.inputs[0], op.outputs[0]] + ([op.inputs[1]] if op.opcode in WEIGHTED_OPS else [])
        ok = all(i >= 0 and model.tensors[i].dtype == "int8" for i in edges)
        method = resolver_method(op.opcode)
        int8[method] = int8.get(method, True) and ok
    return {method: f"{regs[method]}_INT8" for method, ok in int8.items()
            if ok and method in regs and f"{regs[method]}_INT8" in defined}


def wrappable_registrations(tree: Path) -> dict[str, str]:
    """Add method -> its default registration, for the methods that take one
    (`AddConv2D(const TFLMRegistration& registration = Register_CONV_2D())`): the ones a bench
    build can hand a registration whose invoke marks the node."""
    text = (tree / "tensorflow/lite/micro/micro_mutable_op_resolver.h").read_text(errors="replace")
    return dict(re.findall(r"TfLiteStatus (Add\w+)\(\s*const TFLMRegistration&\s*registration\s*=\s*"
                           r"(?:tflite::)?(Register_\w+)\(\)", text))


# ---------------------------------------------------------------- compiled inference

@dataclass(frozen=True)
class TflmTensor:
    """A model input or output as TFLM's interpreter reports it."""
    name: str
    shape: tuple[int, ...]
    dtype: Any
    scale: float
    zero_point: int


@dataclass
class TflmInference:
    """What the TFLM runtime makes of a model (a CompiledInference)."""
    files: dict[str, str]
    arena_bytes: int
    weights_bytes: int
    macs: int
    inputs: list[TflmTensor]
    outputs: list[TflmTensor]
    model: bytes
    ops: list[tuple[str, str]]                # (op, resolver method)
    host_arena_used_bytes: int                # TFLM's arena_used_bytes() on the host
    scratch_bytes: int                        # CMSIS-NN's largest scratch (cmsis_nn_scratch_bytes)
    aot_arena_bytes: int | None = None        # fwgen's own plan, when the compiler takes the model
    aot_refusal: str | None = None            # why it does not, otherwise
    runtime: str = "tflm"
    # per node in invoke order, what fwgen bench reports (opcode, label, shape, macs); empty
    # when some op cannot be marked (no tree read, or a method that takes no registration)
    nodes: list[dict] = field(default_factory=list)

    @property
    def input(self) -> TflmTensor:
        return self.inputs[0]

    @property
    def output(self) -> TflmTensor:
        return self.outputs[0]

    def report_lines(self) -> list[str]:
        """What `fwgen build` prints about the arena: TFLM's figure, how it was sized, and
        fwgen's own plan beside it."""
        lines = [f"arena:   TFLM {self.arena_bytes} B = the TFLM host interpreter's "
                 f"arena_used_bytes() {self.host_arena_used_bytes} B + {ARENA_MARGIN_BYTES} B "
                 f"alignment margin + {self.scratch_bytes} B CMSIS-NN scratch"]
        if self.aot_arena_bytes is not None:
            lines.append(f"         fwgen's own plan (--runtime aot) {self.aot_arena_bytes} B "
                         f"({self.aot_arena_bytes / self.arena_bytes:.2f} of TFLM's)")
        elif self.aot_refusal:
            lines.append(f"         fwgen's own plan: none (the compiler refuses the model: "
                         f"{self.aot_refusal})")
        lines.append(f"ops:     {', '.join(op for op, _ in self.ops)} (MicroMutableOpResolver<"
                     f"{len(self.ops)}>)")
        return lines


class TflmHost:
    """The host reference of a TFLM deployment: TFLM's own interpreter (PyPI tflite-micro)."""

    def __init__(self, compiled: TflmInference):
        from fwgen.compiler.reference import TflmModel

        self.model = TflmModel(compiled.model)

    def run(self, inputs: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
        return self.model.run(inputs)


def _tensors(model, indices: Sequence[int]) -> list[TflmTensor]:
    """The model's inputs or outputs as the app sees them (the flatbuffer's own figures)."""
    out = []
    for i in indices:
        t = model.tensors[i]
        out.append(TflmTensor(name=t.name, shape=tuple(int(d) for d in t.shape),
                              dtype=np.dtype(t.dtype), scale=float(t.scale) if t.quant else 0.0,
                              zero_point=int(t.zero_point) if t.quant else 0))
    return out


def _ctype(dtype) -> str:
    return {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int32_t",
            "float32": "float"}.get(np.dtype(dtype).name, "uint8_t")


def _tensor_view(t: TflmTensor, kind: str, index: int) -> dict:
    return {"index": index, "name": t.name, "macro": f"FWGEN_MODEL_{kind}{index}",
            "ctype": _ctype(t.dtype), "rank": len(t.shape),
            "dims": ", ".join(str(d) for d in t.shape), "elements": int(np.prod(t.shape)),
            "bytes": int(np.prod(t.shape)) * np.dtype(t.dtype).itemsize,
            "scale": repr(float(t.scale)) + "f", "zero_point": t.zero_point}


def render_files(model: bytes, inputs: list[TflmTensor], outputs: list[TflmTensor],
                 ops: list[tuple[str, str]], arena_bytes: int, macs: int,
                 registrations: dict[str, str] | None = None, bench_nodes: int = 0,
                 int8: dict[str, str] | None = None) -> dict[str, str]:
    """model.h, model_data.c, tflm_resolver.h, tflm_model.cc. `registrations` (method ->
    Register_ function) lets a bench build wrap each op's invoke; `bench_nodes` is the number
    of nodes it marks (0: none, only the whole invoke); `int8` (method -> int8-only
    registration, int8_registrations) is registered instead of the default."""
    registrations, int8 = registrations or {}, int8 or {}
    digest = hashlib.sha256(model).hexdigest()
    meta = {"model sha256": digest[:16], "runtime": "TFLM (MicroInterpreter)"}
    view = {"abi": abi_version(), "arena_bytes": arena_bytes, "arena_align": ARENA_ALIGN,
            "weights_bytes": len(model), "macs": macs, "num_ops": len(ops),
            "inputs": [_tensor_view(t, "INPUT", i) for i, t in enumerate(inputs)],
            "outputs": [_tensor_view(t, "OUTPUT", i) for i, t in enumerate(outputs)],
            "ops": [{"op": op, "method": m, "int8": int8.get(m),
                     "wrap": (int8.get(m) or registrations.get(m)) if bench_nodes else None}
                    for op, m in ops],
            "model_len": len(model), "bench_nodes": bench_nodes}
    return {
        "model.h": render("tflm/model.h.j2", banner=banner("model interface (TFLM runtime)", meta), **view),
        "model_data.c": render("tflm/model_data.c.j2", banner=banner("the model's flatbuffer", meta),
                               rows=c_hex_rows(model, per_row=16), **view),
        "tflm_resolver.h": render("tflm/tflm_resolver.h.j2",
                                  banner=banner("the TFLM op resolver: exactly the model's ops", meta),
                                  **view),
        "tflm_model.cc": render("tflm/tflm_model.cc.j2",
                                banner=banner("the model's inference through TFLM", meta), **view),
    }


# ---------------------------------------------------------------- the tree and the build

def find_tree(config: RuntimeConfig) -> Path:
    """The TFLM tree (--tflm-dir, else $FWGEN_TFLM_DIR), checked; FwgenError saying what to pass."""
    given = config.tflm_dir or os.environ.get(TFLM_DIR_ENV) or None
    where = "--tflm-dir" if config.tflm_dir else TFLM_DIR_ENV
    if given is None:
        raise FwgenError(
            "--runtime tflm needs a TFLM tree (TensorFlow Lite Micro with the CMSIS-NN kernels); "
            "fwgen ships none and does not download one", where="--tflm-dir",
            hint=f"pass --tflm-dir DIR or set {TFLM_DIR_ENV}=DIR, DIR being a tree exported by "
                 f"TFLM's own exporter: in a checkout of {TREE_URL}, run {EXPORT_COMMAND}")
    tree = Path(given).expanduser()
    if not tree.is_dir():
        raise FwgenError("the TFLM tree is not a folder", where=f"{where} {tree}",
                         hint=f"give the folder TFLM's create_tflm_tree.py wrote ({EXPORT_COMMAND})")
    missing = [f for f in TREE_FILES if not (tree / f).exists()]
    if missing:
        raise FwgenError(f"not a TFLM tree: {missing[0]} is missing", where=f"{where} {tree}",
                         hint=f"export one with TFLM's create_tflm_tree.py ({EXPORT_COMMAND})")
    return tree.resolve()


def tree_kernels(tree: Path) -> str:
    """"cmsis_nn" when the tree was exported with the CMSIS-NN kernels (all their files are
    there), else "reference"; FwgenError for a half CMSIS-NN tree."""
    present = [f for f in CMSIS_NN_FILES if (tree / f).exists()]
    if not present:
        return KERNELS_REFERENCE
    if len(present) < len(CMSIS_NN_FILES):
        missing = next(f for f in CMSIS_NN_FILES if f not in present)
        if missing == M_PROFILE:
            raise FwgenError(f"the TFLM tree has CMSIS-NN kernels but not {missing}/, which "
                             f"cmsis_gcc.h includes", where=str(tree),
                             hint="create_tflm_tree.py does not copy it: add it from the CMSIS_6 "
                                  "checkout TFLM downloaded (its Makefile pins the commit): git -C "
                                  "CMSIS_6 archive COMMIT CMSIS/Core/Include/m-profile | tar -x -C "
                                  f"{tree}/third_party/cmsis/")
        raise FwgenError(f"the TFLM tree has CMSIS-NN kernels but not {missing}", where=str(tree),
                         hint="export the tree again with TFLM's create_tflm_tree.py "
                              "(OPTIMIZED_KERNEL_DIR=cmsis_nn copies CMSIS-NN and CMSIS)")
    return KERNELS_CMSIS_NN


def env_kernels(board, tree_has: str) -> str:
    """CMSIS-NN on a core with the DSP extension, TFLM's reference kernels elsewhere; FwgenError
    when the tree has not the ones the core needs."""
    if board.dsp:
        return tree_has
    if tree_has == KERNELS_CMSIS_NN:
        raise FwgenError(f"{board.id} ({board.core}) has no DSP extension: it runs TFLM's "
                         f"reference kernels, and this TFLM tree holds the CMSIS-NN ones",
                         where="--tflm-dir",
                         hint="export a tree without OPTIMIZED_KERNEL_DIR (TFLM's reference "
                              "kernels) and pass that one for this board")
    return KERNELS_REFERENCE


def registrations(tree: Path) -> dict[str, str]:
    """Add method -> the TFLMRegistration function it registers, from the tree's
    micro_mutable_op_resolver.h (AddConv2D -> Register_CONV_2D)."""
    text = (tree / "tensorflow/lite/micro/micro_mutable_op_resolver.h").read_text(errors="replace")
    out = {}
    for chunk in text.split("TfLiteStatus ")[1:]:
        name = re.match(r"(Add\w+)\(", chunk)
        reg = re.search(r"\b(Register_\w+)\(", chunk)
        if name and reg:
            out.setdefault(name.group(1), reg.group(1))
    return out


def kernel_sources(tree: Path, methods: Iterable[str], kernels: str) -> list[str] | None:
    """The kernel files the model's registrations live in (the CMSIS-NN ones where the tree has
    them), each with its `<op>_common.cc`, and kernel_util.cc: every kernel object the link can
    pull from TFLM's kernel library, so the others need not be compiled (the image is the same:
    a static library gives the link only the objects it references). None when a
    registration is found in no file (then every kernel is compiled, as TFLM's make does)."""
    kernel_dir = tree / KERNEL_DIR
    folders = [kernel_dir / "cmsis_nn", kernel_dir] if kernels == KERNELS_CMSIS_NN else [kernel_dir]
    sources = {f"{KERNEL_DIR}/kernel_util.cc"}
    regs = registrations(tree)
    texts = {path: path.read_text(errors="replace") for folder in folders
             for path in sorted(folder.glob("*.cc"))}
    for method in methods:
        reg = regs.get(method)
        if reg is None:
            return None
        pattern = re.compile(rf"\b{reg}\(\)\s*\{{")
        found = next((path for path, text in texts.items() if pattern.search(text)), None)
        if found is None:
            return None
        sources.add(found.relative_to(tree).as_posix())
        common = kernel_dir / f"{found.stem}_common.cc"
        if common.is_file():
            sources.add(common.relative_to(tree).as_posix())
    return sorted(sources)


CMSIS_NN_SOURCE = "third_party/cmsis_nn/Source"
_ARM_CALL = re.compile(r"\b(arm_\w+)\s*\(")
_ARM_DEFINITION = re.compile(r"^(?:[A-Za-z_][\w \t\*]*[ \t\*])?(arm_\w+)\s*\(", re.M)


def cmsis_nn_sources(tree: Path, kernel_files: Iterable[str]) -> list[str]:
    """The CMSIS-NN C files the kernel files need: those defining an arm_* function they call,
    and, transitively, the functions those call (a definition starts a line; calls in bodies
    are indented), without the float ones TFLM's cmsis_nn.inc leaves out."""
    defined: dict[str, str] = {}
    texts: dict[str, str] = {}
    for path in sorted((tree / CMSIS_NN_SOURCE).rglob("*.c")):
        rel = path.relative_to(tree).as_posix()
        if rel.endswith(("_f16.c", "_f32.c", "arm_nntables_flt.c")):
            continue
        texts[rel] = path.read_text(errors="replace")
        for name in _ARM_DEFINITION.findall(texts[rel]):
            defined.setdefault(name, rel)
    todo = [(tree / f).read_text(errors="replace") for f in kernel_files]
    chosen: set[str] = set()
    while todo:
        for name in _ARM_CALL.findall(todo.pop()):
            rel = defined.get(name)
            if rel is not None and rel not in chosen:
                chosen.add(rel)
                todo.append(texts[rel])
    return sorted(chosen)


@dataclass(frozen=True)
class TflmBuild:
    """How one environment compiles TFLM: data the project's extra script applies."""
    kernels: str                       # "cmsis_nn" | "reference"
    cpu_define: str                    # CPU_M33=1 ... (cortex_m_generic's -DCPU_$(CORE)=1)
    kernel_files: tuple[str, ...] | None = None   # kernel_sources(); None: all of them
    cmsis_nn_files: tuple[str, ...] | None = None  # cmsis_nn_sources(); None: all of them

    def settings(self) -> dict[str, Any]:
        includes = list(TFLM_INCLUDES) + (list(CMSIS_INCLUDES) if self.kernels == KERNELS_CMSIS_NN else [])
        defines = list(TFLM_DEFINES) + [self.cpu_define]
        if self.kernels == KERNELS_CMSIS_NN:
            defines.insert(0, "CMSIS_NN")    # OPTIMIZED_KERNEL_DIR=cmsis_nn -> -DCMSIS_NN
        cmsis = "cmsis_nn/" if self.kernels == KERNELS_CMSIS_NN else ""
        libraries = [
            {"name": "tflm_framework", "opt": FRAMEWORK_OPT,
             "filter": ["+<tensorflow/>", f"-<{KERNEL_DIR}/>"]},
            {"name": "tflm_kernels", "opt": KERNEL_OPT,
             "filter": ([f"+<{KERNEL_DIR}/>"] if self.kernel_files is None
                        else [f"+<{path}>" for path in self.kernel_files])},
        ]
        if cmsis:
            every = [f"+<{CMSIS_NN_SOURCE}/>", f"-<{CMSIS_NN_SOURCE}/**/*_f16.c>",
                     f"-<{CMSIS_NN_SOURCE}/**/*_f32.c>", f"-<{CMSIS_NN_SOURCE}/**/arm_nntables_flt.c>"]
            libraries.append({"name": "cmsis_nn", "opt": KERNEL_OPT,
                              "filter": every if self.cmsis_nn_files is None
                              else [f"+<{path}>" for path in self.cmsis_nn_files]})
        return {"kernels": self.kernels, "common_flags": list(TFLM_COMMON_FLAGS),
                "cxx_flags": list(TFLM_CXX_FLAGS), "c_flags": list(TFLM_C_FLAGS),
                "defines": defines, "includes": includes, "libraries": libraries}


def cpu_define(board) -> str:
    """cortex_m_generic's CPU_<CORE>=1 for the board's core (cortex-m33 -> CPU_M33=1)."""
    core = board.core.split("+")[0].replace("cortex-", "").upper().replace("PLUS", "plus")
    return f"CPU_{core}=1"


EXTRA_SCRIPT = "tflm/tflm_build.py"
# TFLM's objects are the same for every model on a core: an SCons cache (content and command
# signatures) under fwgen's cache lets each later project reuse them.
OBJECT_CACHE = "tflm-objects"


def project_additions(tree: Path, boards: Iterable, methods: Iterable[str]) -> dict[str, Any]:
    """The project's TFLM build: files (the extra script, one settings JSON per environment)
    and the platformio.ini options of each environment, for a model registering `methods`."""
    from fwgen.native import cache_dir, repo_root

    has = tree_kernels(tree)
    methods = list(methods)
    script = (repo_root() / "templates" / "platformio" / "tflm" / "tflm_build.py").read_bytes()
    files: dict[str, bytes] = {EXTRA_SCRIPT: script}
    options: dict[str, list[tuple[str, str]]] = {}
    for board in boards:
        kernels = env_kernels(board, has)
        files_ = kernel_sources(tree, methods, kernels)
        cmsis = (tuple(cmsis_nn_sources(tree, files_))
                 if files_ is not None and kernels == KERNELS_CMSIS_NN else None)
        build = TflmBuild(kernels=kernels, cpu_define=cpu_define(board),
                          kernel_files=None if files_ is None else tuple(files_), cmsis_nn_files=cmsis)
        name = f"tflm/{board.id}.json"
        files[name] = (json.dumps(build.settings(), indent=2, sort_keys=True) + "\n").encode()
        options[board.id] = [("extra_scripts", f"post:{EXTRA_SCRIPT}"),
                             ("custom_tflm_dir", str(tree)),
                             ("custom_tflm_settings", name),
                             ("custom_tflm_object_cache", str(cache_dir() / OBJECT_CACHE))]
    return {"files": files, "options": options, "kernels": has}


# ---------------------------------------------------------------- the runtime

class TflmRuntime(Runtime):
    name: ClassVar[str] = "tflm"
    description: ClassVar[str] = "TensorFlow Lite Micro's interpreter with CMSIS-NN (from a TFLM tree)"
    firmware_modules: ClassVar[tuple[str, ...]] = ()

    def check(self) -> None:
        find_tree(self.config)

    def compile(self, model: bytes, *, name: str = "model",
                where: str | None = None) -> TflmInference:
        from fwgen.compiler.reference import TflmModel
        from fwgen.tflite import read_model

        m = read_model(model, where=where)
        methods, regs, int8 = RESOLVER_METHODS, {}, {}
        tree = self.config.tflm_dir or os.environ.get(TFLM_DIR_ENV)
        if tree and Path(tree, "tensorflow/lite/micro/micro_mutable_op_resolver.h").is_file():
            methods, regs = tree_resolver_methods(Path(tree)), wrappable_registrations(Path(tree))
        ops = resolver_ops(m, where, methods)
        if regs:
            int8 = int8_registrations(Path(tree), m, regs)
        markable = bool(ops) and all(method in regs for _, method in ops)
        nodes = [{"opcode": op.opcode, "label": op.opcode, "macs": op_macs(m, op),
                  "shape": "x".join(str(d) for d in m.tensors[op.outputs[0]].shape) or "1"}
                 for op in m.operators] if markable else []
        try:
            interp = TflmModel(model)
        except FwgenError as exc:
            exc.where = exc.where or where
            raise
        inputs, outputs = _tensors(m, m.inputs), _tensors(m, m.outputs)
        interp.run([np.zeros(t.shape, t.dtype) for t in inputs])
        used = interp.arena_used_bytes()
        if used is None:
            raise FwgenError("the TFLM interpreter did not report its arena", where=where)
        # without a tree the kernels are not known yet: size for CMSIS-NN, the larger need
        reference = bool(regs) and tree_kernels(Path(tree)) == KERNELS_REFERENCE
        scratch = 0 if reference else cmsis_nn_scratch_bytes(m)
        arena = -(-(used + ARENA_MARGIN_BYTES + scratch) // ARENA_ALIGN) * ARENA_ALIGN
        macs = model_macs(m)
        aot_arena, refusal = _aot_plan(model, where)
        return TflmInference(files=render_files(model, inputs, outputs, ops, arena, macs,
                                                regs, len(nodes), int8),
                             arena_bytes=arena, weights_bytes=len(model), macs=macs,
                             inputs=inputs, outputs=outputs, model=model, ops=ops,
                             host_arena_used_bytes=used, scratch_bytes=scratch,
                             aot_arena_bytes=aot_arena, aot_refusal=refusal, nodes=nodes)

    def host(self, compiled: CompiledInference) -> HostInference:
        return TflmHost(compiled)  # type: ignore[arg-type]  (a TflmInference from compile())

    def project_additions(self, compiled: CompiledInference, boards: Sequence) -> dict[str, Any]:
        return project_additions(find_tree(self.config), boards,
                                 [method for _, method in compiled.ops])  # type: ignore[attr-defined]


def _aot_plan(model: bytes, where: str | None) -> tuple[int | None, str | None]:
    """fwgen's own arena for the model, or why its compiler refuses it."""
    from fwgen.compiler import compile_model

    try:
        return compile_model(model, name="model", where=where).arena_bytes, None
    except FwgenError as exc:
        return None, refusal_text(exc)


def refusal_text(exc: FwgenError) -> str:
    """A compiler refusal in one line (what, at which op)."""
    what = exc.message.splitlines()[0]
    where = exc.where.split(": ", 1)[-1] if exc.where and ": " in exc.where else None
    return f"{what} ({where})" if where else what
