"""Bare-metal test images for the QEMU twins: run frontend (and detector) C code on an emulated
Cortex-M core and get its output back, with no board port, RTOS or link protocol in between.

Used by the emulator-tier tests (tests/emu/test_frontend_qemu.py, test_logmel_qemu.py) and the
device benchmarks (benchmarks/frontend_device.py, logmel_device_bench.py), so that "device ==
host, bit for bit" and "instructions per frame" are measured on the same images.

An image is: `twin_harness.h` + a startup file (vector table, FPU enable, .data/.bss set-up,
semihosting exit with main()'s return code) + a linker script for the twin's memory map +
the caller's `main.c`, generated headers and firmware sources. Everything about a twin (QEMU
machine, core, FPU, clock, memory map) comes from its board file, boards/<id>.yaml.

    twin = Twin.from_board("mps2_an505")
    elf = build_image(twin, work, MAIN_C, frontend_sources(), {"frontend_config.c": ...})
    output = run_image(twin, elf, cwd=work)          # main() wrote files there via semihosting

`main.c` can use (declared in twin_harness.h): `twin_open(name)`, `twin_write(handle, data,
size)`, `twin_close(handle)`, `twin_puts(text)` (to QEMU's stdout), and SysTick on the CPU
clock: `twin_systick_start()`, `twin_systick_now()`, `twin_ticks_since(start)`. Under
`run_image(..., icount=True)` (`-icount shift=0`, one instruction per ns) a tick is
1e9 / clock_hz instructions: counts for regressions and comparisons, never latency.
"""
from __future__ import annotations

import logging
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from fwgen.errors import FwgenError, ToolMissingError
from fwgen.native import repo_root

LOG = logging.getLogger(__name__)

TWIN_BOARDS = ("mps2_an505", "mps2_an386", "mps2_an500")  # Cortex-M33, M4F, M7

HEADER = r"""/* twin_harness.h: what a bare-metal twin test image's main() may call (fwgen.frontend.twin_harness) */
#ifndef TWIN_HARNESS_H
#define TWIN_HARNESS_H
#include <stdint.h>
int twin_open(const char *name);                       /* semihosting SYS_OPEN "wb"; < 0 on error */
void twin_write(int handle, const void *data, uint32_t size);
void twin_close(int handle);
void twin_puts(const char *text);                      /* to QEMU's stdout */
void twin_systick_start(void);                         /* free-running 24-bit SysTick, CPU clock */
uint32_t twin_systick_now(void);
uint32_t twin_ticks_since(uint32_t start);             /* counts down: start - now, 24 bits */
#endif
"""

STARTUP = r"""/* Startup of a bare-metal twin test image (fwgen.frontend.twin_harness). */
#include <stdint.h>
#include <string.h>
#include "twin_harness.h"

extern uint32_t _data_load, _data_start, _data_end, _bss_start, _bss_end, _stack_top;
int main(void);

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

static int semihost(int op, void *arg)
{
    register int r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

int twin_open(const char *name)
{
    uint32_t args[3] = {(uint32_t)name, 5u /* "wb" */, (uint32_t)strlen(name)};
    return semihost(0x01, args);
}

void twin_write(int handle, const void *data, uint32_t size)
{
    uint32_t args[3] = {(uint32_t)handle, (uint32_t)data, size};
    semihost(0x05, args);
}

void twin_close(int handle)
{
    uint32_t args[1] = {(uint32_t)handle};
    semihost(0x02, args);
}

void twin_puts(const char *text) { semihost(0x04, (void *)text); }

void twin_systick_start(void)
{
    SYST_RVR = 0x00FFFFFFu;
    SYST_CVR = 0u;
    SYST_CSR = 5u; /* enable, processor clock, no interrupt */
}

uint32_t twin_systick_now(void) { return SYST_CVR; }

uint32_t twin_ticks_since(uint32_t start) { return (start - SYST_CVR) & 0x00FFFFFFu; }

__attribute__((noreturn)) void reset_handler(void)
{
#if defined(__ARM_FP)
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20; /* CPACR: CP10, CP11 full access */
    __asm__ volatile("dsb\n isb");
#endif
    uint32_t *src = &_data_load, *dst = &_data_start;
    while (dst < &_data_end) *dst++ = *src++;
    for (dst = &_bss_start; dst < &_bss_end;) *dst++ = 0;
    uint32_t args[2] = {0x20026u /* ADP_Stopped_ApplicationExit */, (uint32_t)main()};
    semihost(0x20, args); /* SYS_EXIT_EXTENDED: QEMU exits with main()'s return code */
    for (;;) {}
}

__attribute__((section(".vectors"), used)) static const void *const vectors[16] = {
    &_stack_top, (const void *)reset_handler,
};
"""

