"""Streaming a dataset: each clip padded as `fwgen run` pads it, sent through the device and
through the host pipeline (fwgen.deploy.run_reference on the same samples), scored at once."""
from __future__ import annotations

import contextlib
import logging
import time
from typing import Iterator, Sequence

from fwgen.errors import FwgenError
from fwgen.hil.dataset import LoadedClip
from fwgen.hil.score import ClipOutcome, score_clip
from fwgen.link import Output

LOG = logging.getLogger(__name__)

# Every stage comes back, so every stage is compared with the host's.
ALL_OUTPUTS = int(Output.FEATURES | Output.LOGITS | Output.DETECTIONS | Output.LOG)


def check_model(hello, deployment, description: str) -> None:
    """Refuse a device that runs another model than the one scored (HELLO's model hash)."""
    want = bytes.fromhex(deployment.source.sha256)[:8]
    if bytes(hello.model_hash) != want:
        raise FwgenError(f"the device runs model {bytes(hello.model_hash).hex()}, not "
                         f"{deployment.source.name} ({want.hex()})", where=description,
                         hint="flash the firmware built for this model (fwgen build, fwgen flash)")


def padding(deployment) -> tuple[int, int]:
    """(samples, ms) added on each side of a clip: fwgen run's default, half a window."""
    from fwgen.deploy import default_pad

    pad = default_pad(deployment.frontend, deployment.n_frames)
    return pad, pad * 1000 // deployment.frontend.sample_rate


def stream_dataset(device, clips: Sequence[LoadedClip], deployment, *, timeout: float = 60.0,
                   pad_mode: str | None = None, traces: bool = False,
                   host_lock=None) -> Iterator[ClipOutcome]:
    """Yield one ClipOutcome per clip, in order; `traces`: each keeps what the device computed
    (fwgen.deploy.trace: features, logits, smoothed scores) for the HTML report. Stop early by
    closing the generator (the device stays the caller's to close). `host_lock` (a
    threading.Lock shared by threads streaming on other devices) serialises the host pipeline:
    its C library is not known to be reentrant."""
    from fwgen.deploy import DEFAULT_PAD_MODE, pad_clip, run_reference
    from fwgen.deploy.trace import deployment_timing, trace_stream

    pad, pad_ms = padding(deployment)
    rate = deployment.frontend.sample_rate
    checked = False
    for loaded in clips:
        start = time.monotonic()
        samples = pad_clip(loaded.samples, pad, pad_mode or DEFAULT_PAD_MODE)
        result = device.stream(samples, outputs=ALL_OUTPUTS, timeout=timeout)
        if not checked:
            check_model(result.hello, deployment, device.description)
            checked = True
        with host_lock or contextlib.nullcontext():
            host = run_reference(samples, deployment)
            outcome = score_clip(loaded, result, host, deployment.classes, pad_ms=pad_ms,
                                 sample_rate=rate, samples_streamed=int(samples.size))
            if traces:
                outcome.trace = trace_stream(result, deployment_timing(deployment, pad_ms))
        outcome.wall_s = time.monotonic() - start
        LOG.info("%s: %s -> %s (%d differences)", outcome.name, outcome.label, outcome.predicted,
                 len(outcome.differences))
        yield outcome
