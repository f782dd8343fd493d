"""Plain dataclasses for a .tflite graph (one subgraph), independent of the flatbuffer API."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Quantization:
    """Affine quantization: real = scale * (q - zero_point); per-channel along `axis`."""

    scale: np.ndarray        # float32, 1 entry (per-tensor) or one per channel
    zero_point: np.ndarray   # int64, same length as scale
    axis: int = 0

    @property
    def per_channel(self) -> bool:
        return self.scale.size > 1


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str                           # numpy dtype name: "int8", "int32", "float32", ...
    quant: Quantization | None = None
    data: np.ndarray | None = None       # constant data (weights, shapes), shaped, else None
    shape_signature: tuple[int, ...] | None = None

    @property
    def is_constant(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def nbytes(self) -> int:
        return self.size * np.dtype(self.dtype).itemsize

    @property
    def scale(self) -> float:
        """Per-tensor scale (float32 value as a Python float)."""
        assert self.quant is not None
        return float(self.quant.scale[0])

    @property
    def zero_point(self) -> int:
        assert self.quant is not None
        return int(self.quant.zero_point[0])


@dataclass
class Operator:
    index: int
    opcode: str                          # builtin name, e.g. "CONV_2D"; "CUSTOM:<name>" for custom ops
    inputs: tuple[int, ...]              # tensor indices, -1 for an omitted optional input
    outputs: tuple[int, ...]
    options: dict[str, Any] = field(default_factory=dict)
    version: int = 1
    # the options table's type as the file declares it ("Conv2DOptions"; "" for none); an op
    # reads only its own type, so another one means a corrupted or hand-edited file
    options_type: str = ""

    def describe(self) -> str:
        return f"operator {self.index} ({self.opcode})"


@dataclass
class Model:
    tensors: list[Tensor]
    operators: list[Operator]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    sha256: str
    size_bytes: int
    version: int = 3
    description: str = ""
    num_subgraphs: int = 1

    def tensor(self, index: int) -> Tensor:
        return self.tensors[index]

    def consumers(self, tensor_index: int) -> list[Operator]:
        return [op for op in self.operators if tensor_index in op.inputs]

    def producer(self, tensor_index: int) -> Operator | None:
        for op in self.operators:
            if tensor_index in op.outputs:
                return op
        return None
