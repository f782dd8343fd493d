"""Instructions per log-mel frame and per detector call on the QEMU twins (M4F, M7, M33).

Run: .venv/bin/python benchmarks/logmel_device_bench.py  (needs arm-none-eabi-gcc and
qemu-system-arm; the latest output is committed beside it as logmel_device_bench.txt).

QEMU runs with `-icount shift=0` (one instruction = 1 ns of virtual time) and SysTick on the CPU
clock, so ticks * 1e9 / clock = instructions, to within one tick (25 or 50 instructions) per
reading. These are instruction counts for regressions and comparisons, not cycles.
"""
from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from fwgen.detect import SmoothingSettings, render_detector_config
from fwgen.frontend.logmel import render_logmel_tables

REPO = Path(__file__).resolve().parents[1]
TWINS = [  # machine, cpu, fpu, flash, ram, SysTick clock (boards/mps2_*.yaml clock_hz)
    ("mps2-an386", "cortex-m4", "fpv4-sp-d16", 0x00000000, 0x20000000, 25_000_000),
    ("mps2-an500", "cortex-m7", "fpv5-d16", 0x00000000, 0x20000000, 25_000_000),
    ("mps2-an505", "cortex-m33", "fpv5-sp-d16", 0x10000000, 0x38000000, 20_000_000),
]
N_FRAMES = 50
N_RESULTS = 200

LINKER = """
MEMORY {{ FLASH (rx) : ORIGIN = {flash:#x}, LENGTH = 4M  RAM (rwx) : ORIGIN = {ram:#x}, LENGTH = 4M }}
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

MAIN = r"""
#include <stdint.h>
#include "logmel_tables.h"
#include "detect_config.h"
#include "bench_input.h"
extern uint32_t _data_load, _data_start, _data_end, _bss_start, _bss_end, _stack_top;
int main(void);
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
static int semihost(int op, void *arg) {
    register int r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}
