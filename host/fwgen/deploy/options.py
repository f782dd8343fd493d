"""What a deployment is made for, besides the model: stride, smoothing, audio source, runtime."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from fwgen.runtime import DEFAULT_RUNTIME

AUDIO_SOURCES = {"link": 0, "clip": 1, "mic": 2}   # FWGEN_APP_AUDIO_SOURCE values
DEFAULT_AUDIO_WINDOW = 4096   # samples the device buffers from the link (8 KiB)


@dataclass(frozen=True)
class DeployOptions:
    stride: int | None = None                   # inference every N frames (None: the model's
                                                # default: 1, or fe.patch_hop_frames for log-mel)
    smoothing: Mapping[str, Any] = field(default_factory=dict)   # overrides of the model's
    audio_source: str = "link"
    clip: Path | None = None                    # WAV compiled in (audio_source "clip")
    audio_window: int = DEFAULT_AUDIO_WINDOW
    runtime: str = DEFAULT_RUNTIME              # fwgen.runtime name, or "auto"
    tflm_dir: Path | None = None                # TFLM tree (--tflm-dir; None: $FWGEN_TFLM_DIR)
