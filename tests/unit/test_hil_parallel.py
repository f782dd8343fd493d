"""Several devices scoring one dataset (fwgen.hil.parallel): every clip once, outcomes in dataset
order whatever order the devices finish in, the work spread over the devices, and an error on
one device raised to the caller after the others stop."""
from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

import fwgen.hil.parallel as parallel
from fwgen.errors import FwgenError
from fwgen.hil.parallel import DeviceGroup, stream_on


class FakeDevice:
    def __init__(self, name: str, delay: float, fail_after: int | None = None):
        self.name, self.delay, self.fail_after = name, delay, fail_after
        self.board = SimpleNamespace(id="mps2_an505")
        self.description = name
        self.seen: list[str] = []
        self.closed = False

    def close(self):
        self.closed = True


def fake_stream_dataset(device, clips, deployment, *, host_lock=None, **kwargs):
    assert host_lock is not None                       # one lock shared by every thread
    SEEN_LOCKS.add(id(host_lock))
    for clip in clips:
        time.sleep(device.delay * (3 if clip.name.endswith("0") else 1))   # uneven clips
        if len(device.seen) == device.fail_after:
            raise FwgenError(f"{device.name} stopped")
        device.seen.append(clip.name)
        yield SimpleNamespace(name=clip.name, device=device.name,
                              thread=threading.current_thread().name)


@pytest.fixture(autouse=True)
def fake(monkeypatch):
    monkeypatch.setattr(parallel, "stream_dataset", fake_stream_dataset)


SEEN_LOCKS: set[int] = set()
CLIPS = [SimpleNamespace(name=f"clip{i:02d}") for i in range(24)]


def test_clips_come_back_once_in_dataset_order_from_all_devices():
    devices = [FakeDevice("a", 0.002), FakeDevice("b", 0.001), FakeDevice("c", 0.003)]
    SEEN_LOCKS.clear()
    with DeviceGroup(devices) as group:
        outcomes = list(stream_on(group, CLIPS, deployment=None))
        assert group.description == "3 devices: a, b, c"
    assert [o.name for o in outcomes] == [c.name for c in CLIPS]
    assert sorted(n for d in devices for n in d.seen) == [c.name for c in CLIPS]
    assert all(d.seen for d in devices) and all(d.closed for d in devices)
    assert len({o.thread for o in outcomes}) == 3 and len(SEEN_LOCKS) == 1


def test_one_device_is_plain_stream_dataset():
    device = FakeDevice("a", 0.0)
    assert [o.name for o in stream_on(device, CLIPS[:3], deployment=None, host_lock=1)] == \
        ["clip00", "clip01", "clip02"]


def test_an_error_on_one_device_is_raised_and_stops_the_others():
    devices = [FakeDevice("a", 0.001, fail_after=2), FakeDevice("b", 0.001)]
    with pytest.raises(FwgenError, match="a stopped"):
        list(stream_on(DeviceGroup(devices), CLIPS, deployment=None))
    time.sleep(0.05)
    assert len(devices[0].seen) + len(devices[1].seen) < len(CLIPS)
