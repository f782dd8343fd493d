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
from fwgen.link import Link, read_wav
from fwgen.project.build import BuildOptions, Deployment, prepare, resolve_model
from fwgen.project.reference import ReferenceResult, run_reference
from fwgen.runners.session import default_pad, pad_clip


@pytest.fixture(scope="session")
def hw_board() -> Board:
    return get_board(os.environ["FWGEN_HW_BOARD"])


def _serial_url(board: Board) -> str:
    url = os.environ.get("FWGEN_HW_SERIAL")
    if url:
        return url
    if board.usb is None:
        pytest.fail(f"{board.id} has no USB serial bridge to look for: set FWGEN_HW_SERIAL")
    from serial.tools import list_ports

    found = [p.device for p in list_ports.comports() if (p.vid, p.pid) == (board.usb.vid, board.usb.pid)]
    if len(found) != 1:
        pytest.fail(f"found {len(found)} serial ports with {board.id}'s USB id "
                    f"{board.usb.vid:04x}:{board.usb.pid:04x} ({board.usb.description}): "
                    f"{', '.join(found) or 'none'}; set FWGEN_HW_SERIAL")
    return found[0]


@pytest.fixture(scope="session")
def hw_deployment() -> Deployment:
    """What `fwgen build --model $FWGEN_HW_MODEL --board $FWGEN_HW_BOARD` put on the board."""
    return prepare(resolve_model(os.environ.get("FWGEN_HW_MODEL", "micro_speech")), BuildOptions())


@pytest.fixture()
def hw_link(hw_board):
    """The board's link, its stream RESET (the board keeps running between tests)."""
    link = Link.open(_serial_url(hw_board), baudrate=hw_board.uart.baud, connect_timeout=10.0)
    try:
        yield link
    finally:
        link.close()


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
            ref: ReferenceResult = run_reference(stream, d.frontend, d.compiled, d.classes,
                                                 d.smoothing, d.stride)
            cache[name] = (stream, ref)
        return cache[name]
    return get
