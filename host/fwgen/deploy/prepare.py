"""`prepare`: a model source and deployment options -> every model-dependent generated file.

    deployment = prepare(resolve_model("micro_speech"), DeployOptions())
    deployment.files          # {"model.c": ..., "frontend_config.c": ..., "app_config.h": ...}
    deployment.compiled       # the runtime's CompiledInference (arena, weights, MACs, tensors)
    check_fit(board, deployment)

Board-independent: the same deployment renders a project for any board (project/).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from fwgen.deploy.app_config import AppConfig, render_app_config
from fwgen.deploy.clips import clip_files, default_pad
from fwgen.deploy.memory import frontend_scratch, window_needs_uint16
from fwgen.deploy.options import AUDIO_SOURCES, DeployOptions
from fwgen.errors import FwgenError
from fwgen.frontend.spec import FrontendSpec, frontend_spec
from fwgen.runtime import AUTO, DEFAULT_RUNTIME, CompiledInference, RuntimeConfig, choose_runtime, get_runtime

LOG = logging.getLogger(__name__)


@dataclass
class Deployment:
    """Everything computed from model + options before a project is rendered."""
    source: Any                  # fwgen.zoo.ModelSource
    options: DeployOptions
    frontend: FrontendSpec
    compiled: CompiledInference
    smoothing: Any               # fwgen.detect.SmoothingSettings
    classes: tuple[str, ...]
    stride: int
    n_frames: int
    files: dict[str, str | bytes]
    inputs: dict[str, str]       # what made the generated files (their banners)
    runtime_reason: str = ""     # why --runtime auto chose the runtime ("" when it was given)

    @property
    def runtime(self) -> str:
        return self.options.runtime

    @property
    def firmware_modules(self) -> tuple[str, ...]:
        """The firmware/ library modules the runtime's inference calls (its firmware_modules):
        a project for this deployment copies them."""
        return tuple(get_runtime(self.options.runtime).firmware_modules)

    def project_additions(self, boards) -> dict[str, Any]:
        """What the runtime adds to a project for `boards` (Runtime.project_additions)."""
        return get_runtime(self.options.runtime, runtime_config(self.options)).project_additions(
            self.compiled, boards)

    @property
    def input_quantization(self) -> tuple[float, int]:
        return float(self.compiled.input.scale), int(self.compiled.input.zero_point)


def runtime_config(options: DeployOptions) -> RuntimeConfig:
    return RuntimeConfig(tflm_dir=options.tflm_dir)


def resolve_runtime(source, options: DeployOptions) -> tuple[DeployOptions, str]:
    """The options with `--runtime auto` resolved (and why), the runtime checked before any work
    (a TFLM build without a TFLM tree stops here)."""
    reason = ""
    if options.runtime == AUTO:
        name, reason = choose_runtime(source.data, where=str(source.path))
        options = replace(options, runtime=name)
    get_runtime(options.runtime, runtime_config(options)).check()
    return options, reason


def _check_options(options: DeployOptions) -> None:
    if options.audio_source not in AUDIO_SOURCES:
        raise FwgenError(f"unknown audio source {options.audio_source!r}", where="--audio",
                         hint=f"one of {', '.join(AUDIO_SOURCES)}")
    if options.audio_source == "clip" and options.clip is None:
        raise FwgenError("the clip audio source needs a WAV file", where="--clip")
    if options.clip is not None and options.audio_source != "clip":
        raise FwgenError(f"a clip is compiled in only with --audio clip (the audio source is "
                         f"{options.audio_source})", where="--clip",
                         hint="add --audio clip to run the clip at boot, or leave out --clip")


def _check_io(compiled: CompiledInference, frontend: FrontendSpec, where: str) -> int:
    """The app's contract with the model: one int8 input of whole frames, one int8 output.
    Returns the frames in the model's input window."""
    if len(compiled.inputs) != 1 or len(compiled.outputs) != 1:
        raise FwgenError("the firmware app runs models with one input and one output", where=where)
    if np.dtype(compiled.input.dtype) != np.int8 or np.dtype(compiled.output.dtype) != np.int8:
        raise FwgenError(f"the firmware app needs int8 input and output, the model has "
                         f"{compiled.input.dtype} -> {compiled.output.dtype}", where=where,
                         hint="quantize the model fully to int8 (fwgen quantize)")
    elements = int(np.prod(compiled.input.shape))
    if elements % frontend.n_channels:
        raise FwgenError(f"model input has {elements} values, not a whole number of "
                         f"{frontend.n_channels}-channel frames", where=where)
    n_frames = elements // frontend.n_channels
    frontend.check_window(n_frames, where)
    return n_frames


