"""Stream WAV clips through a twin and collect what the firmware reported, per clip."""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from fwgen.deploy import DEFAULT_PAD_MODE, default_pad, pad_clip
from fwgen.errors import FwgenError
from fwgen.run.firmware import twin_deployment, twin_firmware

LOG = logging.getLogger(__name__)

MAX_PAD_MS = 10_000   # silence around one clip: more is a recording, not padding


@dataclass
class ClipReport:
    """What the device reported for one clip (detection times relative to the clip)."""
    path: Path
    board: str
    classes: tuple[str, ...]
    pad_ms: int
    detections: list[dict] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    features: np.ndarray | None = None
    logits: np.ndarray | None = None
    smoothing: Any = None        # the detector's SmoothingSettings (None: not known, --elf)
    input_ms: int = 0            # the model's input window, ms (how long a sound stays in view)
    samples_streamed: int = 0    # padding included
    model_sha256: str = ""       # the deployment's; with --elf the 8 bytes HELLO names
    runtime: str = ""            # "" with --elf
    trace: Any = None            # fwgen.deploy.trace.StreamTrace (trace=True: for --html)
    differences: list[str] | None = None   # stage by stage against the host; None: not compared

    def as_dict(self) -> dict:
        out = {"file": str(self.path), "board": self.board, "pad_ms": self.pad_ms,
               "detections": self.detections, "stats": self.stats}
        if self.features is not None:
            out["features"] = self.features.tolist()
        if self.logits is not None:
            out["logits"] = self.logits.tolist()
        return out


def _pad_samples(pad_ms: int | None, rate: int, half_window: int) -> tuple[int, int]:
    """(samples, ms) of padding on each side of a clip: the given ms, or `half_window` samples
    (half the model's input window: `fwgen.deploy.default_pad`)."""
    if pad_ms is None:
        return half_window, half_window * 1000 // rate
    if pad_ms < 0:
        raise FwgenError(f"must be >= 0 ms, got {pad_ms}", where="--pad-ms")
    if pad_ms > MAX_PAD_MS:
        raise FwgenError(f"must be at most {MAX_PAD_MS} ms, got {pad_ms}", where="--pad-ms",
                         hint="padding is silence around a clip; a longer recording is a WAV")
    return pad_ms * rate // 1000, pad_ms


def _clip(path: Path, rate: int, window: int, convert: bool):
    """A WAV as the model's samples; refused when shorter than one frontend window (as
    `fwgen features` does): such a clip holds no frame of its own."""
    from fwgen.audio import read_wav

    samples = read_wav(path, expect_rate=rate, convert=convert)
    if samples.size < window:
        raise FwgenError(f"{samples.size} samples, shorter than one frontend window "
                         f"({window} samples, {window * 1000 // rate} ms)", where=str(path),
                         hint="give a clip of at least one window; --pad-ms adds silence around it")
    return samples


def _outputs(features: bool, logits: bool) -> int:
    """What the device streams back (a trace needs both features and logits)."""
    from fwgen.link import Output

    outputs = Output.DETECTIONS | Output.LOG
    if features:
        outputs |= Output.FEATURES
    if logits:
        outputs |= Output.LOGITS
    return int(outputs)


def _report(path: Path, board_id: str, pad_ms: int, result, features: bool,
            logits: bool, *, smoothing: Any = None, input_ms: int = 0) -> ClipReport:
    names = tuple(result.hello.class_names.split("\n")) if result.hello.class_names else ()
    report = ClipReport(path=path, board=board_id, classes=names, pad_ms=pad_ms,
                        smoothing=smoothing, input_ms=input_ms,
                        samples_streamed=int(result.samples_sent),
                        model_sha256=bytes(result.hello.model_hash).hex())
    for d in result.detections:
        report.detections.append({
            "time_ms": d.time_ms - pad_ms, "stream_time_ms": d.time_ms,
            "class_index": d.class_index,
            "class": names[d.class_index] if d.class_index < len(names) else str(d.class_index),
            "score": d.score, "inference_index": d.inference_index,
            "frame_index": d.frame_index})
    if result.stats is not None:
        report.stats = asdict(result.stats)
    if features:
        report.features = result.feature_matrix()
    if logits:
        report.logits = result.logits_matrix()
    return report