__attribute__((noreturn)) void reset_handler(void) {
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm__ volatile("dsb\n isb");
    uint32_t *src = &_data_load, *dst = &_data_start;
    while (dst < &_data_end) *dst++ = *src++;
    for (dst = &_bss_start; dst < &_bss_end;) *dst++ = 0;
    uint32_t args[2] = {0x20026u, (uint32_t)main()};
    semihost(0x20, args);
    for (;;) {}
}
__attribute__((section(".vectors"), used)) static const void *vectors[16] = {&_stack_top, (void *)reset_handler};
static uint32_t fe_buffer[(FWGEN_LOGMEL_BUFFER_SIZE + 3) / 4];
static uint32_t det_buffer[(FWGEN_DETECT_BUFFER_SIZE + 3) / 4];
static float frame[FWGEN_LOGMEL_N_CHANNELS];
static int8_t qframe[FWGEN_LOGMEL_N_CHANNELS];
static uint32_t ticks_since(uint32_t start) { return (start - SYST_CVR) & 0x00FFFFFFu; }
int main(void) {
    SYST_RVR = 0x00FFFFFFu; SYST_CVR = 0; SYST_CSR = 5u; /* processor clock, no interrupt */
    uint32_t result[4] = {0, 0, 0, 0};
    fwgen_logmel_state_t fe;
    fwgen_logmel_init(&fwgen_logmel_config, &fe, fe_buffer, sizeof fe_buffer);
    for (uint32_t f = 0; f < BENCH_FRAMES; ++f) {
        uint32_t t0 = SYST_CVR;
        fwgen_logmel_compute_frame(&fwgen_logmel_config, &bench_audio[f * FWGEN_LOGMEL_WINDOW_STEP], fe.scratch, frame);
        result[0] += ticks_since(t0);
        t0 = SYST_CVR;
        fwgen_logmel_quantize_s8(frame, FWGEN_LOGMEL_N_CHANNELS, 0.0431f, 35, qframe);
        result[1] += ticks_since(t0);
    }
    fwgen_detect_state_t det;
    fwgen_detect_init(&fwgen_detect_config, &det, det_buffer, sizeof det_buffer);
    for (uint32_t i = 0; i < BENCH_RESULTS; ++i) {
        fwgen_detect_result_t r;
        uint32_t t0 = SYST_CVR;
        fwgen_detect_process_s8(&fwgen_detect_config, &det, bench_scores[i], i * 20u, &r, 0);
        result[2] += ticks_since(t0);
        result[3] += r.is_new;
    }
    static const char name[] = "bench.bin";
    uint32_t open_args[3] = {(uint32_t)name, 5u, sizeof name - 1u};
    int h = semihost(0x01, open_args);
    uint32_t write_args[3] = {(uint32_t)h, (uint32_t)result, sizeof result};
    semihost(0x05, write_args);
    return 0;
}
"""


def rows(values) -> str:
    items = [str(int(v)) for v in values]
    return "\n".join("    " + ", ".join(items[i:i + 16]) + "," for i in range(0, len(items), 16))


def main() -> int:
    gcc, qemu = shutil.which("arm-none-eabi-gcc"), shutil.which("qemu-system-arm")
    if not gcc or not qemu:
        print("needs arm-none-eabi-gcc and qemu-system-arm", file=sys.stderr)
        return 1
    rng = np.random.default_rng(0)
    audio = np.clip(rng.normal(size=160 * N_FRAMES + 400) * 3000, -32768, 32767).astype(np.int16)
    scores = rng.integers(-128, 128, size=(N_RESULTS, 4))
    classes = ["silence", "unknown", "yes", "no"]
    print(f"{'twin':12s} {'core':11s} {'log-mel frame':>14s} {'int8 quantize':>14s} {'detector call':>14s}  (instructions)")
    for machine, cpu, fpu, flash, ram, clock in TWINS:
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp)
            files = {**render_logmel_tables({}), **render_detector_config(classes, SmoothingSettings())}
            for name, text in files.items():
                (d / name).write_text(text)
            (d / "bench_input.h").write_text(
                f"#define BENCH_FRAMES {N_FRAMES}u\n#define BENCH_RESULTS {N_RESULTS}u\n"
                f"static const int16_t bench_audio[{audio.size}] = {{\n{rows(audio)}\n}};\n"
                f"static const int8_t bench_scores[{N_RESULTS}][4] = {{\n"
                + "\n".join("    {" + ", ".join(str(v) for v in r) + "}," for r in scores) + "\n};\n")
            (d / "main.c").write_text(MAIN)
            (d / "link.ld").write_text(LINKER.format(flash=flash, ram=ram))
            subprocess.run([gcc, "-std=gnu11", "-O2", f"-mcpu={cpu}", f"-mfpu={fpu}", "-mfloat-abi=hard",
                            "-mthumb", "-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs",
                            f"-T{d / 'link.ld'}", f"-I{d}", f"-I{REPO / 'firmware'}", str(d / "main.c"),
                            str(d / "logmel_tables.c"), str(d / "detect_config.c"),
                            str(REPO / "firmware/frontend/logmel.c"), str(REPO / "firmware/detect/detect.c"),
                            "-lm", "-o", str(d / "bench.elf")], check=True)
            subprocess.run([qemu, "-M", machine, "-display", "none", "-monitor", "none", "-serial", "none",
                            "-icount", "shift=0", "-semihosting-config", "enable=on,target=native",
                            "-kernel", str(d / "bench.elf")], cwd=d, check=True, timeout=600)
            fe_ticks, q_ticks, det_ticks, _events = struct.unpack("<4I", (d / "bench.bin").read_bytes())
        per_tick = 1e9 / clock
        print(f"{machine:12s} {cpu:11s} {fe_ticks * per_tick / N_FRAMES:14,.0f} "
              f"{q_ticks * per_tick / N_FRAMES:14,.0f} {det_ticks * per_tick / N_RESULTS:14,.0f}")
    print(f"log-mel: YAMNet settings (400-sample window, 512 FFT x2, 64 mel); {N_FRAMES} frames of noise. "
          f"Detector: 4 classes, 1000 ms window, 20 ms between results ({N_RESULTS} calls).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
