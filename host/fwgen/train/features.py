"""Model inputs computed with fwgen's own C frontends — the code the board runs.

Two frontends, chosen by the ``fe.frontend`` setting:

* ``microfrontend`` (default; TFLM/MLTK keyword models): `fwgen.frontend.Frontend` with int8
  output. The int8 features are fed to the model input unchanged, so the float model is trained
  on ``(q + 128) * INT8_FEATURE_SCALE`` — the input quantization of TFLM's micro_speech model
  (scale 0.10171568, zero point -128) — and quantization pins the input tensor to exactly that.
  A model fwgen trains and TFLM's own model therefore take the same bytes.
* ``logmel`` (YAMNet-style models): `fwgen.frontend.logmel.LogMelFrontend`, float log-mel
  patches; the model's int8 input quantization comes from calibration and the board quantizes
  with it.

`FeaturePipeline.clip(audio)` returns every model-input patch of one clip, float32
``(n_patches, frames, channels, 1)``; keyword models have one patch per clip.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

MICROFRONTEND = "microfrontend"
LOGMEL = "logmel"
FRONTEND_KEY = "fe.frontend"
#: TFLM micro_speech's input scale (float32): real = scale * (int8 + 128).
INT8_FEATURE_SCALE = float(np.float32(0.10171568393707275))
INT8_FEATURE_ZERO_POINT = -128


def frontend_kind(settings: Mapping[str, Any]) -> str:
    kind = str(settings.get(FRONTEND_KEY, MICROFRONTEND))
    if kind not in (MICROFRONTEND, LOGMEL):
        raise FwgenError(f"{FRONTEND_KEY} = {kind!r} is not a frontend fwgen has",
                         hint=f"use {MICROFRONTEND} or {LOGMEL}")
    return kind


def int8_features_to_float(q: np.ndarray) -> np.ndarray:
    """Float model input for int8 microfrontend features (see the module docstring)."""
    return ((np.asarray(q, dtype=np.float32) - INT8_FEATURE_ZERO_POINT)
            * np.float32(INT8_FEATURE_SCALE)).astype(np.float32)


@dataclass
class FeaturePipeline:
    """Turns int16 clips into model-input patches with the frontend named by `settings`."""

    settings: dict[str, Any]
    clip_samples: int
    _frontend: Any = field(default=None, init=False, repr=False)

    @property
    def kind(self) -> str:
        return frontend_kind(self.settings)

    def frontend(self) -> Any:
        if self._frontend is None:
            if self.kind == LOGMEL:
                from fwgen.frontend.logmel import LogMelFrontend  # noqa: PLC0415

                self._frontend = LogMelFrontend(self.settings)
            else:
                from fwgen.frontend import Frontend  # noqa: PLC0415

                fe = {k: v for k, v in self.settings.items() if k != FRONTEND_KEY}
                self._frontend = Frontend(fe, output="int8")
        return self._frontend

    def int8_features(self, audio: np.ndarray) -> np.ndarray:
        """The microfrontend's int8 features of a whole clip (fresh state), (frames, channels)."""
        frontend = self.frontend()
        frontend.reset()
        features = np.asarray(frontend.process(np.asarray(audio, dtype=np.int16)))
        frontend.reset()
        if features.dtype != np.int8:
            raise FwgenError(f"the frontend returned {features.dtype} features, expected int8")
        return features

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
