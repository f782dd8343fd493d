"""`fwgen build` as a library: model + board + options -> PlatformIO project -> firmware ELFs.

    source = resolve_model("micro_speech")                  # zoo name, or a .tflite path
    options = BuildOptions(stride=1)
    firmware = build_firmware(source, get_board("stm32u5"), options, out_dir)
    firmware.elf("b_u585i_iot02a"), firmware.sizes["b_u585i_iot02a"].lines()

Every generated file comes from its owner: frontend tables (`fwgen.frontend.render_tables`),
the model C (`fwgen.compiler.compile_model`), the detector configuration
(`fwgen.detect.render_detector_config`), the board header and linker script
(`fwgen.project.render`) and the app configuration (templates/app_config.h.j2).
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from fwgen import __version__
from fwgen.boards import Board
from fwgen.errors import FwgenError
from fwgen.project.platformio import run_pio
from fwgen.project.render import Project, ProjectSpec, removed_on_error, render_project
from fwgen.project.size import SizeReport, overflow_from_linker, size_report
from fwgen.render import abi_version, banner, c_array_rows, render

LOG = logging.getLogger(__name__)

AUDIO_SOURCES = {"link": 0, "clip": 1, "mic": 2}
DEFAULT_AUDIO_WINDOW = 4096   # samples the device buffers from the link (8 KiB)


@dataclass(frozen=True)
class ModelSource:
    """A model to deploy: its flatbuffer and its deployment settings."""
    name: str
    path: Path
    data: bytes
    metadata: Any   # fwgen.tflite.metadata.ModelMetadata

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _resolve_metadata(path: Path, settings: str | Path | None):
    """Settings for a .tflite: a settings file, a zoo model.yaml (its deploy section), or the
    model's own metadata."""
    from fwgen.tflite.metadata import resolve_metadata

    if settings is not None and Path(settings).name == "model.yaml":
        from fwgen.zoo import load_model_file
        return load_model_file(Path(settings)).metadata
    return resolve_metadata(path, settings)


def resolve_model(name_or_path: str | Path, settings: str | Path | None = None) -> ModelSource:
    """A zoo model name or a .tflite path (with optional settings file) as a ModelSource."""

    path = Path(name_or_path)
    if path.suffix == ".tflite" or path.exists():
        if path.is_dir():
            raise FwgenError("is a folder, not a .tflite model file", where=str(path),
                             hint="give a .tflite file or a zoo model name (fwgen models)")
        if not path.is_file():
            raise FwgenError("model file not found", where=str(path))
        metadata = _resolve_metadata(path, settings)
        name = metadata.name or path.stem
    else:
        from fwgen.zoo import get_model

        zoo = get_model(str(name_or_path))
        path = zoo.require_weights()
        if settings is not None:
            metadata = _resolve_metadata(path, settings)
        else:
            from fwgen.tflite.metadata import read_model_metadata
            metadata = read_model_metadata(path) or zoo.metadata
        name = zoo.name
    return ModelSource(name=name, path=path, data=path.read_bytes(), metadata=metadata)


@dataclass(frozen=True)
class BuildOptions:
    stride: int | None = None                   # inference every N frames (None: the model's
                                                # default: 1, or fe.patch_hop_frames for log-mel)
    smoothing: Mapping[str, Any] = field(default_factory=dict)   # overrides of the model's
    audio_source: str = "link"
    clip: Path | None = None                    # WAV compiled in (audio_source "clip")
    audio_window: int = DEFAULT_AUDIO_WINDOW
    include_twin: bool = True


@dataclass
class Firmware:
    project: Project
    sizes: dict[str, SizeReport]
    compiled: Any          # fwgen.compiler.CompiledModel
    frontend: Any          # FrontendSpec
    smoothing: Any         # SmoothingSettings
    classes: tuple[str, ...]
    stride: int
    logs: dict[str, str] = field(default_factory=dict)   # pio output per environment

    def elf(self, env: str) -> Path:
        return self.project.elf(env)


@dataclass
class Deployment:
    """Everything computed from model + options before rendering (also used by `fwgen run`)."""
    source: ModelSource
    frontend: FrontendSpec
    compiled: Any
    smoothing: Any
    classes: tuple[str, ...]
    stride: int
    n_frames: int
    files: dict[str, str | bytes]
    inputs: dict[str, str]


FRONTENDS = ("microfrontend", "logmel")


@dataclass(frozen=True)
class FrontendSpec:
    """Which frontend the app runs and the numbers the app and the host reference share."""
    kind: str                  # "microfrontend" (fixed point) or "logmel" (float32)
    settings: Any              # FrontendSettings or LogMelSettings
    sample_rate: int
    window_size: int           # samples
    window_step: int           # samples
    n_channels: int
    feature_dtype: int         # FEATURES on the link: 0 uint16 (microfrontend), 1 int8 (logmel)
    default_stride: int
    channels_major: bool = False   # model input [channel][frame] (log-mel "channels_frames")

    def window_samples(self, n_frames: int) -> int:
        return (n_frames - 1) * self.window_step + self.window_size


