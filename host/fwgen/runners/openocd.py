"""OpenOCD runner: its board arguments, typed and checked today.

The flash/erase/reset commands land with ``fwgen flash`` (``openocd -f CONFIG... -c "program
fw.elf verify reset exit"``). Until then `run()` refuses every command ("runner 'openocd'
cannot flash").
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from fwgen.runners.core import PendingRunner

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class OpenocdArgs:
    """``runners.openocd`` in a board file."""
    config: tuple[str, ...]   # -f scripts in order, e.g. interface/stlink.cfg, target/stm32u5x.cfg


class OpenocdRunner(PendingRunner):
    name = "openocd"
    programs = ("openocd",)
    install_hint = "install Debian's openocd"
    Args = OpenocdArgs
