"""What every training dataset provides: labelled clips split into train/validation/test.

A dataset lists `Example`s and loads one as int16 audio at the model's sample rate. Loading with
an `rng` applies the dataset's training augmentation (time shift, background noise); loading
without one is deterministic, for evaluation and for the representative dataset.
"""
from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from fwgen.errors import FwgenError, ToolMissingError

LOG = logging.getLogger(__name__)

SPLITS: tuple[str, ...] = ("train", "validation", "test")


@dataclass(frozen=True)
class Example:
    """One labelled clip. `path` is None for generated examples (e.g. silence)."""

    clip_id: str
    label: str
    split: str
    path: Path | None = None


class Dataset(Protocol):
    """A labelled audio dataset (see `SpeechCommands`, `Esc50`)."""

    name: str
    classes: tuple[str, ...]
    sample_rate_hz: int
    clip_samples: int

    def examples(self, split: str) -> list[Example]:
        """The examples of one split ("train", "validation" or "test"), in a stable order."""

    def load(self, example: Example, rng: np.random.Generator | None = None) -> np.ndarray:
        """int16 mono audio of `clip_samples`; `rng` turns training augmentation on."""


def check_split(split: str) -> None:
    if split not in SPLITS:
        raise FwgenError(f"unknown split '{split}'", hint=f"use one of {', '.join(SPLITS)}")


def stable_rng(*parts: str) -> np.random.Generator:
    """A generator seeded by a digest of `parts`: the same example always gets the same noise."""
    digest = hashlib.sha256("\0".join(parts).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def read_wav(path: Path, sample_rate_hz: int) -> np.ndarray:
    """Read a dataset clip as int16 mono at `sample_rate_hz`.

    The file goes through `fwgen.audio.read_wav` (one set of checks for every WAV fwgen
    reads: a missing, empty, corrupt or truncated file is a clear error or warning naming it)
    with conversion on, because datasets come in many formats: other sample types become
    16-bit, several channels are averaged. Another sample rate is converted with SoX's
    band-limited resampler (datasets hold long background recordings; fwgen.audio's whole-clip
    FFT resampling is meant for clips). 16-bit mono files at `sample_rate_hz` come back
    untouched.
    """
    from fwgen.audio import read_wav as read_audio, wav_info  # noqa: PLC0415

    info = wav_info(path)
    audio = read_audio(path, None, convert=True)
    if info.sample_rate == sample_rate_hz:
        return audio
    sox = shutil.which("sox")
    if sox is None:
        raise ToolMissingError("sox", hint=f"{path} is {info.sample_rate} Hz; fwgen resamples "
                                           f"to {sample_rate_hz} Hz with SoX")
    result = subprocess.run([sox, "-R", "-D", "-t", "raw", "-e", "signed-integer", "-b", "16",
                             "-c", "1", "-r", str(info.sample_rate), "-L", "-",
                             "-t", "raw", "-e", "signed-integer", "-b", "16", "-c", "1",
                             "-r", str(sample_rate_hz), "-L", "-"],
                            input=audio.astype("<i2").tobytes(), capture_output=True,
                            check=False)
    if result.returncode != 0:
        raise FwgenError(f"sox could not resample: {result.stderr.decode(errors='replace')}",
                         where=str(path))
    return np.frombuffer(result.stdout, dtype="<i2").astype(np.int16)


def fit_length(audio: np.ndarray, length: int, offset: int = 0) -> np.ndarray:
    """Shift `audio` by `offset` samples (positive: later) and pad/trim it to `length`."""
    out = np.zeros(length, dtype=audio.dtype)
    src_start = max(0, -offset)
    dst_start = max(0, offset)
    n = min(len(audio) - src_start, length - dst_start)
    if n > 0:
        out[dst_start: dst_start + n] = audio[src_start: src_start + n]
    return out


def class_counts(examples: Sequence[Example], classes: Sequence[str]) -> dict[str, int]:
    counts = {c: 0 for c in classes}
    for example in examples:
        counts[example.label] += 1
    return counts
