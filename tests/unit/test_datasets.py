"""Training datasets: Speech Commands layout, ESC-50/ESC-10, the espeak-ng synthetic set."""
from __future__ import annotations

import hashlib
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile

from fwgen.errors import FwgenError
from fwgen.train.datasets import synthetic
from fwgen.train.datasets.base import fit_length, read_wav, stable_rng
from fwgen.train.datasets.esc50 import Esc50
from fwgen.train.datasets.speech_commands import SILENCE, UNKNOWN, SpeechCommands, which_split

RATE = 16000


def _tone(n: int, freq: float, amplitude: float = 0.3, rate: int = RATE) -> np.ndarray:
    t = np.arange(n) / rate
    return np.round(amplitude * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def _write(path: Path, audio: np.ndarray, rate: int = RATE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), audio, rate, subtype="PCM_16")


@pytest.fixture()
def speech_commands(tmp_path: Path) -> Path:
    """40 speakers × (yes, no) + 3 unknown words, 2 noise files."""
    root = tmp_path / "sc"
    for s in range(40):
        speaker = hashlib.sha1(f"spk{s}".encode()).hexdigest()[:8]
        for word, freq in (("yes", 500.0), ("no", 700.0), ("cat", 900.0), ("dog", 1100.0),
                           ("up", 1300.0)):
            _write(root / word / f"{speaker}_nohash_0.wav", _tone(RATE - 800, freq))
    rng = np.random.default_rng(0)
    for name in ("white_noise", "pink_noise"):
        noise = np.round(rng.normal(scale=3000, size=3 * RATE)).astype(np.int16)
        _write(root / "_background_noise_" / f"{name}.wav", noise)
    return root


def test_which_split_follows_the_readme_rule() -> None:
    # The README's rule written out independently: SHA-1 of the name before _nohash_,
    # modulo 2**27 (MAX_NUM_WAVS_PER_CLASS + 1), scaled to a percentage.
    for name in ("0a7c2a8d_nohash_0.wav", "ffd2ba2f_nohash_4.wav", "3cfc6b3a_nohash_1.wav",
                 "c0445658_nohash_2.wav", "9ff2d2f4_nohash_0.wav"):
        speaker = name.split("_nohash_")[0]
        value = int(hashlib.sha1(speaker.encode()).hexdigest(), 16) % (2 ** 27)
        pct = value * (100.0 / (2 ** 27 - 1))
        expected = "validation" if pct < 10 else "test" if pct < 20 else "train"
        assert which_split(name, 10, 10) == expected
    # Every take of one speaker lands in the same partition.
    assert {which_split(f"abcd1234_nohash_{i}.wav", 10, 10) for i in range(20)} == \
        {which_split("abcd1234_nohash_0.wav", 10, 10)}


def test_speech_commands_partitions_and_proportions(speech_commands: Path) -> None:
    ds = SpeechCommands(speech_commands, wanted_words=("yes", "no"))
    assert ds.classes == (SILENCE, UNKNOWN, "yes", "no")
    seen: set[str] = set()
    for split in ("train", "validation", "test"):
        items = ds.examples(split)
        wanted = [e for e in items if e.label in ("yes", "no")]
        assert sum(e.label == UNKNOWN for e in items) == math.ceil(len(wanted) * 0.1)
        assert sum(e.label == SILENCE for e in items) == math.ceil(len(wanted) * 0.1)
        for e in items:
            if e.path is not None:
                assert which_split(e.path.name, 10, 10) == split
                assert e.clip_id not in seen
                seen.add(e.clip_id)
        assert ds.examples(split) == items  # stable order
    assert len(ds.examples("train")) > len(ds.examples("test"))


def test_speech_commands_list_files_override_the_hash(speech_commands: Path) -> None:
    files = sorted(p.relative_to(speech_commands).as_posix()
                   for p in speech_commands.glob("yes/*.wav"))
    (speech_commands / "validation_list.txt").write_text("\n".join(files[:3]) + "\n")
    (speech_commands / "testing_list.txt").write_text("\n".join(files[3:5]) + "\n")
    ds = SpeechCommands(speech_commands, wanted_words=("yes", "no"))
    assert sorted(e.clip_id for e in ds.examples("validation") if e.label == "yes") == files[:3]
    assert sorted(e.clip_id for e in ds.examples("test") if e.label == "yes") == files[3:5]
    assert not [e for e in ds.examples("test") if e.label == "no"]


