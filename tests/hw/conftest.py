"""Hardware tier fixtures: the board under test, its serial link, the build it was flashed with
and the host reference the device must equal bit for bit.

Configured by environment (tests/conftest.py skips this folder unless FWGEN_HW_BOARD is set):

- FWGEN_HW_BOARD: board id or alias (`fwgen boards`), e.g. b_u585i_iot02a or stm32u5.
- FWGEN_HW_SERIAL: serial device or pyserial URL (/dev/ttyACM0, socket://127.0.0.1:5555,
  rfc2217://...). Without it the one port with the board's USB VID:PID is used.
- FWGEN_HW_MODEL: the model the board was flashed with (default micro_speech), as given to
  `fwgen build --model`.
"""
from __future__ import annotations

import os

import pytest

from fwgen.boards import Board, get_board
from fwgen.deploy import (DeployOptions, Deployment, ReferenceResult, default_pad, pad_clip,
                          prepare, run_reference)
from fwgen.device import SerialDevice, find_serial_port
from fwgen.errors import FwgenError
from fwgen.link import read_wav
from fwgen.zoo import resolve_model


@pytest.fixture(scope="session")
def hw_board() -> Board:
    return get_board(os.environ["FWGEN_HW_BOARD"])


def _serial_url(board: Board) -> str:
    url = os.environ.get("FWGEN_HW_SERIAL")
    if url:
        return url
    try:
        return find_serial_port(board)          # the one port with the board's USB VID:PID
    except FwgenError as exc:
        pytest.fail(f"{exc}; set FWGEN_HW_SERIAL")


@pytest.fixture(scope="session")
def hw_deployment() -> Deployment:
    """What `fwgen build --model $FWGEN_HW_MODEL --board $FWGEN_HW_BOARD` put on the board."""
    return prepare(resolve_model(os.environ.get("FWGEN_HW_MODEL", "micro_speech")), DeployOptions())


@pytest.fixture()
def hw_link(hw_board):
    """The board's link, its stream RESET (the board keeps running between tests)."""
    device = SerialDevice(hw_board, _serial_url(hw_board), connect_timeout=10.0)
    try:
        yield device.link
    finally:
        device.close()


@pytest.fixture(scope="session")
def hw_clip(shared_data, hw_deployment):
    """A reference clip as `fwgen run` streams it (padded by half a window on each side) and the
    host pipeline's result for that stream."""
    cache: dict[str, tuple] = {}

    def get(name: str) -> tuple:
        if name not in cache:
            d = hw_deployment
            samples, rate = read_wav(shared_data / "micro_speech" / f"{name}_1000ms.wav")
            assert rate == d.frontend.sample_rate
            stream = pad_clip(samples, default_pad(d.frontend, d.n_frames), "reflect")
            ref: ReferenceResult = run_reference(stream, d)
            cache[name] = (stream, ref)
        return cache[name]
    return get
