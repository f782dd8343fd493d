"""Model inputs computed with fwgen's own C frontends — the code the board runs.

Which frontend a model uses is `fwgen.frontend.spec`'s decision (``fe.frontend``); this module
only says how each kind's features become the float input a model is trained on:

* ``microfrontend`` (default; TFLM/MLTK keyword models): the fixed-point microfrontend's int8
  features are fed to the model input unchanged, so the float model is trained on
  ``(q + 128) * INT8_FEATURE_SCALE`` — the input quantization of TFLM's micro_speech model
  (scale 0.10171568, zero point -128) — and quantization pins the input tensor to exactly that.
  A model fwgen trains and TFLM's own model therefore take the same bytes.
* ``logmel`` (YAMNet-style models): float log-mel patches; the model's int8 input quantization
  comes from calibration and the board quantizes with it.

`FeaturePipeline.clip(audio)` returns every model-input patch of one clip, float32
``(n_patches, frames, channels, 1)``; keyword models have one patch per clip.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from fwgen.errors import FwgenError
from fwgen.frontend.spec import LOGMEL, MICROFRONTEND, FrontendSpec, frontend_spec

LOG = logging.getLogger(__name__)

#: TFLM micro_speech's input scale (float32): real = scale * (int8 + 128).
INT8_FEATURE_SCALE = float(np.float32(0.10171568393707275))
INT8_FEATURE_ZERO_POINT = -128


def int8_features_to_float(q: np.ndarray) -> np.ndarray:
    """Float model input for int8 microfrontend features (see the module docstring)."""
    return ((np.asarray(q, dtype=np.float32) - INT8_FEATURE_ZERO_POINT)
            * np.float32(INT8_FEATURE_SCALE)).astype(np.float32)


@dataclass
class FeaturePipeline:
    """Turns int16 clips into model-input patches with the frontend that `settings` name."""

    settings: dict[str, Any]
    clip_samples: int
    where: str = "frontend settings"
    spec: FrontendSpec = field(init=False, repr=False)
    _frontend: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.spec = frontend_spec(self.settings, self.where)

    @property
    def kind(self) -> str:
        return self.spec.kind

    def frontend(self) -> Any:
        """The host C frontend (one instance, reset around every clip)."""
        if self._frontend is None:
            self._frontend = self.spec.host()
        return self._frontend

    def int8_features(self, audio: np.ndarray) -> np.ndarray:
        """The microfrontend's int8 features of a whole clip (fresh state), (frames, channels)."""
        if self.kind != MICROFRONTEND:
            raise FwgenError(f"int8 features come from the microfrontend; these settings name "
                             f"the {self.kind} frontend", where=self.where)
        frontend = self.frontend()
        frontend.reset()
        features = frontend.to_int8(frontend.process(np.asarray(audio, dtype=np.int16)))
        frontend.reset()
        return np.asarray(features)

    def clip(self, audio: np.ndarray) -> np.ndarray:
        """All model-input patches of one clip: float32 (n_patches, frames, channels, 1)."""
        audio = np.asarray(audio, dtype=np.int16)
        if self.kind == LOGMEL:
            patches = np.asarray(self.frontend().patches(audio, pad=True), dtype=np.float32)
        else:
            patches = int8_features_to_float(self.int8_features(audio))[np.newaxis]
        return patches[..., np.newaxis]

    def input_shape(self) -> tuple[int, int, int]:
        """(frames, channels, 1) of one patch, measured on a silent clip."""
        patches = self.clip(np.zeros(self.clip_samples, dtype=np.int16))
        if patches.shape[0] == 0:
            raise FwgenError("the frontend produced no complete patch for one clip",
                             hint="the clip is shorter than one patch: check fe.* settings")
        return tuple(int(d) for d in patches.shape[1:])  # type: ignore[return-value]


@dataclass
class FeatureSet:
    """Patches, their labels and the clip each came from (for clip-level aggregation)."""

    x: np.ndarray          # float32 (n, frames, channels, 1)
    y: np.ndarray          # int32 (n,)
    clip: np.ndarray       # int32 (n,) index into `clip_ids`
    clip_ids: list[str]
    clip_labels: np.ndarray  # int32 (n_clips,)

    def __len__(self) -> int:
        return int(self.x.shape[0])


def compute_features(pipeline: FeaturePipeline, dataset: Any, examples: Sequence[Any],
                     classes: Sequence[str], *, copies: int = 1,
                     rng: np.random.Generator | None = None,
                     progress: Callable[[int, int], None] | None = None) -> FeatureSet:
    """Features of `examples` (each `copies` times when augmenting with `rng`)."""
    index = {c: i for i, c in enumerate(classes)}
    xs: list[np.ndarray] = []
    ys: list[int] = []
    clips: list[int] = []
    clip_ids: list[str] = []
    clip_labels: list[int] = []
    total = len(examples) * copies
    done = 0
    for copy in range(copies):
        for example in examples:
            if example.label not in index:
                raise FwgenError(f"label '{example.label}' of {example.clip_id} is not one of "
                                 f"the model's classes {list(classes)}")
            audio = dataset.load(example, rng)
            patches = pipeline.clip(audio)
            clip_number = len(clip_ids)
            clip_ids.append(example.clip_id if copy == 0 else f"{example.clip_id}#{copy}")
            clip_labels.append(index[example.label])
            xs.append(patches)
            ys.extend([index[example.label]] * len(patches))
            clips.extend([clip_number] * len(patches))
            done += 1
            if progress is not None:
                progress(done, total)
    shape = pipeline.input_shape() if not xs else xs[0].shape[1:]
    x = np.concatenate(xs) if xs else np.zeros((0, *shape), dtype=np.float32)
    return FeatureSet(x.astype(np.float32), np.asarray(ys, dtype=np.int32),
                      np.asarray(clips, dtype=np.int32), clip_ids,
                      np.asarray(clip_labels, dtype=np.int32))
