"""app_config.h: the numbers the firmware app is built with, computed here, rendered by
templates/app_config.h.j2 (substitution only)."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Mapping

from fwgen import __version__
from fwgen.render import abi_version, banner, render


@dataclass(frozen=True)
class AppConfig:
    """One field per template value, so what the app is built with is named in one place."""
    model_name: str
    model_sha256: str
    frontend_logmel: int
    sample_rate: int
    window_size: int
    window_step: int
    n_channels: int
    feature_dtype: int
    channels_major: int
    n_frames: int
    stride_frames: int
    audio_source: int
    audio_source_name: str
    has_clip: int
    classes: tuple[str, ...]

    @property
    def stride_ms(self) -> int:
        return self.stride_frames * self.window_step * 1000 // self.sample_rate

    def view(self) -> dict:
        """Template values: version triple, model hash bytes, the class-name C string."""
        major, minor, patch = (list(int(p) for p in __version__.split(".")[:3]) + [0, 0, 0])[:3]
        names = "\\n".join(c.replace("\\", "\\\\").replace('"', '\\"') for c in self.classes)
        view = {k: v for k, v in asdict(self).items() if k not in ("model_sha256", "classes")}
        return {**view, "abi": abi_version(), "version": __version__, "version_major": major,
                "version_minor": minor, "version_patch": patch, "stride_ms": self.stride_ms,
                "model_hash": ", ".join(f"0x{b:02x}" for b in bytes.fromhex(self.model_sha256)[:8]),
                "class_names": f'"{names}"'}


def render_app_config(config: AppConfig, inputs: Mapping[str, str]) -> str:
    return render("app_config.h.j2", banner=banner("app configuration", dict(inputs)),
                  **config.view())

