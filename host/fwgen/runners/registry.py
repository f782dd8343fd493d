"""The runner registry: every module in `fwgen/runners/` that defines a `Runner` subclass with a
`name` registers it, by being there (found with pkgutil, like the CLI finds `<verb>_cmd.py`).

Nothing here names a concrete runner, and the runner modules import `core`, never this module,
so there is no import circle.

Public API::

    runners() -> dict[str, type[Runner]]       # every registered runner, by name (sorted)
    runner_names() -> tuple[str, ...]
    get_runner(name) -> type[Runner]           # FwgenError listing the known names otherwise
    add_runner_options(parser, classes=None)   # one argument group of options per runner
"""
from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from fwgen.errors import FwgenError
from fwgen.runners.core import Runner

LOG = logging.getLogger(__name__)

# Modules of this package that hold machinery, not a runner.
NOT_RUNNER_MODULES = frozenset({"args", "core", "registry"})


@lru_cache(maxsize=1)
def _discover() -> tuple[tuple[str, type[Runner]], ...]:
    found: dict[str, type[Runner]] = {}
    package = __name__.rpartition(".")[0]   # fwgen.runners (not imported: no edge back to it)
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if info.name in NOT_RUNNER_MODULES or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, Runner) and value.name
                    and value.__module__ == module.__name__):
                if value.name in found and found[value.name] is not value:
                    raise FwgenError(f"two runners are named {value.name!r}: "
                                     f"{found[value.name].__module__} and {module.__name__}")
                found[value.name] = value
    LOG.debug("runners: %s", ", ".join(found))
    return tuple(sorted(found.items()))


def runners() -> dict[str, type[Runner]]:
    """Every registered runner by name, sorted."""
    return dict(_discover())


def runner_names() -> tuple[str, ...]:
    return tuple(name for name, _ in _discover())


def get_runner(name: str) -> type[Runner]:
    available = runners()
    if name not in available:
        raise FwgenError(f"no runner named {name!r} in this fwgen",
                         hint=f"available: {', '.join(available)}")
    return available[name]


def add_runner_options(parser: argparse.ArgumentParser,
                       classes: Iterable[type[Runner]] | None = None) -> None:
    """Add the options of every registered runner (or of `classes`) to `parser`, one argument
    group per runner ("pyocd runner options"). A group that adds nothing is not shown in
    --help; two runners claiming the same option string fail here, when the parser is built."""
    for cls in (runners().values() if classes is None else classes):
        group = parser.add_argument_group(f"{cls.name} runner options")
        cls.add_options(group)