def detector_settings(model_smoothing: dict, overrides: dict, interval_ms: int):
    """The detector's settings: the model's, the user's overrides on top, and the averaging
    queue sized for this inference interval (window / interval + 1 results) unless given."""
    from fwgen.detect import SmoothingSettings

    smoothing = {**model_smoothing, **overrides}
    if "max_results" not in smoothing:
        window_ms = int(smoothing.get("average_window_duration_ms",
                                      SmoothingSettings().average_window_duration_ms))
        smoothing["max_results"] = max(SmoothingSettings().max_results,
                                       window_ms // interval_ms + 1)
    return SmoothingSettings.from_dict(smoothing)


def prepare(source, options: DeployOptions | None = None) -> Deployment:
    """Compile the model with the options' runtime and render every model-dependent file."""
    from fwgen.detect import render_detector_config

    options = options or DeployOptions()
    _check_options(options)
    options, reason = resolve_runtime(source, options)
    where = str(source.path)
    frontend = frontend_spec(source.metadata.frontend, where=where)
    stride = frontend.default_stride if options.stride is None else options.stride
    if not 1 <= stride <= 65535:
        raise FwgenError(f"stride must be 1..65535 frames, got {stride}", where="--stride")
    runtime = get_runtime(options.runtime, runtime_config(options))
    # the feature window lives in the model input where the runtime can keep it (deploy.memory)
    # and the frontend's per-frame scratch in the bytes the model leaves free between invokes
    keep = {"keep_inputs": True, "idle_scratch": frontend_scratch(frontend)} if (
        getattr(runtime, "keeps_inputs", False) and not window_needs_uint16(frontend)) else {}
    compiled = runtime.compile(source.data, name="model", where=where, **keep)
    n_frames = _check_io(compiled, frontend, where)
    classes = tuple(source.metadata.classes)
    n_out = int(np.prod(compiled.output.shape))
    if len(classes) != n_out:
        raise FwgenError(f"{len(classes)} class names for {n_out} model outputs", where=where)
    interval_ms = max(1, stride * frontend.window_step * 1000 // frontend.sample_rate)
    smoothing = detector_settings(dict(source.metadata.smoothing or {}), dict(options.smoothing),
                                  interval_ms)
    inputs = {"model": f"{source.name} sha256 {source.sha256[:16]}", "stride": str(stride)}
    if options.runtime != DEFAULT_RUNTIME:
        inputs["runtime"] = options.runtime
    quantization = (float(compiled.input.scale), int(compiled.input.zero_point))
    files: dict[str, str | bytes] = {}
    files.update(frontend.tables(inputs, quantization))
    files.update(compiled.files)
    files.update(render_detector_config(classes, smoothing, inference_interval_ms=interval_ms,
                                        inputs=inputs))
    has_clip = options.clip is not None
    if has_clip:
        files.update(clip_files(Path(options.clip), frontend.sample_rate,
                                default_pad(frontend, n_frames)))
    config = AppConfig(
        model_name=source.name, model_sha256=source.sha256,
        frontend_logmel=int(frontend.kind == "logmel"), sample_rate=frontend.sample_rate,
        window_size=frontend.window_size, window_step=frontend.window_step,
        n_channels=frontend.n_channels, feature_dtype=frontend.feature_dtype,
        channels_major=int(frontend.channels_major), n_frames=n_frames, stride_frames=stride,
        audio_source=AUDIO_SOURCES[options.audio_source], audio_source_name=options.audio_source,
        has_clip=int(has_clip), classes=classes)
    files["app_config.h"] = render_app_config(config, inputs)
    return Deployment(source=source, options=options, frontend=frontend, compiled=compiled,
                      smoothing=smoothing, classes=classes, stride=stride, n_frames=n_frames,
                      files=files, inputs=inputs, runtime_reason=reason)


def check_fit(board, deployment: Deployment) -> None:
    """Fail early, with the numbers, when the model alone cannot fit the board."""
    c = deployment.compiled
    ram = board.memory.ram.length
    flash = board.memory.flash.length
    if c.arena_bytes + board.stack_bytes > ram:
        raise FwgenError(f"the model does not fit {board.id}: arena {c.arena_bytes} B + stack "
                         f"{board.stack_bytes} B > RAM {ram} B", where="--board",
                         hint="choose a board with more RAM (fwgen boards) or a smaller model")
    if c.weights_bytes > flash:
        raise FwgenError(f"the model does not fit {board.id}: weights {c.weights_bytes} B > "
                         f"flash {flash} B", where="--board",
                         hint="choose a board with more flash (fwgen boards) or a smaller model")
