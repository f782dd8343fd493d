"""A log-mel model (zoo yamnet_256: float32 log-mel frontend, 96 x 64 patches every 48 frames)
through the firmware app on the M33 twin and on the M4F twin of the STM32L475 (where it fits
only across both RAM banks, tests/compile/test_build.py): int8 features, logits and detections
equal the host."""
from __future__ import annotations

import numpy as np
import pytest

from fwgen.boards import get_board
from fwgen.deploy import DeployOptions, default_pad, pad_clip, prepare, run_reference
from fwgen.device import TwinDevice
from fwgen.link import read_wav
from fwgen.project.build import build_firmware
from fwgen.zoo import get_model, resolve_model

from test_pipeline import ALL, assert_matches_reference, smallest_board_stack, stack_used  # noqa: E402


@pytest.mark.parametrize("twin_id", ["mps2_an505", "mps2_an386"])
def test_yamnet_256_bit_exact_on_the_twins(twin_id, shared_data, tmp_path):
    if not get_model("yamnet_256").has_weights:
        pytest.skip("zoo model yamnet_256 has no trained weights in this checkout")
    deployment = prepare(resolve_model("yamnet_256"), DeployOptions())
    assert deployment.frontend.kind == "logmel" and deployment.stride == 48
    twin = get_board(twin_id)
    firmware = build_firmware(deployment, twin, tmp_path / "p", include_twin=False,
                              envs=(twin.id,))
    assert firmware.sizes[twin.id].bytes_of("arena") >= deployment.compiled.arena_bytes
    samples, rate = read_wav(shared_data / "micro_speech" / "noise_1000ms.wav")
    stream = pad_clip(samples, default_pad(deployment.frontend, deployment.n_frames))
    ref = run_reference(stream, deployment)
    assert ref.features.dtype == np.int8 and ref.logits.shape[0] == 3
    with TwinDevice(firmware.elf(twin.id), twin) as session:
        result = session.stream(stream, outputs=ALL, timeout=300)
    assert result.hello.feature_dtype == 1 and result.hello.stride_frames == 48
    assert_matches_reference(result, ref)
    assert result.stats.inferences == 3 and result.errors == []
    used, _ = stack_used(result)
    assert 0 < used < smallest_board_stack()