def test_speech_commands_loading(speech_commands: Path) -> None:
    ds = SpeechCommands(speech_commands, wanted_words=("yes", "no"))
    yes = next(e for e in ds.examples("train") if e.label == "yes")
    clean = ds.load(yes)
    assert clean.dtype == np.int16 and clean.shape == (RATE,)
    raw = read_wav(yes.path, RATE)
    np.testing.assert_array_equal(clean[: len(raw)], raw)  # no shift, no noise
    assert not clean[len(raw):].any()  # padded with zeros to 1 s
    np.testing.assert_array_equal(ds.load(yes), clean)
    augmented = ds.load(yes, np.random.default_rng(3))
    assert augmented.shape == (RATE,) and not np.array_equal(augmented, clean)
    np.testing.assert_array_equal(augmented, ds.load(yes, np.random.default_rng(3)))
    silence = next(e for e in ds.examples("test") if e.label == SILENCE)
    quiet = ds.load(silence)
    np.testing.assert_array_equal(quiet, ds.load(silence))  # deterministic per example
    assert np.abs(quiet.astype(np.int32)).max() < 3000 * 6


def test_speech_commands_silence_kinds(speech_commands: Path) -> None:
    """Silence is exact zeros, faint white noise (a few LSB, like TFLM's -84 dBFS
    silence_1000ms.wav) or background noise, in the configured proportions."""
    ds = SpeechCommands(speech_commands, wanted_words=("yes", "no"), silence_percentage=100,
                        digital_silence_fraction=0.2, faint_noise_fraction=0.3,
                        faint_noise_lsb=[1.0, 4.0], quiet_silence_fraction=0.0)
    silences = [e for e in ds.examples("train") if e.label == SILENCE]
    assert len(silences) >= 20
    rng = np.random.default_rng(5)
    kinds = {"zero": 0, "faint": 0, "noise": 0}
    for example in silences * 10:
        audio = ds.load(example, rng).astype(np.float64)
        std = audio.std()
        if not audio.any():
            kinds["zero"] += 1
        elif std < 8.0:  # 1-4 LSB white noise (the fixture's noise files have std 3000)
            kinds["faint"] += 1
            assert 0.7 < std < 5.0
        else:
            kinds["noise"] += 1
    total = sum(kinds.values())
    assert abs(kinds["zero"] / total - 0.2) < 0.06
    assert abs(kinds["faint"] / total - 0.3) < 0.07
    # The default recipe keeps every kind, and evaluation-time silence stays deterministic.
    default = SpeechCommands(speech_commands, wanted_words=("yes", "no"))
    assert default.digital_silence_fraction > 0 and default.faint_noise_fraction > 0
    assert default.faint_noise_lsb[0] <= 2.0 <= default.faint_noise_lsb[1]
    with pytest.raises(FwgenError, match="silence fractions"):
        SpeechCommands(speech_commands, digital_silence_fraction=0.7, faint_noise_fraction=0.5)
    with pytest.raises(FwgenError, match="faint_noise_lsb"):
        SpeechCommands(speech_commands, faint_noise_lsb=(3.0, 0.0))


def test_dataset_read_wav_checks_files_like_fwgen_audio(tmp_path: Path) -> None:
    """Datasets read through fwgen.audio: 16-bit mono at the rate is untouched; stereo is
    averaged; another rate is resampled; empty, corrupt and missing files are clear errors."""
    tone = _tone(RATE, 440.0)
    _write(tmp_path / "mono.wav", tone)
    np.testing.assert_array_equal(read_wav(tmp_path / "mono.wav", RATE), tone)
    stereo = np.stack([tone, np.zeros_like(tone)], axis=1)
    soundfile.write(str(tmp_path / "stereo.wav"), stereo, RATE, subtype="PCM_16")
    np.testing.assert_array_equal(read_wav(tmp_path / "stereo.wav", RATE),
                                  np.round(tone.astype(np.float64) / 2).astype(np.int16))
    if shutil.which("sox"):
        _write(tmp_path / "fast.wav", _tone(32000, 440.0, rate=32000), rate=32000)
        resampled = read_wav(tmp_path / "fast.wav", RATE)
        assert resampled.dtype == np.int16 and len(resampled) == RATE
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(FwgenError, match="empty"):
        read_wav(tmp_path / "empty.wav", RATE)
    (tmp_path / "junk.wav").write_bytes(b"RIFF not really a wave file at all")
    with pytest.raises(FwgenError, match="cannot read audio"):
        read_wav(tmp_path / "junk.wav", RATE)
    with pytest.raises(FwgenError, match="not found"):
        read_wav(tmp_path / "missing.wav", RATE)


