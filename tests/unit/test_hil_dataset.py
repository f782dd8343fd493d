"""fwgen test's datasets: label folders, CSV, Speech Commands' testing_list.txt, negative
streams, and bad entries reported by name (or refused with strict)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fwgen.audio import write_wav
from fwgen.errors import FwgenError
from fwgen.hil import load_dataset, read_clips

CLASSES = ("silence", "unknown", "yes", "no")


def wav(path: Path, seconds: float = 1.0, rate: int = 16000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    samples = (np.arange(int(seconds * rate)) % 64 - 32).astype(np.int16)
    return write_wav(path, samples, rate)


def names(clips) -> list[str]:
    return [c.name for c in clips]


def test_label_folders_with_background_and_long_silence(tmp_path):
    wav(tmp_path / "yes" / "a.wav")
    wav(tmp_path / "no" / "b.wav")
    wav(tmp_path / "silence" / "short.wav", 1.0)
    wav(tmp_path / "silence" / "long.wav", 4.0)
    wav(tmp_path / "_background_noise_" / "cafe.wav", 2.0)
    wav(tmp_path / "loose.wav")
    data = load_dataset(tmp_path)
    assert data.layout == "folders"
    assert {c.name: (c.label, c.negative) for c in data.clips} == {
        "yes/a.wav": ("yes", False), "no/b.wav": ("no", False),
        "silence/short.wav": ("silence", False), "silence/long.wav": ("silence", True),
        "_background_noise_/cafe.wav": ("_background_noise_", True)}
    assert [(s.name, s.reason) for s in data.skipped] == [
        ("loose.wav", "not in a label folder (DIR/LABEL/x.wav)")]


def test_bad_files_are_skipped_by_name_and_other_words_are_unknown(tmp_path):
    wav(tmp_path / "yes" / "a.wav")
    wav(tmp_path / "marvin" / "m.wav")
    wav(tmp_path / "no" / "fast.wav", rate=8000)
    (tmp_path / "no" / "broken.wav").write_bytes(b"RIFF not really")
    (tmp_path / "silence").mkdir()
    (tmp_path / "silence" / "empty.wav").write_bytes(b"")
    data = load_dataset(tmp_path)
    clips = read_clips(data, 16000, CLASSES)
    assert [(c.clip.name, c.label) for c in clips] == [("marvin/m.wav", "unknown"), ("yes/a.wav", "yes")]
    reasons = {s.name: s.reason for s in data.skipped}
    assert set(reasons) == {"silence/empty.wav", "no/broken.wav", "no/fast.wav"}
    assert "empty" in reasons["silence/empty.wav"]
    assert "cannot read audio" in reasons["no/broken.wav"]
    assert "8000 Hz, expected 16000 Hz" in reasons["no/fast.wav"]


def test_strict_refuses_bad_entries_naming_them(tmp_path):
    wav(tmp_path / "yes" / "a.wav")
    (tmp_path / "no" ).mkdir()
    (tmp_path / "no" / "broken.wav").write_bytes(b"RIFF not really")
    data = load_dataset(tmp_path, strict=True)          # a broken header is found on reading
    with pytest.raises(FwgenError) as err:
        read_clips(data, 16000, CLASSES, strict=True)
    assert "no/broken.wav" in str(err.value) and "--strict" in str(err.value)
    wav(tmp_path / "loose.wav")
    with pytest.raises(FwgenError, match="loose.wav: not in a label folder"):
        load_dataset(tmp_path, strict=True)


def test_a_label_the_model_cannot_say_is_skipped(tmp_path):
    wav(tmp_path / "yes" / "a.wav")
    wav(tmp_path / "marvin" / "m.wav")
    data = load_dataset(tmp_path)
    clips = read_clips(data, 16000, ("yes", "no"))
    assert names(c.clip for c in clips) == ["yes/a.wav"]
    assert data.skipped[0].name == "marvin/m.wav"
    assert "label 'marvin' is not a class of the model (yes, no)" == data.skipped[0].reason


def test_csv_with_onsets_and_bad_lines(tmp_path):
    wav(tmp_path / "clips" / "a.wav")
    wav(tmp_path / "clips" / "b.wav")
    wav(tmp_path / "bg.wav", 5.0)
    (tmp_path / "set.csv").write_text(
        "path,label,onset_ms,offset_ms\n"
        "clips/a.wav,yes,120,640\n"
        "clips/b.wav,no\n"
        "bg.wav,background\n"
        "clips/c.wav,yes,0,100\n"
        "clips/a.wav\n"
        "clips/a.wav,yes,soon,700\n"
        "clips/a.wav,yes,500,400\n"
        "\n# a comment\n")
    data = load_dataset(tmp_path / "set.csv")
    assert data.layout == "csv"
    assert [(c.name, c.label, c.onset_ms, c.offset_ms, c.negative) for c in data.clips] == [
        ("clips/a.wav", "yes", 120, 640, False), ("clips/b.wav", "no", None, None, False),
        ("bg.wav", "background", None, None, True), ("clips/c.wav", "yes", 0, 100, False)]
    assert [(s.name, s.reason) for s in data.skipped] == [
        ("set.csv line 6", "expected path,label[,onset_ms,offset_ms]"),
        ("set.csv line 7", "onset_ms must be a number of ms, got 'soon'"),
        ("set.csv line 8", "offset_ms 400 is before onset_ms 500")]
    clips = read_clips(data, 16000, CLASSES)
    assert names(c.clip for c in clips) == ["clips/a.wav", "clips/b.wav", "bg.wav"]
    assert data.skipped[-1] == type(data.skipped[-1])("clips/c.wav", "audio file not found")


def test_speech_commands_testing_list_and_background(tmp_path):
    for name in ("yes/0a_nohash_0.wav", "yes/1b_nohash_0.wav", "no/2c_nohash_0.wav",
                 "left/3d_nohash_0.wav"):
        wav(tmp_path / name)
    wav(tmp_path / "_background_noise_" / "white_noise.wav", 3.0)
    (tmp_path / "testing_list.txt").write_text("yes/1b_nohash_0.wav\nno/2c_nohash_0.wav\n"
                                               "left/3d_nohash_0.wav\nbare.wav\n")
    data = load_dataset(tmp_path)
    assert data.layout == "speech_commands"
    assert [(c.name, c.negative) for c in data.clips] == [
        ("yes/1b_nohash_0.wav", False), ("no/2c_nohash_0.wav", False),
        ("left/3d_nohash_0.wav", False), ("_background_noise_/white_noise.wav", True)]
    assert data.skipped[0].name == "bare.wav"
    clips = read_clips(data, 16000, CLASSES)
    assert [c.label for c in clips] == ["yes", "no", "unknown", "_background_noise_"]


def test_no_dataset_or_no_clips_is_a_clear_error(tmp_path):
    with pytest.raises(FwgenError, match="dataset not found"):
        load_dataset(tmp_path / "nope")
    with pytest.raises(FwgenError, match="no usable clips"):
        load_dataset(tmp_path)
    (tmp_path / "x.txt").write_text("")
    with pytest.raises(FwgenError, match="give a folder or a .csv file"):
        load_dataset(tmp_path / "x.txt")