def run_clips(*, model: str | Path, twin, wavs: Sequence[Path], settings: Path | None = None,
              stride: int | None = None, smoothing: dict | None = None, pad_ms: int | None = None,
              pad_mode: str = DEFAULT_PAD_MODE, convert: bool = False,
              features: bool = False, logits: bool = False, out: Path | None = None,
              timeout: float = 60.0, progress: Callable[[str], None] | None = None,
              force: bool = False, trace: bool = False, runtime: str = "aot",
              tflm_dir: Path | None = None) -> list[ClipReport]:
    """Build (or reuse) the twin firmware and stream each WAV through it in one QEMU session.

    Every WAV is read and checked (mono 16-bit PCM at the model's rate, or converted when
    `convert`) before anything is built, so a bad file fails in a second, not after a build.
    `force` overwrites generated files of the `out` project that were changed by hand.
    `trace`: each report also keeps what the device computed (`fwgen.deploy.trace`) and its
    stage-by-stage differences from the host pipeline on the same stream.
    """
    from fwgen.deploy import run_reference, stage_differences
    from fwgen.deploy.trace import deployment_timing, trace_stream
    from fwgen.device import TwinDevice

    say = progress or (lambda text: None)
    deployment = twin_deployment(model=model, twin=twin, settings=settings, stride=stride,
                                 smoothing=smoothing, runtime=runtime, tflm_dir=tflm_dir)
    rate = deployment.frontend.sample_rate
    pad, pad_ms = _pad_samples(pad_ms, rate, default_pad(deployment.frontend, deployment.n_frames))
    clips = [(Path(wav), pad_clip(_clip(Path(wav), rate, deployment.frontend.window_size,
                                        convert), pad, pad_mode)) for wav in wavs]
    elf = twin_firmware(deployment, twin, out=out, progress=say, force=force, model=model,
                        settings=settings)
    input_ms = deployment.frontend.window_samples(deployment.n_frames) * 1000 // rate
    reports = []
    say(f"starting QEMU {twin.qemu_machine}")
    with TwinDevice(elf, twin) as device:
        for path, samples in clips:
            say(f"streaming {path} ({samples.size} samples)")
            result = device.stream(samples, outputs=_outputs(features or trace, logits or trace),
                                   timeout=timeout)
            report = _report(path, twin.id, pad_ms, result, features, logits,
                             smoothing=deployment.smoothing, input_ms=input_ms)
            report.model_sha256, report.runtime = deployment.source.sha256, deployment.runtime
            if trace:
                report.trace = trace_stream(result, deployment_timing(deployment, pad_ms))
                report.differences = stage_differences(result, run_reference(samples, deployment))
            reports.append(report)
    return reports


def run_elf_clips(*, elf: Path, twin, wavs: Sequence[Path], pad_ms: int | None = None,
                  pad_mode: str = DEFAULT_PAD_MODE, convert: bool = False,
                  features: bool = False, logits: bool = False, timeout: float = 60.0,
                  progress: Callable[[str], None] | None = None,
                  trace: bool = False) -> list[ClipReport]:
    """Stream each WAV through a firmware ELF built elsewhere (no build), on `twin`.

    The ELF is checked first (fwgen.run.elf.check_twin_elf); what the clips need (sample rate,
    the model's window for the default padding) comes from the firmware's HELLO, and a HELLO
    naming another board is refused. `trace`: as run_clips, with raw scores only (the ELF's
    smoothing settings are not known) and no host comparison (nor its model).
    """
    from fwgen.deploy.trace import Timing, trace_stream
    from fwgen.device import TwinDevice
    from fwgen.run.elf import check_twin_elf

    say = progress or (lambda text: None)
    for wav in wavs:
        if not Path(wav).is_file():
            raise FwgenError("audio file not found", where=str(wav))
    check_twin_elf(Path(elf), twin)
    say(f"starting QEMU {twin.qemu_machine} on {elf}")
    reports = []
    with TwinDevice(Path(elf), twin) as device:
        hello = device.link.reset(timeout=min(timeout, 10.0))
        if hello.board != twin.id:
            raise FwgenError(f"the firmware reports board {hello.board!r}, not {twin.id}",
                             where=str(elf), hint=f"run it with --board {hello.board}")
        window = (hello.n_frames - 1) * hello.hop_samples + hello.window_samples
        pad, pad_ms = _pad_samples(pad_ms, hello.sample_rate, window // 2)
        clips = [(Path(wav), pad_clip(_clip(Path(wav), hello.sample_rate, hello.window_samples,
                                            convert), pad, pad_mode)) for wav in wavs]
        for path, samples in clips:
            say(f"streaming {path} ({samples.size} samples)")
            result = device.stream(samples, outputs=_outputs(features or trace, logits or trace),
                                   timeout=timeout)
            report = _report(path, twin.id, pad_ms, result, features, logits,
                             input_ms=window * 1000 // hello.sample_rate)
            if trace:
                report.trace = trace_stream(result, Timing(
                    report.classes, None, hello.window_samples, hello.hop_samples,
                    hello.sample_rate, pad_ms))
            reports.append(report)
    return reports
