"""The contract between the compiler driver and per-op lowering modules (compiler/ops/*.py).

A lowering turns one TFLite operator into one kernel call with every constant precomputed:
it checks the operator (raising `FwgenError` through `LowerContext.unsupported`), emits `const`
arrays and a `static const` parameter struct (C initializers built here, in Python), and a call
expression whose tensor arguments are placeholders (`@t<index>@`, `@s<n>@` for scratch) that
the driver replaces with arena addresses once the memory plan exists.

Adding an op = one C kernel in firmware/nn/ + one module in compiler/ops/ that subclasses
`OpLowering`, declares its `OpSignature` (inputs, options table) and decorates it with
`@register`. The driver checks the signature (compiler/checks.py) before `lower` runs, so a
lowering may take its required inputs as present and its options as its own.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable, Sequence

import numpy as np

from fwgen.errors import FwgenError
from fwgen.render import c_identifier
from fwgen.tflite.model import Model, Operator, Tensor

LOG = logging.getLogger(__name__)

C_SIZES = {"int8_t": 1, "uint8_t": 1, "int16_t": 2, "int32_t": 4, "float": 4, "int64_t": 8}
C_TYPES = {"int8": "int8_t", "int16": "int16_t", "int32": "int32_t", "uint8": "uint8_t",
           "float32": "float", "int64": "int64_t"}


@dataclass
class ConstArray:
    """A `static const` array that lands in flash."""

    name: str
    ctype: str
    values: np.ndarray
    comment: str = ""

    @property
    def nbytes(self) -> int:
        """Bytes in flash (by the C element type, not the numpy type holding the values)."""
        return int(self.values.size * C_SIZES[self.ctype])


@dataclass
class Overlap:
    """How the output of a streaming kernel may share bytes with its dying input.

    Forward order: the kernel writes output bytes in increasing order and, when it has written
    `w` bytes, never again reads input bytes below `w - distance`, so the output may be placed at
    any offset <= input offset - distance. Reverse order (only kernels with a `reverse` flag,
    `up` is not None): the kernel writes from the end backwards and the output may be placed at
    any offset >= input offset + up. The driver picks the order from the plan and substitutes
    `@reverse@` in the step's declarations and call with 0 or 1.
    """

    input: int               # tensor index
    output: int              # tensor index
    distance: int            # bytes (forward order)
    up: int | None = None    # bytes (reverse order), None when the kernel cannot run backwards


@dataclass
class Step:
    """One kernel call in the generated invoke function."""

    op: Operator
    kernel: str                                   # C function name (for docs / code size)
    call: str                                     # C expression with @t<i>@ / @s<n>@ placeholders
    decls: list[str] = field(default_factory=list)
    arrays: list[ConstArray] = field(default_factory=list)
    scratch: list[int] = field(default_factory=list)   # bytes per scratch buffer
    overlaps: list[Overlap] = field(default_factory=list)
    alias: tuple[int, int] | None = None          # (input, output): same bytes, no code
    macs: int = 0
    comment: str = ""
    # macros of the generated fwgen_nn_paths.h this call needs: the kernel variants compile only
    # the code paths a model's layers take (FWGEN_NN_CONV2D_USES_PAIR, ...)
    defines: tuple[str, ...] = ()


@dataclass(frozen=True)
class OpSignature:
    """What an operator must look like before it is lowered, as TFLM's Prepare requires it."""

    inputs: tuple[int, int] = (1, 1)     # fewest and most entries in its input list
    optional: tuple[int, ...] = ()       # input positions that may be absent (-1)
    options: str = ""                    # the BuiltinOptions table it reads ("" for none)
    # TFLM fills the op's parameters with zeros when the table is absent; where zero is not a
    # usable value (a stride, softmax's beta) the table is required
    options_required: bool = False


