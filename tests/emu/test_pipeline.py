"""micro_speech on every QEMU twin: device features, logits and detections equal the host
pipeline (the same C through Python) bit for bit, and yes_1000ms.wav is detected as "yes"."""
from __future__ import annotations

import numpy as np
import pytest

from fwgen import __version__
from fwgen.boards import get_board
from fwgen.deploy import stage_differences
from fwgen.device import TwinDevice
from fwgen.link import Output
from fwgen.render import abi_version

TWINS = ("mps2_an505", "mps2_an386", "mps2_an500")
ALL = int(Output.FEATURES | Output.LOGITS | Output.DETECTIONS | Output.LOG)


def stack_used(result) -> tuple[int, int]:
    """(used, size) from the firmware's "stack N/M bytes" LOG sent at END."""
    texts = [m.text for m in result.logs if m.text.startswith("stack ")]
    assert texts, "no stack report in the LOG messages"
    used, size = texts[-1].split()[1].split("/")
    return int(used), int(size)


def smallest_board_stack() -> int:
    from fwgen.boards import load_boards
    return min(b.stack_bytes for b in load_boards().values() if not b.is_emulator)


def assert_matches_reference(result, ref) -> None:
    """Device features, logits and detections equal the host pipeline bit for bit."""
    assert ref.features.shape[0] > 0 and ref.logits.shape[0] > 0
    assert stage_differences(result, ref) == []


@pytest.mark.parametrize("twin_id", TWINS)
def test_yes_clip_bit_exact(twin_id, twin_elf, clip_stream, reference, deployment):
    twin = get_board(twin_id)
    samples = clip_stream("yes")
    ref = reference("yes")
    with TwinDevice(twin_elf(twin_id), twin) as session:
        result = session.stream(samples, outputs=ALL, timeout=120)
    hello = result.hello
    assert hello.board == twin_id and hello.cycle_unit == 2 and hello.audio_source == 0
    assert hello.class_names.split("\n") == list(deployment.classes)
    assert (hello.n_frames, hello.n_channels, hello.stride_frames) == (49, 40, 1)
    assert hello.model_hash == bytes.fromhex(deployment.source.sha256)[:8]
    assert hello.abi == abi_version()
    assert (hello.fw_major, hello.fw_minor, hello.fw_patch) == \
        tuple(int(p) for p in __version__.split(".")[:3])
    assert_matches_reference(result, ref)
    names = [deployment.classes[d.class_index] for d in result.detections]
    assert names == ["yes"]
    stats = result.stats
    assert stats.audio_samples == samples.size
    assert (stats.frames, stats.inferences, stats.detections) == \
        (ref.features.shape[0], ref.logits.shape[0], 1)
    assert stats.rx_crc_errors == stats.rx_format_errors == stats.audio_lost == 0
    assert stats.cycle_unit == 2 and stats.inference_cycles > 0 and stats.frontend_cycles > 0
    assert stats.inference_cycles_max * stats.inferences >= stats.inference_cycles
    assert result.errors == []
    used, size = stack_used(result)
    # the stack the build reserved from the call graph (fwgen.project.stack) holds what ran
    assert 0 < used < size < twin.stack_bytes


def test_other_clips_on_the_m33_twin(twin_elf, clip_stream, reference, deployment):
    """no -> "no"; near-silence and noise -> nothing; all equal to the host pipeline."""
    twin = get_board("mps2_an505")
    expected = {"no": ["no"], "silence": [], "noise": []}
    with TwinDevice(twin_elf("mps2_an505"), twin) as session:
        for name, labels in expected.items():
            result = session.stream(clip_stream(name),
                                    outputs=int(Output.LOGITS | Output.DETECTIONS), timeout=120)
            ref = reference(name)
            np.testing.assert_array_equal(result.logits_matrix(), ref.logits)
            assert [deployment.classes[d.class_index] for d in result.detections] == labels
            assert [deployment.classes[e.class_index] for e in ref.detections] == labels


def test_stride_from_config_matches_reference(twin_elf, clip_stream, deployment):
    """CONFIG.stride_frames = 3 changes when inferences run; still bit-exact with the host."""
    from dataclasses import replace

    from fwgen.deploy.reference import run_reference

    samples = clip_stream("yes")
    ref = run_reference(samples, replace(deployment, stride=3))
    with TwinDevice(twin_elf("mps2_an505"), get_board("mps2_an505")) as session:
        result = session.stream(samples, outputs=ALL, timeout=120, stride_frames=3)
    assert len(result.logits) == len(ref.logit_frames) == 17
    assert_matches_reference(result, ref)


@pytest.mark.parametrize("twin_id", TWINS)
def test_twin_counts_repeat_to_the_tick(twin_id, twin_elf, clip_stream):
    """On the twins the counters count instructions (-icount shift=0) through SysTick, which
    QEMU clocks at the board's fixed 20/25 MHz: one tick is 1e9 / clock_hz instructions (50 on
    AN505, 40 on AN386/AN500). Where an interval starts relative to a tick depends on how long
    the firmware polled the UART for the host, so the same stream repeats each measured interval
    to within one tick (not to the instruction): frames, inferences and detector runs are each
    one interval."""
    twin = get_board(twin_id)
    tick = 1_000_000_000 // twin.clock_hz
    runs = []
    with TwinDevice(twin_elf(twin_id), twin) as session:
        for _ in range(2):
            runs.append(session.stream(clip_stream("yes"), outputs=int(Output.DETECTIONS),
                                       timeout=120).stats)
    a, b = runs
    assert (a.frames, a.inferences) == (b.frames, b.inferences)
    assert a.frontend_cycles > 0 and a.inference_cycles > 0 and a.detect_cycles > 0
    assert abs(a.frontend_cycles - b.frontend_cycles) <= a.frames * tick
    assert abs(a.inference_cycles - b.inference_cycles) <= a.inferences * tick
    assert abs(a.detect_cycles - b.detect_cycles) <= a.inferences * tick
    assert abs(a.inference_cycles_max - b.inference_cycles_max) <= tick
