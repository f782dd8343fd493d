"""Flash figures of a compiled model on a board: code and const data, measured on the cross
compiler before any project is built (`fwgen validate`, benchmarks/arena.py).

Each source the model links (<name>.c and the firmware/nn kernels it calls, the board's kernel
variants where its core has them: `fwgen.project.variants`) is compiled the way the shipped
firmware compiles it for the board (`fwgen.project.toolchain`: the board's
-mcpu/-mfpu/-mfloat-abi and the firmware's C flags, -O2 with one section per function/object),
plus -Werror; `.text*` sections count as code, `.rodata*` as const data (weights, multipliers,
parameter structs). No linking, so the figures exclude the C library (only memmove/memcpy/round
are used). Without a board the figures are for DEFAULT_BOARD's Cortex-M33.

Public API::

    flash_size(compiled, board=None) -> FlashSize       # ToolMissingError without the compiler
    code_bytes(compiled) -> int | None                  # None (logged) without the compiler
    model_sources(compiled, board, gen, root) -> list[Path]
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
from fwgen.boards import Board, get_board
from fwgen.compiler.compile import CompiledModel
from fwgen.errors import FwgenError, ToolMissingError
from fwgen.project.toolchain import CROSS_CC, compile_flags
from fwgen.project.variants import nn_files

LOG = logging.getLogger(__name__)

DEFAULT_BOARD = "b_u585i_iot02a"   # STM32U585: Cortex-M33, single-precision FPU, DSP


@dataclass(frozen=True)
class FlashSize:
    code_bytes: int      # .text of the model's invoke function plus the kernels it calls
    const_bytes: int     # .rodata: weights, biases, multipliers, parameter structs
    board: str = DEFAULT_BOARD   # the board whose core and flags the figures are for


def _sections(obj: Path) -> tuple[int, int]:
    code = const = 0
    with obj.open("rb") as fh:
        for sec in ELFFile(fh).iter_sections():
            if sec.name.startswith(".text"):
                code += sec["sh_size"]
            elif sec.name.startswith(".rodata"):
                const += sec["sh_size"]
    return code, const


def model_sources(compiled: CompiledModel, board: Board, gen: Path, root: Path) -> list[Path]:
    """The C files a build of `compiled` for `board` compiles: the generated <name>.c (in `gen`)
    and each firmware/nn file it links, or that file's variant for the board's core."""
    chosen = nn_files(board, root / "firmware" / "nn")
    return [gen / f"{compiled.name}.c"] + [chosen[p.name] for p in compiled.kernel_sources(root)]


def code_bytes(compiled: CompiledModel, board: Board | str | None = None) -> int | None:
    """The code figure of `flash_size`, or None with a warning when the cross compiler is missing
    (what `fwgen validate` reports)."""
    try:
        return flash_size(compiled, board).code_bytes
    except ToolMissingError as exc:
        LOG.warning("code size not measured: %s", exc)
        return None


def flash_size(compiled: CompiledModel, board: Board | str | None = None,
               compiler: str = CROSS_CC) -> FlashSize:
    """Compile for `board` (default DEFAULT_BOARD) and sum code/const sections.
    Raises ToolMissingError without gcc."""
    if shutil.which(compiler) is None:
        raise ToolMissingError(compiler)
    board = get_board(board or DEFAULT_BOARD) if not isinstance(board, Board) else board
    flags = [*compile_flags(board), "-Werror"]
    root = native.repo_root()
    code = const = 0
    with tempfile.TemporaryDirectory(prefix="fwgen-size-") as tmp:
        gen = Path(tmp)
        for rel, text in compiled.files.items():
            (gen / rel).write_text(text)
        for i, src in enumerate(model_sources(compiled, board, gen, root)):
            obj = gen / f"{i}.o"
            argv = [compiler, *flags, f"-I{gen}", f"-I{root / 'firmware'}", "-c", str(src), "-o", str(obj)]
            LOG.debug("compiling %s", " ".join(argv))
            proc = subprocess.run(argv, capture_output=True, text=True)
            if proc.returncode != 0:
                raise FwgenError(f"cross compilation failed: {' '.join(argv)}\n{proc.stderr}")
            c, k = _sections(obj)
            code += c
            const += k
    return FlashSize(code, const, board.id)
