"""Kernel variants: optimized firmware/nn kernels that replace their portable namesakes on the
cores that can run them, chosen here and nowhere else.

`firmware/nn/` holds the portable C kernels, one per op and type (`nn_conv2d_s8.c`); the host
build (CMakeLists.txt, `fwgen.native`, `fwgen.compiler.host`) compiles only these.
`firmware/nn/dsp/` holds variants for cores with the DSP extension (`Board.dsp`, from
boards/<id>.yaml): a C file there named like a portable kernel replaces it in every firmware
build for such a board. The project renderer, `fwgen.project.model_size` and the test harness
(`fwgen.testing.harness`, through the renderer) all take their kernel files from `nn_files()`.

Adding a kernel variant is one new C file in firmware/nn/dsp/, with the portable kernel's name
and nn.h's contract (tested against the portable kernel). A variant with no portable namesake is
an error; a header in dsp/ is a helper of the variants and goes with them. Another variant
folder (say Helium for MVE cores) is one more entry in VARIANT_FOLDERS.

Public API::

    VARIANT_MODULE                                 # "nn": the module the variants belong to
    VARIANT_FOLDERS                                # (folder, which boards use it), in order
    variant_folders(board) -> tuple[str, ...]      # the folders a board's core can use
    nn_files(board, nn_dir) -> dict[str, Path]     # name in firmware/nn -> the file to use
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from fwgen.boards import Board
from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

SOURCE_SUFFIXES = (".c", ".h")
# The firmware/ module whose kernels have variants: the project renderer copies it through
# nn_files() instead of whole.
VARIANT_MODULE = "nn"

# Variant folders under firmware/nn/ and the cores they are for. A later folder's file wins over
# an earlier one's for a board that can use both.
VARIANT_FOLDERS: tuple[tuple[str, Callable[[Board], bool]], ...] = (
    ("dsp", lambda board: board.dsp),   # Armv7E-M / Armv8-M DSP extension: SIMD on 8/16-bit lanes
)


def variant_folders(board: Board) -> tuple[str, ...]:
    """The variant folders whose kernels a build for `board` uses."""
    return tuple(folder for folder, applies in VARIANT_FOLDERS if applies(board))


def _sources(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in SOURCE_SUFFIXES)


def nn_files(board: Board, nn_dir: Path) -> dict[str, Path]:
    """Every file a firmware build for `board` takes from `nn_dir` (firmware/nn), keyed by its
    portable name: `{"nn_conv2d_s8.c": nn_dir/"dsp"/"nn_conv2d_s8.c", "nn.h": nn_dir/"nn.h", ...}`
    on a DSP core, the portable file itself elsewhere. Helper headers of a variant folder come
    under "<folder>/<name>.h". Raises FwgenError naming a variant without a portable kernel
    (checked for every board, so a misnamed variant fails on every build)."""
    chosen = {p.name: p for p in _sources(nn_dir)}
    portable = set(chosen)
    used = set(variant_folders(board))
    for folder, _ in VARIANT_FOLDERS:
        for path in _sources(nn_dir / folder):
            if path.suffix == ".c" and path.name not in portable:
                raise FwgenError(f"kernel variant {folder}/{path.name} has no portable kernel "
                                 f"{path.name} beside it", where=str(path),
                                 hint="a variant replaces the portable kernel of the same name: "
                                      "name it after one, or add the portable kernel first")
            if folder in used:
                LOG.debug("%s: %s from firmware/nn/%s/", board.id, path.name, folder)
                chosen[path.name if path.suffix == ".c" else f"{folder}/{path.name}"] = path
    return chosen
