"""The ahead-of-time runtime: fwgen's compiler turns the graph into plain C calling
firmware/nn kernels (static memory plan, parameters in flash, no interpreter)."""
from __future__ import annotations

from typing import ClassVar

from fwgen.runtime.base import CompiledInference, HostInference, Runtime


class AotRuntime(Runtime):
    name: ClassVar[str] = "aot"
    description: ClassVar[str] = "fwgen's ahead-of-time compiler (firmware/nn kernels)"
    firmware_modules: ClassVar[tuple[str, ...]] = ("nn",)

    def compile(self, model: bytes, *, name: str = "model",
                where: str | None = None) -> CompiledInference:
        from fwgen.compiler import compile_model

        return compile_model(model, name=name, where=where)

    def host(self, compiled: CompiledInference) -> HostInference:
        from fwgen.compiler.host import HostModel

        return HostModel(compiled)  # type: ignore[arg-type]  (a CompiledModel from compile())
