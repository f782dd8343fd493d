"""Simplicity Commander runner (Silicon Labs kits): its board arguments, typed and checked today.

The flash/erase/reset commands land with ``fwgen flash`` (``commander flash fw.hex --device
DEVICE``; ``commander device masserase``; ``commander device reset``), with ``--dev-id``
(``--serialno``) to pick one of several kits. Until then `run()` refuses every command
("runner 'commander' cannot flash").
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from fwgen.runners.core import PendingRunner

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class CommanderArgs:
    """``runners.commander`` in a board file."""
    device: str   # the part (--device), e.g. EFR32MG24B310F1536IM48


class CommanderRunner(PendingRunner):
    name = "commander"
    programs = ("commander",)
    install_hint = "install Silicon Labs' Simplicity Commander and put commander on PATH"
    Args = CommanderArgs
