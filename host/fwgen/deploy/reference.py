"""The host pipeline: what the firmware app computes, stage by stage, from the same C.

`run_reference()` mirrors firmware/app/pipeline.c exactly (see pipeline.h): the C frontend
(through the deployment's `FrontendSpec`), the window and stride rule, the int8 conversion over
the whole window, the runtime's inference built for the host (`Runtime.host`) and the C detector
(`fwgen.detect.NativeDetector`). Device results from QEMU or a board must equal it bit for bit.

Public API::

    run_reference(samples, deployment) -> ReferenceResult
    inference_frames(n_frames_total, window_frames, stride) -> list[int]
    frame_time_ms(frame_index, window_size, window_step, sample_rate) -> int
    stage_differences(device_result, reference) -> list[str]   # [] when bit-exact
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    inference_index: int
    frame_index: int
    time_ms: int
    class_index: int
    score: int


@dataclass
class ReferenceResult:
    features: np.ndarray                    # (frames, channels): uint16 (microfrontend) or
                                            # int8 (log-mel, quantized to the model input)
    logits: np.ndarray                      # (inferences, classes) int8
    logit_frames: list[int] = field(default_factory=list)   # newest frame of each inference
    detections: list[Event] = field(default_factory=list)


def inference_frames(n_frames_total: int, window_frames: int, stride: int) -> list[int]:
    """Frame indices after which the app runs an inference."""
    if stride < 1:
        raise FwgenError(f"stride must be >= 1 frame, got {stride}", where="--stride")
    return [f for f in range(window_frames - 1, n_frames_total)
            if (f + 1 - window_frames) % stride == 0]


def frame_time_ms(frame_index: int, window_size: int, window_step: int, sample_rate: int) -> int:
    """Stream time of the end of a frame, ms (integer division, as the firmware)."""
    return ((frame_index * window_step + window_size) * 1000) // sample_rate


def run_reference(samples: np.ndarray, deployment) -> ReferenceResult:
    """Run one stream through the host build of the firmware's C, as the app does.

    `deployment` is a `fwgen.deploy.Deployment` (its frontend, inference, classes, smoothing
    and stride are the firmware's).
    """
    from fwgen.detect import NativeDetector
    from fwgen.runtime import get_runtime

    pcm = np.asarray(samples)
    if pcm.ndim != 1 or pcm.dtype != np.int16:
        raise FwgenError(f"audio must be mono int16 samples, got {pcm.dtype} shape {pcm.shape}")
    frontend, compiled, classes = deployment.frontend, deployment.compiled, deployment.classes
    quantization = deployment.input_quantization
    window_frames = int(np.prod(compiled.input.shape)) // frontend.n_channels
    features = frontend.link_features(pcm, quantization)
    detector = NativeDetector(classes, deployment.smoothing)
    model = get_runtime(deployment.runtime).host(compiled)
    logits: list[np.ndarray] = []
    result = ReferenceResult(features=features, logits=np.zeros((0, len(classes)), np.int8))
    for index, f in enumerate(inference_frames(features.shape[0], window_frames, deployment.stride)):
        window = features[f + 1 - window_frames:f + 1]
        model_in = np.ascontiguousarray(frontend.model_input(window, quantization))
        out = np.asarray(model.run(model_in.reshape(compiled.input.shape))[0]).reshape(-1)
        out = out.astype(np.int8)
        logits.append(out)
        result.logit_frames.append(f)
        t = frame_time_ms(f, frontend.window_size, frontend.window_step, frontend.sample_rate)
        r = detector.process(out, t)
        if r.is_new:
            result.detections.append(Event(index, f, t, r.class_index, r.score))
    if logits:
        result.logits = np.stack(logits)
    return result


def _first_mismatch(device: np.ndarray, host: np.ndarray) -> str:
    if device.shape != host.shape:
        return f"shape {device.shape} != host {host.shape}"
    if device.dtype != host.dtype:
        return f"dtype {device.dtype} != host {host.dtype}"
    where = np.argwhere(device != host)
    if where.size == 0:
        return ""
    first = tuple(int(i) for i in where[0])
    return (f"{len(where)} values differ, first at {first}: device {device[first]} "
            f"!= host {host[first]}")


def stage_differences(device, ref: ReferenceResult) -> list[str]:
    """How a device stream differs from the host reference, stage by stage; [] when bit-exact.

    `device` is a `fwgen.link.StreamResult` (from QEMU or a board) that carried FEATURES, LOGITS
    and DETECTIONS. Checked: every feature frame once, in order, equal to the host's; every
    inference at the host's frames with equal logits; the same detections (inference, frame,
    time, class, score).
    """
    problems = []
    frames = sorted(f.frame_index for f in device.features)
    if frames != list(range(ref.features.shape[0])):
        problems.append(f"features: device sent frames {frames[:3]}..{frames[-3:]} "
                        f"({len(frames)}), host has {ref.features.shape[0]}")
    else:
        diff = _first_mismatch(device.feature_matrix(), ref.features)
        if diff:
            problems.append(f"features: {diff}")
    logit_frames = [m.frame_index for m in sorted(device.logits, key=lambda m: m.inference_index)]
    if logit_frames != ref.logit_frames:
        problems.append(f"logits: inferences after frames {logit_frames}, host {ref.logit_frames}")
    else:
        diff = _first_mismatch(device.logits_matrix(), ref.logits)
        if diff:
            problems.append(f"logits: {diff}")
    got = [(d.inference_index, d.frame_index, d.time_ms, d.class_index, d.score)
           for d in device.detections]
    want = [(e.inference_index, e.frame_index, e.time_ms, e.class_index, e.score)
            for e in ref.detections]
    if got != want:
        problems.append(f"detections (inference, frame, ms, class, score): device {got}, host {want}")
    return problems
