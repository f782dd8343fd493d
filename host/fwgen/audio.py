"""WAV files in and out: 16-bit mono audio at the model's sample rate, or a clear error.

`read_wav(path, expect_rate=16000, convert=False) -> np.ndarray[int16]` (1-D)

Without `convert`, anything but mono 16-bit PCM at `expect_rate` is an error that names the
file, what it is and what was expected (wrong sample rate, stereo, 8/24/32-bit or float
samples, a truncated file whose data chunk is shorter than its header declares, an empty,
corrupt or missing file). With `convert=True` (`--convert` on the CLI) fwgen converts, in this
order and documented here:

0. a truncated file is read up to where its data ends (a warning is logged);
1. samples of any other type (8/24/32-bit PCM, float) -> float, full scale = 1.0;
2. several channels -> mono by averaging the channels;
3. another sample rate -> `expect_rate` by FFT resampling of the whole clip (band-limited,
   like scipy.signal.resample; fine for clips, not meant for hour-long recordings);
4. back to int16 by rounding x * 32768 and clipping to [-32768, 32767].

A float file with NaN or infinite samples has no 16-bit equivalent: an error naming the file,
how many there are and where the first one is (not silence, not a numpy warning).

16-bit mono input at the right rate is returned untouched in both modes (bit-exact).

`write_wav(path, audio, sample_rate=16000)` writes int16 PCM (mono 1-D or (frames, channels)),
atomically: a failed write leaves no partial file. `wav_info(path)` describes a file.
"""
from __future__ import annotations

import logging
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

_BITS = {"PCM_S8": "8-bit", "PCM_U8": "8-bit", "PCM_16": "16-bit", "PCM_24": "24-bit",
         "PCM_32": "32-bit", "FLOAT": "32-bit float", "DOUBLE": "64-bit float"}


@dataclass(frozen=True)
class WavInfo:
    path: Path
    sample_rate: int
    channels: int
    frames: int
    subtype: str       # libsndfile subtype, e.g. PCM_16
    format: str        # container, e.g. WAV

    @property
    def sample_type(self) -> str:
        return _BITS.get(self.subtype, self.subtype)

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0


def _truncation(path: Path) -> tuple[int, int] | None:
    """(declared, present) sample frames when a RIFF/WAVE file's data chunk is cut short."""
    size = path.stat().st_size
    block_align = 0
    with path.open("rb") as f:
        header = f.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            return None
        offset = 12
        while offset + 8 <= size:
            f.seek(offset)
            chunk_id, chunk_size = struct.unpack("<4sI", f.read(8))
            if chunk_id == b"fmt " and chunk_size >= 14:
                block_align = struct.unpack("<12xH", f.read(14))[0]
            elif chunk_id == b"data":
                present = size - offset - 8
                if chunk_size in (0, 0xFFFFFFFF) or present >= chunk_size or not block_align:
                    return None  # complete, or written by a streaming recorder (size unknown)
                return chunk_size // block_align, present // block_align
            offset += 8 + chunk_size + (chunk_size & 1)
    return None


def _soundfile():
    import soundfile
    return soundfile


def wav_info(path: str | Path) -> WavInfo:
    """Describe an audio file, or raise FwgenError if it is missing or unreadable."""
    path = Path(path)
    if not path.exists():
        raise FwgenError("audio file not found", where=str(path))
    if not path.is_file():
        raise FwgenError("not a file (a folder?)", where=str(path), hint="give the path of a .wav file")
    if path.stat().st_size == 0:
        raise FwgenError("the audio file is empty (0 bytes)", where=str(path))
    sf = _soundfile()
    try:
        info = sf.info(str(path))
    except RuntimeError as exc:  # soundfile.LibsndfileError is a RuntimeError
        raise FwgenError(f"cannot read audio: {exc}", where=str(path),
                         hint="the file is corrupt or not a WAV file") from None
    return WavInfo(path, int(info.samplerate), int(info.channels), int(info.frames),
                   str(info.subtype), str(info.format))


