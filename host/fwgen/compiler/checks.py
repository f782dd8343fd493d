"""Operator checks made once, by the driver, before any lowering: the op's input and output
counts, absent (-1) inputs and the type of its options table, against its `OpSignature`.

TFLM's Prepare makes the same checks (or crashes without them: an absent depthwise bias is a
segmentation fault, softmax without its options runs with beta 0 and aborts); an options table
of another op's type reads as absent there, so fwgen would otherwise compile defaults where
TFLM computes with zeros. Each error names the op and its index, the field and the value.
"""
from __future__ import annotations

from fwgen.compiler.lowering import OpSignature
from fwgen.errors import FwgenError
from fwgen.tflite.model import Model, Operator

_CORRUPTED = "re-export the model with tf.lite.TFLiteConverter; the file is corrupted or was edited"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def check_operator(op: Operator, sig: OpSignature) -> None:
    """Raise FwgenError when `op` does not have the inputs, outputs or options `sig` requires."""
    where = op.describe()
    lo, hi = sig.inputs
    n = len(op.inputs)
    if not lo <= n <= hi:
        takes = str(lo) if lo == hi else f"{lo} to {hi}"
        raise FwgenError(f"the operator has {_count(n, 'input')}, {op.opcode} takes {takes}",
                         where=where, hint=_CORRUPTED)
    for k, t in enumerate(op.inputs):
        if t < 0 and k not in sig.optional:
            may = (f"only input {', '.join(map(str, sig.optional))} may be -1" if sig.optional
                   else f"{op.opcode} takes no -1 entry" +
                   (" (inputs it can do without are left off the end of the list)" if lo < hi else ""))
            raise FwgenError(f"input {k} is absent (-1), {op.opcode} requires it", where=where,
                             hint=f"{may}; {_CORRUPTED}")
    if len(op.outputs) != 1:
        raise FwgenError(f"the operator has {_count(len(op.outputs), 'output')}, {op.opcode} "
                         "produces 1", where=where, hint=_CORRUPTED)
    if op.options_type and op.options_type != sig.options:
        reads = sig.options or "no options"
        raise FwgenError(f"options table {op.options_type} (builtin_options_type), but "
                         f"{op.opcode} reads {reads}", where=where, hint=_CORRUPTED)
    if sig.options_required and not op.options_type:
        raise FwgenError(f"the operator has no {sig.options} table: TFLM would run it with every "
                         "option 0", where=where, hint=_CORRUPTED)


def check_operators(m: Model, signatures: dict[str, OpSignature]) -> None:
    for op in m.operators:
        check_operator(op, signatures[op.opcode])
