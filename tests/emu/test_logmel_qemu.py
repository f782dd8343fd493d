"""Device == host, bit for bit: the log-mel frontend and the detector built for Cortex-M FPU
cores (arm-none-eabi-gcc, hard float) and run in QEMU's MPS2 twins, against the host build.

A minimal self-contained test image (vector table, FPU enable, semihosting file output); it
does not depend on fwgen's board ports. Skipped when the cross toolchain or QEMU is missing.
"""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf

from fwgen.detect import NativeDetector, SmoothingSettings, render_detector_config
from fwgen.frontend.logmel import LogMelFrontend, render_logmel_tables

TWINS = [  # QEMU machine, cpu, fpu, flash base, RAM base
    ("mps2-an386", "cortex-m4", "fpv4-sp-d16", 0x00000000, 0x20000000),
    ("mps2-an500", "cortex-m7", "fpv5-d16", 0x00000000, 0x20000000),
    ("mps2-an505", "cortex-m33", "fpv5-sp-d16", 0x10000000, 0x38000000),
]
SETTINGS = {"fe.log_offset": 1e-3}
CLASSES = ["silence", "unknown", "yes", "no"]
SMOOTHING = SmoothingSettings(average_window_duration_ms=500, minimum_count=2, suppression_ms=300,
                              detection_threshold=150, max_results=40)
QUANT = (0.0431, 35)

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
#include <string.h>
#include "logmel_tables.h"
#include "detect_config.h"
#include "test_input.h"

extern uint32_t _data_load, _data_start, _data_end, _bss_start, _bss_end, _stack_top;
int main(void);

