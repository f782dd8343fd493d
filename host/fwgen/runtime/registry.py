"""The runtimes fwgen can deploy with, by name."""
from __future__ import annotations

from fwgen.errors import FwgenError
from fwgen.runtime.aot import AotRuntime
from fwgen.runtime.base import Runtime

RUNTIMES: dict[str, type[Runtime]] = {cls.name: cls for cls in (AotRuntime,)}
DEFAULT_RUNTIME = AotRuntime.name


def get_runtime(name: str = DEFAULT_RUNTIME) -> Runtime:
    """The runtime called `name`; FwgenError listing the known ones otherwise."""
    cls = RUNTIMES.get(name)
    if cls is None:
        raise FwgenError(f"unknown runtime {name!r}", where="--runtime",
                         hint=f"one of {', '.join(RUNTIMES)}")
    return cls()
