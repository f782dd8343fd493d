"""Google Speech Commands (v2) folder layout, as TFLM's and MLTK's keyword recipes use it.

``DIR/<word>/<speaker>_nohash_<n>.wav`` plus ``DIR/_background_noise_/*.wav``. The classes are
``silence``, ``unknown`` and the wanted words, in that order (TFLM's micro_speech order).

Partitioning follows the dataset's README: ``validation_list.txt`` / ``testing_list.txt`` when
present, otherwise the stable hash rule — the file name up to ``_nohash_`` is hashed with SHA-1,
so every recording of one speaker lands in the same partition. Each partition gets unknown and
silence examples in proportion to its wanted-word examples (default 10 % each, as TFLM trains).

Training-time augmentation (with an rng): a random time shift of up to ±100 ms, and with
probability 0.8 a random second of background noise at a volume up to 0.1. Silence examples are,
in turn:

- for a `digital_silence_fraction` of them, exact zeros (a muted microphone, a zero-padded
  stream);
- for a `faint_noise_fraction`, white Gaussian noise whose standard deviation is log-uniform in
  `faint_noise_lsb` (int16 LSBs, rounded to int16): near-digital silence, such as an idle ADC's
  last bits or TFLM's ``silence_1000ms.wav`` (about 2 LSB, -84 dBFS). After noise reduction and
  PCAN such a clip leaves energy only in the top channels, which a model trained without it
  mistakes for the fricative of "yes";
- otherwise background noise alone — at a volume uniform in [0, 1] as TFLM trains, or, for a
  `quiet_silence_fraction` of these, log-uniform over the 80 dB below that (a distant
  microphone).

Evaluation-time loading is deterministic: no shift and no noise, except silence, which gets the
kind of silence and the noise segment chosen from its id.
"""
from __future__ import annotations

import hashlib
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fwgen.errors import FwgenError
from fwgen.train.datasets.base import (Example, check_split, fit_length, read_wav,
                                       stable_rng)

LOG = logging.getLogger(__name__)

SILENCE = "silence"
UNKNOWN = "unknown"
BACKGROUND_NOISE_DIR = "_background_noise_"
#: The dataset README's constant: at most 2**27 - 1 files per word for the hash split.
MAX_FILES_PER_WORD = 2 ** 27 - 1
_NOHASH = re.compile(r"_nohash_.*$")


def which_split(filename: str, validation_percentage: float, testing_percentage: float) -> str:
    """The Speech Commands hash partition of one file ("train", "validation" or "test")."""
    speaker = _NOHASH.sub("", Path(filename).name)
    digest = int(hashlib.sha1(speaker.encode()).hexdigest(), 16)
    percentage = (digest % (MAX_FILES_PER_WORD + 1)) * (100.0 / MAX_FILES_PER_WORD)
    if percentage < validation_percentage:
        return "validation"
    if percentage < validation_percentage + testing_percentage:
        return "test"
    return "train"