class LowerContext:
    """What a lowering may ask about the graph, plus helpers to emit C."""

    def __init__(self, model: Model, op: Operator):
        self.model = model
        self.op = op
        self.prefix = f"op{op.index}"

    # ---- graph access
    def tensor(self, k: int) -> Tensor:
        """Input k; an absent (-1) or missing one is an error, never the last tensor."""
        if not self.has_input(k):
            raise FwgenError(f"input {k} is absent", where=self.op.describe(),
                             hint="re-export the model; this operator needs that input")
        return self.model.tensors[self.op.inputs[k]]

    def output(self, k: int = 0) -> Tensor:
        return self.model.tensors[self.op.outputs[k]]

    def has_input(self, k: int) -> bool:
        return k < len(self.op.inputs) and self.op.inputs[k] >= 0

    def unsupported(self, what: str, supported: str) -> FwgenError:
        return FwgenError(f"{what} is not supported", where=self.op.describe(),
                          hint=f"supported: {supported}")

    def require(self, condition: bool, what: str, supported: str) -> None:
        if not condition:
            raise self.unsupported(what, supported)

    def option(self, name: str, default: Any = None) -> Any:
        return self.op.options.get(name, default)

    # ---- C emission helpers
    def ref(self, tensor_index: int) -> str:
        """Placeholder for an activation tensor's address (replaced after memory planning)."""
        t = self.model.tensors[tensor_index]
        if t.is_constant:
            raise FwgenError(f"tensor {tensor_index} ('{t.name}') is a constant where this operator "
                             "takes an activation", where=self.op.describe(),
                             hint="let the converter fold constant sub-graphs (its default), or feed "
                                  "this input from the graph input")
        return f"@t{tensor_index}@"

    def input_ref(self, k: int, arrays: list[ConstArray]) -> str:
        """Address of input k: a const array for a constant tensor, else an arena placeholder."""
        t = self.tensor(k)
        if t.is_constant:
            name = f"{self.prefix}_in{k}"
            arrays.append(ConstArray(name, C_TYPES[t.dtype], np.asarray(t.data).reshape(-1),
                                     f"{t.name} {list(t.shape)}"))
            return name
        return self.ref(t.index)

    def name(self, suffix: str) -> str:
        return c_identifier(f"{self.prefix}_{suffix}")


def c_init(value: Any) -> str:
    """A C initializer from Python data: dicts become designated initializers."""
    if isinstance(value, dict):
        return "{" + ", ".join(f".{k} = {c_init(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "{" + ", ".join(c_init(v) for v in value) + "}"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, np.integer)):
        v = int(value)
        return "INT32_MIN" if v == -(2**31) else str(v)
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, str):
        return value
    raise TypeError(f"no C initializer for {type(value).__name__}")


def nhwc(shape: Sequence[int]) -> dict[str, int]:
    """fwgen_nn_dims_t initializer of a rank <= 4 shape (leading 1s added)."""
    s = [1] * (4 - len(shape)) + [int(d) for d in shape]
    return {"n": s[0], "h": s[1], "w": s[2], "c": s[3]}


def decl(ctype: str, name: str, value: Any) -> str:
    return f"static const {ctype} {name} = {c_init(value)};"


def padded(shape: Iterable[int], rank: int) -> list[int]:
    s = [int(d) for d in shape]
    return [1] * (rank - len(s)) + s


class OpLowering:
    """Base class of one op's lowering. Subclasses set `opcode` and implement `lower`."""

    opcode: ClassVar[str] = ""
    #: one-line description shown in `fwgen validate` errors' supported list
    summary: ClassVar[str] = ""
    #: inputs and options table, checked by the driver before `lower`
    signature: ClassVar[OpSignature] = OpSignature()

    def lower(self, ctx: LowerContext) -> Step:
        raise NotImplementedError


REGISTRY: dict[str, OpLowering] = {}


def register(cls: type[OpLowering]) -> type[OpLowering]:
    if not cls.opcode:
        raise ValueError(f"{cls.__name__} has no opcode")
    REGISTRY[cls.opcode] = cls()
    return cls