static int semihost(int op, void *arg) {
    register int r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

__attribute__((noreturn)) void reset_handler(void) {
    volatile uint32_t *cpacr = (volatile uint32_t *)0xE000ED88u;
    *cpacr |= 0xFu << 20; /* CP10, CP11 full access: enable the FPU */
    __asm__ volatile("dsb\n isb");
    uint32_t *src = &_data_load, *dst = &_data_start;
    while (dst < &_data_end) *dst++ = *src++;
    for (dst = &_bss_start; dst < &_bss_end;) *dst++ = 0;
    int code = main();
    uint32_t args[2] = {0x20026u, (uint32_t)code}; /* ADP_Stopped_ApplicationExit */
    semihost(0x20, args);                        /* SYS_EXIT_EXTENDED */
    for (;;) {}
}

__attribute__((section(".vectors"), used)) static const void *vectors[16] = {
    &_stack_top, (void *)reset_handler,
};

static int out_handle;
static void out(const void *data, uint32_t size) {
    uint32_t args[3] = {(uint32_t)out_handle, (uint32_t)data, size};
    semihost(0x05, args); /* SYS_WRITE */
}

static uint32_t fe_buffer[(FWGEN_LOGMEL_BUFFER_SIZE + 3) / 4];
static uint32_t det_buffer[(FWGEN_DETECT_BUFFER_SIZE + 3) / 4];
static float frame[FWGEN_LOGMEL_N_CHANNELS];
static int8_t qframe[FWGEN_LOGMEL_N_CHANNELS];

int main(void) {
    static const char name[] = "device_out.bin";
    uint32_t open_args[3] = {(uint32_t)name, 5u /* "wb" */, sizeof name - 1u};
    out_handle = semihost(0x01, open_args); /* SYS_OPEN */
    if (out_handle < 0) return 3;
    fwgen_logmel_state_t fe;
    if (fwgen_logmel_init(&fwgen_logmel_config, &fe, fe_buffer, sizeof fe_buffer) != FWGEN_OK) return 4;
    const int16_t *x = test_audio;
    size_t left = TEST_AUDIO_SAMPLES;
    size_t chunk = 1;
    while (left > 0) {                    /* odd chunk sizes exercise the streaming path */
        size_t n = chunk < left ? chunk : left, used = 0;
        int ready = 0;
        while (n > 0) {
            if (fwgen_logmel_process(&fwgen_logmel_config, &fe, x, n, &used, frame, &ready) != FWGEN_OK) return 5;
            x += used; n -= used; left -= used;
            if (ready) {
                out(frame, sizeof frame);
                fwgen_logmel_quantize_s8(frame, FWGEN_LOGMEL_N_CHANNELS, FWGEN_LOGMEL_INPUT_SCALE, FWGEN_LOGMEL_INPUT_ZERO_POINT, qframe);
                out(qframe, sizeof qframe);
            }
        }
        chunk = chunk * 7u % 613u + 1u;
    }
    fwgen_detect_state_t det;
    if (fwgen_detect_init(&fwgen_detect_config, &det, det_buffer, sizeof det_buffer) != FWGEN_OK) return 6;
    for (uint32_t i = 0; i < TEST_SCORE_ROWS; ++i) {
        fwgen_detect_result_t r;
        uint8_t averages[FWGEN_DETECT_N_CLASSES];
        if (fwgen_detect_process_s8(&fwgen_detect_config, &det, test_scores[i], test_times[i], &r, averages) != FWGEN_OK) return 7;
        uint8_t rec[4 + FWGEN_DETECT_N_CLASSES] = {r.class_index, r.score, r.is_new, (uint8_t)r.n_results};
        memcpy(&rec[4], averages, sizeof averages);
        out(rec, sizeof rec);
    }
    uint32_t close_args[1] = {(uint32_t)out_handle};
    semihost(0x02, close_args); /* SYS_CLOSE */
    return 0;
}
"""


def c_rows(values, fmt="{}", per_row=16):
    items = [fmt.format(v) for v in values]
    return "\n".join("    " + ", ".join(items[i:i + per_row]) + "," for i in range(0, len(items), per_row))


def input_header(audio: np.ndarray, times: np.ndarray, scores: np.ndarray) -> str:
    return "\n".join([
        "#include <stdint.h>",
        f"#define TEST_AUDIO_SAMPLES {audio.size}u",
        f"#define TEST_SCORE_ROWS {len(times)}u",
        f"static const int16_t test_audio[{audio.size}] = {{\n{c_rows(audio)}\n}};",
        f"static const uint32_t test_times[{len(times)}] = {{\n{c_rows(times, '{}u')}\n}};",
        f"static const int8_t test_scores[{len(times)}][{scores.shape[1]}] = {{\n"
        + "\n".join("    {" + ", ".join(str(v) for v in row) + "}," for row in scores) + "\n};",
        "",
    ])


@pytest.mark.parametrize("machine, cpu, fpu, flash, ram", TWINS, ids=[t[0] for t in TWINS])
def test_device_matches_host_bit_for_bit(shared_data, repo_root, tmp_path, machine, cpu, fpu, flash, ram):
    gcc, qemu = shutil.which("arm-none-eabi-gcc"), shutil.which("qemu-system-arm")
    if not gcc or not qemu:
        pytest.skip("needs arm-none-eabi-gcc and qemu-system-arm")
    audio, _ = sf.read(shared_data / "micro_speech" / "yes_1000ms.wav", dtype="int16")
    audio = np.concatenate([audio, np.asarray(sf.read(shared_data / "micro_speech" / "noise_1000ms.wav",
                                                      dtype="int16")[0])])
    rng = np.random.default_rng(11)
    times = np.cumsum(rng.integers(0, 120, size=300)).astype(np.uint32)
    scores = rng.choice([-128, 127, 90, 30, -50], size=(300, 4)).astype(np.int8)

    files = {**render_logmel_tables(SETTINGS, input_quantization=QUANT),
             **render_detector_config(CLASSES, SMOOTHING)}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "test_input.h").write_text(input_header(audio, times, scores))
    (tmp_path / "main.c").write_text(MAIN)
    (tmp_path / "link.ld").write_text(LINKER.format(flash=flash, ram=ram))
    elf = tmp_path / "test.elf"
    subprocess.run([gcc, "-std=gnu11", "-O2", f"-mcpu={cpu}", f"-mfpu={fpu}", "-mfloat-abi=hard", "-mthumb",
                    "-Wall", "-Wextra", "-Werror", "-ffunction-sections", "-nostartfiles",
                    "--specs=nano.specs", "--specs=nosys.specs", f"-T{tmp_path / 'link.ld'}",
                    f"-I{tmp_path}", f"-I{repo_root / 'firmware'}",
                    str(tmp_path / "main.c"), str(tmp_path / "logmel_tables.c"), str(tmp_path / "detect_config.c"),
                    str(repo_root / "firmware/frontend/logmel.c"), str(repo_root / "firmware/detect/detect.c"),
                    "-lm", "-o", str(elf)], check=True, capture_output=True, text=True)
    proc = subprocess.run([qemu, "-M", machine, "-display", "none", "-monitor", "none", "-serial", "none",
                           "-no-reboot", "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)
    data = (tmp_path / "device_out.bin").read_bytes()

    fe = LogMelFrontend(SETTINGS)
    frames = fe.features(audio)
    q = fe.quantize(frames, *QUANT)
    frame_bytes = 64 * 4 + 64
    device = np.frombuffer(data[:frames.shape[0] * frame_bytes], dtype=np.uint8).reshape(-1, frame_bytes)
    assert device.shape[0] == frames.shape[0] == 198
    device_frames = device[:, :256].copy().view(np.float32)
    assert np.array_equal(device_frames.view(np.uint32), frames.view(np.uint32))
    assert np.array_equal(device[:, 256:].view(np.int8), q)

    det = NativeDetector(CLASSES, SMOOTHING)
    records = np.frombuffer(data[frames.shape[0] * frame_bytes:], dtype=np.uint8).reshape(-1, 8)
    assert records.shape[0] == len(times)
    events = 0
    for (t, row), rec in zip(zip(times, scores), records):
        r = det.process(row, int(t))
        assert [r.class_index, r.score, int(r.is_new), r.n_results & 0xFF] == rec[:4].tolist()
        assert det.last_averages == rec[4:].tolist()
        events += r.is_new
    assert events > 0
