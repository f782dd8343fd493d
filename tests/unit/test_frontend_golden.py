"""Bit-exactness against the MLTK/TFLM reference outputs in shared/data/frontend/golden.npz.

Every setting and clip there, uint16 and int8, through the host build of the C frontend;
stream_4s (yes + silence + no + noise) is also fed in random chunk sizes, both through the
binding (state kept across process() calls) and through the device API fwgen_frontend_process()
one call per chunk, the way the firmware feeds microphone buffers.
"""
from __future__ import annotations

import ctypes
import json
from pathlib import Path

import numpy as np
import pytest

from fwgen.audio import read_wav
from fwgen.frontend import Frontend, load_settings
from fwgen.frontend.binding import FWGEN_NEED_MORE, FWGEN_OK

CLIPS = ["yes_1000ms", "silence_1000ms", "no_1000ms", "noise_1000ms"]


@pytest.fixture(scope="module")
def golden(shared_data):
    return np.load(shared_data / "frontend" / "golden.npz")


@pytest.fixture(scope="module")
def settings_path(shared_data):
    return shared_data / "frontend" / "settings.json"


@pytest.fixture(scope="module")
def clips(shared_data):
    audio = {c: read_wav(shared_data / "micro_speech" / f"{c}.wav") for c in CLIPS}
    audio["stream_4s"] = np.concatenate([audio[c] for c in CLIPS])
    return audio


def _golden_keys() -> list[tuple[str, str, str]]:
    """(setting, clip, dtype) of every golden array (collected before fixtures exist)."""
    path = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "frontend" / "golden.npz"
    if not path.exists():
        return []
    return sorted(tuple(key.split("/")) for key in np.load(path).files)


def test_golden_covers_every_setting(golden, settings_path):
    names = set(json.loads(settings_path.read_text())["settings"])
    assert {k.split("/")[0] for k in golden.files} == names


@pytest.mark.parametrize("setting,clip,dtype", _golden_keys())
def test_whole_clip_matches_golden(golden, settings_path, clips, setting, clip, dtype):
    fe = Frontend(load_settings(settings_path, name=setting), output=dtype)
    got = fe.process(clips[clip])
    expected = golden[f"{setting}/{clip}/{dtype}"]
    assert got.dtype == expected.dtype
    assert got.shape == expected.shape
    assert int(np.count_nonzero(got != expected)) == 0


def _random_chunks(n: int, rng: np.random.Generator) -> list[int]:
    sizes = []
    while sum(sizes) < n:
        sizes.append(int(rng.choice([1, 2, 3, 7, 64, 159, 160, 161, 320, 479, 480, 481, 1000,
                                     int(rng.integers(1, 4000))])))
    return sizes


@pytest.mark.parametrize("setting", ["micro_speech", "tf_defaults", "mltk_on_off_v3"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_stream_in_random_chunks_matches_golden(golden, settings_path, clips, setting, seed):
    settings = load_settings(settings_path, name=setting)
    audio = clips["stream_4s"]
    rng = np.random.default_rng(seed)
    fe16 = Frontend(settings, output="uint16")
    fe8 = Frontend(settings, output="int8")
    parts16, parts8, pos = [], [], 0
    for size in _random_chunks(len(audio), rng):
        chunk = audio[pos:pos + size]
        pos += size
        parts16.append(fe16.process(chunk))
        parts8.append(fe8.process(chunk))
    feats16 = np.concatenate(parts16)
    key16 = f"{setting}/stream_4s/uint16"
    if key16 in golden.files:
        assert int(np.count_nonzero(feats16 != golden[key16])) == 0
    expected8 = golden[f"{setting}/stream_4s/int8"]
    if settings.quantize_dynamic_scale_enable:
        # Dynamic scaling spans the whole spectrogram: scale the streamed uint16 frames at once.
        got8 = fe16.to_int8(feats16)
    else:
        got8 = np.concatenate(parts8)
    assert got8.shape == expected8.shape
    assert int(np.count_nonzero(got8 != expected8)) == 0


@pytest.mark.parametrize("setting", ["micro_speech", "mltk_on_off_v3"])
def test_device_api_one_call_per_chunk(golden, settings_path, clips, setting):
    """fwgen_frontend_process(): at most one frame per call, the caller advances by n_consumed."""
    fe = Frontend(load_settings(settings_path, name=setting), output="uint16")
    lib = fe._lib
    lib.fwgen_frontend_process.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                                           ctypes.POINTER(ctypes.c_size_t), ctypes.c_void_p]
    lib.fwgen_frontend_process.restype = ctypes.c_int
    audio = clips["stream_4s"]
    frame = np.zeros(fe.n_channels, dtype=np.uint16)
    frames, pos = [], 0
    rng = np.random.default_rng(7)
    used = ctypes.c_size_t()
    for size in _random_chunks(len(audio), rng):
        chunk = np.ascontiguousarray(audio[pos:pos + size])
        pos += size
        offset = 0
        while offset < len(chunk):
            status = lib.fwgen_frontend_process(fe._handle, chunk.ctypes.data + 2 * offset,
                                                len(chunk) - offset, ctypes.byref(used),
                                                frame.ctypes.data)
            assert status in (FWGEN_OK, FWGEN_NEED_MORE)
            offset += used.value
            if status == FWGEN_OK:
                frames.append(frame.copy())
            else:
                assert offset == len(chunk)
    got = np.stack(frames)
    expected_int8 = golden[f"{setting}/stream_4s/int8"]
    assert int(np.count_nonzero(fe.to_int8(got) != expected_int8)) == 0
    key16 = f"{setting}/stream_4s/uint16"
    if key16 in golden.files:
        assert int(np.count_nonzero(got != golden[key16])) == 0


def test_reset_starts_a_new_stream(settings_path, clips, golden):
    fe = Frontend(load_settings(settings_path, name="micro_speech"))
    fe.process(clips["noise_1000ms"][:12345])
    fe.reset()
    assert int(np.count_nonzero(fe.process(clips["yes_1000ms"])
                                != golden["micro_speech/yes_1000ms/uint16"])) == 0


def test_process_clips_resets_between_clips(settings_path, clips, golden):
    fe = Frontend(load_settings(settings_path, name="tf_defaults"), output="int8")
    batch = fe.process_clips([clips[c] for c in CLIPS])
    assert batch.shape == (4, 98, 32) and batch.dtype == np.int8
    for i, clip in enumerate(CLIPS):
        assert int(np.count_nonzero(batch[i] != golden[f"tf_defaults/{clip}/int8"])) == 0


def test_pickled_frontend_starts_a_fresh_stream(settings_path, clips, golden):
    import pickle
    fe = Frontend(load_settings(settings_path, name="mltk_on_off_v3"), output="int8")
    fe.process(clips["noise_1000ms"][:5000])
    copy = pickle.loads(pickle.dumps(fe))
    assert copy.output == "int8" and copy.settings == fe.settings
    got = copy.process(clips["no_1000ms"])
    assert int(np.count_nonzero(got != golden["mltk_on_off_v3/no_1000ms/int8"])) == 0
