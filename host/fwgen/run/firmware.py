"""The firmware `fwgen run` streams through: a twin-only project in fwgen's cache, rebuilt
incrementally when the model or options change."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from fwgen.deploy import DeployOptions, Deployment, prepare
from fwgen.errors import FwgenError
from fwgen.native import cache_dir

LOG = logging.getLogger(__name__)


def default_project_dir(model_name: str, twin) -> Path:
    return cache_dir() / "run" / f"{model_name}-{twin.id}"


def twin_deployment(*, model: str | Path, twin, settings: Path | None = None,
                    stride: int | None = None, smoothing: dict | None = None) -> Deployment:
    """The deployment `fwgen run` builds for a twin (audio over the link)."""
    from fwgen.zoo import resolve_model

    if not twin.is_emulator:
        raise FwgenError(f"{twin.id} is not an emulator twin", where="--board")
    source = resolve_model(model, settings)
    return prepare(source, DeployOptions(stride=stride, smoothing=dict(smoothing or {})))


def twin_firmware(deployment: Deployment, twin, *, out: Path | None = None,
                  progress: Callable[[str], None] | None = None) -> Path:
    """Build (or incrementally rebuild) the twin firmware; returns its ELF."""
    from fwgen.project.build import build_firmware

    project_dir = out or default_project_dir(deployment.source.name, twin)
    if progress:
        progress(f"building {deployment.source.name} for {twin.id} in {project_dir}")
    firmware = build_firmware(deployment, twin, project_dir, include_twin=False, envs=(twin.id,))
    return firmware.elf(twin.id)
