"""Bit-exactness against TensorFlow's own audio_microfrontend op (TF 2.21) over a settings sweep.

TF's op builds its Hann window with double `cos`, the reference (TFLM/MLTK, and fwgen) with
float32 `cosf`; the two round a coefficient differently at a few window sizes. DESIGN.md lists
18, 30, 42, 54, 56, 66 and 68 ms at 16 kHz; emulating TF's window_util.c exactly (and running
TF's op) shows 52 ms differs too and 68 ms does not (69 ms does). The sweep compares only where
the two windows agree, and a separate test proves that at the other sizes the window is the
only difference: with TF's window table swapped in, fwgen's C gives TF's output exactly.
TF's op always applies noise reduction and has no DC notch; the golden data covers those.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings as hyp_settings, strategies as st

from fwgen.audio import read_wav
from fwgen.frontend import Frontend, FrontendSettings, compute_tables
from fwgen.frontend.tables import hann_window

DESIGN_ROUNDING_MS = {18, 30, 42, 54, 56, 66, 68}


def tf_window(size: int) -> np.ndarray:
    """TF's window_util.c: float arg, double cos, float value, floor(v * 4096 + 0.5)."""
    f32 = np.float32
    arg = float(f32(math.pi * 2.0 / float(size)))
    return np.array([math.floor(float(f32(0.5 - 0.5 * math.cos(arg * (i + 0.5)))) * 4096 + 0.5)
                     for i in range(size)], dtype=np.int16)


def window_differs(window_ms: int, rate: int = 16000) -> bool:
    size = window_ms * rate // 1000
    return not np.array_equal(tf_window(size), hann_window(size))


WINDOW_ROUNDING_MS = {ms for ms in range(10, 65) if window_differs(ms)}

# (window ms, step ms, channels, pcan, lower Hz, upper Hz, extra settings)
SWEEP = [
    (20, 10, 16, True, 125.0, 7500.0, {}),
    (25, 10, 40, False, 125.0, 7500.0, {}),
    (25, 25, 32, True, 125.0, 7500.0, {}),
    (32, 16, 80, True, 300.0, 6000.0, {}),
    (40, 20, 64, True, 20.0, 7950.0, {}),
    (45, 15, 24, True, 125.0, 7500.0, {}),
    (50, 25, 48, False, 100.0, 7000.0, {}),
    (60, 10, 72, True, 60.0, 7900.0, {}),
    (64, 32, 32, False, 0.0, 4000.0, {}),
    (64, 20, 80, True, 125.0, 7500.0, {}),
    (35, 12, 40, True, 125.0, 7500.0,
     {"noise_reduction_smoothing_bits": 5, "noise_reduction_even_smoothing": 0.1,
      "noise_reduction_odd_smoothing": 0.2, "noise_reduction_min_signal_remaining": 0.3}),
    (20, 20, 40, True, 125.0, 7500.0,
     {"pcan_strength": 0.5, "pcan_offset": 10.0, "pcan_gain_bits": 18, "log_scale_shift": 3}),
    (24, 8, 16, False, 125.0, 7500.0, {"log_scale_enable": False}),
    (28, 14, 20, True, 1000.0, 3000.0, {"log_scale_shift": 8}),
]


@pytest.fixture(scope="module")
def tf_frontend():
    """TF's op, imported once per module (the import takes seconds)."""
    tf = pytest.importorskip("tensorflow")
    ops = pytest.importorskip("tensorflow.lite.experimental.microfrontend.python.ops."
                              "audio_microfrontend_op")

    def run(audio: np.ndarray, s: FrontendSettings) -> np.ndarray:
        return ops.audio_microfrontend(
            tf.constant(audio), sample_rate=s.sample_rate_hz, window_size=s.window_size_ms,
            window_step=s.window_step_ms, num_channels=s.n_channels,
            upper_band_limit=s.filterbank_upper_band_limit,
            lower_band_limit=s.filterbank_lower_band_limit,
            smoothing_bits=s.noise_reduction_smoothing_bits,
            even_smoothing=s.noise_reduction_even_smoothing,
            odd_smoothing=s.noise_reduction_odd_smoothing,
            min_signal_remaining=s.noise_reduction_min_signal_remaining,
            enable_pcan=s.pcan_enable, pcan_strength=s.pcan_strength,
            pcan_offset=s.pcan_offset, gain_bits=s.pcan_gain_bits,
            enable_log=s.log_scale_enable, scale_shift=s.log_scale_shift,
            out_type=tf.uint16).numpy()
    return run


