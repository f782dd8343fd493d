"""A runner's board arguments as a typed record, parsed from the mapping in `boards/<id>.yaml`.

Each runner declares a frozen dataclass (``QemuArgs(machine: str, cpu: str)``); `parse_record`
checks a YAML mapping against it when the board is loaded, so a mistake fails at
``fwgen boards`` rather than at flash time. Errors name the file and the field::

    boards/foo.yaml: runners.qemu.machine: missing required field
    boards/foo.yaml: runners.qemu: unknown field(s): colour
    boards/foo.yaml: runners.jlink.speed: expected an integer, got 'fast'

Field types: ``str`` (non-empty), ``int`` (not a bool), ``bool``, ``tuple[str, ...]`` (a YAML
list of strings), and ``T | None``; a field with a default is optional.
"""
from __future__ import annotations

import dataclasses
import logging
import types
import typing
from typing import Any, Mapping, TypeVar

from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

R = TypeVar("R")


@dataclasses.dataclass(frozen=True)
class NoArgs:
    """The record of a runner that takes no board arguments (``stflash: {}``)."""


def _is_optional(hint: Any) -> tuple[bool, Any]:
    """(True, T) for ``T | None``, (False, hint) otherwise."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        rest = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(rest) == 1 and len(typing.get_args(hint)) == 2:
            return True, rest[0]
    return False, hint


def _check(hint: Any, value: Any, where: str) -> Any:
    """`value` converted to `hint` (a YAML list becomes a tuple); FwgenError at `where` otherwise."""
    optional, hint = _is_optional(hint)
    if value is None and optional:
        return None
    if hint is str:
        if isinstance(value, str) and value:
            return value
        raise FwgenError(f"expected a non-empty string, got {value!r}", where=where)
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise FwgenError(f"expected true or false, got {value!r}", where=where)
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise FwgenError(f"expected an integer, got {value!r}", where=where)
    if typing.get_origin(hint) is tuple and typing.get_args(hint) == (str, Ellipsis):
        if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
            return tuple(value)
        raise FwgenError(f"expected a list of non-empty strings, got {value!r}", where=where)
    # A programming error in a runner module, not a user mistake.
    raise TypeError(f"{where}: unsupported board-argument type {hint!r}")


def parse_record(record: type[R], data: Any, where: str) -> R:
    """The `record` dataclass filled from the YAML mapping `data`.

    `where` is the mapping's place, e.g. ``boards/foo.yaml: runners.qemu``; every error names
    it plus the field. Missing required fields, unknown fields and wrong types are rejected.
    """
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise FwgenError(f"expected a mapping of runner arguments, got {data!r}", where=where)
    hints = typing.get_type_hints(record)
    fields = dataclasses.fields(record)  # type: ignore[arg-type]
    names = [f.name for f in fields]
    unknown = sorted(str(k) for k in data if k not in names)
    if unknown:
        raise FwgenError(f"unknown field(s): {', '.join(unknown)}", where=where,
                         hint=f"fields: {', '.join(names)}" if names else "this runner takes none")
    values: dict[str, Any] = {}
    for f in fields:
        if f.name not in data:
            has_default = (f.default is not dataclasses.MISSING
                           or f.default_factory is not dataclasses.MISSING)
            if not has_default:
                raise FwgenError("missing required field", where=f"{where}.{f.name}")
            continue
        values[f.name] = _check(hints[f.name], data[f.name], f"{where}.{f.name}")
    return record(**values)


def record_items(record: Any) -> list[tuple[str, Any]]:
    """(field, value) pairs of a record, in declaration order (for display)."""
    return [(f.name, getattr(record, f.name)) for f in dataclasses.fields(record)]
