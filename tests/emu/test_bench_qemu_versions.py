"""fwgen bench's counting plugin on another QEMU release counts what it counts on the default one.

Runs only when $FWGEN_QEMU_SYSTEM_ARM names a second qemu-system-arm (e.g. Debian 13's 10.0,
plugin API 2, or Debian unstable's 11.1, API 7, unpacked beside Debian 12's 7.2, API 1). On each twin (M33, M4F, M7) the same
bench ELF of micro_speech runs on the default QEMU (PATH's) and on the named one, each under the plugin built for its API, and
every marked region (the frontend, the invoke, each op) must hold the same instructions and
every region the same entries. The clip comes from a host file over semihosting (the "semihost"
audio source), so no UART interrupt lands at a host-timed point inside a region: the counts are
repeatable, and equal counts mean equal counting, not luck. Region 0 (boot, waiting for the
link) is left out of the instruction comparison: how long the firmware polls for the host's
messages depends on the host.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from fwgen.bench.measure import bench_deployment, synthetic_clip
from fwgen.bench.ops import regions
from fwgen.bench.plugin import build_plugin, check_qemu, find_marks, plugin_args, read_counts
from fwgen.boards import get_board
from fwgen.deploy import DeployOptions, prepare
from fwgen.device import TwinDevice
from fwgen.link import Output
from fwgen.project.build import build_firmware
from fwgen.runners.core import program_path
from fwgen.runners.qemu import PROGRAM, PROGRAM_ENV, qemu_version
from fwgen.zoo import resolve_model

OTHER = os.environ.get(PROGRAM_ENV)
INFERENCES = 3
TWINS = ("mps2_an505", "mps2_an386", "mps2_an500")

pytestmark = pytest.mark.skipif(
    not OTHER, reason=f"set {PROGRAM_ENV} to a second qemu-system-arm (another QEMU release) to "
                      f"compare its instruction counts with those of the one on PATH")


@pytest.fixture(scope="module", params=TWINS)
def bench_build(request, tmp_path_factory):
    twin = get_board(request.param)
    deployment = prepare(resolve_model("micro_speech"), DeployOptions(audio_source="semihost"))
    out = tmp_path_factory.mktemp("bench-qemu-versions")
    firmware = build_firmware(bench_deployment(deployment), twin, out, include_twin=False,
                              envs=(twin.id,))
    frames = deployment.n_frames + (INFERENCES - 1) * deployment.stride
    samples = synthetic_clip(deployment.frontend.window_samples(frames))
    return twin, firmware.elf(twin.id), samples


def _run(bench_build, program: str | None, out: Path, monkeypatch):
    """(QEMU version, plugin API, counts, stream result) of the bench ELF on `program`
    (None: the default QEMU)."""
    twin, elf, samples = bench_build
    with monkeypatch.context() as env:
        if program is None:
            env.delenv(PROGRAM_ENV, raising=False)
        else:
            env.setenv(PROGRAM_ENV, program)
        version, api = qemu_version(), check_qemu()
        args = plugin_args(build_plugin(api), find_marks(elf), out)
        with TwinDevice(elf, twin, qemu_args=tuple(args), audio_file=True) as device:
            result = device.stream(samples, outputs=int(Output.DETECTIONS | Output.LOG),
                                   timeout=120)
    return version, api, read_counts(out), result


def test_another_qemu_counts_every_region_as_the_default_one(bench_build, tmp_path, monkeypatch):
    if program_path(PROGRAM) and Path(program_path(PROGRAM)).resolve() == \
            Path(program_path(OTHER) or OTHER).resolve():
        pytest.skip(f"{PROGRAM_ENV} names the default qemu-system-arm: nothing to compare")
    default = _run(bench_build, None, tmp_path / "default.txt", monkeypatch)
    other = _run(bench_build, OTHER, tmp_path / "other.txt", monkeypatch)
    (v1, api1, counts1, result1), (v2, api2, counts2, result2) = default, other
    print(f"{bench_build[0].id}: default QEMU {v1} (plugin API {api1}), {OTHER}: QEMU {v2} "
          f"(plugin API {api2})")
    assert not result1.errors and not result2.errors
    r = regions()
    invokes = counts1.entered(r["INVOKE"])
    assert invokes == result1.stats.inferences == INFERENCES
    marked = sorted((set(counts1.instructions) | set(counts2.instructions)) - {0})
    assert marked[0] == 1 and len(marked) > r["OP0"]      # the frontend, the invoke, the ops
    assert {i: counts2.of(i) for i in marked} == {i: counts1.of(i) for i in marked}
    assert counts2.entries == counts1.entries
    assert all(counts1.of(i) > 0 for i in marked)
    # what the firmware computed is the same too
    assert result2.detections == result1.detections