def frontend_spec(metadata: Any, where: str = "model settings") -> FrontendSpec:
    frontend = dict(metadata.frontend)
    kind = str(frontend.get("fe.frontend", "microfrontend"))
    if kind not in FRONTENDS:
        raise FwgenError(f"unknown frontend {kind!r}", where=f"{where}: fe.frontend",
                         hint=f"one of {', '.join(FRONTENDS)}")
    if kind == "logmel":
        from fwgen.frontend.logmel import LogMelSettings

        s = LogMelSettings.from_dict(frontend, where=where)
        return FrontendSpec(kind=kind, settings=s, sample_rate=s.sample_rate_hz,
                            window_size=s.window_size, window_step=s.window_step,
                            n_channels=s.n_channels, feature_dtype=1,
                            default_stride=s.patch_hop_frames,
                            channels_major=s.patch_layout == "channels_frames")
    from fwgen.frontend import load_settings

    frontend.pop("fe.frontend", None)
    frontend.pop("fe.fft_length", None)
    s = load_settings(frontend, output_dtype="int8")
    return FrontendSpec(kind=kind, settings=s, sample_rate=s.sample_rate, window_size=s.window_size,
                        window_step=s.window_step, n_channels=s.n_channels, feature_dtype=0,
                        default_stride=1)


