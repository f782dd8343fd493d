"""Instructions per frontend frame on the Cortex-M33 emulator twin (QEMU mps2-an505).

    .venv/bin/python benchmarks/frontend_device.py [--frames 49]

Builds a bare-metal harness (its own vector table, linker script and semihosting exit; no
port code) around firmware/frontend/ and the rendered tables of a few settings, feeds the
micro_speech "yes" clip through fwgen_frontend_process(), and reads SysTick around every frame.
Under `qemu -icount shift=0` one instruction takes 1 ns of virtual time, so SysTick counts
instructions; a calibration loop of a known instruction count converts ticks to instructions.
Instruction counts are for regressions and comparisons, not latency (DESIGN.md). The harness
also checks its frames against the host binding, so the numbers are for the bit-exact code.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"

LINKER = """
MEMORY {
  CODE (rx) : ORIGIN = 0x10000000, LENGTH = 4M
  RAM (rwx) : ORIGIN = 0x38000000, LENGTH = 4M
}
SECTIONS {
  .text : { KEEP(*(.vectors)) *(.text*) *(.rodata*) } > CODE
  .data : { *(.data*) } > RAM
  .bss : { *(.bss*) *(COMMON) } > RAM
  _estack = ORIGIN(RAM) + LENGTH(RAM);
}
"""

HARNESS = r"""
#include <stdint.h>
#include <string.h>
#include "frontend/frontend.h"
#include "frontend_config.h"
#include "bench_audio.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

extern uint32_t _estack;
void reset_handler(void);
__attribute__((section(".vectors"), used))
const void *const vectors[2] = {&_estack, (const void *)reset_handler};

static uint64_t fe_mem[(FWGEN_FRONTEND_STATE_SIZE + 7u) / 8u];
static uint16_t frames[BENCH_FRAMES][FWGEN_FRONTEND_N_CHANNELS];

