"""Clips as the device hears them: the padding `fwgen run` adds, and a clip compiled into the
image (clip.c/clip.h) padded the same way, so host, twin and self-test see one stream."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from fwgen.errors import FwgenError
from fwgen.render import banner, c_array_rows, render

PAD_MODES = ("reflect", "zeros")


def pad_clip(samples: np.ndarray, pad: int, mode: str = "reflect") -> np.ndarray:
    """The stream `fwgen run` sends for one clip: `pad` samples before and after it.

    "reflect" mirrors the clip's own edges (no invented signal: a near-silent clip stays
    near-silent, which digital zeros are not to a PCAN frontend); "zeros" pads with 0.
    """
    if mode not in PAD_MODES:
        raise FwgenError(f"unknown padding {mode!r}", where="--pad", hint=f"one of {', '.join(PAD_MODES)}")
    if pad <= 0 or samples.size == 0:
        return samples.astype(np.int16, copy=False)
    if mode == "zeros":
        return np.pad(samples, pad).astype(np.int16)
    return np.pad(samples, pad, mode="reflect" if samples.size > 1 else "edge").astype(np.int16)


def default_pad(frontend, n_frames: int) -> int:
    """Samples `fwgen run` (and the compiled-in clip) adds on each side of a clip: half the
    model's window, so a window-length clip is seen by several inferences."""
    return frontend.window_samples(n_frames) // 2


def clip_files(path: Path, sample_rate: int, pad: int) -> dict[str, str]:
    """clip.c/clip.h: the WAV padded as `fwgen run` streams it (reflected edges, `pad` samples
    each side), so a clip-length keyword is seen by several inferences in the self-test too."""
    from fwgen.audio import read_wav

    samples = pad_clip(read_wav(path, expect_rate=sample_rate), pad, "reflect")
    digest = hashlib.sha256(samples.tobytes()).hexdigest()[:16]
    meta = {"clip": f"{path.name} sha256 {digest}"}
    return {
        "clip.h": render("clip.h.j2", banner=banner("compiled-in audio clip", meta)),
        "clip.c": render("clip.c.j2", banner=banner("compiled-in audio clip", meta),
                         n_samples=int(samples.size), sample_rate=sample_rate, source=path.name,
                         rows=c_array_rows(samples.tolist(), per_row=16)),
    }