def test_speech_commands_errors(tmp_path: Path, speech_commands: Path) -> None:
    with pytest.raises(FwgenError, match="not found"):
        SpeechCommands(tmp_path / "nope")
    with pytest.raises(FwgenError, match="zebra"):
        SpeechCommands(speech_commands, wanted_words=("yes", "zebra"))
    with pytest.raises(FwgenError, match="split"):
        SpeechCommands(speech_commands).examples("dev")


def test_fit_length_shifts_and_pads() -> None:
    a = np.arange(1, 6, dtype=np.int16)
    np.testing.assert_array_equal(fit_length(a, 7, 2), [0, 0, 1, 2, 3, 4, 5])
    np.testing.assert_array_equal(fit_length(a, 4, -2), [3, 4, 5, 0])
    np.testing.assert_array_equal(fit_length(a, 3, 0), [1, 2, 3])


def test_stable_rng_is_stable() -> None:
    assert stable_rng("a", "b").integers(1 << 30) == stable_rng("a", "b").integers(1 << 30)
    assert stable_rng("a", "b").integers(1 << 30) != stable_rng("a", "c").integers(1 << 30)


# ------------------------------------------------------------------------------------------
# ESC-50
# ------------------------------------------------------------------------------------------

@pytest.fixture()
def esc50(tmp_path: Path) -> Path:
    root = tmp_path / "ESC-50"
    rows = ["filename,fold,target,category,esc10,src_file,take"]
    categories = [(0, "dog", True), (1, "rooster", True), (2, "pig", False)]
    for fold in range(1, 6):
        for target, category, esc10 in categories:
            name = f"{fold}-{100 + target}-A-{target}.wav"
            rows.append(f"{name},{fold},{target},{category},{esc10},{100 + target},A")
            _write(root / "audio" / name, _tone(44100 * 5, 300.0 + 100 * target, rate=44100),
                   rate=44100)
    (root / "meta").mkdir(parents=True)
    (root / "meta" / "esc50.csv").write_text("\n".join(rows) + "\n")
    return root


@pytest.mark.skipif(shutil.which("sox") is None, reason="needs sox to resample")
def test_esc50_folds_classes_and_resampling(esc50: Path) -> None:
    ds = Esc50(esc50)
    assert ds.classes == ("dog", "rooster", "pig")
    assert [e.clip_id.split("-")[0] for e in ds.examples("train")] == ["1"] * 3 + ["2"] * 3 + \
        ["3"] * 3
    assert {e.clip_id[0] for e in ds.examples("validation")} == {"4"}
    assert {e.clip_id[0] for e in ds.examples("test")} == {"5"}
    audio = ds.load(ds.examples("test")[0])
    assert audio.dtype == np.int16 and audio.shape == (5 * RATE,)
    spectrum = np.abs(np.fft.rfft(audio.astype(np.float64)))
    assert abs(np.argmax(spectrum) * RATE / len(audio) - 300.0) < 1.0  # 300 Hz tone survives
    ten = Esc50(esc50, esc10=True)
    assert ten.classes == ("dog", "rooster") and ten.name == "esc10"
    assert all(e.label in ("dog", "rooster") for e in ten.examples("train"))


def test_esc50_errors(esc50: Path, tmp_path: Path) -> None:
    with pytest.raises(FwgenError, match="esc50.csv"):
        Esc50(tmp_path)
    with pytest.raises(FwgenError, match="more than one split"):
        Esc50(esc50, train_folds=(1, 2, 3, 4), validation_folds=(4,))


# ------------------------------------------------------------------------------------------
# Synthetic espeak-ng keywords
# ------------------------------------------------------------------------------------------

needs_tts = pytest.mark.skipif(shutil.which("espeak-ng") is None or shutil.which("sox") is None,
                               reason="needs espeak-ng and sox")

TINY = synthetic.SyntheticKeywordSpec(keywords=("yes", "no"), unknown_words=("cat", "up"),
                                      clips_per_keyword=4, clips_per_unknown_word=2,
                                      noise_seconds=1.5, seed=5)


