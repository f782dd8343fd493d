"""Scoring one dataset on several devices at once (the connected boards of a hardware map, or
several twins): each device streams in its own thread, taking the next clip when it is free
(so a long negative stream on one board does not hold up the others), and outcomes come back
in dataset order, as from `stream_dataset` on one device. The host pipeline runs one clip at a
time (a lock): devices stream in parallel, the host's C library is not shared between threads.

    group = DeviceGroup([SerialDevice(board, "/dev/ttyACM0"), SerialDevice(board, "/dev/ttyACM1")])
    with group:
        for outcome in stream_on(group, clips, deployment, timeout=60): ...

`stream_on` takes a single device too (then it is `stream_dataset`).
"""
from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Iterator, Sequence

from fwgen.hil.dataset import LoadedClip
from fwgen.hil.score import ClipOutcome
from fwgen.hil.session import stream_dataset

LOG = logging.getLogger(__name__)


class DeviceGroup:
    """Devices that score one dataset together; close() closes every one (the first error
    raised after all are closed)."""

    def __init__(self, devices: Sequence[Any]):
        if not devices:
            raise ValueError("a device group needs at least one device")
        self.devices = list(devices)
        self.board = self.devices[0].board

    @property
    def description(self) -> str:
        return f"{len(self.devices)} devices: " + ", ".join(d.description for d in self.devices)

    def close(self) -> None:
        error = None
        for device in self.devices:
            try:
                device.close()
            except Exception as exc:     # close the others first
                error = error or exc
        if error is not None:
            raise error

    def __enter__(self) -> "DeviceGroup":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _worker(device, clips: Sequence[LoadedClip], todo: "queue.Queue[int]", done: queue.Queue,
            stop: threading.Event, kwargs: dict) -> None:
    while not stop.is_set():
        try:
            index = todo.get_nowait()
        except queue.Empty:
            return
        try:
            outcome = next(stream_dataset(device, [clips[index]], **kwargs))
        except BaseException as exc:          # reported by the consumer, in its thread
            done.put((index, None, exc))
            return
        done.put((index, outcome, None))


def stream_on(device, clips: Sequence[LoadedClip], deployment, **kwargs) -> Iterator[ClipOutcome]:
    """`stream_dataset` on one device, or on every device of a DeviceGroup in parallel; yields
    in dataset order. An error on any device stops the others after their current clip and is
    raised here; closing the generator does the same (the devices stay the caller's to close)."""
    if not isinstance(device, DeviceGroup):
        yield from stream_dataset(device, clips, deployment, **kwargs)
        return
    todo: queue.Queue[int] = queue.Queue()
    for index in range(len(clips)):
        todo.put(index)
    done: queue.Queue = queue.Queue()
    stop = threading.Event()
    kwargs = dict(kwargs, deployment=deployment, host_lock=threading.Lock())
    threads = [threading.Thread(target=_worker, args=(d, clips, todo, done, stop, kwargs),
                                name=f"fwgen-test-{n}", daemon=True)
               for n, d in enumerate(device.devices)]
    for thread in threads:
        thread.start()
    pending: dict[int, ClipOutcome] = {}
    next_index = 0
    try:
        while next_index < len(clips):
            if not any(t.is_alive() for t in threads) and done.empty():
                break                          # every worker ended (all clips taken)
            try:
                index, outcome, error = done.get(timeout=0.2)
            except queue.Empty:
                continue
            if error is not None:
                raise error
            pending[index] = outcome
            while next_index in pending:
                yield pending.pop(next_index)
                next_index += 1
    finally:
        stop.set()
