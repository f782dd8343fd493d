"""Flash figures of a compiled model: code and const data, measured on the cross compiler.

Each source the model links (<name>.c and the firmware/nn kernels it calls) is compiled with
arm-none-eabi-gcc for a Cortex-M33 at -Os with one section per function/object; `.text*` sections
count as code, `.rodata*` as const data (weights, multipliers, parameter structs). No linking,
so the figures exclude the C library (only memmove/memcpy/round are used).
"""
from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from elftools.elf.elffile import ELFFile

from fwgen import native
from fwgen.compiler.compile import CompiledModel
from fwgen.errors import FwgenError, ToolMissingError

LOG = logging.getLogger(__name__)

CROSS_CC = "arm-none-eabi-gcc"
CROSS_FLAGS = ("-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16", "-Os",
               "-ffunction-sections", "-fdata-sections", "-std=c11", "-Wall", "-Wextra", "-Werror")


@dataclass(frozen=True)
class FlashSize:
    code_bytes: int      # .text of the model's invoke function plus the kernels it calls
    const_bytes: int     # .rodata: weights, biases, multipliers, parameter structs


def _sections(obj: Path) -> tuple[int, int]:
    code = const = 0
    with obj.open("rb") as fh:
        for sec in ELFFile(fh).iter_sections():
            if sec.name.startswith(".text"):
                code += sec["sh_size"]
            elif sec.name.startswith(".rodata"):
                const += sec["sh_size"]
    return code, const


def flash_size(compiled: CompiledModel, compiler: str = CROSS_CC) -> FlashSize:
    """Compile for Cortex-M33 and sum code/const sections. Raises ToolMissingError without gcc."""
    if shutil.which(compiler) is None:
        raise ToolMissingError(compiler)
    root = native.repo_root()
    code = const = 0
    with tempfile.TemporaryDirectory(prefix="fwgen-size-") as tmp:
        gen = Path(tmp)
        for rel, text in compiled.files.items():
            (gen / rel).write_text(text)
        sources = [gen / f"{compiled.name}.c"] + compiled.kernel_sources(root)
        for i, src in enumerate(sources):
            obj = gen / f"{i}.o"
            argv = [compiler, *CROSS_FLAGS, f"-I{gen}", f"-I{root / 'firmware'}", "-c", str(src), "-o", str(obj)]
            proc = subprocess.run(argv, capture_output=True, text=True)
            if proc.returncode != 0:
                raise FwgenError(f"cross compilation failed: {' '.join(argv)}\n{proc.stderr}")
            c, k = _sections(obj)
            code += c
            const += k
    return FlashSize(code, const)