@dataclass
class SpeechCommands:
    """A Speech Commands style dataset rooted at `root` (see the module docstring)."""

    root: Path
    wanted_words: tuple[str, ...] = ("yes", "no")
    silence_percentage: float = 10.0
    unknown_percentage: float = 10.0
    validation_percentage: float = 10.0
    testing_percentage: float = 10.0
    sample_rate_hz: int = 16_000
    clip_ms: int = 1000
    time_shift_ms: float = 100.0
    background_frequency: float = 0.8
    background_volume: float = 0.1
    quiet_silence_fraction: float = 0.5
    digital_silence_fraction: float = 0.1
    faint_noise_fraction: float = 0.25
    faint_noise_lsb: tuple[float, float] = (0.3, 30.0)
    seed: int = 59185
    name: str = "speech_commands"
    _index: dict[str, list[Example]] = field(default_factory=dict, init=False, repr=False)
    _noise: list[np.ndarray] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        if not self.root.is_dir():
            raise FwgenError("dataset folder not found", where=str(self.root))
        fractions = (self.digital_silence_fraction, self.faint_noise_fraction,
                     self.quiet_silence_fraction)
        if (not all(0.0 <= f <= 1.0 for f in fractions)
                or self.digital_silence_fraction + self.faint_noise_fraction > 1.0):
            raise FwgenError("silence fractions must lie in [0, 1] and digital + faint must not "
                             "exceed 1", where="dataset options")
        low, high = (float(v) for v in self.faint_noise_lsb)
        if not 0.0 < low <= high:
            raise FwgenError(f"faint_noise_lsb {self.faint_noise_lsb} is not a range of positive "
                             "LSB values", where="dataset options")
        self.faint_noise_lsb = (low, high)
        missing = [w for w in self.wanted_words if not (self.root / w).is_dir()]
        if missing:
            raise FwgenError(f"no folder for word(s) {', '.join(missing)}", where=str(self.root),
                             hint="a Speech Commands dataset has one folder per word")

    @property
    def classes(self) -> tuple[str, ...]:
        return (SILENCE, UNKNOWN, *self.wanted_words)

    @property
    def clip_samples(self) -> int:
        return self.sample_rate_hz * self.clip_ms // 1000

    # ------------------------------------------------------------------ partitions
    def _read_list(self, name: str) -> set[str] | None:
        path = self.root / name
        if not path.is_file():
            return None
        return {line.strip() for line in path.read_text().splitlines() if line.strip()}

    def _build_index(self) -> None:
        validation = self._read_list("validation_list.txt")
        testing = self._read_list("testing_list.txt")
        wanted: dict[str, list[Example]] = {s: [] for s in ("train", "validation", "test")}
        unknown: dict[str, list[Example]] = {s: [] for s in ("train", "validation", "test")}
        words = sorted(p.name for p in self.root.iterdir()
                       if p.is_dir() and p.name != BACKGROUND_NOISE_DIR
                       and not p.name.startswith("."))
        for word in words:
            for path in sorted((self.root / word).glob("*.wav")):
                rel = f"{word}/{path.name}"
                if validation is not None and testing is not None:
                    split = ("validation" if rel in validation
                             else "test" if rel in testing else "train")
                else:
                    split = which_split(path.name, self.validation_percentage,
                                        self.testing_percentage)
                if word in self.wanted_words:
                    wanted[split].append(Example(rel, word, split, path))
                else:
                    unknown[split].append(Example(rel, UNKNOWN, split, path))
        rng = np.random.default_rng(self.seed)
        for split in ("train", "validation", "test"):
            items = list(wanted[split])
            n_unknown = min(len(unknown[split]),
                            math.ceil(len(items) * self.unknown_percentage / 100.0))
            if n_unknown:
                picks = rng.choice(len(unknown[split]), size=n_unknown, replace=False)
                items += [unknown[split][i] for i in sorted(picks)]
            n_silence = math.ceil(len(wanted[split]) * self.silence_percentage / 100.0)
            items += [Example(f"{SILENCE}/{split}_{i}", SILENCE, split) for i in range(n_silence)]
            self._index[split] = items
        LOG.info("%s: %s", self.root, {s: len(v) for s, v in self._index.items()})

    def examples(self, split: str) -> list[Example]:
        check_split(split)
        if not self._index:
            self._build_index()
        return list(self._index[split])

    # ------------------------------------------------------------------ audio
    def background_noise(self) -> list[np.ndarray]:
        """The background-noise recordings (int16), longer than one clip each."""
        if self._noise is None:
            folder = self.root / BACKGROUND_NOISE_DIR
            files = sorted(folder.glob("*.wav")) if folder.is_dir() else []
            noise = [read_wav(f, self.sample_rate_hz) for f in files]
            self._noise = [n for n in noise if len(n) >= self.clip_samples]
        return self._noise

    def _noise_segment(self, rng: np.random.Generator) -> np.ndarray | None:
        noise = self.background_noise()
        if not noise:
            return None
        recording = noise[int(rng.integers(len(noise)))]
        start = int(rng.integers(0, len(recording) - self.clip_samples + 1))
        return recording[start: start + self.clip_samples].astype(np.float32) / 32768.0

    def load(self, example: Example, rng: np.random.Generator | None = None) -> np.ndarray:
        n = self.clip_samples
        if example.label == SILENCE:
            noise_rng = rng if rng is not None else stable_rng(self.name, example.clip_id)
            kind = float(noise_rng.random())
            if kind < self.digital_silence_fraction:
                return np.zeros(n, dtype=np.int16)
            if kind < self.digital_silence_fraction + self.faint_noise_fraction:
                low, high = np.log10(self.faint_noise_lsb)
                lsb = 10.0 ** float(noise_rng.uniform(low, high))
                faint = np.round(noise_rng.normal(0.0, lsb, n))
                return np.clip(faint, -32768, 32767).astype(np.int16)
            segment = self._noise_segment(noise_rng)
            if segment is None:
                return np.zeros(n, dtype=np.int16)
            if noise_rng.random() < self.quiet_silence_fraction:
                volume = 10.0 ** (-float(noise_rng.uniform(0.0, 4.0)))
            else:
                volume = float(noise_rng.uniform(0.0, 1.0))
            audio = segment * volume
        else:
            assert example.path is not None
            raw = read_wav(example.path, self.sample_rate_hz)
            shift = 0
            if rng is not None and self.time_shift_ms > 0:
                limit = int(self.sample_rate_hz * self.time_shift_ms / 1000)
                shift = int(rng.integers(-limit, limit + 1))
            audio = fit_length(raw, n, shift).astype(np.float32) / 32768.0
            if rng is not None and rng.random() < self.background_frequency:
                segment = self._noise_segment(rng)
                if segment is not None:
                    audio = audio + segment * float(rng.uniform(0.0, self.background_volume))
        return np.clip(np.round(audio * 32768.0), -32768, 32767).astype(np.int16)
