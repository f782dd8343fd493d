"""Run clips on an emulator twin: build (or reuse) its firmware, start QEMU, stream over the link.

This is what `fwgen run` does, as a library (tests and the HIL runner use it too)::

    with TwinSession(firmware_elf, twin) as session:       # QEMU + fwgen.link.Link
        result = session.stream(samples)                   # fwgen.link.StreamResult

    run_clips(model="micro_speech", twin=get_board("mps2_an505"), wavs=[...]) -> [ClipReport]
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from fwgen.boards import Board
from fwgen.errors import FwgenError
from fwgen.native import cache_dir
from fwgen.runners.qemu import QemuRunner, QemuSession

LOG = logging.getLogger(__name__)


class TwinSession:
    """QEMU running `elf` on `twin`, with a fwgen link on its UART. Always close() it."""

    def __init__(self, elf: Path, twin: Board, *, icount: bool = True):
        from fwgen.link import Link

        self.twin = twin
        self.qemu: QemuSession | None = QemuRunner(twin).run("emulate", elf=elf, icount=icount)
        assert self.qemu is not None and self.qemu.serial is not None
        try:
            self.link = Link(self.qemu.serial)
        except BaseException:
            self.qemu.close()
            raise

    def stream(self, samples: np.ndarray, *, outputs: int, timeout: float = 60.0,
               stride_frames: int = 0):
        from fwgen.link import stream_audio

        self._check_alive()
        try:
            return stream_audio(self.link, samples, outputs=outputs, stride_frames=stride_frames,
                                timeout=timeout, end_timeout=timeout)
        except FwgenError:
            self._check_alive()
            raise

    def _check_alive(self) -> None:
        if self.qemu is not None and not self.qemu.running:
            raise FwgenError(f"the firmware stopped: QEMU exited with status "
                             f"{self.qemu.proc.returncode}\n{self.qemu.output()}")

    def close(self) -> None:
        if self.qemu is not None:
            try:
                self.link.close()
            finally:
                self.qemu.close()
                self.qemu = None

    def __enter__(self) -> "TwinSession":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


@dataclass
class ClipReport:
    path: Path
    board: str
    classes: tuple[str, ...]
    pad_ms: int
    detections: list[dict] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    features: np.ndarray | None = None
    logits: np.ndarray | None = None

    def lines(self) -> list[str]:
        out = [f"{self.path}:"]
        if not self.detections:
            out.append("  no detection")
        for d in self.detections:
            out.append(f"  {d['time_ms']:>6} ms  {d['class']:<12} score {d['score']:>3}")
        s = self.stats
        if s:
            unit = {1: "cycles", 2: "instructions"}.get(s.get("cycle_unit", 0), "")
            frames, inferences = max(s.get("frames", 0), 1), max(s.get("inferences", 0), 1)
            out.append(f"  {s.get('frames', 0)} frames, {s.get('inferences', 0)} inferences; "
                       f"frontend {s.get('frontend_cycles', 0) // frames} {unit}/frame, inference "
                       f"{s.get('inference_cycles', 0) // inferences} {unit} (max "
                       f"{s.get('inference_cycles_max', 0)})")
        if self.features is not None:
            rows, cols = self.features.shape
            out.append(f"  features  {rows} frames x {cols} values ({self.features.dtype}), "
                       f"min {self.features.min(initial=0)} max {self.features.max(initial=0)}")
        if self.logits is not None:
            top = np.bincount(self.logits.argmax(axis=1), minlength=len(self.classes)) \
                if self.logits.size else np.zeros(len(self.classes), dtype=int)
            counts = ", ".join(f"{name} {int(n)}" for name, n in zip(self.classes, top) if n)
            out.append(f"  logits    {self.logits.shape[0]} inferences; top class: {counts or '-'}")
        return out

    def as_dict(self) -> dict:
        out = {"file": str(self.path), "board": self.board, "pad_ms": self.pad_ms,
               "detections": self.detections, "stats": self.stats}
        if self.features is not None:
            out["features"] = self.features.tolist()
        if self.logits is not None:
            out["logits"] = self.logits.tolist()
        return out


PAD_MODES = ("reflect", "zeros")


def pad_clip(samples: np.ndarray, pad: int, mode: str = "reflect") -> np.ndarray:
    """The stream `fwgen run` sends for one clip: `pad` samples before and after it.

    "reflect" mirrors the clip's own edges (no invented signal: a near-silent clip stays
    near-silent, which digital zeros are not to a PCAN frontend); "zeros" pads with 0.
    """
    if mode not in PAD_MODES:
        raise FwgenError(f"unknown padding {mode!r}", where="--pad", hint=f"one of {', '.join(PAD_MODES)}")
    if pad <= 0 or samples.size == 0:
        return samples.astype(np.int16, copy=False)
    if mode == "zeros":
        return np.pad(samples, pad).astype(np.int16)
    return np.pad(samples, pad, mode="reflect" if samples.size > 1 else "edge").astype(np.int16)


def default_pad(frontend, n_frames: int) -> int:
    """Samples `fwgen run` (and the compiled-in clip) adds on each side of a clip: half the
    model's window, so a window-length clip is seen by several inferences."""
    return frontend.window_samples(n_frames) // 2