def prepare(source: ModelSource, options: BuildOptions) -> Deployment:
    """Compile the model and render every model-dependent file (board-independent)."""
    from fwgen.compiler import compile_model
    from fwgen.detect import SmoothingSettings, render_detector_config
    from fwgen.frontend import render_tables

    if options.audio_source not in AUDIO_SOURCES:
        raise FwgenError(f"unknown audio source {options.audio_source!r}", where="--audio",
                         hint=f"one of {', '.join(AUDIO_SOURCES)}")
    if options.audio_source == "clip" and options.clip is None:
        raise FwgenError("the clip audio source needs a WAV file", where="--clip")
    frontend = frontend_spec(source.metadata, where=str(source.path))
    stride = frontend.default_stride if options.stride is None else options.stride
    if not 1 <= stride <= 65535:
        raise FwgenError(f"stride must be 1..65535 frames, got {stride}", where="--stride")
    compiled = compile_model(source.data, name="model")
    if len(compiled.inputs) != 1 or len(compiled.outputs) != 1:
        raise FwgenError("the firmware app runs models with one input and one output",
                         where=str(source.path))
    if np.dtype(compiled.input.dtype) != np.int8 or np.dtype(compiled.output.dtype) != np.int8:
        raise FwgenError(f"the firmware app needs int8 input and output, the model has "
                         f"{compiled.input.dtype} -> {compiled.output.dtype}", where=str(source.path),
                         hint="quantize the model fully to int8 (fwgen quantize)")
    elements = int(np.prod(compiled.input.shape))
    if elements % frontend.n_channels:
        raise FwgenError(f"model input has {elements} values, not a whole number of "
                         f"{frontend.n_channels}-channel frames", where=str(source.path))
    n_frames = elements // frontend.n_channels
    if frontend.kind == "logmel" and n_frames != frontend.settings.patch_frames:
        raise FwgenError(f"model input holds {n_frames} frames, fe.patch_frames is "
                         f"{frontend.settings.patch_frames}", where=str(source.path))
    classes = tuple(source.metadata.classes)
    n_out = int(np.prod(compiled.output.shape))
    if len(classes) != n_out:
        raise FwgenError(f"{len(classes)} class names for {n_out} model outputs", where=str(source.path))
    smoothing_dict = {**dict(source.metadata.smoothing or {}), **dict(options.smoothing)}
    interval_ms = max(1, stride * frontend.window_step * 1000 // frontend.sample_rate)
    if "max_results" not in smoothing_dict:
        # Size the device's averaging queue for this stride: window / interval + 1 results.
        window_ms = int(smoothing_dict.get("average_window_duration_ms",
                                           SmoothingSettings().average_window_duration_ms))
        smoothing_dict["max_results"] = max(SmoothingSettings().max_results,
                                            window_ms // interval_ms + 1)
    smoothing = SmoothingSettings.from_dict(smoothing_dict)
    inputs = {"model": f"{source.name} sha256 {source.sha256[:16]}", "stride": str(stride)}
    files: dict[str, str | bytes] = {}
    if frontend.kind == "logmel":
        from fwgen.frontend.logmel import render_logmel_tables

        files.update(render_logmel_tables(frontend.settings, inputs, input_quantization=(
            float(compiled.input.scale), int(compiled.input.zero_point))))
    else:
        files.update(render_tables(frontend.settings))
    files.update(compiled.files)
    files.update(render_detector_config(classes, smoothing, inference_interval_ms=interval_ms,
                                        inputs=inputs))
    major, minor, patch = (list(int(p) for p in __version__.split(".")[:3]) + [0, 0, 0])[:3]
    has_clip = options.clip is not None
    if has_clip:
        from fwgen.runners.session import default_pad

        files.update(_clip_files(Path(options.clip), frontend.sample_rate,
                                 default_pad(frontend, n_frames)))
    names = "\\n".join(c.replace("\\", "\\\\").replace('"', '\\"') for c in classes)
    files["app_config.h"] = render(
        "app_config.h.j2", banner=banner("app configuration", inputs), abi=abi_version(),
        version=__version__, version_major=major, version_minor=minor, version_patch=patch,
        model_name=source.name,
        model_hash=", ".join(f"0x{b:02x}" for b in bytes.fromhex(source.sha256)[:8]),
        n_frames=n_frames, n_channels=frontend.n_channels, stride_frames=stride,
        stride_ms=stride * frontend.window_step * 1000 // frontend.sample_rate,
        frontend_logmel=int(frontend.kind == "logmel"), sample_rate=frontend.sample_rate,
        window_size=frontend.window_size, window_step=frontend.window_step,
        feature_dtype=frontend.feature_dtype, channels_major=int(frontend.channels_major),
        audio_source=AUDIO_SOURCES[options.audio_source], audio_source_name=options.audio_source,
        audio_window=options.audio_window, has_clip=int(has_clip), class_names=f'"{names}"')
    return Deployment(source=source, frontend=frontend, compiled=compiled, smoothing=smoothing,
                      classes=classes, stride=stride, n_frames=n_frames, files=files,
                      inputs=inputs)


def _clip_files(path: Path, sample_rate: int, pad: int) -> dict[str, str]:
    """clip.c/clip.h: the WAV padded as `fwgen run` streams it (reflected edges, `pad` samples
    each side), so a clip-length keyword is seen by several inferences in the self-test too."""
    from fwgen.audio import read_wav
    from fwgen.runners.session import pad_clip

    samples = pad_clip(read_wav(path, expect_rate=sample_rate), pad, "reflect")
    digest = hashlib.sha256(samples.tobytes()).hexdigest()[:16]
    meta = {"clip": f"{path.name} sha256 {digest}"}
    return {
        "clip.h": render("clip.h.j2", banner=banner("compiled-in audio clip", meta)),
        "clip.c": render("clip.c.j2", banner=banner("compiled-in audio clip", meta),
                         n_samples=int(samples.size), sample_rate=sample_rate, source=path.name,
                         rows=c_array_rows(samples.tolist(), per_row=16)),
    }


def check_fit(board: Board, deployment: Deployment) -> None:
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


def build_firmware(source: ModelSource | Deployment, board: Board, options: BuildOptions,
                   out_dir: Path, *, envs: tuple[str, ...] | None = None,
                   verbose: bool = False) -> Firmware:
    """Render the project into out_dir and build `envs` (default: every env) with `pio run`."""
    deployment = source if isinstance(source, Deployment) else prepare(source, options)
    if options.audio_source == "mic":
        from fwgen.project.render import port_info

        if board.microphone is None:
            raise FwgenError(f"{board.id} has no microphone", where="--audio",
                             hint="stream audio over the serial link (--audio link) instead")
        if not port_info(board.port).get("microphone"):
            raise FwgenError(f"the {board.port} port has no driver for the {board.microphone.part} "
                             f"microphone yet", where="--audio",
                             hint="use --audio link, or see firmware/ports/README.md")
    spec = ProjectSpec(board=board, generated=deployment.files, inputs=deployment.inputs,
                       include_twin=options.include_twin)
    for env_board in spec.envs():
        check_fit(env_board, deployment)
    fresh = not out_dir.exists()
    with removed_on_error(out_dir):
        project = render_project(spec, out_dir)
        sizes: dict[str, SizeReport] = {}
        logs: dict[str, str] = {}
        by_id = {b.id: b for b in spec.envs()}
        for env in envs or project.envs:
            if env not in by_id:
                raise FwgenError(f"project has no environment {env!r}", hint=f"one of {', '.join(by_id)}")
            try:
                logs[env] = run_pio(project.path, env, verbose=verbose)
            except FwgenError as exc:
                over = overflow_from_linker(exc.message)
                if over:
                    b = by_id[env]
                    detail = ", ".join(f"{region} overflowed by {n} B" for region, n in over.items())
                    raise FwgenError(
                        f"the firmware does not fit {env}: {detail} (flash {b.memory.flash.length} B, "
                        f"RAM {b.memory.ram.length} B; model arena {deployment.compiled.arena_bytes} B, "
                        f"weights {deployment.compiled.weights_bytes} B, stack {b.stack_bytes} B)",
                        where="--board",
                        hint="choose a board with more memory (fwgen boards) or a smaller model") from None
                if fresh:
                    raise FwgenError(exc.message,
                                     hint="the unfinished project was removed; to debug the build "
                                          "by hand, write it with --render-only and run 'pio run' "
                                          "in that folder") from None
                raise
            report = size_report(by_id[env], project.elf(env))
            if not report.fits:
                raise FwgenError(f"the firmware does not fit {env}:\n" + "\n".join(report.lines()))
            sizes[env] = report
    return Firmware(project=project, sizes=sizes, compiled=deployment.compiled,
                    frontend=deployment.frontend, smoothing=deployment.smoothing,
                    classes=deployment.classes, stride=deployment.stride, logs=logs)
