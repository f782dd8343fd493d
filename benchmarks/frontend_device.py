"""Instructions per fixed-point frontend frame on the emulator twins (QEMU mps2-an505 M33,
mps2-an386 M4F, mps2-an500 M7).

    .venv/bin/python benchmarks/frontend_device.py [--frames 49] [--boards mps2_an505 ...]

Builds a test image (fwgen.testing.harness: built like shipped firmware, through the project
renderer, the MPS2 port, the generated linker script, the firmware's flags and `pio run`; the
same harness as the emulator-tier test tests/emu/test_frontend_qemu.py) around firmware/frontend/
and the rendered tables of a few settings, feeds the micro_speech "yes" clip through
fwgen_frontend_process(), and reads the port's cycle counter (SysTick) around every frame. Under
`qemu -icount shift=0` one instruction takes 1 ns of virtual time, so a SysTick tick is
1e9 / clock_hz instructions (the twin's board file), to within one tick per reading. Instruction counts are for regressions and comparisons, not
latency (DESIGN.md). Every frame is also compared with the host binding ("bit-exact").
"""
from __future__ import annotations

import argparse
import struct
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"

HARNESS = r"""
#include <stdint.h>
#include "frontend/frontend.h"
#include "frontend_config.h"
#include "app/harness/harness.h"
#include "bench_audio.h"

static uint64_t fe_mem[(FWGEN_FRONTEND_STATE_SIZE + 7u) / 8u];
static uint16_t frames[BENCH_FRAMES][FWGEN_FRONTEND_N_CHANNELS];

int main(void)
{
    fwgen_frontend_t *fe;
    if (fwgen_frontend_init(&fwgen_frontend_config, fe_mem, sizeof fe_mem, &fe) != FWGEN_OK) {
        return 2;
    }
    if (fwgen_harness_init() != FWGEN_OK) return 4;
    uint32_t n_frames = 0, total = 0, worst = 0;
    size_t pos = 0;
    while (pos < BENCH_SAMPLES && n_frames < BENCH_FRAMES) {
        size_t used;
        const uint32_t start = fwgen_port_cycles();
        fwgen_status_t st = fwgen_frontend_process(fe, bench_audio + pos, BENCH_SAMPLES - pos,
                                                   &used, frames[n_frames]);
        const uint32_t ticks = fwgen_port_cycles() - start;
        pos += used;
        if (st == FWGEN_OK) {
            total += ticks;
            if (ticks > worst) worst = ticks;
            ++n_frames;
        }
    }
    const uint32_t result[3] = {n_frames, total, worst};
    int out = fwgen_harness_open("bench.bin");
    if (out < 0) return 3;
    fwgen_harness_write(out, result, sizeof result);
    fwgen_harness_write(out, frames, (uint32_t)(n_frames * sizeof frames[0]));
    fwgen_harness_close(out);
    return 0;
}
"""


def run_case(twin, name: str, settings, audio: np.ndarray, max_frames: int, work: Path) -> dict:
    from fwgen.frontend import Frontend, render_tables
    from fwgen.testing.harness import build_image, c_array, run_image

    gen = work / name
    frames = min(max_frames, settings.frames_for(len(audio)))
    audio_h = (f"#define BENCH_SAMPLES {len(audio)}u\n#define BENCH_FRAMES {frames}u\n"
               + c_array("int16_t", "bench_audio", audio))
    elf = build_image(twin, gen / "image", HARNESS,
                      {**render_tables(settings), "bench_audio.h": audio_h}, modules=("frontend",))
    run_image(twin, elf, cwd=gen, icount=True)
    data = (gen / "bench.bin").read_bytes()
    n_frames, total, worst = struct.unpack("<3I", data[:12])
    device = np.frombuffer(data[12:], dtype="<u2").reshape(n_frames, settings.n_channels)
    host = Frontend(settings).process(audio)[:frames]
    return {
        "frames": n_frames,
        "mean": total * twin.ns_per_tick / n_frames,
        "worst": worst * twin.ns_per_tick,
        "exact": n_frames == frames and np.array_equal(device, host),
    }


def main() -> int:
    sys.path.insert(0, str(ROOT / "host"))
    from fwgen.audio import read_wav
    from fwgen.frontend import FrontendSettings, load_settings
    from fwgen.testing.harness import TWIN_BOARDS, Twin, tools_missing

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=49)
    parser.add_argument("--boards", nargs="+", default=list(TWIN_BOARDS), metavar="BOARD",
                        help="twin board ids (default: %(default)s)")
    args = parser.parse_args()
    if tools_missing():
        print(f"needs {', '.join(tools_missing())}", file=sys.stderr)
        return 1

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
    print("# fwgen fixed-point frontend on the QEMU twins, arm-none-eabi-gcc -O2, instructions "
          "per frame (SysTick under -icount shift=0; 1 tick = 1e9 / clock_hz instructions)")
    print("# reference: TFLM's legacy microfrontend, 85,390 instructions per 30 ms window "
          "(DESIGN.md, M33 twin)")
    header = (f"{'twin':11} {'core':10} {'settings':40} {'frames':>6} {'instr/frame':>12} "
              f"{'worst':>10} {'bit-exact':>9}")
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for board_id in args.boards:
            twin = Twin.from_board(board_id)
            for i, (label, settings) in enumerate(cases.items()):
                r = run_case(twin, f"{board_id}-{i}", settings, audio, args.frames, Path(tmp))
                print(f"{twin.machine:11} {twin.core:10} {label:40} {r['frames']:6d} "
                      f"{r['mean']:12,.0f} {r['worst']:10,.0f} {str(r['exact']):>9}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