@pytest.fixture(scope="module")
def audio(shared_data):
    """Speech, silence, noise, then full-scale noise and a clipped square wave (overflow paths)."""
    parts = [read_wav(shared_data / "micro_speech" / f"{c}.wav")
             for c in ("yes_1000ms", "silence_1000ms", "no_1000ms", "noise_1000ms")]
    rng = np.random.default_rng(1234)
    parts.append((rng.standard_normal(8000) * 20000).clip(-32768, 32767).astype(np.int16))
    square = np.where((np.arange(8000) // 23) % 2 == 0, 32767, -32768).astype(np.int16)
    parts.append(square)
    parts.append(np.full(3000, -32768, dtype=np.int16))
    return np.concatenate(parts)


def test_window_rounding_sizes():
    assert WINDOW_ROUNDING_MS == {18, 30, 42, 52, 54, 56}
    assert DESIGN_ROUNDING_MS & set(range(10, 65)) <= WINDOW_ROUNDING_MS


def test_sweep_avoids_the_window_rounding_case():
    assert not {case[0] for case in SWEEP} & WINDOW_ROUNDING_MS
    assert min(c[0] for c in SWEEP) == 20 and max(c[0] for c in SWEEP) == 64
    assert min(c[2] for c in SWEEP) == 16 and max(c[2] for c in SWEEP) == 80


@pytest.mark.parametrize("window,step,channels,pcan,lower,upper,extra", SWEEP,
                         ids=[f"w{c[0]}s{c[1]}c{c[2]}{'p' if c[3] else ''}-{i}"
                              for i, c in enumerate(SWEEP)])
def test_matches_tensorflow_op(tf_frontend, audio, window, step, channels, pcan, lower, upper,
                               extra):
    settings = FrontendSettings(window_size_ms=window, window_step_ms=step,
                                filterbank_n_channels=channels, pcan_enable=pcan,
                                filterbank_lower_band_limit=lower,
                                filterbank_upper_band_limit=upper, **extra)
    expected = tf_frontend(audio, settings)
    got = Frontend(settings).process(audio)
    assert got.shape == expected.shape == (settings.frames_for(len(audio)), channels)
    assert int(np.count_nonzero(got != expected)) == 0


def _check(tf_frontend, audio, settings: FrontendSettings) -> None:
    expected = tf_frontend(audio, settings)
    got = Frontend(settings).process(audio)
    assert got.shape == expected.shape
    assert int(np.count_nonzero(got != expected)) == 0


@pytest.mark.parametrize("window_ms", sorted(WINDOW_ROUNDING_MS))
def test_at_rounding_sizes_only_the_window_differs(tf_frontend, audio, window_ms):
    settings = FrontendSettings(window_size_ms=window_ms, window_step_ms=10,
                                filterbank_n_channels=40)
    expected = tf_frontend(audio, settings)
    assert int(np.count_nonzero(Frontend(settings).process(audio) != expected)) > 0
    tables = dataclasses.replace(compute_tables(settings),
                                 window=tf_window(settings.window_size))
    got = Frontend.from_tables(tables).process(audio)
    assert int(np.count_nonzero(got != expected)) == 0


@hyp_settings(max_examples=10, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(window=st.integers(20, 64).filter(lambda ms: ms not in WINDOW_ROUNDING_MS),
       step_fraction=st.floats(0.2, 1.0), channels=st.integers(16, 80), pcan=st.booleans(),
       lower=st.floats(0.0, 1500.0), upper=st.floats(3000.0, 7900.0),
       shift=st.integers(2, 8))
def test_random_settings_match_tensorflow(tf_frontend, audio, window, step_fraction, channels,
                                          pcan, lower, upper, shift):
    step = max(1, int(window * step_fraction))
    _check(tf_frontend, audio[:40000], FrontendSettings(
        window_size_ms=window, window_step_ms=step, filterbank_n_channels=channels,
        pcan_enable=pcan, filterbank_lower_band_limit=lower, filterbank_upper_band_limit=upper,
        log_scale_shift=shift))


@pytest.mark.parametrize("rate,window,step,channels,upper", [
    (8000, 32, 16, 24, 3900.0), (8000, 40, 20, 32, 3800.0), (11025, 25, 10, 32, 5000.0),
    (22050, 20, 10, 40, 10000.0), (32000, 25, 10, 64, 15000.0), (48000, 20, 10, 80, 20000.0),
])
def test_other_sample_rates_match_tensorflow(tf_frontend, audio, rate, window, step, channels,
                                             upper):
    assert not window_differs(window, rate)
    _check(tf_frontend, audio[:48000], FrontendSettings(
        sample_rate_hz=rate, window_size_ms=window, window_step_ms=step,
        filterbank_n_channels=channels, filterbank_upper_band_limit=upper))
