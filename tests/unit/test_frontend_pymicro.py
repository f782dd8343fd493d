"""Bit-exactness against pymicro-features (TFLM's microfrontend in a PyPI wheel).

pymicro-features has fixed settings: 16 kHz, 30 ms window, 10 ms step, 40 channels,
125-7500 Hz, noise reduction and PCAN on, log shift 6; it returns uint16 * 10/256 as float.
"""
from __future__ import annotations

import numpy as np
import pytest

from fwgen.audio import read_wav
from fwgen.frontend import Frontend, FrontendSettings

SETTINGS = FrontendSettings(window_size_ms=30, window_step_ms=10, filterbank_n_channels=40)


def _pymicro_features(audio: np.ndarray, chunk: int) -> np.ndarray:
    pm = pytest.importorskip("pymicro_features")
    frontend = pm.MicroFrontend()
    data = audio.tobytes()
    frames, pos = [], 0
    while pos < len(data):
        out = frontend.process_samples(data[pos:pos + 2 * chunk])
        if out.samples_read == 0:
            break
        pos += 2 * out.samples_read
        if out.features:
            frames.append(out.features)
    # features are uint16 * (10 / 256) in float32: undo it exactly
    return np.rint(np.asarray(frames, dtype=np.float64) * 25.6).astype(np.uint16)


@pytest.mark.parametrize("clip", ["yes_1000ms", "no_1000ms", "noise_1000ms", "silence_1000ms"])
def test_matches_pymicro_features(shared_data, clip):
    audio = read_wav(shared_data / "micro_speech" / f"{clip}.wav")
    expected = _pymicro_features(audio, chunk=160)
    got = Frontend(SETTINGS).process(audio)
    assert got.shape == expected.shape == (98, 40)
    assert int(np.count_nonzero(got != expected)) == 0


def test_matches_pymicro_features_on_a_long_stream(shared_data):
    audio = np.concatenate([read_wav(shared_data / "micro_speech" / f"{c}.wav")
                            for c in ("noise_1000ms", "yes_1000ms", "no_1000ms")] * 2)
    expected = _pymicro_features(audio, chunk=160)
    fe = Frontend(SETTINGS)
    got = np.concatenate([fe.process(audio[i:i + 777]) for i in range(0, len(audio), 777)])
    assert got.shape == expected.shape
    assert int(np.count_nonzero(got != expected)) == 0
