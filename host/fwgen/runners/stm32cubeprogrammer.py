"""STM32CubeProgrammer runner (STM32_Programmer_CLI): its board arguments, typed and checked today.

The flash/erase/reset commands land with ``fwgen flash`` (``STM32_Programmer_CLI -c port=PORT
-w fw.elf -v -rst``; ``-e all``; ``-rst``). Until then `run()` refuses every command
("runner 'stm32cubeprogrammer' cannot flash").
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from fwgen.runners.core import PendingRunner

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stm32CubeProgrammerArgs:
    """``runners.stm32cubeprogrammer`` in a board file."""
    port: str   # the connection (-c port=...), e.g. swd


class Stm32CubeProgrammerRunner(PendingRunner):
    name = "stm32cubeprogrammer"
    programs = ("STM32_Programmer_CLI",)
    install_hint = "install ST's STM32CubeProgrammer and put STM32_Programmer_CLI on PATH"
    Args = Stm32CubeProgrammerArgs