LINKER = """
MEMORY {{ FLASH (rx) : ORIGIN = {flash:#x}, LENGTH = {flash_len:#x}  RAM (rwx) : ORIGIN = {ram:#x}, LENGTH = {ram_len:#x} }}
ENTRY(reset_handler)
SECTIONS {{
  .text : {{ KEEP(*(.vectors)) *(.text*) *(.rodata*) . = ALIGN(4); }} > FLASH
  .ARM.exidx : {{ *(.ARM.exidx*) }} > FLASH
  _data_load = LOADADDR(.data);
  .data : {{ _data_start = .; *(.data*) . = ALIGN(4); _data_end = .; }} > RAM AT > FLASH
  .bss (NOLOAD) : {{ _bss_start = .; *(.bss*) *(COMMON) . = ALIGN(4); _bss_end = .; }} > RAM
  _stack_top = ORIGIN(RAM) + LENGTH(RAM);
}}
"""


@dataclass(frozen=True)
class Twin:
    """An emulator twin as a bare-metal image needs it (from boards/<board_id>.yaml)."""

    board_id: str
    machine: str
    core: str
    cpu_flags: tuple[str, ...]
    flash: tuple[int, int]  # origin, length
    ram: tuple[int, int]
    clock_hz: int

    @classmethod
    def from_board(cls, board_id: str) -> "Twin":
        from fwgen.boards import get_board

        board = get_board(board_id)
        if board.qemu_machine is None:
            raise FwgenError(f"board {board.id!r} has no QEMU machine", where=str(board.source))
        m = board.memory
        return cls(board.id, board.qemu_machine, board.core, tuple(board.gcc_cpu_flags()),
                   (m.flash.origin, m.flash.length), (m.ram.origin, m.ram.length), board.clock_hz)

    @property
    def ns_per_tick(self) -> float:
        """Instructions per SysTick tick under `-icount shift=0`."""
        return 1e9 / self.clock_hz


def tools_missing() -> list[str]:
    """The programs a twin image needs that are not on PATH."""
    return [t for t in ("arm-none-eabi-gcc", "qemu-system-arm") if shutil.which(t) is None]


def frontend_sources() -> list[Path]:
    """The fixed-point frontend's C files (firmware/frontend/ without the log-mel frontend)."""
    folder = repo_root() / "firmware" / "frontend"
    return sorted(p for p in folder.glob("*.c") if not p.name.startswith("logmel"))


def c_array(ctype: str, name: str, values: Iterable[int], per_row: int = 16) -> str:
    """`static const <ctype> name[N] = {...};` with integer values (for test input headers)."""
    items = [str(int(v)) for v in values]
    rows = "\n".join("    " + ", ".join(items[i:i + per_row]) + ","
                     for i in range(0, len(items), per_row))
    return f"static const {ctype} {name}[{len(items)}] = {{\n{rows}\n}};\n"


def build_image(twin: Twin, work: Path, main_c: str, sources: Sequence[Path],
                generated: Mapping[str, str] | None = None, *, name: str = "twin",
                opt: str = "-O2", defines: Sequence[str] = ()) -> Path:
    """Compile main_c + sources (+ the generated .c files) into `work/<name>.elf` for `twin`.

    `generated` maps file names to text written into `work` first (headers and C files; the
    .c files are compiled too). Warnings are errors, as in every fwgen build.
    """
    if tools_missing():
        raise ToolMissingError(tools_missing()[0])
    work.mkdir(parents=True, exist_ok=True)
    files = {"twin_harness.h": HEADER, "twin_startup.c": STARTUP, f"{name}_main.c": main_c,
             **dict(generated or {})}
    for fname, text in files.items():
        (work / fname).write_text(text)
    (work / f"{name}.ld").write_text(LINKER.format(flash=twin.flash[0], flash_len=twin.flash[1],
                                                  ram=twin.ram[0], ram_len=twin.ram[1]))
    c_files = [work / f for f in files if f.endswith(".c")] + [Path(s) for s in sources]
    elf = work / f"{name}.elf"
    argv = ["arm-none-eabi-gcc", *twin.cpu_flags, "-std=gnu11", opt, "-Wall", "-Wextra", "-Werror",
            "-ffunction-sections", "-fdata-sections", "-nostartfiles", "--specs=nano.specs",
            "--specs=nosys.specs", "-Wl,--gc-sections", f"-T{work / f'{name}.ld'}", f"-I{work}",
            f"-I{repo_root() / 'firmware'}", *(f"-D{d}" for d in defines),
            *map(str, c_files), "-lm", "-o", str(elf)]
    LOG.debug("building %s: %s", elf, " ".join(argv))
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        raise FwgenError(f"the {twin.board_id} test image does not build:\n{proc.stderr[-4000:]}",
                         where=str(work))
    return elf


def run_image(twin: Twin, elf: Path, cwd: Path, *, icount: bool = False,
              timeout: float = 300) -> str:
    """Run an image under QEMU in `cwd` (where its semihosting files go); its stdout+stderr.

    Raises FwgenError with the output when main() returns non-zero or QEMU fails.
    """
    argv = ["qemu-system-arm", "-M", twin.machine, "-display", "none", "-monitor", "none",
            "-serial", "none", "-no-reboot", "-semihosting-config", "enable=on,target=native",
            *(["-icount", "shift=0"] if icount else []), "-kernel", str(elf)]
    LOG.debug("running %s", " ".join(argv))
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise FwgenError(f"the test image on {twin.machine} exited with {proc.returncode}:\n"
                         f"{output[-4000:]}", where=str(elf))
    return output
