"""st-flash runner (stlink-tools, ST-LINK probes): its board arguments, typed and checked today.

The flash/erase/reset commands land with ``fwgen flash`` (``st-flash --reset write fw.bin
ADDRESS``, the address being the board's flash origin; ``st-flash erase``; ``st-flash reset``),
with ``--dev-id`` (``--serial``) to pick one of several probes. Until then `run()` refuses every
command ("runner 'stflash' cannot flash").
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from fwgen.runners.core import PendingRunner

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class StflashArgs:
    """``runners.stflash`` in a board file: none today (``stflash: {}``)."""


class StflashRunner(PendingRunner):
    name = "stflash"
    programs = ("st-flash",)
    install_hint = "install Debian's stlink-tools"
    Args = StflashArgs
