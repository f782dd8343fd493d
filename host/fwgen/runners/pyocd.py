"""pyOCD runner (CMSIS-DAP / ST-LINK probes): its board arguments, typed and checked today.

The flash/erase/reset commands land with ``fwgen flash`` (``pyocd load -t TARGET fw.elf``,
``pyocd erase --chip``, ``pyocd reset``), with its options ``--probe`` (``-u UID``) and
``--pack`` (a CMSIS pack for a target pyOCD does not build in). Until then `run()` refuses every
command ("runner 'pyocd' cannot flash").
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from fwgen.runners.core import PendingRunner

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class PyocdArgs:
    """``runners.pyocd`` in a board file."""
    target: str                  # pyOCD target name (-t), e.g. stm32u585aiix
    pack_required: bool = False  # the target comes from a CMSIS pack, not pyOCD's built-ins


class PyocdRunner(PendingRunner):
    name = "pyocd"
    programs = ("pyocd",)
    install_hint = "pip install pyocd"
    Args = PyocdArgs
