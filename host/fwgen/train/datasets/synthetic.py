"""A keyword dataset generated offline with espeak-ng and SoX, in Speech Commands layout.

So that `fwgen train --model micro_speech --data synthetic` works on a machine with no dataset,
fwgen speaks every word itself: many espeak-ng voices (English accents × voice variants),
speaking rates and pitches, shaped by random microphone-like filters and room reverb, placed at
a random offset in a 1 s clip at a random level over a faint noise floor. Background noise files
(white, pink, brown, mains hum, babble, modulated "tap" noise) go to ``_background_noise_`` for
the loader to mix in, exactly as with Google's Speech Commands.

Files are named ``<speaker>_nohash_<n>.wav`` where the speaker is the espeak-ng voice, so the
Speech Commands hash split keeps every voice in one partition: the test set is spoken by voices
the model never heard. Generation is deterministic for a given spec (seeded RNG; SoX runs in
repeatable mode without dither) and written atomically (a temporary folder renamed at the end).
"""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from fwgen.errors import FwgenError, ToolMissingError

LOG = logging.getLogger(__name__)

SAMPLE_RATE_HZ = 16_000
BACKGROUND_NOISE_DIR = "_background_noise_"
#: Bump when the generator changes in a way that changes its output.
GENERATOR_VERSION = 1

#: espeak-ng English voices (accents).
#: (espeak-ng 1.51 ignores a variant after "en-gb" and aliases "en-us-nyc" to "en-us": both left out.)
ACCENTS: tuple[str, ...] = ("en", "en-us", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp",
                            "en-gb-x-gbcwmd", "en-029")
#: espeak-ng voice variants that sound like people (robotic/novelty ones are left out).
VARIANTS: tuple[str, ...] = (
    "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "f1", "f2", "f3", "f4", "f5",
    "adam", "Alex", "Alicia", "Andrea", "Andy", "Annie", "antonio", "aunty", "belinda",
    "benjamin", "boris", "caleb", "david", "Denis", "Diogo", "ed", "edward", "Gene", "gustave",
    "Henrique", "Hugo", "iven", "iven2", "Jacky", "john", "Lee", "linda", "marcelo", "Marco",
    "Mario", "max", "Michael", "michel", "miguel", "Mike", "Nguyen", "pablo", "paul", "pedro",
    "quincy", "rob", "robert", "steph", "steph2", "Storm", "zac", "anika", "grandpa", "grandma",
    "klatt", "klatt2", "klatt3", "klatt4", "norbert", "sandro", "shelby", "travis", "victor",
    "croak", "whisper", "whisperf",
)
#: Words of Google Speech Commands v2 other than the usual keywords: the "unknown" pool.
SPEECH_COMMANDS_WORDS: tuple[str, ...] = (
    "backward", "bed", "bird", "cat", "dog", "down", "eight", "five", "follow", "forward",
    "four", "go", "happy", "house", "learn", "left", "marvin", "nine", "no", "off", "on", "one",
    "right", "seven", "sheila", "six", "stop", "three", "tree", "two", "up", "visual", "wow",
    "yes", "zero",
)
NOISE_KINDS: tuple[str, ...] = ("white", "pink", "brown", "hum", "babble", "tap")


