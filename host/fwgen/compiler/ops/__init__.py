"""Per-op lowerings: one module per TFLite operator (or family), registered on import.

Every module in this package is imported by `load_all()`; a module adds its op by decorating an
`OpLowering` subclass with `@fwgen.compiler.lowering.register`.
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from fwgen.compiler.lowering import REGISTRY, OpLowering


@lru_cache(maxsize=None)
def load_all() -> dict[str, OpLowering]:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return REGISTRY


def supported_ops() -> list[str]:
    return sorted(load_all())
