"""Device == host, bit for bit: the log-mel frontend and the detector built for Cortex-M FPU
cores (arm-none-eabi-gcc, hard float) and run in QEMU's MPS2 twins, against the host build.

A test image built like shipped firmware (fwgen.testing.harness: the project renderer's harness
app with the Cortex-M startup, the MPS2 port, the generated linker script and the firmware's
flags, `pio run`, the QEMU runner; semihosting file output; the twins' facts from
boards/*.yaml). Skipped when the cross toolchain or QEMU is missing (tests/conftest.py).
"""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from fwgen.detect import NativeDetector, SmoothingSettings, render_detector_config
from fwgen.frontend.logmel import LogMelFrontend, render_logmel_tables
from fwgen.testing.harness import TWIN_BOARDS, Twin, build_image, c_array, run_image

SETTINGS = {"fe.log_offset": 1e-3}
CLASSES = ["silence", "unknown", "yes", "no"]
SMOOTHING = SmoothingSettings(average_window_duration_ms=500, minimum_count=2, suppression_ms=300,
                              detection_threshold=150, max_results=40)
QUANT = (0.0431, 35)

MAIN = r"""
#include <stdint.h>
#include <string.h>
#include "logmel_tables.h"
#include "detect_config.h"
#include "test_input.h"
#include "app/harness/harness.h"

static int out_handle;
static void out(const void *data, uint32_t size) { fwgen_harness_write(out_handle, data, size); }

static uint32_t fe_buffer[(FWGEN_LOGMEL_BUFFER_SIZE + 3) / 4];
static uint32_t det_buffer[(FWGEN_DETECT_BUFFER_SIZE + 3) / 4];
static float frame[FWGEN_LOGMEL_N_CHANNELS];
static int8_t qframe[FWGEN_LOGMEL_N_CHANNELS];

int main(void) {
    out_handle = fwgen_harness_open("device_out.bin");
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
    fwgen_harness_close(out_handle);
    return 0;
}
"""


def input_header(audio: np.ndarray, times: np.ndarray, scores: np.ndarray) -> str:
    return "\n".join([
        "#include <stdint.h>",
        f"#define TEST_AUDIO_SAMPLES {audio.size}u",
        f"#define TEST_SCORE_ROWS {len(times)}u",
        c_array("int16_t", "test_audio", audio),
        c_array("uint32_t", "test_times", times),
        f"static const int8_t test_scores[{len(times)}][{scores.shape[1]}] = {{\n"
        + "\n".join("    {" + ", ".join(str(v) for v in row) + "}," for row in scores) + "\n};",
        "",
    ])


@pytest.mark.parametrize("board_id", TWIN_BOARDS)
def test_device_matches_host_bit_for_bit(shared_data, tmp_path, board_id):
    audio, _ = sf.read(shared_data / "micro_speech" / "yes_1000ms.wav", dtype="int16")
    audio = np.concatenate([audio, np.asarray(sf.read(shared_data / "micro_speech" / "noise_1000ms.wav",
                                                      dtype="int16")[0])])
    rng = np.random.default_rng(11)
    times = np.cumsum(rng.integers(0, 120, size=300)).astype(np.uint32)
    scores = rng.choice([-128, 127, 90, 30, -50], size=(300, 4)).astype(np.int8)

    files = {**render_logmel_tables(SETTINGS, input_quantization=QUANT),
             **render_detector_config(CLASSES, SMOOTHING),
             "test_input.h": input_header(audio, times, scores)}
    twin = Twin.from_board(board_id)
    elf = build_image(twin, tmp_path / "image", MAIN, files, modules=("frontend", "detect"))
    run_image(twin, elf, cwd=tmp_path)
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
