"""The oracle: TFLM's Python interpreter (`tflite_micro.runtime`), run on the same inputs.

`TflmModel` runs in this process: a model that crashes TFLM crashes the caller too. `fwgen
validate` runs it in a child process instead (compiler/oracle.py)."""
from __future__ import annotations

import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

_TOTAL = re.compile(r"Arena allocation total (\d+) bytes")


@dataclass
class TflmResult:
    outputs: list[np.ndarray]
    arena_used_bytes: int | None


def _runtime():
    try:
        from tflite_micro.python.tflite_micro import runtime  # type: ignore
    except ImportError:
        try:
            from tflite_micro import runtime  # type: ignore
        except ImportError:
            raise FwgenError("the TFLM interpreter (PyPI package tflite-micro) is not installed",
                             hint="pip install tflite-micro") from None
    return runtime


class TflmModel:
    """One TFLM interpreter over a model; `run()` invokes it on a list of inputs."""

    def __init__(self, model: bytes | Path, *, quiet: bool = True):
        """`quiet=False` leaves TFLM's log on file descriptors 1 and 2 while it loads and invokes
        (a child process keeps it for a crash report; captured, it would die with the child)."""
        data = model if isinstance(model, bytes) else Path(model).read_bytes()
        runtime = _runtime()
        self.quiet = quiet
        load = lambda: runtime.Interpreter.from_bytes(data)  # noqa: E731
        try:
            self.interp = _capture_stdout(load)[1] if quiet else load()
        except Exception as exc:  # the binding raises RuntimeError/ValueError with TFLM's log
            raise FwgenError(f"the TFLM interpreter cannot load this model: {exc}",
                             hint="TFLM must support every op for `fwgen validate` to compare") from None
        self.n_inputs = len(_count(self.interp.get_input_details))
        self.n_outputs = len(_count(self.interp.get_output_details))

    def run(self, inputs: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
        arrays = [inputs] if isinstance(inputs, np.ndarray) else list(inputs)
        for i, x in enumerate(arrays):
            d = self.interp.get_input_details(i)
            self.interp.set_input(np.asarray(x, dtype=d["dtype"]).reshape(d["shape"]), i)
        try:
            self.interp.invoke()
        except Exception as exc:
            raise FwgenError(f"the TFLM interpreter failed to invoke the model: {exc}") from None
        return [np.array(self.interp.get_output(i)) for i in range(self.n_outputs)]

    def arena_used_bytes(self) -> int | None:
        """Total arena TFLM's recording allocator used (parsed from print_allocations())."""
        text, _ = _capture_stdout(self.interp.print_allocations)
        m = _TOTAL.search(text)
        return int(m.group(1)) if m else None


def _count(details) -> list[int]:
    n = []
    for i in range(64):
        try:
            _capture_stdout(lambda: details(i))  # the binding logs before it raises
        except Exception:  # raised once the index is past the end
            break
        n.append(i)
    return n


def _capture_stdout(fn):
    """Call fn() while capturing what native code prints on file descriptors 1 and 2."""
    import ctypes
    import sys
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 1)
        os.dup2(tmp.fileno(), 2)
        try:
            result = fn()
        finally:
            try:
                ctypes.CDLL(None).fflush(None)
            except OSError:
                pass
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        tmp.seek(0)
        return tmp.read().decode("utf-8", "replace"), result


def run_tflm(model: bytes | Path, inputs: np.ndarray | Sequence[np.ndarray]) -> TflmResult:
    m = TflmModel(model)
    outs = m.run(inputs)
    return TflmResult(outs, m.arena_used_bytes())
