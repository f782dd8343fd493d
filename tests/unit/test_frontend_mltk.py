"""Bit-exactness against MLTK's own AudioFeatureGenerator (its compiled C++ wrapper).

This is the reference for everything TF's op lacks: the DC notch filter, noise reduction and
log scale switched off, MLTK's dynamic int8 scaling, 30 ms windows, and activity detection.

The wrapper ships in the `silabs-mltk` wheel (cp311 manylinux) and needs only libc/libm; fwgen
does not depend on MLTK (it pins old TensorFlow), so these tests run when the wrapper can be
imported (tests/conftest.py, `mltk_frontend`): from a folder/file named by FWGEN_MLTK_WRAPPER,
where tools/test.sh extracts it, or an installed `mltk`:

    pip download silabs-mltk==0.20.0 --no-deps -d /tmp/mltk
    unzip -j /tmp/mltk/*.whl '*/_audio_feature_generator_wrapper*.so' -d /tmp/mltk
    FWGEN_MLTK_WRAPPER=/tmp/mltk pytest tests/unit/test_frontend_mltk.py
"""
from __future__ import annotations


import numpy as np
import pytest

from fwgen.audio import read_wav
from fwgen.frontend import Frontend, FrontendSettings

CASES = {
    "mltk_defaults": {},
    "micro_speech_30ms": dict(window_size_ms=30, window_step_ms=20, filterbank_n_channels=40),
    "on_off_v3_dcnotch_dynamic": dict(dc_notch_filter_enable=True, window_size_ms=30,
                                      filterbank_n_channels=104, pcan_enable=False,
                                      noise_reduction_min_signal_remaining=0.4,
                                      quantize_dynamic_scale_enable=True),
    "no_noise_reduction": dict(noise_reduction_enable=False, pcan_enable=False),
    "no_log": dict(log_scale_enable=False),
    "dcnotch_0.5_18ms": dict(dc_notch_filter_enable=True, dc_notch_filter_coefficient=0.5,
                             window_size_ms=18, window_step_ms=9),
    "fft1024_dynamic_20db": dict(window_size_ms=64, window_step_ms=32, filterbank_n_channels=80,
                                 quantize_dynamic_scale_enable=True,
                                 quantize_dynamic_scale_range_db=20.0),
    "fft256_from_dc": dict(window_size_ms=16, window_step_ms=8, filterbank_n_channels=20,
                           filterbank_lower_band_limit=0.0),
}

ACTIVITY = {
    "activity_defaults": dict(activity_detection_enable=True),
    "activity_tuned": dict(activity_detection_enable=True, activity_detection_alpha_a=0.3,
                           activity_detection_alpha_b=0.95, activity_detection_arm_threshold=0.9,
                           activity_detection_trip_threshold=1.2),
}


@pytest.fixture(scope="module")
def mltk(mltk_frontend):
    def run(settings: FrontendSettings, audio: np.ndarray, dtype) -> tuple[np.ndarray, bool]:
        values = settings.to_dict()
        values["fe.sample_length_ms"] = len(audio) * 1000 // settings.sample_rate_hz
        generator = mltk_frontend.AudioFeatureGeneratorWrapper(values)
        out = np.zeros((settings.frames_for(len(audio)), settings.n_channels), dtype=dtype)
        generator.process_sample(np.ascontiguousarray(audio), out)
        return out, bool(generator.activity_was_detected())
    return run


@pytest.fixture(scope="module")
def signals(shared_data):
    clips = [read_wav(shared_data / "micro_speech" / f"{c}.wav")
             for c in ("yes_1000ms", "silence_1000ms", "no_1000ms", "noise_1000ms")]
    rng = np.random.default_rng(5)
    loud = (rng.standard_normal(16000) * 20000).clip(-32768, 32767).astype(np.int16)
    square = np.where((np.arange(16000) // 23) % 2 == 0, 32767, -32768).astype(np.int16)
    return {"speech_4s": np.concatenate(clips), "loud_noise": loud, "clipped_square": square}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("dtype", ["uint16", "int8"])
def test_matches_mltk_wrapper(mltk, signals, case, dtype):
    settings = FrontendSettings(**CASES[case])
    for name, audio in signals.items():
        expected, _ = mltk(settings, audio, np.dtype(dtype))
        got = Frontend(settings, output=dtype).process(audio)
        assert got.shape == expected.shape, name
        assert int(np.count_nonzero(got != expected)) == 0, name


@pytest.mark.parametrize("case", sorted(ACTIVITY))
def test_activity_detection_trips_like_mltk(mltk, signals, case):
    """Compare the tripped flag after every 50 ms prefix of a stream: silence, speech, noise."""
    settings = FrontendSettings(**ACTIVITY[case])
    stream = np.concatenate([np.zeros(4000, dtype=np.int16), signals["speech_4s"],
                             signals["loud_noise"][:4000]])
    ours, theirs = [], []
    for end in range(settings.window_size, len(stream), 800):
        _, tripped = mltk(settings, stream[:end], np.uint16)
        theirs.append(tripped)
        fe = Frontend(settings)
        fe.process(stream[:end])
        ours.append(fe.activity_tripped())
    assert any(theirs) and not all(theirs)  # the comparison exercises both outcomes
    assert ours == theirs
