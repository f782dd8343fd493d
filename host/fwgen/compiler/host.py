"""Run generated model C on the host (ctypes), the same code the board runs."""
from __future__ import annotations

import ctypes
import logging
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from fwgen import native
from fwgen.compiler.compile import CompiledModel
from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

POISON = np.uint64(0x5A5A5A5A5A5A5A5A)
GUARD_WORDS = 64


def build_host_library(compiled: CompiledModel, flags: Sequence[str] = ("-O2",)) -> Path:
    """Compile <name>.c with the firmware/nn sources it needs into a cached shared library."""
    root = native.repo_root()
    with tempfile.TemporaryDirectory(prefix="fwgen-model-") as tmp:
        gen = Path(tmp)
        for rel, text in compiled.files.items():
            (gen / rel).write_text(text)
        sources = [gen / f"{compiled.name}.c"] + compiled.kernel_sources(root)
        return native.compile_shared(f"model-{compiled.name}-{compiled.sha256[:12]}", sources,
                                     include_dirs=[gen, root / "firmware"], flags=flags)


class HostModel:
    """A loaded host build of a compiled model; `run()` is one inference."""

    def __init__(self, compiled: CompiledModel):
        self.compiled = compiled
        self.lib = ctypes.CDLL(str(build_host_library(compiled)))
        prefix = f"fwgen_{compiled.name}"
        self._invoke = getattr(self.lib, f"{prefix}_invoke")
        self._invoke.restype = ctypes.c_int
        self._invoke.argtypes = [ctypes.c_void_p]
        # 8-byte aligned arena; poisoned so a read of unwritten bytes shows up as a mismatch,
        # followed by a guard zone that must survive every inference (catches plan overruns)
        self.words = (compiled.arena_bytes + 7) // 8
        self.arena = np.full(self.words + GUARD_WORDS, POISON, dtype=np.uint64)

    def run(self, inputs: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
        c = self.compiled
        arrays = [inputs] if isinstance(inputs, np.ndarray) else list(inputs)
        if len(arrays) != len(c.inputs):
            raise FwgenError(f"the model takes {len(c.inputs)} inputs, got {len(arrays)}")
        raw = self.arena.view(np.uint8)
        for spec, value in zip(c.inputs, arrays):
            v = np.asarray(value)
            if v.size != int(np.prod(spec.shape)):
                raise FwgenError(f"input '{spec.name}' needs {int(np.prod(spec.shape))} values "
                                 f"{list(spec.shape)}, got {v.size}")
            data = np.ascontiguousarray(v.astype(spec.dtype, copy=False)).reshape(-1).view(np.uint8)
            raw[spec.offset:spec.offset + spec.nbytes] = data
        status = self._invoke(self.arena.ctypes.data)
        if status != 0:
            raise FwgenError(f"fwgen_{c.name}_invoke failed with status {status}")
        if np.any(self.arena[self.words:] != POISON):
            raise AssertionError(f"fwgen_{c.name}_invoke wrote past FWGEN_{c.name.upper()}_ARENA_BYTES")
        return [raw[s.offset:s.offset + s.nbytes].copy().view(s.dtype).reshape(s.shape) for s in c.outputs]


def run_on_host(compiled: CompiledModel, inputs: np.ndarray | Sequence[np.ndarray]
                ) -> np.ndarray | list[np.ndarray]:
    """One inference of the generated C on the host. A single-output model returns one array."""
    outs = HostModel(compiled).run(inputs)
    return outs[0] if len(outs) == 1 else outs