@dataclass(frozen=True)
class SyntheticKeywordSpec:
    """What to generate. The spec (and the generator version) names the cache folder."""

    keywords: tuple[str, ...] = ("yes", "no")
    unknown_words: tuple[str, ...] = tuple(w for w in SPEECH_COMMANDS_WORDS
                                           if w not in ("yes", "no"))
    clips_per_keyword: int = 1500
    clips_per_unknown_word: int = 45
    noise_seconds: float = 30.0
    clip_ms: int = 1000
    seed: int = 0
    rate_wpm: tuple[int, int] = (110, 220)
    pitch: tuple[int, int] = (15, 85)
    peak_dbfs: tuple[float, float] = (-26.0, -1.0)
    noise_floor_dbfs: tuple[float, float] = (-80.0, -50.0)
    extra: dict[str, str] = field(default_factory=dict)

    def digest(self) -> str:
        text = json.dumps({"version": GENERATOR_VERSION, **asdict(self)}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Utterance:
    word: str
    accent: str
    variant: str
    rate_wpm: int
    pitch: int
    highpass_hz: float | None
    lowpass_hz: float | None
    reverb: float | None

    @property
    def voice(self) -> str:
        return f"{self.accent}+{self.variant}"

    @property
    def speaker(self) -> str:
        """A filesystem-safe speaker id: accent and variant (rate and pitch vary per clip)."""
        return _speaker(self.accent, self.variant)


def _require(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise ToolMissingError(program, hint=f"install it (Debian: apt-get install {program})")
    return path


def synthesize(utterance: Utterance, sample_rate: int = SAMPLE_RATE_HZ) -> np.ndarray:
    """Speak one word with espeak-ng and shape it with SoX; float32 mono at `sample_rate`."""
    espeak = _require("espeak-ng")
    sox = _require("sox")
    speech = subprocess.run(
        [espeak, "-v", utterance.voice, "-s", str(utterance.rate_wpm), "-p", str(utterance.pitch),
         "--stdout", utterance.word], capture_output=True, check=False)
    if speech.returncode != 0 or not speech.stdout:
        raise FwgenError(f"espeak-ng failed for voice {utterance.voice}: "
                         f"{speech.stderr.decode(errors='replace').strip()}")
    effects: list[str] = []
    if utterance.highpass_hz:
        effects += ["highpass", f"{utterance.highpass_hz:.0f}"]
    if utterance.lowpass_hz:
        effects += ["lowpass", f"{utterance.lowpass_hz:.0f}"]
    if utterance.reverb:
        effects += ["reverb", f"{utterance.reverb:.0f}", "50", "60"]
    shaped = subprocess.run(
        [sox, "-R", "-D", "-t", "wav", "-", "-t", "raw", "-e", "floating-point", "-b", "32",
         "-c", "1", "-r", str(sample_rate), "-", *effects, "channels", "1"],
        input=speech.stdout, capture_output=True, check=False)
    if shaped.returncode != 0:
        raise FwgenError(f"sox failed: {shaped.stderr.decode(errors='replace').strip()}")
    return np.frombuffer(shaped.stdout, dtype=np.float32).copy()


def trim_silence(audio: np.ndarray, sample_rate: int = SAMPLE_RATE_HZ,
                 threshold_db: float = -40.0) -> np.ndarray:
    """Cut leading/trailing parts whose 10 ms RMS is `threshold_db` below the loudest frame."""
    frame = sample_rate // 100
    n = len(audio) // frame
    if n == 0:
        return audio
    rms = np.sqrt(np.mean(audio[: n * frame].reshape(n, frame) ** 2, axis=1) + 1e-20)
    loud = np.flatnonzero(20 * np.log10(rms / rms.max()) > threshold_db)
    return audio[loud[0] * frame: (loud[-1] + 1) * frame]


def place_in_clip(speech: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """Put `speech` at a uniformly random offset in a zero clip of `length` samples."""
    clip = np.zeros(length, dtype=np.float32)
    if len(speech) >= length:
        start = (len(speech) - length) // 2
        return speech[start: start + length].astype(np.float32)
    offset = int(rng.integers(0, length - len(speech) + 1))
    clip[offset: offset + len(speech)] = speech
    return clip


def to_int16(audio: np.ndarray) -> np.ndarray:
    return np.clip(np.round(audio * 32768.0), -32768, 32767).astype(np.int16)


def _db(value: float) -> float:
    return float(10.0 ** (value / 20.0))


def _colored_noise(n: int, exponent: float, rng: np.random.Generator) -> np.ndarray:
    """Noise whose power falls as 1/f**exponent (0 white, 1 pink, 2 brown), unit RMS."""
    spectrum = rng.normal(size=n // 2 + 1) + 1j * rng.normal(size=n // 2 + 1)
    freqs = np.arange(n // 2 + 1, dtype=np.float64)
    freqs[0] = 1.0
    spectrum /= freqs ** (exponent / 2.0)
    spectrum[0] = 0.0
    noise = np.fft.irfft(spectrum, n)
    return (noise / (np.sqrt(np.mean(noise ** 2)) + 1e-12)).astype(np.float32)


def background_noise(kind: str, seconds: float, rng: np.random.Generator,
                     words: tuple[str, ...] = SPEECH_COMMANDS_WORDS,
                     sample_rate: int = SAMPLE_RATE_HZ) -> np.ndarray:
    """One background-noise recording, float32 in [-1, 1], about -20 dBFS RMS."""
    n = int(seconds * sample_rate)
    if kind == "white":
        noise = _colored_noise(n, 0.0, rng)
    elif kind == "pink":
        noise = _colored_noise(n, 1.0, rng)
    elif kind == "brown":
        noise = _colored_noise(n, 2.0, rng)
    elif kind == "hum":
        t = np.arange(n) / sample_rate
        mains = float(rng.choice([50.0, 60.0]))
        noise = sum(np.sin(2 * np.pi * mains * h * t + rng.uniform(0, 2 * np.pi)) / h
                    for h in range(1, 8)).astype(np.float32)
        noise = noise / np.sqrt(np.mean(noise ** 2)) + 0.3 * _colored_noise(n, 1.0, rng)
    elif kind == "babble":
        noise = np.zeros(n, dtype=np.float32)
        for _ in range(int(seconds * 6)):
            utt = _random_utterance(str(rng.choice(words)), rng)
            speech = synthesize(utt, sample_rate)[: n]
            start = int(rng.integers(0, max(1, n - len(speech))))
            noise[start: start + len(speech)] += speech * rng.uniform(0.3, 1.0)
        noise = noise / (np.sqrt(np.mean(noise ** 2)) + 1e-12)
    elif kind == "tap":
        base = _colored_noise(n, 0.5, rng)
        t = np.arange(n) / sample_rate
        envelope = 1.0 + 0.6 * np.sin(2 * np.pi * rng.uniform(0.2, 2.0) * t)
        noise = base * envelope
    else:
        raise FwgenError(f"unknown noise kind '{kind}'", hint=f"known: {', '.join(NOISE_KINDS)}")
    noise = noise * (_db(-20.0) / (np.sqrt(np.mean(noise ** 2)) + 1e-12))
    return np.clip(noise, -1.0, 1.0).astype(np.float32)


def _random_utterance(word: str, rng: np.random.Generator,
                      spec: SyntheticKeywordSpec | None = None,
                      accent: str | None = None, variant: str | None = None) -> Utterance:
    spec = spec or SyntheticKeywordSpec()
    return Utterance(
        word=word,
        accent=accent or str(rng.choice(ACCENTS)),
        variant=variant or str(rng.choice(VARIANTS)),
        rate_wpm=int(rng.integers(spec.rate_wpm[0], spec.rate_wpm[1] + 1)),
        pitch=int(rng.integers(spec.pitch[0], spec.pitch[1] + 1)),
        highpass_hz=float(rng.uniform(80, 400)) if rng.random() < 0.5 else None,
        lowpass_hz=float(rng.uniform(3000, 7500)) if rng.random() < 0.5 else None,
        reverb=float(rng.uniform(10, 60)) if rng.random() < 0.3 else None,
    )


def render_clip(utterance: Utterance, spec: SyntheticKeywordSpec,
                rng: np.random.Generator) -> np.ndarray:
    """One finished 1 s clip (int16): spoken, trimmed, levelled, placed, over a noise floor."""
    length = SAMPLE_RATE_HZ * spec.clip_ms // 1000
    speech = trim_silence(synthesize(utterance))
    peak = float(np.max(np.abs(speech))) if speech.size else 0.0
    if peak > 0:
        speech = speech * (_db(rng.uniform(*spec.peak_dbfs)) / peak)
    clip = place_in_clip(speech, length, rng)
    clip += rng.normal(size=length).astype(np.float32) * _db(rng.uniform(*spec.noise_floor_dbfs))
    return to_int16(clip)


def _write_wav(path: Path, audio: np.ndarray) -> None:
    import soundfile  # noqa: PLC0415

    soundfile.write(str(path), audio, SAMPLE_RATE_HZ, subtype="PCM_16")


def generate_keywords(out_dir: Path, spec: SyntheticKeywordSpec = SyntheticKeywordSpec(), *,
                      progress: Callable[[int, int], None] | None = None) -> Path:
    """Generate the dataset into `out_dir` (created; must not exist yet). Returns `out_dir`.

    Layout: ``<word>/<speaker>_nohash_<n>.wav`` for every keyword and unknown word,
    ``_background_noise_/<kind>.wav``, and ``fwgen_synthetic.json`` with the spec and the
    espeak-ng/SoX versions. `progress(done, total)` is called after every file.
    """
    out_dir = Path(out_dir)
    if out_dir.exists():
        raise FwgenError(f"{out_dir} already exists", hint="pick a new folder or delete it")
    rng = np.random.default_rng(spec.seed)
    jobs: list[str] = [w for w in spec.keywords for _ in range(spec.clips_per_keyword)]
    jobs += [w for w in spec.unknown_words for _ in range(spec.clips_per_unknown_word)]
    total = len(jobs) + len(NOISE_KINDS)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        counters: dict[tuple[str, str], int] = {}
        for done, word in enumerate(jobs, start=1):
            utterance = _random_utterance(word, rng, spec)
            key = (word, utterance.speaker)
            index = counters.get(key, 0)
            counters[key] = index + 1
            folder = tmp / word
            folder.mkdir(exist_ok=True)
            _write_wav(folder / f"{utterance.speaker}_nohash_{index}.wav",
                       render_clip(utterance, spec, rng))
            if progress:
                progress(done, total)
        noise_dir = tmp / BACKGROUND_NOISE_DIR
        noise_dir.mkdir()
        for i, kind in enumerate(NOISE_KINDS, start=len(jobs) + 1):
            noise = background_noise(kind, spec.noise_seconds, rng, spec.unknown_words)
            _write_wav(noise_dir / f"{kind}_noise.wav", to_int16(noise))
            if progress:
                progress(i, total)
        manifest = {"generator": "fwgen.train.datasets.synthetic",
                    "generator_version": GENERATOR_VERSION, "spec": asdict(spec),
                    "digest": spec.digest(), "tools": _tool_versions(),
                    "speakers": {_speaker(a, v): f"{a}+{v}" for a in ACCENTS for v in VARIANTS}}
        (tmp / "fwgen_synthetic.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def _speaker(accent: str, variant: str) -> str:
    return hashlib.sha1(f"{accent}+{variant}".encode()).hexdigest()[:8]


def _tool_versions() -> dict[str, str]:
    versions: dict[str, str] = {}
    for program, flag in (("espeak-ng", "--version"), ("sox", "--version")):
        path = shutil.which(program)
        if path:
            out = subprocess.run([path, flag], capture_output=True, text=True, check=False)
            versions[program] = (out.stdout or out.stderr).strip().splitlines()[0]
    return versions


def default_cache_dir() -> Path:
    """Where generated datasets are kept: $FWGEN_CACHE or ~/.cache/fwgen, then datasets/."""
    import os  # noqa: PLC0415

    root = os.environ.get("FWGEN_CACHE")
    base = Path(root) if root else Path.home() / ".cache" / "fwgen"
    return base / "datasets"


def ensure_synthetic_keywords(spec: SyntheticKeywordSpec = SyntheticKeywordSpec(), *,
                              cache_dir: Path | None = None,
                              progress: Callable[[int, int], None] | None = None) -> Path:
    """Return the cached dataset for `spec`, generating it first if needed."""
    folder = (cache_dir or default_cache_dir()) / f"synthetic-keywords-{spec.digest()}"
    if not (folder / "fwgen_synthetic.json").is_file():
        LOG.info("generating synthetic keyword dataset in %s", folder)
        generate_keywords(folder, spec, progress=progress)
    return folder


def write_samples(folder: Path, words: tuple[str, ...] = ("yes", "no"), *, per_word: int = 2,
                  silence: int = 1, noise: int = 1, seed: int = 2024,
                  validation_percentage: float = 10.0,
                  testing_percentage: float = 10.0) -> list[Path]:
    """Short demo clips (16 kHz mono int16, 1 s): `per_word` clips of each word, spoken by
    voices the Speech Commands hash puts in the *test* partition (never trained on), plus
    near-silence and background-noise clips. Returns the files written (sorted)."""
    from fwgen.train.datasets.speech_commands import which_split  # noqa: PLC0415

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    spec = SyntheticKeywordSpec(peak_dbfs=(-12.0, -3.0))
    test_voices = [(a, v) for a in ACCENTS for v in VARIANTS
                   if which_split(f"{_speaker(a, v)}_nohash_0.wav", validation_percentage,
                                  testing_percentage) == "test"]
    written: list[Path] = []
    for word in words:
        for i in range(per_word):
            accent, variant = test_voices[int(rng.integers(len(test_voices)))]
            utterance = _random_utterance(word, rng, spec, accent=accent, variant=variant)
            path = folder / f"{word}_{i}.wav"
            _write_wav(path, render_clip(utterance, spec, rng))
            written.append(path)
    length = SAMPLE_RATE_HZ * spec.clip_ms // 1000
    for i in range(silence):
        quiet = rng.normal(size=length).astype(np.float32) * _db(-75.0)
        path = folder / f"silence_{i}.wav"
        _write_wav(path, to_int16(quiet))
        written.append(path)
    for i in range(noise):
        kind = ("pink", "brown", "white")[i % 3]
        path = folder / f"noise_{i}.wav"
        _write_wav(path, to_int16(background_noise(kind, spec.clip_ms / 1000, rng) * 0.5))
        written.append(path)
    return sorted(written)
