"""The cross compiler's flags for fwgen firmware: defined once, here.

Every firmware build goes through fwgen's PlatformIO platform, whose builder
(templates/platformio/platform/builder/main.py) takes these flags from the board definition fwgen
renders (``build.fwgen.cflags``, ``ldflags``, ``libs`` beside ``cpu_flags``, see
`fwgen.project.render.pio_board_json`). `fwgen.project.model_size` compiles with the same flags,
so a flash figure is the code the shipped firmware carries.

Public API::

    CROSS_CC                      # arm-none-eabi-gcc from PATH
    C_FLAGS, LINK_FLAGS, LIBS     # the same for every board
    compile_flags(board) -> list[str]   # the board's -mcpu/-mfpu/-mfloat-abi + C_FLAGS
"""
from __future__ import annotations

from fwgen.boards import Board

CROSS_CC = "arm-none-eabi-gcc"

# Compile: optimise for speed (the kernels are the hot path), one section per function and
# object so the linker drops what a model does not call, debug info for gdb (not in the image),
# each function's frame and calls beside its object (.su, .ci: fwgen.project.stack sizes the
# stack from them).
C_FLAGS = ("-O2", "-g3", "-std=gnu11", "-ffunction-sections", "-fdata-sections", "-fno-common",
           "-Wall", "-Wextra", "-fstack-usage", "-fcallgraph-info=su")
# Link: fwgen's own startup (firmware/ports/cortexm/startup.c), newlib-nano without syscalls.
LINK_FLAGS = ("-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections")
LIBS = ("c_nano", "m", "nosys", "gcc")


def compile_flags(board: Board) -> list[str]:
    """What gcc compiles a firmware C file for `board` with (before include paths)."""
    return [*board.gcc_cpu_flags(), *C_FLAGS]
