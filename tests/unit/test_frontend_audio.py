"""fwgen.audio: WAV reading with clear errors, documented conversions, atomic writing."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import soundfile as sf

from fwgen.audio import read_wav, wav_info, write_wav
from fwgen.errors import FwgenError


def test_reads_16_bit_mono_exactly(shared_data, tmp_path):
    path = shared_data / "micro_speech" / "yes_1000ms.wav"
    audio = read_wav(path)
    assert audio.dtype == np.int16 and audio.shape == (16000,)
    expected, rate = sf.read(str(path), dtype="int16")
    assert rate == 16000 and np.array_equal(audio, expected)
    assert np.array_equal(read_wav(path, convert=True), audio)  # nothing to convert: untouched
    out = write_wav(tmp_path / "copy.wav", audio)
    assert np.array_equal(read_wav(out), audio)
    info = wav_info(out)
    assert (info.sample_rate, info.channels, info.subtype, info.frames) == (16000, 1, "PCM_16", 16000)


@pytest.mark.parametrize("rate,channels,subtype,pattern", [
    (44100, 1, "PCM_16", r"sample rate is 44100 Hz, expected 16000 Hz"),
    (16000, 2, "PCM_16", r"has 2 channels; fwgen needs mono"),
    (16000, 1, "PCM_U8", r"holds 8-bit samples \(PCM_U8\); fwgen needs 16-bit PCM"),
    (16000, 1, "PCM_24", r"holds 24-bit samples \(PCM_24\)"),
    (16000, 1, "FLOAT", r"holds 32-bit float samples"),
])
def test_wrong_format_is_a_clear_error(tmp_path, rate, channels, subtype, pattern):
    path = tmp_path / "in.wav"
    data = (np.sin(np.arange(rate // 4) / 7.0)[:, None] * np.ones(channels) * 0.4)
    sf.write(str(path), data, rate, subtype=subtype)
    with pytest.raises(FwgenError, match=pattern) as err:
        read_wav(path)
    assert str(path) in str(err.value) and "convert" in err.value.hint
    converted = read_wav(path, convert=True)
    assert converted.dtype == np.int16 and converted.ndim == 1
    assert len(converted) == 4000  # a quarter second at 16 kHz
    # the tone survives conversion (amplitude 0.4 of full scale)
    assert 0.35 * 32768 < np.abs(converted.astype(np.int32)).max() < 0.45 * 32768


def test_downmix_averages_channels(tmp_path):
    path = tmp_path / "stereo.wav"
    left = np.full(100, 1000, dtype=np.int16)
    right = np.full(100, -3000, dtype=np.int16)
    sf.write(str(path), np.stack([left, right], axis=1), 16000, subtype="PCM_16")
    assert np.all(read_wav(path, convert=True) == -1000)


def test_corrupt_missing_and_not_audio(tmp_path):
    with pytest.raises(FwgenError, match="audio file not found"):
        read_wav(tmp_path / "missing.wav")
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt garbage")
    with pytest.raises(FwgenError, match="cannot read audio") as err:
        read_wav(bad)
    assert "corrupt" in err.value.hint
    with pytest.raises(FwgenError, match="not a file"):
        read_wav(tmp_path)


def test_any_rate_when_not_expected(tmp_path):
    path = tmp_path / "8k.wav"
    sf.write(str(path), np.zeros(800, dtype=np.int16), 8000, subtype="PCM_16")
    assert read_wav(path, expect_rate=None).shape == (800,)


def test_write_rejects_bad_input_and_leaves_nothing(tmp_path):
    with pytest.raises(FwgenError, match="int16"):
        write_wav(tmp_path / "x.wav", np.zeros(10, dtype=np.float32))
    with pytest.raises(FwgenError, match="does not exist"):
        write_wav(tmp_path / "no" / "x.wav", np.zeros(10, dtype=np.int16))
    assert list(tmp_path.iterdir()) == []


def test_truncated_file_is_an_error_unless_converting(tmp_path):
    full = tmp_path / "full.wav"
    audio = (np.arange(3000) % 200 - 100).astype(np.int16)
    write_wav(full, audio)
    data = full.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[:-2 * 1000 - 1])  # 999.5 samples short: 1999 whole samples remain
    with pytest.raises(FwgenError, match="is truncated: its header declares 3000 samples but "
                                         "the file holds only 1999") as err:
        read_wav(cut)
    assert "reads the 1999 samples present" in err.value.hint
    assert np.array_equal(read_wav(cut, convert=True), audio[:1999])
    assert np.array_equal(read_wav(full), audio)  # a complete file is not flagged
    # a streaming recorder's unknown size (0xFFFFFFFF) is not a truncation
    at = data.index(b"data") + 4
    streamed = tmp_path / "streamed.wav"
    streamed.write_bytes(data[:at] + b"\xff\xff\xff\xff" + data[at + 4:])
    assert read_wav(streamed).size > 0


def test_empty_file_and_folder(tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(FwgenError, match="the audio file is empty"):
        read_wav(tmp_path / "empty.wav")
    with pytest.raises(FwgenError, match="not a file") as err:
        read_wav(tmp_path)
    assert ".wav" in err.value.hint


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("rate, channels", [(16000, 1), (16000, 2), (44100, 1)])
def test_samples_that_are_not_numbers_are_an_error_when_converting(tmp_path, bad, rate, channels):
    """NaN or infinite float samples have no 16-bit value: --convert says so, naming the file
    and the first one, instead of turning them into silence behind a numpy warning (issue 14)."""
    path = tmp_path / "nan.wav"
    data = np.full((rate // 4, channels), 0.25)
    data[1234, -1] = bad
    data[2000:2010, 0] = bad
    sf.write(str(path), data, rate, subtype="FLOAT")
    with warnings.catch_warnings():
        warnings.simplefilter("error")       # no RuntimeWarning may escape either
        with pytest.raises(FwgenError, match=r"11 of its \d+ samples are not numbers \(NaN or "
                                             r"infinite\), the first at sample 1234") as err:
            read_wav(path, convert=True)
    assert str(path) in str(err.value) and "re-export" in err.value.hint
    with pytest.raises(FwgenError, match="32-bit float"):   # without --convert: the format first
        read_wav(path)
    data[~np.isfinite(data)] = 1.0    # finite samples, even at full scale, convert as before
    sf.write(str(path), data, rate, subtype="FLOAT")
    assert read_wav(path, convert=True).size > 0
