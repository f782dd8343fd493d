"""Model input patches from log-mel frames: YAMNet's framing of a clip into overlapping windows.

A model sees `fe.patch_frames` frames at a time, one patch every `fe.patch_hop_frames` frames;
`pad_like_yamnet` pads a clip's waveform first the way YAMNet's features.py does. Plain numpy,
no C: on the board the firmware slides the same window over the frames as they arrive
(FWGEN_LOGMEL_PATCH_FRAMES, FWGEN_LOGMEL_PATCH_HOP_FRAMES in the generated logmel_tables.h).
"""
from __future__ import annotations

import numpy as np

from fwgen.errors import FwgenError
from fwgen.frontend.logmel.settings import LogMelSettings


def frames_to_patches(frames: np.ndarray, patch_frames: int, hop_frames: int) -> np.ndarray:
    """Stack (frames, channels) into (n, patch_frames, channels) every hop_frames (no padding)."""
    frames = np.asarray(frames)
    if frames.ndim != 2:
        raise FwgenError(f"frames must be 2-D (frames, channels), got shape {frames.shape}")
    if patch_frames < 1 or hop_frames < 1:
        raise FwgenError(f"patch_frames ({patch_frames}) and hop_frames ({hop_frames}) must be >= 1")
    if frames.shape[0] < patch_frames:
        return np.zeros((0, patch_frames, frames.shape[1]), dtype=frames.dtype)
    n = (frames.shape[0] - patch_frames) // hop_frames + 1
    return np.stack([frames[i * hop_frames:i * hop_frames + patch_frames] for i in range(n)])


def pad_like_yamnet(samples: np.ndarray, settings: LogMelSettings) -> np.ndarray:
    """YAMNet's pad_waveform: at least one patch, and whole patch hops after the first."""
    s = settings
    min_samples = (s.patch_frames - 1) * s.window_step + s.window_size
    n = samples.size
    padding = max(0, min_samples - n)
    n = max(n, min_samples)
    hop_samples = s.patch_hop_frames * s.window_step
    after_first = n - min_samples
    hops = -(-after_first // hop_samples)
    padding += hop_samples * hops - after_first
    return np.concatenate([samples, np.zeros(padding, dtype=samples.dtype)])
