"""Device == host == reference, bit for bit: the fixed-point frontend built for the Cortex-M33,
M4F and M7 twins (arm-none-eabi-gcc -O2, the DSP SIMD FFT where the core has it) and run in QEMU,
against the host binding and against golden.npz (MLTK/TFLM reference outputs).

The image feeds stream_4s (yes + silence + no + noise) to fwgen_frontend_process() in irregular
chunk sizes, the way firmware feeds microphone buffers, writes every uint16 frame, then the int8
features of the whole stream (fwgen_frontend_to_s8: TFLM's mapping for micro_speech, MLTK's
dynamic range scaling for mltk_on_off_v3). Images come from fwgen.testing.harness (built like
shipped firmware: project renderer, startup, port, linker script, flags, pio, QEMU runner), the
same harness benchmarks/frontend_device.py counts instructions with.
"""
from __future__ import annotations

import numpy as np
import pytest

from fwgen.audio import read_wav
from fwgen.frontend import Frontend, load_settings, render_tables
from fwgen.testing.harness import TWIN_BOARDS, Twin, build_image, c_array, run_image

CLIPS = ["yes_1000ms", "silence_1000ms", "no_1000ms", "noise_1000ms"]
SETTINGS = ["micro_speech", "mltk_on_off_v3"]

MAIN = r"""
#include <stdint.h>
#include "frontend/frontend.h"
#include "frontend_config.h"
#include "app/harness/harness.h"
#include "test_audio.h"

static uint64_t fe_mem[(FWGEN_FRONTEND_STATE_SIZE + 7u) / 8u];
static uint16_t frames[TEST_FRAMES][FWGEN_FRONTEND_N_CHANNELS];
static int8_t frames_s8[TEST_FRAMES][FWGEN_FRONTEND_N_CHANNELS];
static uint16_t extra_frame[FWGEN_FRONTEND_N_CHANNELS];   /* a frame too many would land here */

int main(void)
{
    fwgen_frontend_t *fe;
    if (fwgen_frontend_init(&fwgen_frontend_config, fe_mem, sizeof fe_mem, &fe) != FWGEN_OK) return 2;
    uint32_t n_frames = 0, chunk = 1;
    size_t pos = 0;
    while (pos < TEST_SAMPLES) {         /* irregular chunks: 1, 8, 57, 400, 362, ... samples */
        size_t n = chunk < TEST_SAMPLES - pos ? chunk : TEST_SAMPLES - pos;
        while (n > 0) {
            size_t used = 0;
            uint16_t *frame = n_frames < TEST_FRAMES ? frames[n_frames] : extra_frame;
            fwgen_status_t st = fwgen_frontend_process(fe, test_audio + pos, n, &used, frame);
            if (st == FWGEN_OK && ++n_frames > TEST_FRAMES) return 3;
            if (st != FWGEN_OK && st != FWGEN_NEED_MORE) return 4;
            pos += used;
            n -= used;
        }
        chunk = chunk * 7u % 613u + 1u;
    }
    if (n_frames != TEST_FRAMES) return 5;
    if (fwgen_frontend_to_s8(&fwgen_frontend_config, &frames[0][0], &frames_s8[0][0],
                             (size_t)TEST_FRAMES * FWGEN_FRONTEND_N_CHANNELS) != FWGEN_OK) return 6;
    int out = fwgen_harness_open("features.bin");
    if (out < 0) return 7;
    fwgen_harness_write(out, frames, sizeof frames);
    fwgen_harness_write(out, frames_s8, sizeof frames_s8);
    fwgen_harness_close(out);
    return 0;
}
"""


@pytest.fixture(scope="module")
def stream(shared_data) -> np.ndarray:
    return np.concatenate([read_wav(shared_data / "micro_speech" / f"{c}.wav") for c in CLIPS])


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("board_id", TWIN_BOARDS)
def test_twin_frontend_is_bit_exact(shared_data, tmp_path, stream, board_id, setting):
    settings = load_settings(shared_data / "frontend" / "settings.json", name=setting)
    host = Frontend(settings, output="uint16").process(stream)
    host_s8 = Frontend(settings, output="int8").process(stream)
    golden = np.load(shared_data / "frontend" / "golden.npz")
    n_frames, n_channels = host.shape
    assert n_frames == settings.frames_for(len(stream)) > 0

    twin = Twin.from_board(board_id)
    audio_h = (f"#define TEST_SAMPLES {len(stream)}u\n#define TEST_FRAMES {n_frames}u\n"
               + c_array("int16_t", "test_audio", stream))
    elf = build_image(twin, tmp_path / "image", MAIN,
                      {**render_tables(settings), "test_audio.h": audio_h}, modules=("frontend",))
    run_image(twin, elf, cwd=tmp_path)
    data = (tmp_path / "features.bin").read_bytes()
    size16 = n_frames * n_channels * 2
    assert len(data) == size16 + n_frames * n_channels
    device = np.frombuffer(data[:size16], dtype="<u2").reshape(n_frames, n_channels)
    device_s8 = np.frombuffer(data[size16:], dtype=np.int8).reshape(n_frames, n_channels)

    assert np.count_nonzero(device != host) == 0
    assert np.count_nonzero(device_s8 != host_s8) == 0
    assert np.count_nonzero(device_s8 != golden[f"{setting}/stream_4s/int8"]) == 0
    if f"{setting}/stream_4s/uint16" in golden.files:
        assert np.count_nonzero(device != golden[f"{setting}/stream_4s/uint16"]) == 0
    assert len(np.unique(device)) > 100  # real features, not a constant image