static int semihost(int op, const void *arg)
{
    register int r0 __asm("r0") = op;
    register const void *r1 __asm("r1") = arg;
    __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static void put(const char *s) { semihost(0x04, s); }

static void put_u32(uint32_t v)
{
    char buf[12];
    int i = 11;
    buf[i] = 0;
    do { buf[--i] = (char)('0' + v % 10u); v /= 10u; } while (v);
    put(&buf[i]);
}

static void quit(int code)
{
    const uint32_t block[2] = {0x20026u, (uint32_t)code};
    semihost(0x20, block);
    for (;;) {}
}

static uint32_t now(void) { return SYST_CVR; }

__attribute__((noinline)) static void spin(uint32_t n)
{
    __asm volatile("1: subs %0, %0, #1\n bne 1b" : "+r"(n) : : "cc");
}

void reset_handler(void)
{
    SYST_RVR = 0x00FFFFFFu;
    SYST_CVR = 0u;
    SYST_CSR = 5u; /* enable, processor clock */
    spin(1000u);   /* let the counter load its reload value */
    uint32_t t0 = now();
    spin(1000000u); /* 2,000,000 instructions (+ a few) */
    uint32_t calib = (t0 - now()) & 0x00FFFFFFu;

    fwgen_frontend_t *fe;
    if (fwgen_frontend_init(&fwgen_frontend_config, fe_mem, sizeof fe_mem, &fe) != FWGEN_OK) {
        quit(2);
    }
    uint32_t n_frames = 0, total = 0, worst = 0;
    size_t pos = 0;
    while (pos < BENCH_SAMPLES && n_frames < BENCH_FRAMES) {
        size_t used;
        const uint32_t start = now();
        fwgen_status_t st = fwgen_frontend_process(fe, bench_audio + pos, BENCH_SAMPLES - pos,
                                                   &used, frames[n_frames]);
        const uint32_t ticks = (start - now()) & 0x00FFFFFFu;
        pos += used;
        if (st == FWGEN_OK) {
            total += ticks;
            if (ticks > worst) worst = ticks;
            ++n_frames;
        }
    }
    put("calib_ticks="); put_u32(calib);
    put(" frames="); put_u32(n_frames);
    put(" total_ticks="); put_u32(total);
    put(" worst_ticks="); put_u32(worst);
    uint32_t sum = 0; /* checksum of all features */
    for (uint32_t f = 0; f < n_frames; ++f)
        for (uint32_t c = 0; c < FWGEN_FRONTEND_N_CHANNELS; ++c) sum = sum * 31u + frames[f][c];
    put(" checksum="); put_u32(sum); put("\n");
    quit(0);
}
"""


def run_case(name: str, settings, audio: np.ndarray, max_frames: int, work: Path) -> dict:
    from fwgen.frontend import Frontend, render_tables
    gen = work / name
    gen.mkdir()
    for fname, text in render_tables(settings).items():
        (gen / fname).write_text(text)
    frames = min(max_frames, settings.frames_for(len(audio)))
    rows = ",\n".join(", ".join(str(int(v)) for v in audio[i:i + 16])
                      for i in range(0, len(audio), 16))
    (gen / "bench_audio.h").write_text(
        f"#define BENCH_SAMPLES {len(audio)}u\n#define BENCH_FRAMES {frames}u\n"
        f"static const int16_t bench_audio[BENCH_SAMPLES] = {{\n{rows}\n}};\n")
    (gen / "harness.c").write_text(HARNESS)
    (gen / "link.ld").write_text(LINKER)
    sources = [gen / "harness.c", gen / "frontend_config.c"] + sorted(
        p for p in (ROOT / "firmware" / "frontend").glob("*.c") if not p.name.startswith("logmel"))
    elf = gen / "bench.elf"
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m33", "-mthumb", "-O2", "-std=c11",
                    "-ffunction-sections", "-fdata-sections", "-nostartfiles",
                    "--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections",
                    f"-I{ROOT / 'firmware'}", f"-I{gen}", "-T", str(gen / "link.ld"),
                    *map(str, sources), "-o", str(elf)], check=True)
    proc = subprocess.run(["qemu-system-arm", "-M", "mps2-an505", "-display", "none",
                           "-monitor", "none", "-serial", "none", "-no-reboot", "-icount", "shift=0",
                           "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)],
                          capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise SystemExit(f"{name}: QEMU exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    fields = dict(item.split("=") for item in (proc.stdout + proc.stderr).split() if "=" in item)
    if "calib_ticks" not in fields:
        raise SystemExit(f"{name}: no result from the harness\n{proc.stdout}\n{proc.stderr}")
    per_tick = 2_000_000 / int(fields["calib_ticks"])
    host = Frontend(settings).process(audio)[:frames]
    checksum = 0
    for v in host.reshape(-1):
        checksum = (checksum * 31 + int(v)) & 0xFFFFFFFF
    return {
        "frames": int(fields["frames"]),
        "mean": int(fields["total_ticks"]) * per_tick / int(fields["frames"]),
        "worst": int(fields["worst_ticks"]) * per_tick,
        "exact": checksum == int(fields["checksum"]),
        "text": subprocess.run(["arm-none-eabi-size", str(elf)], capture_output=True,
                               text=True).stdout.splitlines()[-1].split()[:3],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=49)
    args = parser.parse_args()
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        if shutil.which(tool) is None:
            print(f"needs {tool}", file=sys.stderr)
            return 1
    sys.path.insert(0, str(ROOT / "host"))
    from fwgen.audio import read_wav
    from fwgen.frontend import FrontendSettings, load_settings

    audio = read_wav(SHARED / "micro_speech" / "yes_1000ms.wav")
    cases = {
        "micro_speech 30/20 ms, 40 ch, FFT 512": load_settings(
            SHARED / "frontend" / "settings.json", name="micro_speech"),
        "tf_defaults 25/10 ms, 32 ch, FFT 512": FrontendSettings(),
        "mltk_on_off_v3 30/10, 104 ch, DC notch": load_settings(
            SHARED / "frontend" / "settings.json", name="mltk_on_off_v3"),
        "64/32 ms, 64 ch, FFT 1024": FrontendSettings(window_size_ms=64, window_step_ms=32,
                                                      filterbank_n_channels=64),
        "16/8 ms, 20 ch, FFT 256": FrontendSettings(window_size_ms=16, window_step_ms=8,
                                                    filterbank_n_channels=20),
    }
    print("# fwgen frontend on QEMU mps2-an505 (Cortex-M33), arm-none-eabi-gcc -O2, "
          "instructions per frame (SysTick under -icount shift=0, calibrated)")
    print("# reference: TFLM's legacy microfrontend, 85,390 instructions per 30 ms window "
          "(DESIGN.md, same twin)")
    header = f"{'settings':40} {'frames':>6} {'instr/frame':>12} {'worst':>10} {'bit-exact':>9}"
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, settings) in enumerate(cases.items()):
            r = run_case(f"case{i}", settings, audio, args.frames, Path(tmp))
            print(f"{label:40} {r['frames']:6d} {r['mean']:12,.0f} {r['worst']:10,.0f} "
                  f"{str(r['exact']):>9}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
