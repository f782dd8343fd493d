"""The ahead-of-time runtime: fwgen's compiler turns the graph into plain C calling
firmware/nn kernels (static memory plan, parameters in flash, no interpreter)."""
from __future__ import annotations

from typing import ClassVar

from fwgen.runtime.base import CompiledInference, HostInference, Runtime


class AotRuntime(Runtime):
    name: ClassVar[str] = "aot"
    description: ClassVar[str] = "fwgen's ahead-of-time compiler (firmware/nn kernels)"
    firmware_modules: ClassVar[tuple[str, ...]] = ("nn",)
    # compile(keep_inputs=True) plans no buffer over the inputs (the app's feature window),
    # compile(idle_scratch=N) leaves N bytes free between invokes (the app's frontend scratch)
    keeps_inputs: ClassVar[bool] = True

    def compile(self, model: bytes, *, name: str = "model",
                where: str | None = None, keep_inputs: bool = False,
                idle_scratch: int = 0) -> CompiledInference:
        from fwgen.compiler import compile_model

        return compile_model(model, name=name, where=where, keep_inputs=keep_inputs,
                             idle_scratch=idle_scratch)

    def host(self, compiled: CompiledInference) -> HostInference:
        from fwgen.compiler.host import HostModel

        return HostModel(compiled)  # type: ignore[arg-type]  (a CompiledModel from compile())
