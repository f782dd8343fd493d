"""The runtimes fwgen can deploy with, by name, and `--runtime auto`'s choice between them."""
from __future__ import annotations

from fwgen.errors import FwgenError
from fwgen.runtime.aot import AotRuntime
from fwgen.runtime.base import Runtime, RuntimeConfig
from fwgen.runtime.tflm import TflmRuntime, refusal_text

RUNTIMES: dict[str, type[Runtime]] = {cls.name: cls for cls in (AotRuntime, TflmRuntime)}
DEFAULT_RUNTIME = AotRuntime.name
AUTO = "auto"                  # fwgen's compiler where it takes the model, TFLM otherwise
RUNTIME_CHOICES = (*RUNTIMES, AUTO)


def get_runtime(name: str = DEFAULT_RUNTIME, config: RuntimeConfig | None = None) -> Runtime:
    """The runtime called `name`; FwgenError listing the known ones otherwise."""
    cls = RUNTIMES.get(name)
    if cls is None:
        raise FwgenError(f"unknown runtime {name!r}", where="--runtime",
                         hint=f"one of {', '.join(RUNTIME_CHOICES)}")
    return cls(config)


def choose_runtime(model: bytes, where: str | None = None) -> tuple[str, str]:
    """`--runtime auto`: (runtime name, why). fwgen's compiler when it compiles the model (smaller
    arena, no interpreter), TFLM when it refuses it, with the refusal as the reason."""
    from fwgen.compiler import compile_model

    try:
        compile_model(model, name="model", where=where)
    except FwgenError as exc:
        return TflmRuntime.name, f"fwgen's compiler refuses the model: {refusal_text(exc)}"
    return AotRuntime.name, "fwgen's compiler supports every op of the model"
