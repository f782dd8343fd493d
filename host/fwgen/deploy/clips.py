"""Clips as the device hears them: the padding `fwgen run` adds, and a clip compiled into the
image (clip.c/clip.h) padded the same way, so host, twin and self-test see one stream."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from fwgen.errors import FwgenError
from fwgen.render import banner, c_array_rows, render

# --pad choices, the default first. "floor" adds only what the clip itself holds between its
# sounds; "reflect" mirrors the clip's edges (a word at an edge comes back played backwards);
# "zeros" is digital silence, which the microfrontend does not treat as neutral: its noise
# estimate decays towards zero during it, and PCAN's gain grows as the estimate falls.
PAD_MODES = ("floor", "reflect", "zeros")
DEFAULT_PAD_MODE = PAD_MODES[0]
FLOOR_WINDOW = 1600     # samples of the quietest stretch used as the noise floor (100 ms at 16 kHz)
FLOOR_HOP = 160         # step of the search for it (10 ms at 16 kHz)


def noise_floor(samples: np.ndarray, window: int = FLOOR_WINDOW, hop: int = FLOOR_HOP) -> np.ndarray:
    """The clip's quietest `window` samples (least energy; the earliest of equals), searched
    every `hop` samples; the whole clip when it is shorter than `window`."""
    x = np.asarray(samples)
    n = min(window, x.size)
    if n == 0:
        return x[:0].astype(np.int16)
    energy = np.concatenate([[0], np.cumsum(x.astype(np.int64) ** 2)])
    starts = np.arange(0, x.size - n + 1, max(1, hop))
    start = int(starts[np.argmin(energy[starts + n] - energy[starts])])
    return x[start:start + n].astype(np.int16)


def _floor_fill(floor: np.ndarray, pad: int) -> np.ndarray:
    """`pad` samples of the floor played forwards and backwards in turn (no jump where it turns)."""
    loop = np.concatenate([floor, floor[::-1]])
    return np.tile(loop, -(-pad // loop.size))[:pad]


def pad_clip(samples: np.ndarray, pad: int, mode: str = DEFAULT_PAD_MODE, *,
             window: int = FLOOR_WINDOW, hop: int = FLOOR_HOP) -> np.ndarray:
    """The stream `fwgen run` sends for one clip: `pad` samples before and after it.

    "floor" (the default) pads with the clip's own noise floor: its quietest `window` samples
    (`noise_floor`), played forwards and backwards in turn, the part before the clip mirrored so
    both sides end in the floor's first sample next to the clip. It adds no sound the clip does
    not already hold between its sounds. "reflect" mirrors the clip's edges (speech at an edge
    becomes speech played backwards); "zeros" pads with digital silence.
    """
    if mode not in PAD_MODES:
        raise FwgenError(f"unknown padding {mode!r}", where="--pad", hint=f"one of {', '.join(PAD_MODES)}")
    if pad <= 0 or samples.size == 0:
        return samples.astype(np.int16, copy=False)
    if mode == "zeros":
        return np.pad(samples, pad).astype(np.int16)
    if mode == "reflect":
        return np.pad(samples, pad, mode="reflect" if samples.size > 1 else "edge").astype(np.int16)
    fill = _floor_fill(noise_floor(samples, window, hop), pad)
    return np.concatenate([fill[::-1], samples, fill]).astype(np.int16)


def default_pad(frontend, n_frames: int) -> int:
    """Samples `fwgen run` (and the compiled-in clip) adds on each side of a clip: half the
    model's window, so a window-length clip is seen by several inferences."""
    return frontend.window_samples(n_frames) // 2


def clip_files(path: Path, sample_rate: int, pad: int) -> dict[str, str]:
    """clip.c/clip.h: the WAV padded as `fwgen run` streams it (the default padding, `pad`
    samples each side), so a clip-length keyword is seen by several inferences in the self-test
    too."""
    from fwgen.audio import read_wav

    samples = pad_clip(read_wav(path, expect_rate=sample_rate), pad, DEFAULT_PAD_MODE)
    digest = hashlib.sha256(samples.tobytes()).hexdigest()[:16]
    meta = {"clip": f"{path.name} sha256 {digest}"}
    return {
        "clip.h": render("clip.h.j2", banner=banner("compiled-in audio clip", meta)),
        "clip.c": render("clip.c.j2", banner=banner("compiled-in audio clip", meta),
                         n_samples=int(samples.size), sample_rate=sample_rate, source=path.name,
                         rows=c_array_rows(samples.tolist(), per_row=16)),
    }