@needs_tts
def test_synthetic_dataset_layout_and_determinism(tmp_path: Path) -> None:
    first = synthetic.generate_keywords(tmp_path / "a", TINY)
    second = synthetic.generate_keywords(tmp_path / "b", TINY)
    files = sorted(p.relative_to(first).as_posix() for p in first.rglob("*.wav"))
    assert files == sorted(p.relative_to(second).as_posix() for p in second.rglob("*.wav"))
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel
    assert {f.split("/")[0] for f in files} == {"yes", "no", "cat", "up", "_background_noise_"}
    assert sum(f.startswith("yes/") for f in files) == 4
    assert len([f for f in files if f.startswith("_background_noise_/")]) == len(
        synthetic.NOISE_KINDS)
    for rel in files:
        if rel.startswith("_background_noise_"):
            continue
        audio, rate = soundfile.read(str(first / rel), dtype="int16")
        assert rate == RATE and audio.shape == (RATE,)
        assert np.abs(audio.astype(np.int32)).max() > 1000  # speech is there
        speaker = Path(rel).name.split("_nohash_")[0]
        assert len(speaker) == 8
    manifest = json.loads((first / "fwgen_synthetic.json").read_text())
    assert manifest["digest"] == TINY.digest()
    assert "espeak-ng" in manifest["tools"]
    # A Speech Commands loader reads it directly.
    ds = SpeechCommands(first, wanted_words=("yes", "no"))
    assert sum(len(ds.examples(s)) for s in ("train", "validation", "test")) >= 8


@needs_tts
def test_synthetic_generation_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    real = synthetic.synthesize

    def failing(utterance: synthetic.Utterance, sample_rate: int = RATE) -> np.ndarray:
        calls["n"] += 1
        if calls["n"] == 3:
            raise FwgenError("boom")
        return real(utterance, sample_rate)

    monkeypatch.setattr(synthetic, "synthesize", failing)
    with pytest.raises(FwgenError, match="boom"):
        synthetic.generate_keywords(tmp_path / "ds", TINY)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(synthetic, "synthesize", real)
    (tmp_path / "exists").mkdir()
    with pytest.raises(FwgenError, match="already exists"):
        synthetic.generate_keywords(tmp_path / "exists", TINY)


@needs_tts
def test_every_accent_and_variant_is_a_distinct_voice() -> None:
    rendered = set()
    for accent in synthetic.ACCENTS:
        utt = synthetic.Utterance("yes", accent, "m3", 150, 50, None, None, None)
        rendered.add(synthetic.synthesize(utt).tobytes())
    assert len(rendered) == len(synthetic.ACCENTS)
    variants = set()
    for variant in synthetic.VARIANTS[:12]:
        utt = synthetic.Utterance("yes", "en-us", variant, 150, 50, None, None, None)
        variants.add(synthetic.synthesize(utt).tobytes())
    assert len(variants) == 12


def test_trim_and_place() -> None:
    audio = np.zeros(RATE, dtype=np.float32)
    audio[4000:6000] = 0.5
    trimmed = synthetic.trim_silence(audio)
    assert 1900 <= len(trimmed) <= 2200
    clip = synthetic.place_in_clip(trimmed, RATE, np.random.default_rng(0))
    assert clip.shape == (RATE,) and np.count_nonzero(clip) == np.count_nonzero(trimmed)
    long = np.ones(2 * RATE, dtype=np.float32)
    assert synthetic.place_in_clip(long, RATE, np.random.default_rng(0)).shape == (RATE,)


@pytest.mark.parametrize("kind", ["white", "pink", "brown", "hum", "tap"])
def test_background_noise_level(kind: str) -> None:
    noise = synthetic.background_noise(kind, 1.0, np.random.default_rng(1))
    assert noise.shape == (RATE,)
    rms_db = 20 * np.log10(np.sqrt(np.mean(noise.astype(np.float64) ** 2)))
    assert -21.0 < rms_db < -19.0


@needs_tts
def test_synthetic_sound_events_in_esc50_layout(tmp_path: Path) -> None:
    from fwgen.train.datasets import sound_events

    spec = sound_events.SoundEventSpec(clips_per_class=5, clip_ms=1000, seed=2)
    root = sound_events.generate_sound_events(tmp_path / "events", spec)
    again = sound_events.generate_sound_events(tmp_path / "again", spec)
    ds = Esc50(root, clip_ms=1000)
    assert ds.classes == sound_events.CLASSES
    assert [len(ds.examples(s)) for s in ("train", "validation", "test")] == [30, 10, 10]
    for example in ds.examples("test"):
        audio = ds.load(example)
        assert audio.shape == (RATE,)
        assert (root / "audio" / example.clip_id).read_bytes() == \
            (again / "audio" / example.clip_id).read_bytes()
        if example.label != "background":
            assert np.abs(audio.astype(np.int32)).max() > 3000  # peak -20 .. -1 dBFS
    with pytest.raises(FwgenError, match="unknown sound class"):
        sound_events.render_event("thunder", RATE, np.random.default_rng(0))
