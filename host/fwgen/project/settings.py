"""The settings a project was built with, recorded in its manifest so `fwgen build` in the
project folder can build it again.

    settings = BuildSettings(model="micro_speech", board="b_u585i_iot02a", stride=2)
    ProjectSpec(..., settings=settings.record(project_dir))   # into fwgen-project.json "build"
    BuildSettings.load(project_dir)                            # back, paths absolute again

Paths (a model file, a settings file, a clip) are recorded relative to the project folder, so
the record holds no absolute path and survives moving the project together with its inputs;
a zoo model is recorded by name.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from fwgen.errors import FwgenError
from fwgen.project.ownership import MANIFEST, read_manifest

RECORD = "build"          # the manifest key


def is_model_path(model: str | Path) -> bool:
    """Whether --model names a file (as fwgen.zoo.resolve_model decides) or a zoo model."""
    path = Path(model)
    return path.suffix == ".tflite" or path.exists()


@dataclass(frozen=True)
class BuildSettings:
    """What `fwgen build` (or `fwgen run`) was given. Paths are absolute or relative to the
    current folder, as on the command line; `model` is a zoo name or a .tflite path."""
    model: str
    board: str
    settings: Path | None = None
    stride: int | None = None
    smoothing: Mapping[str, Any] = field(default_factory=dict)
    audio: str = "link"
    clip: Path | None = None
    twin: bool = True
    runtime: str = "aot"
    model_sha256: str = ""
    tflm_dir: Path | None = None      # the TFLM tree of a --runtime tflm build

    def record(self, project: Path) -> dict[str, Any]:
        """The manifest's "build" entry (JSON-able, paths relative to `project`)."""
        def rel(path: Path | str | None) -> str | None:
            return None if path is None else Path(os.path.relpath(Path(path).absolute(),
                                                                  project.absolute())).as_posix()
        data: dict[str, Any] = {"board": self.board, "stride": self.stride,
                                "smoothing": dict(self.smoothing), "audio": self.audio,
                                "settings": rel(self.settings), "clip": rel(self.clip),
                                "twin": self.twin, "runtime": self.runtime,
                                "model_sha256": self.model_sha256}
        if self.tflm_dir is not None:
            data["tflm_dir"] = rel(self.tflm_dir)
        if is_model_path(self.model):
            data["model_path"] = rel(self.model)
        else:
            data["model"] = self.model
        return data

    @classmethod
    def load(cls, project: Path) -> "BuildSettings":
        """The settings recorded in `project`'s manifest, paths resolved against the folder."""
        manifest = read_manifest(project)
        if manifest is None:
            raise FwgenError("no fwgen project here to rebuild (no fwgen-project.json)",
                             where=str(project),
                             hint="give --model and --board, or --out a folder fwgen build wrote")
        data = manifest.get(RECORD)
        if not isinstance(data, dict):
            raise FwgenError(f"this project records no build settings ({MANIFEST} was written by "
                             f"an older fwgen or not by fwgen build)", where=str(project),
                             hint="build it once with --model and --board; later builds here "
                                  "can leave them out")

        def path(key: str) -> Path | None:
            value = data.get(key)
            return None if value is None else Path(os.path.normpath(project / value))

        try:
            model = str(path("model_path")) if data.get("model_path") else str(data["model"])
            return cls(model=model, board=str(data["board"]), settings=path("settings"),
                       stride=data.get("stride"), smoothing=dict(data.get("smoothing") or {}),
                       audio=str(data.get("audio", "link")), clip=path("clip"),
                       twin=bool(data.get("twin", True)), runtime=str(data.get("runtime", "aot")),
                       model_sha256=str(data.get("model_sha256", "")), tflm_dir=path("tflm_dir"))
        except (KeyError, TypeError) as exc:
            raise FwgenError(f"the recorded build settings are incomplete ({exc})",
                             where=str(project / MANIFEST),
                             hint="build once more with --model and --board") from None

    def replace(self, **changes: Any) -> "BuildSettings":
        """These settings with the given (not None) ones changed."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})