def _resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Band-limited FFT resampling of a whole clip along axis 0."""
    n_out = int(round(len(x) * rate_out / rate_in))
    if n_out == 0 or len(x) == 0:
        return np.zeros((n_out,) + x.shape[1:], dtype=np.float64)
    spectrum = np.fft.rfft(x, axis=0)
    n_bins = n_out // 2 + 1
    if spectrum.shape[0] >= n_bins:
        spectrum = spectrum[:n_bins]
    else:
        pad = np.zeros((n_bins - spectrum.shape[0],) + spectrum.shape[1:], dtype=spectrum.dtype)
        spectrum = np.concatenate([spectrum, pad])
    return np.fft.irfft(spectrum, n=n_out, axis=0) * (n_out / len(x))


def _check_finite(data: np.ndarray, info: WavInfo) -> None:
    """Refuse NaN or infinite samples (frames x channels float data) before they are converted."""
    bad = np.flatnonzero(~np.isfinite(data).all(axis=1))
    if bad.size:
        first = int(bad[0])
        raise FwgenError(f"{bad.size} of its {len(data)} samples are not numbers (NaN or "
                         f"infinite), the first at sample {first} ({first / info.sample_rate:.3f} s)"
                         f": they cannot be converted to 16-bit PCM", where=str(info.path),
                         hint="repair or re-export the recording (float WAV samples must be "
                              "finite, full scale 1.0)")


def read_wav(path: str | Path, expect_rate: int | None = 16000, *, convert: bool = False) -> np.ndarray:
    """Mono int16 samples of a WAV file (see the module docstring for errors and conversions).

    `expect_rate=None` accepts any sample rate (nothing is resampled).
    """
    info = wav_info(path)
    where = str(info.path)
    problems = []
    cut = _truncation(info.path) if info.format == "WAV" else None
    if cut is not None:
        problems.append((f"is truncated: its header declares {cut[0]} samples but the file holds "
                         f"only {cut[1]}", f"reads the {cut[1]} samples present"))
    if info.channels != 1:
        problems.append((f"has {info.channels} channels; fwgen needs mono audio",
                         "averages the channels"))
    if info.subtype != "PCM_16":
        problems.append((f"holds {info.sample_type} samples ({info.subtype}); fwgen needs "
                         f"16-bit PCM", "rescales the samples to 16-bit"))
    if expect_rate is not None and info.sample_rate != expect_rate:
        problems.append((f"sample rate is {info.sample_rate} Hz, expected {expect_rate} Hz",
                         f"resamples to {expect_rate} Hz (or run: sox IN.wav -r {expect_rate} OUT.wav)"))
    if problems and not convert:
        message = "; ".join(p[0] for p in problems)
        hint = "convert it with --convert (convert=True in Python), which " + \
            ", ".join(p[1] for p in problems)
        raise FwgenError(message, where=where, hint=hint)

    sf = _soundfile()
    try:
        if not problems or (len(problems) == 1 and cut is not None):
            data, _ = sf.read(where, dtype="int16", always_2d=False)
            if cut is not None:
                LOG.warning("%s is truncated: using the %d samples present of %d declared", where,
                            len(data), cut[0])
            return np.ascontiguousarray(data, dtype=np.int16)
        data, _ = sf.read(where, dtype="float64", always_2d=True)
    except RuntimeError as exc:
        raise FwgenError(f"cannot decode audio: {exc}", where=where,
                         hint="the file is corrupt or truncated") from None
    LOG.info("%s: converting %s, %d channel(s), %d Hz to 16-bit mono%s", where, info.sample_type,
             info.channels, info.sample_rate, f" at {expect_rate} Hz" if expect_rate else "")
    _check_finite(data, info)
    mono = data.mean(axis=1)
    if expect_rate is not None and info.sample_rate != expect_rate:
        mono = _resample(mono, info.sample_rate, expect_rate)
    return np.clip(np.round(mono * 32768.0), -32768, 32767).astype(np.int16)


def write_wav(path: str | Path, audio: np.ndarray, sample_rate: int = 16000) -> Path:
    """Write int16 samples as 16-bit PCM WAV (atomically); returns the path."""
    path = Path(path)
    arr = np.asarray(audio)
    if arr.dtype != np.int16:
        raise FwgenError(f"write_wav needs int16 samples, got {arr.dtype}", where=str(path))
    if arr.ndim not in (1, 2):
        raise FwgenError(f"audio must be 1-D or (frames, channels), got shape {arr.shape}",
                         where=str(path))
    if not path.parent.is_dir():
        raise FwgenError("output folder does not exist", where=str(path.parent))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    sf = _soundfile()
    try:
        sf.write(str(tmp), arr, int(sample_rate), subtype="PCM_16", format="WAV")
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
