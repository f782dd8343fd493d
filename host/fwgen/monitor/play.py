"""--play: the WAV to stream, at the rate the device's HELLO announces.

`check_clip()` runs before any port is opened (a missing or stereo file fails at once);
`load_clip()` runs once the HELLO gives the rate. Without `convert`, anything but mono 16-bit PCM
at that rate is an error naming the file (fwgen.audio's wording); with it, the clip is converted
and `Clip.converted` says what was done.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fwgen.audio import WavInfo, read_wav, wav_info


@dataclass(frozen=True)
class Clip:
    path: Path
    samples: np.ndarray        # mono int16 at `sample_rate`
    sample_rate: int
    converted: str | None      # what conversion did, None when the file was used as is

    @property
    def duration_s(self) -> float:
        return self.samples.size / self.sample_rate


def _format(info: WavInfo) -> str:
    channels = "mono" if info.channels == 1 else f"{info.channels} channels"
    return f"{info.sample_rate} Hz {channels} {info.sample_type}"


def check_clip(path: Path, *, convert: bool) -> WavInfo:
    """Everything about the file but its rate (the device tells that): FwgenError if unusable."""
    info = wav_info(path)
    if not convert and (info.channels != 1 or info.subtype != "PCM_16"):
        read_wav(path, expect_rate=None, convert=False)   # raises with the file's problems
    return info


def load_clip(path: Path, sample_rate: int, *, convert: bool) -> Clip:
    """The clip as mono int16 at `sample_rate` (converted only when `convert`)."""
    info = wav_info(path)
    samples = read_wav(path, expect_rate=sample_rate, convert=convert)
    wanted = f"{sample_rate} Hz mono 16-bit"
    converted = None if _format(info) == wanted else \
        f"converted {path.name}: {_format(info)} -> {wanted}"
    return Clip(Path(path), samples, sample_rate, converted)
