"""Emulator tier fixtures: micro_speech twin firmware (built once per twin), the padded clips and
the host reference pipeline they must match bit for bit."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fwgen.boards import get_board
from fwgen.deploy import (DEFAULT_PAD_MODE, DeployOptions, default_pad, pad_clip, prepare,
                          run_reference)
from fwgen.link import read_wav
from fwgen.project.build import build_firmware
from fwgen.zoo import resolve_model

TWINS = ("mps2_an505", "mps2_an386", "mps2_an500")


@pytest.fixture(scope="session")
def deployment(shared_data, repo_root):
    source = resolve_model(shared_data / "micro_speech" / "micro_speech_quantized.tflite",
                           repo_root / "models" / "micro_speech" / "model.yaml")
    return prepare(source, DeployOptions())


@pytest.fixture(scope="session")
def twin_elf(deployment, tmp_path_factory):
    cache: dict[str, Path] = {}

    def build(twin_id: str) -> Path:
        if twin_id not in cache:
            out = tmp_path_factory.mktemp(f"emu-{twin_id}")
            firmware = build_firmware(deployment, get_board(twin_id), out,
                                      include_twin=False, envs=(twin_id,))
            cache[twin_id] = firmware.elf(twin_id)
        return cache[twin_id]
    return build


@pytest.fixture(scope="session")
def clip_stream(shared_data, deployment):
    """A clip as `fwgen run` streams it: padded by half a window on each side with fwgen run's
    default padding (the clip's own noise floor)."""
    def stream(name: str) -> np.ndarray:
        samples, rate = read_wav(shared_data / "micro_speech" / f"{name}_1000ms.wav")
        assert rate == deployment.frontend.sample_rate
        return pad_clip(samples, default_pad(deployment.frontend, deployment.n_frames),
                        DEFAULT_PAD_MODE)
    return stream


@pytest.fixture(scope="session")
def reference(deployment, clip_stream):
    cache: dict[str, object] = {}

    def get(name: str):
        if name not in cache:
            cache[name] = run_reference(clip_stream(name), deployment)
        return cache[name]
    return get
