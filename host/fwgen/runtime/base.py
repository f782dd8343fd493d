"""The interface every inference runtime implements (deploy/ and project/ use nothing else).

    runtime = get_runtime("aot")
    compiled = runtime.compile(model_bytes, name="model")     # CompiledInference
    compiled.files, compiled.arena_bytes, compiled.weights_bytes, compiled.macs
    compiled.input.shape / .dtype / .scale / .zero_point
    host = runtime.host(compiled)                             # HostInference
    outputs = host.run(input_array)                           # list of arrays, one inference

The generated files define the C contract of `templates/model.h.j2` (`fwgen_model_input`,
`fwgen_model_invoke`, `fwgen_model_output`, `FWGEN_MODEL_ARENA_BYTES`), which the firmware app
calls whatever the runtime.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol, Sequence

import numpy as np


class TensorInfo(Protocol):
    """A model input or output as the app and the host reference see it."""
    name: str
    shape: tuple[int, ...]
    dtype: Any
    scale: float
    zero_point: int


class CompiledInference(Protocol):
    """A model made ready for the firmware: generated files and the figures that describe them."""
    files: dict[str, str]          # generated C, by file name under src/generated/
    arena_bytes: int               # the caller-provided arena (RAM)
    weights_bytes: int             # const data in flash
    macs: int                      # multiply-accumulates per inference
    inputs: Sequence[TensorInfo]
    outputs: Sequence[TensorInfo]

    @property
    def input(self) -> TensorInfo: ...

    @property
    def output(self) -> TensorInfo: ...


class HostInference(Protocol):
    """The runtime's inference built for this machine: the same C the board runs."""

    def run(self, inputs: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]: ...


@dataclass(frozen=True)
class RuntimeConfig:
    """What a runtime may need from the user besides the model (deploy.DeployOptions carries it)."""
    tflm_dir: Path | None = None      # a TFLM tree (--tflm-dir; None: $FWGEN_TFLM_DIR)


class Runtime(abc.ABC):
    """One way to run a model's inference on the device (and, bit for bit, on the host)."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    # firmware/ library modules the generated inference calls (copied into every project).
    firmware_modules: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: RuntimeConfig | None = None):
        self.config = config or RuntimeConfig()

    def check(self) -> None:
        """FwgenError, before any work, when something the runtime needs is missing."""

    def project_additions(self, compiled: CompiledInference, boards: Sequence[Any]) -> dict[str, Any]:
        """What a project for `boards` needs besides src/generated/ and the firmware modules:
        {"files": {project path: bytes}, "options": {env id: [(platformio.ini key, value)]}}."""
        return {"files": {}, "options": {}}

    @abc.abstractmethod
    def compile(self, model: bytes, *, name: str = "model",
                where: str | None = None) -> CompiledInference:
        """The model's inference as firmware C; FwgenError for anything unsupported, naming
        `where` (the model's file) first."""

    @abc.abstractmethod
    def host(self, compiled: CompiledInference) -> HostInference:
        """The same inference on the host (the reference the device is diffed against)."""