def default_project_dir(model_name: str, twin: Board) -> Path:
    return cache_dir() / "run" / f"{model_name}-{twin.id}"


def _twin_deployment(*, model: str | Path, twin: Board, settings: Path | None,
                     stride: int | None, smoothing: dict | None):
    from fwgen.project.build import BuildOptions, prepare, resolve_model

    if not twin.is_emulator:
        raise FwgenError(f"{twin.id} is not an emulator twin", where="--board")
    source = resolve_model(model, settings)
    options = BuildOptions(stride=stride, smoothing=dict(smoothing or {}), include_twin=False)
    return source, options, prepare(source, options)


def _build_twin(source, options, deployment, twin: Board, out: Path | None,
                progress: Callable[[str], None] | None) -> Path:
    from fwgen.project.build import build_firmware

    project_dir = out or default_project_dir(source.name, twin)
    if progress:
        progress(f"building {source.name} for {twin.id} in {project_dir}")
    firmware = build_firmware(deployment, twin, options, project_dir, envs=(twin.id,))
    return firmware.elf(twin.id)


def prepare_twin_firmware(*, model: str | Path, twin: Board, settings: Path | None = None,
                          stride: int | None = None, smoothing: dict | None = None,
                          out: Path | None = None,
                          progress: Callable[[str], None] | None = None):
    """Build (or incrementally rebuild) the twin firmware; returns (elf, deployment)."""
    source, options, deployment = _twin_deployment(model=model, twin=twin, settings=settings,
                                                   stride=stride, smoothing=smoothing)
    return _build_twin(source, options, deployment, twin, out, progress), deployment


def run_clips(*, model: str | Path, twin: Board, wavs: Sequence[Path], settings: Path | None = None,
              stride: int | None = None, smoothing: dict | None = None, pad_ms: int | None = None,
              pad_mode: str = "reflect", convert: bool = False,
              features: bool = False, logits: bool = False, out: Path | None = None,
              timeout: float = 60.0, progress: Callable[[str], None] | None = None) -> list[ClipReport]:
    """Build (or reuse) the twin firmware and stream each WAV through it in one QEMU session.

    Every WAV is read and checked (mono 16-bit PCM at the model's rate, or converted when
    `convert`) before anything is built, so a bad file fails in a second, not after a build.
    """
    from fwgen.audio import read_wav
    from fwgen.link import Output

    say = progress or (lambda text: None)
    source, options, deployment = _twin_deployment(model=model, twin=twin, settings=settings,
                                                   stride=stride, smoothing=smoothing)
    rate = deployment.frontend.sample_rate
    if pad_ms is None:
        pad = default_pad(deployment.frontend, deployment.n_frames)
        pad_ms = pad * 1000 // rate
    elif pad_ms < 0:
        raise FwgenError(f"must be >= 0 ms, got {pad_ms}", where="--pad-ms")
    else:
        pad = pad_ms * rate // 1000
    clips = []
    for wav in wavs:
        samples = read_wav(Path(wav), expect_rate=rate, convert=convert)
        clips.append((Path(wav), pad_clip(samples, pad, pad_mode)))
    elf = _build_twin(source, options, deployment, twin, out, say)
    outputs = Output.DETECTIONS | Output.LOG
    if features:
        outputs |= Output.FEATURES
    if logits:
        outputs |= Output.LOGITS
    reports = []
    say(f"starting QEMU {twin.qemu_machine}")
    with TwinSession(elf, twin) as session:
        for path, samples in clips:
            say(f"streaming {path} ({samples.size} samples)")
            result = session.stream(samples, outputs=int(outputs), timeout=timeout)
            names = tuple(result.hello.class_names.split("\n")) if result.hello.class_names else ()
            report = ClipReport(path=path, board=twin.id, classes=names, pad_ms=pad_ms)
            for d in result.detections:
                report.detections.append({
                    "time_ms": d.time_ms - pad_ms, "stream_time_ms": d.time_ms,
                    "class_index": d.class_index,
                    "class": names[d.class_index] if d.class_index < len(names) else str(d.class_index),
                    "score": d.score, "inference_index": d.inference_index,
                    "frame_index": d.frame_index})
            if result.stats is not None:
                from dataclasses import asdict
                report.stats = asdict(result.stats)
            if features:
                report.features = result.feature_matrix()
            if logits:
                report.logits = result.logits_matrix()
            reports.append(report)
    return reports
