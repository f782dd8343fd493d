"""The firmware `fwgen run` streams through: a twin-only project in fwgen's cache (one per model
and options built, the most recently used kept: fwgen.run.cache) or in --out."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from fwgen.deploy import DeployOptions, Deployment, prepare
from fwgen.errors import FwgenError
from fwgen.run import cache

LOG = logging.getLogger(__name__)


def default_project_dir(deployment: Deployment, twin) -> Path:
    """The cache folder `fwgen run` builds `deployment` in for `twin` (fwgen.run.cache)."""
    return cache.entry_dir(deployment, twin)


def twin_deployment(*, model: str | Path, twin, settings: Path | None = None,
                    stride: int | None = None, smoothing: dict | None = None,
                    audio: str = "link", runtime: str = "aot",
                    tflm_dir: Path | None = None) -> Deployment:
    """The deployment `fwgen run` builds for a twin: audio over the link, or with
    `audio="semihost"` also from a host file (fwgen test's fast path: TwinDevice(audio_file=True));
    `runtime` and `tflm_dir` as fwgen build's --runtime and --tflm-dir."""
    from fwgen.zoo import resolve_model

    if not twin.is_emulator:
        raise FwgenError(f"{twin.id} is not an emulator twin", where="--board")
    source = resolve_model(model, settings)
    return prepare(source, DeployOptions(stride=stride, smoothing=dict(smoothing or {}),
                                         audio_source=audio, runtime=runtime, tflm_dir=tflm_dir))


def twin_firmware(deployment: Deployment, twin, *, out: Path | None = None,
                  progress: Callable[[str], None] | None = None, force: bool = False,
                  model: str | Path | None = None, settings: Path | None = None) -> Path:
    """Build (or incrementally rebuild) the twin firmware; returns its ELF.

    The project records what it was built from (`model` as given, the `settings` file and the
    deployment's options) so `fwgen build` in an --out folder rebuilds it. A generated file of
    an --out project changed by hand stops the build unless `force`; fwgen's cache is fwgen's
    own and is always rewritten."""
    from fwgen.project.build import build_firmware
    from fwgen.project.settings import BuildSettings

    project_dir = out or default_project_dir(deployment, twin)
    if progress:
        where = "" if out else (f" (fwgen run's cache {cache.cache_root()}: the "
                                f"{cache.RUN_CACHE_KEEP} most recently used builds are kept; "
                                f"FWGEN_CACHE_DIR moves it, --out DIR builds elsewhere)")
        progress(f"building {deployment.source.name} for {twin.id} in {project_dir}{where}")
    options = deployment.options
    record = BuildSettings(model=str(model if model is not None else deployment.source.path),
                           board=twin.id, settings=settings, stride=options.stride,
                           smoothing=dict(options.smoothing), audio=options.audio_source,
                           clip=options.clip, twin=False, runtime=options.runtime,
                           model_sha256=deployment.source.sha256,
                           tflm_dir=options.tflm_dir).record(project_dir)
    firmware = build_firmware(deployment, twin, project_dir, include_twin=False, envs=(twin.id,),
                              settings=record, force=force or out is None)
    if out is None:
        cache.touch(project_dir)
        for old in cache.prune(current=project_dir):
            if progress:
                progress(f"removed an old build from fwgen run's cache: {old.name}")
    return firmware.elf(twin.id)
