"""What each op of a model's inference is (type, shape, MACs), per runtime, in the order the
bench build marks them (op k is region FWGEN_BENCH_OP0 + k, firmware/common/fwgen_bench.h).

A runtime whose firmware marks its ops registers its table in `OP_TABLES` (the ahead-of-time
compiler marks one region per lowered op: templates/model.c.j2).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

from fwgen.errors import FwgenError
from fwgen.native import repo_root

BENCH_HEADER = Path("firmware") / "common" / "fwgen_bench.h"
_DEFINE = re.compile(r"^#define FWGEN_BENCH_(\w+)\s+(\d+)u\b", re.M)


@dataclass(frozen=True)
class OpInfo:
    index: int          # position in the invoke
    opcode: str         # "CONV_2D"
    label: str          # "CONV_2D 10x8/2 SAME 1->8"
    shape: str          # output shape, "1x25x20x8"
    macs: int


@lru_cache(maxsize=1)
def regions() -> dict[str, int]:
    """The region numbers of firmware/common/fwgen_bench.h (OTHER, FRONTEND, INVOKE, OP0): the
    C header is the one definition."""
    found = {name: int(value) for name, value in _DEFINE.findall((repo_root() / BENCH_HEADER).read_text())}
    missing = {"OTHER", "FRONTEND", "INVOKE", "OP0"} - set(found)
    if missing:
        raise FwgenError(f"{BENCH_HEADER} defines no FWGEN_BENCH_{sorted(missing)[0]}")
    return found


def aot_ops(deployment) -> list[OpInfo]:
    """The ahead-of-time compiler's steps (fwgen.compiler.compile.lower_all), as it renders them."""
    from fwgen.compiler.compile import lower_all
    from fwgen.tflite.reader import read_model

    m = read_model(deployment.source.path)
    out = []
    for k, step in enumerate(lower_all(m)):
        shape = "x".join(str(d) for d in m.tensors[step.op.outputs[0]].shape) or "1"
        out.append(OpInfo(index=k, opcode=step.op.opcode,
                          label=f"{step.op.opcode} {step.comment}".strip(), shape=shape,
                          macs=int(step.macs)))
    return out


def tflm_ops(deployment) -> list[OpInfo]:
    """TFLM's nodes in invoke order, as its bench build marks them (each op type's invoke
    wrapped: templates/tflm/tflm_resolver.h.j2); none when the runtime could not mark them."""
    return [OpInfo(index=k, opcode=n["opcode"], label=n["label"], shape=n["shape"], macs=n["macs"])
            for k, n in enumerate(deployment.compiled.nodes)]


OP_TABLES: dict[str, Callable[..., list[OpInfo]]] = {"aot": aot_ops, "tflm": tflm_ops}


def op_table(runtime: str, deployment) -> list[OpInfo]:
    table = OP_TABLES.get(runtime)
    if table is None:
        raise FwgenError(f"fwgen bench cannot count the ops of runtime {runtime!r} yet",
                         where="--runtime", hint=f"one of {', '.join(OP_TABLES)}")
    return table(deployment)
