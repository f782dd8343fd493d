"""SEGGER J-Link runner (JLinkExe): its board arguments, typed and checked today.

The flash/erase/reset commands land with ``fwgen flash`` (``JLinkExe -device DEVICE -if SWD
-speed SPEED -CommandFile ...`` with loadfile / erase / r), with ``--dev-id``
(``-SelectEmuBySN``) to pick one of several probes. Until then `run()` refuses every command
("runner 'jlink' cannot flash").
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from fwgen.runners.core import PendingRunner

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class JlinkArgs:
    """``runners.jlink`` in a board file."""
    device: str   # J-Link device name (-device), e.g. EFR32MG24BxxxF1536
    speed: int    # SWD clock in kHz (-speed)


class JlinkRunner(PendingRunner):
    name = "jlink"
    programs = ("JLinkExe",)
    install_hint = "install SEGGER's J-Link Software and put JLinkExe on PATH"
    Args = JlinkArgs
