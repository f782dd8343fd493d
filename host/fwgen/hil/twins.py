"""Twins for `fwgen test --emulate`: the board's QEMU twin built once, started `jobs` times
(one QEMU each, all from the calling thread so each dies with fwgen: fwgen.process), clips
through a host file or over the emulated UART.

    device = open_twins(deployment, twin, jobs=4, audio="semihost", out=None)
    with device:                                  # a TwinDevice, or a DeviceGroup of them
        for outcome in stream_on(device, clips, deployment): ...

Why the file: the emulated UART moves 13-28 KiB/s to the guest, less than 16 kHz audio needs,
so a twin streamed over it runs at about 0.3x real time; through semihosting the same firmware
runs as fast as QEMU executes it (benchmarks/hil_twin.txt).
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Callable

from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

TWIN_AUDIO = {"semihost": "semihost", "uart": "link"}   # --twin-audio -> the build's audio source


def default_jobs() -> int:
    """One twin per core."""
    return os.cpu_count() or 1


def twin_audio_source(choice: str) -> str:
    if choice not in TWIN_AUDIO:
        raise FwgenError(f"unknown twin audio path {choice!r}", where="--twin-audio",
                         hint=f"one of {', '.join(TWIN_AUDIO)}")
    return TWIN_AUDIO[choice]


def open_twins(deployment, twin, *, jobs: int, audio: str = "semihost", out: Path | None = None,
               progress: Callable[[str], None] | None = None, icount: bool = True):
    """Build the twin firmware of `deployment` (its audio source must match `audio`) and start
    `jobs` twins: one TwinDevice, or a fwgen.hil.parallel.DeviceGroup of them. If one cannot
    start, those already started are stopped before the error goes on.

    `icount` (QEMU -icount shift=0) keeps the STATS instruction counts exact; without it they
    count host time and mean nothing. It costs no measurable speed (benchmarks/hil_twin.txt),
    so fwgen test always runs with it."""
    from fwgen.device import TwinDevice
    from fwgen.hil.parallel import DeviceGroup
    from fwgen.run import twin_firmware

    if jobs < 1:
        raise FwgenError(f"must be 1 or more, got {jobs}", where="--jobs")
    if deployment.options.audio_source != twin_audio_source(audio):
        raise FwgenError(f"the deployment's audio source is {deployment.options.audio_source}, "
                         f"not {twin_audio_source(audio)} as --twin-audio {audio} needs")
    elf = twin_firmware(deployment, twin, out=out, progress=progress)
    devices = []
    try:
        for _ in range(jobs):
            devices.append(TwinDevice(elf, twin, audio_file=audio == "semihost", icount=icount))
    except BaseException:
        for device in devices:
            device.close()
        raise
    LOG.info("%d %s twin(s) running %s", jobs, twin.id, elf)
    return devices[0] if jobs == 1 else DeviceGroup(devices)
