"""What a deployment is made for, besides the model: stride, smoothing, audio source, runtime."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from fwgen.runtime import DEFAULT_RUNTIME

# FWGEN_APP_AUDIO_SOURCE values; "semihost" (twins only): the link, and a stream with no AUDIO
# read from a file on the emulator's host (firmware/app/main.c)
AUDIO_SOURCES = {"link": 0, "clip": 1, "mic": 2, "semihost": 3}
DEFAULT_AUDIO_WINDOW = None   # the link's flow-control window: sized by fwgen.deploy.memory


@dataclass(frozen=True)
class DeployOptions:
    stride: int | None = None                   # inference every N frames (None: the model's
                                                # default: 1, or fe.patch_hop_frames for log-mel)
    smoothing: Mapping[str, Any] = field(default_factory=dict)   # overrides of the model's
    audio_source: str = "link"
    clip: Path | None = None                    # WAV compiled in (audio_source "clip")
    audio_window: int | None = DEFAULT_AUDIO_WINDOW   # samples (None: fwgen.deploy.memory's)
    runtime: str = DEFAULT_RUNTIME              # fwgen.runtime name, or "auto"
    tflm_dir: Path | None = None                # TFLM tree (--tflm-dir; None: $FWGEN_TFLM_DIR)
