"""Test images for the QEMU twins, built and run the way shipped firmware is.

An image is a PlatformIO project of the renderer's "harness" app (`fwgen.project.render`): the
caller's main.c and generated files under src/generated/, firmware/app/harness/ (semihosting
file output, `app/harness/harness.h`), the firmware library modules it asks for, the Cortex-M
startup (firmware/ports/cortexm/startup.c) and the twin's port (firmware/ports/mps2/), the
linker script generated from the board's memory map and the compiler flags of every firmware
build (`fwgen.project.toolchain`), with the board's kernel variants (`fwgen.project.variants`).
`pio run` builds it (`fwgen.project.platformio.run_pio`) and the QEMU runner runs it to its exit
status with no UART (`fwgen.runners.qemu.QemuRunner.run_to_exit`). The emulator-tier tests
(tests/emu/test_frontend_qemu.py, test_logmel_qemu.py) and the device benchmarks
(benchmarks/frontend_device.py, logmel_device_bench.py) use it, so "device == host, bit for bit"
and "instructions per frame" are measured on the same images as the firmware users flash.

    twin = Twin.from_board("mps2_an505")
    elf = build_image(twin, tmp_path / "image", MAIN_C, {"frontend_config.c": ...},
                      modules=("frontend",))
    output = run_image(twin, elf, cwd=tmp_path)     # main() wrote its files there

main() returns the image's exit status (non-zero: `run_image` raises with QEMU's output). It may
call `fwgen_harness_open(name)`, `fwgen_harness_write(handle, data, size)`,
`fwgen_harness_close(handle)`, `fwgen_harness_puts(text)` (app/harness/harness.h) and time with
the port's cycle counter: `fwgen_harness_init()` starts it, `fwgen_port_cycles()` reads it. Under
`run_image(..., icount=True)` (`-icount shift=0`, one instruction per ns of virtual time) a count
is `Twin.ns_per_tick` = 1e9 / clock_hz instructions: counts for regressions and comparisons,
never latency.
"""
from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from fwgen.boards import Board, get_board
from fwgen.errors import FwgenError, ToolMissingError
from fwgen.project.platformio import run_pio
from fwgen.project.render import ProjectSpec, render_project
from fwgen.runners.qemu import QemuRunner, qemu_program

LOG = logging.getLogger(__name__)

TWIN_BOARDS = ("mps2_an505", "mps2_an386", "mps2_an500")  # Cortex-M33, M4F, M7
MAIN_C = "main.c"   # the image's main(), under src/generated/


@dataclass(frozen=True)
class Twin:
    """An emulator twin (boards/<board_id>.yaml) as a test image sees it."""

    board: Board

    @classmethod
    def from_board(cls, board_id: str) -> "Twin":
        board = get_board(board_id)
        if board.qemu_machine is None:
            raise FwgenError(f"board {board.id!r} has no QEMU machine", where=str(board.source))
        return cls(board)

    @property
    def board_id(self) -> str:
        return self.board.id

    @property
    def machine(self) -> str:
        return str(self.board.qemu_machine)

    @property
    def core(self) -> str:
        return self.board.core

    @property
    def cpu_flags(self) -> tuple[str, ...]:
        """The -mcpu/-mfpu/-mfloat-abi flags the image is compiled with (the board's)."""
        return tuple(self.board.gcc_cpu_flags())

    @property
    def flash(self) -> tuple[int, int]:
        """Origin and length of the code region."""
        return self.board.memory.flash.origin, self.board.memory.flash.length

    @property
    def ram(self) -> tuple[int, int]:
        return self.board.memory.ram.origin, self.board.memory.ram.length

    @property
    def clock_hz(self) -> int:
        return self.board.clock_hz

    @property
    def ns_per_tick(self) -> float:
        """Instructions per cycle-counter step under `-icount shift=0` (SysTick on the CPU clock)."""
        return 1e9 / self.clock_hz


def tools_missing() -> list[str]:
    """The programs a twin image needs that are not there (QEMU: the one twins run)."""
    return [t for t in ("arm-none-eabi-gcc", qemu_program()) if shutil.which(t) is None]


def c_array(ctype: str, name: str, values: Iterable[int], per_row: int = 16) -> str:
    """`static const <ctype> name[N] = {...};` with integer values (for test input headers)."""
    items = [str(int(v)) for v in values]
    rows = "\n".join("    " + ", ".join(items[i:i + per_row]) + ","
                     for i in range(0, len(items), per_row))
    return f"static const {ctype} {name}[{len(items)}] = {{\n{rows}\n}};\n"


def project_spec(twin: Twin, main_c: str, generated: Mapping[str, str] | None = None, *,
                 modules: Sequence[str] | None = None) -> ProjectSpec:
    """The project of one image: the "harness" app on the twin alone, `main_c` and `generated`
    (headers and C files, all compiled) under src/generated/, the firmware library `modules`
    (default: all of them; naming the few an image tests keeps its build short)."""
    files = dict(generated or {})
    if MAIN_C in files:
        raise FwgenError(f"{MAIN_C} is the image's main(): pass it as main_c, not as a generated file")
    return ProjectSpec(board=twin.board, generated={MAIN_C: main_c, **files},
                       inputs={"image": "fwgen.testing.harness"}, include_twin=False,
                       app="harness", modules=None if modules is None else tuple(modules))


def build_image(twin: Twin, project_dir: Path, main_c: str,
                generated: Mapping[str, str] | None = None, *,
                modules: Sequence[str] | None = None) -> Path:
    """Render the image's project into `project_dir` (one folder per image), `pio run` it and
    return the ELF. Warnings are errors, as for every fwgen test image."""
    if tools_missing():
        raise ToolMissingError(tools_missing()[0])
    project = render_project(project_spec(twin, main_c, generated, modules=modules), project_dir)
    output = run_pio(project.path, twin.board_id)
    warnings = [line for line in output.splitlines() if "warning:" in line]
    if warnings:
        raise FwgenError(f"the {twin.board_id} test image builds with warnings:\n"
                         + "\n".join(warnings[:20]), where=str(project.path))
    return project.elf(twin.board_id)


def run_image(twin: Twin, elf: Path, cwd: Path, *, icount: bool = False,
              timeout: float = 300) -> str:
    """Run an image under QEMU in `cwd` (where its semihosting files go); its stdout+stderr.

    Raises FwgenError with the output when main() returns non-zero or QEMU fails.
    """
    status, output = QemuRunner(twin.board).run_to_exit(elf, cwd=cwd, icount=icount, timeout=timeout)
    if status != 0:
        raise FwgenError(f"the test image on {twin.machine} exited with {status}:\n"
                         f"{output[-4000:]}", where=str(elf))
    return output
