"""Instructions per log-mel frame and per detector call on the QEMU twins (M4F, M7, M33).

Run: .venv/bin/python benchmarks/logmel_device_bench.py  (needs arm-none-eabi-gcc and
qemu-system-arm; the latest output is committed beside it as logmel_device_bench.txt).

The images are built like shipped firmware (fwgen.testing.harness: project renderer, MPS2 port,
generated linker script, the firmware's flags, `pio run`, the QEMU runner). QEMU runs with
`-icount shift=0` (one instruction = 1 ns of virtual time) and the port's cycle counter is
SysTick on the CPU clock, so ticks * 1e9 / clock = instructions, to within one tick (25 or 50
instructions) per reading. These are instruction counts for regressions and comparisons, not
cycles.
"""
from __future__ import annotations

import struct
import sys
import tempfile
from pathlib import Path

import numpy as np

from fwgen.detect import SmoothingSettings, render_detector_config
from fwgen.frontend.logmel import render_logmel_tables
from fwgen.testing.harness import TWIN_BOARDS, Twin, build_image, c_array, run_image, tools_missing


N_FRAMES = 50
N_RESULTS = 200

MAIN = r"""
#include <stdint.h>
#include "logmel_tables.h"
#include "detect_config.h"
#include "bench_input.h"
#include "app/harness/harness.h"
static uint32_t fe_buffer[(FWGEN_LOGMEL_BUFFER_SIZE + 3) / 4];
static uint32_t det_buffer[(FWGEN_DETECT_BUFFER_SIZE + 3) / 4];
static float frame[FWGEN_LOGMEL_N_CHANNELS];
static int8_t qframe[FWGEN_LOGMEL_N_CHANNELS];
int main(void) {
    if (fwgen_harness_init() != FWGEN_OK) return 4;
    uint32_t result[4] = {0, 0, 0, 0};
    fwgen_logmel_state_t fe;
    fwgen_logmel_init(&fwgen_logmel_config, &fe, fe_buffer, sizeof fe_buffer);
    for (uint32_t f = 0; f < BENCH_FRAMES; ++f) {
        uint32_t t0 = fwgen_port_cycles();
        fwgen_logmel_compute_frame(&fwgen_logmel_config, &bench_audio[f * FWGEN_LOGMEL_WINDOW_STEP], fe.scratch, frame);
        result[0] += (fwgen_port_cycles() - t0);
        t0 = fwgen_port_cycles();
        fwgen_logmel_quantize_s8(frame, FWGEN_LOGMEL_N_CHANNELS, 0.0431f, 35, qframe);
        result[1] += (fwgen_port_cycles() - t0);
    }
    fwgen_detect_state_t det;
    fwgen_detect_init(&fwgen_detect_config, &det, det_buffer, sizeof det_buffer);
    for (uint32_t i = 0; i < BENCH_RESULTS; ++i) {
        fwgen_detect_result_t r;
        uint32_t t0 = fwgen_port_cycles();
        fwgen_detect_process_s8(&fwgen_detect_config, &det, bench_scores[i], i * 20u, &r, 0);
        result[2] += (fwgen_port_cycles() - t0);
        result[3] += r.is_new;
    }
    int h = fwgen_harness_open("bench.bin");
    if (h < 0) return 3;
    fwgen_harness_write(h, result, sizeof result);
    fwgen_harness_close(h);
    return 0;
}
"""


def main() -> int:
    if tools_missing():
        print(f"needs {', '.join(tools_missing())}", file=sys.stderr)
        return 1
    rng = np.random.default_rng(0)
    audio = np.clip(rng.normal(size=160 * N_FRAMES + 400) * 3000, -32768, 32767).astype(np.int16)
    scores = rng.integers(-128, 128, size=(N_RESULTS, 4))
    classes = ["silence", "unknown", "yes", "no"]
    files = {**render_logmel_tables({}), **render_detector_config(classes, SmoothingSettings()),
             "bench_input.h": (
                 f"#define BENCH_FRAMES {N_FRAMES}u\n#define BENCH_RESULTS {N_RESULTS}u\n"
                 + c_array("int16_t", "bench_audio", audio)
                 + f"static const int8_t bench_scores[{N_RESULTS}][4] = {{\n"
                 + "\n".join("    {" + ", ".join(str(v) for v in r) + "}," for r in scores)
                 + "\n};\n")}
    print(f"{'twin':12s} {'core':11s} {'log-mel frame':>14s} {'int8 quantize':>14s} {'detector call':>14s}  (instructions)")
    for board_id in TWIN_BOARDS:
        twin = Twin.from_board(board_id)
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            elf = build_image(twin, work / "image", MAIN, files, modules=("frontend", "detect"))
            run_image(twin, elf, cwd=work, icount=True, timeout=600)
            fe_ticks, q_ticks, det_ticks, _events = struct.unpack("<4I", (work / "bench.bin").read_bytes())
        per_tick = twin.ns_per_tick
        print(f"{twin.machine:12s} {twin.core:11s} {fe_ticks * per_tick / N_FRAMES:14,.0f} "
              f"{q_ticks * per_tick / N_FRAMES:14,.0f} {det_ticks * per_tick / N_RESULTS:14,.0f}")
    print(f"log-mel: YAMNet settings (400-sample window, 512 FFT x2, 64 mel); {N_FRAMES} frames of noise. "
          f"Detector: 4 classes, 1000 ms window, 20 ms between results ({N_RESULTS} calls).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
