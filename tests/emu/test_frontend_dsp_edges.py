"""The frontend's DSP paths (packed Q15 products, SMUAD energies, the window's SSUB16/SEL
extremes and its -32768 fallback, the radix-2 stage) against the host's plain C, bit for bit,
on audio made to reach the edges of int16: full-scale Nyquist and square waves, -32768 held
and as a lone sample in silence, a lone +32767, full-range white noise, a sine of amplitude 3
(shift 13) and a clipped speech clip. On the M33 twin, with the two FFT lengths that end in a
radix-2 stage (256, 1024); 512 is in test_frontend_qemu.py on every twin."""
from __future__ import annotations

import numpy as np
import pytest

from fwgen.audio import read_wav
from fwgen.frontend import Frontend, FrontendSettings, render_tables
from fwgen.testing.harness import Twin, build_image, c_array, run_image

MAIN = r"""
#include <stdint.h>
#include "frontend/frontend.h"
#include "frontend_config.h"
#include "app/harness/harness.h"
#include "test_audio.h"

static uint64_t fe_mem[(FWGEN_FRONTEND_STATE_SIZE + 7u) / 8u];
static uint16_t frames[TEST_FRAMES][FWGEN_FRONTEND_N_CHANNELS];

int main(void)
{
    fwgen_frontend_t *fe;
    size_t n_frames = 0, used = 0;
    if (fwgen_frontend_init(&fwgen_frontend_config, fe_mem, sizeof fe_mem, &fe) != FWGEN_OK) return 2;
    if (fwgen_frontend_process_frames(fe, test_audio, TEST_SAMPLES, &frames[0][0], TEST_FRAMES,
                                      &n_frames, &used) != FWGEN_OK || n_frames != TEST_FRAMES) return 3;
    int out = fwgen_harness_open("features.bin");
    if (out < 0) return 4;
    fwgen_harness_write(out, frames, sizeof frames);
    fwgen_harness_close(out);
    return 0;
}
"""

RATE = 16000
SEGMENT = 1600      # 0.1 s each


def edge_audio(speech: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(20261202)
    t = np.arange(SEGMENT)
    lone_low = np.zeros(SEGMENT, np.int16)
    lone_low[SEGMENT // 2] = -32768
    lone_high = np.zeros(SEGMENT, np.int16)
    lone_high[SEGMENT // 3] = 32767
    segments = [
        np.where(t % 2 == 0, 32767, -32768),                       # Nyquist, full scale
        np.where((t // 8) % 2 == 0, 32767, -32768),                # 1 kHz square
        np.full(SEGMENT, -32768),                                  # -32768 held
        lone_low,                                                  # the window's fallback
        lone_high,
        rng.integers(-32768, 32768, SEGMENT),                      # full-range noise
        np.round(3 * np.sin(2 * np.pi * 440 * t / RATE)),          # tiny: large shift
        np.clip(speech[:4 * SEGMENT].astype(np.int32) * 8, -32768, 32767),   # clipped speech
    ]
    return np.concatenate(segments).astype(np.int16)


@pytest.mark.parametrize("window_ms, channels", [(16, 20), (64, 64)], ids=["fft256", "fft1024"])
def test_dsp_paths_equal_the_plain_c_on_int16_edges(shared_data, tmp_path, window_ms, channels):
    settings = FrontendSettings(window_size_ms=window_ms, window_step_ms=window_ms // 2,
                                filterbank_n_channels=channels)
    audio = edge_audio(read_wav(shared_data / "micro_speech" / "yes_1000ms.wav"))
    host = Frontend(settings, output="uint16").process(audio)
    n_frames, n_channels = host.shape
    twin = Twin.from_board("mps2_an505")
    audio_h = (f"#define TEST_SAMPLES {len(audio)}u\n#define TEST_FRAMES {n_frames}u\n"
               + c_array("int16_t", "test_audio", audio))
    elf = build_image(twin, tmp_path / "image", MAIN,
                      {**render_tables(settings), "test_audio.h": audio_h}, modules=("frontend",))
    run_image(twin, elf, cwd=tmp_path)
    device = np.frombuffer((tmp_path / "features.bin").read_bytes(),
                           dtype="<u2").reshape(n_frames, n_channels)
    differing = [tuple(int(i) for i in at) for at in np.argwhere(device != host)]
    assert not differing, f"{len(differing)} values differ, first at (frame, channel) " \
                          f"{differing[0]}: device {device[differing[0]]}, host {host[differing[0]]}"
    assert len(np.unique(device)) > 50    # real features, not a constant image
