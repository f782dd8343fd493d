"""Hardware tier fixtures: the board under test flashed with the firmware fwgen builds, its
serial link, and the host reference the device must equal bit for bit.

Before the first test the tier builds the firmware with fwgen's build path (as
`fwgen build --model $FWGEN_HW_MODEL --board $FWGEN_HW_BOARD` does, into
build/<model>-<board>/) and flashes it with fwgen's flash library (the board's default runner,
as `fwgen flash` does); on an emulator twin "flashing" starts QEMU in the background and the
tests talk to its UART. So a person with a board runs only

    FWGEN_HW_BOARD=b_u585i_iot02a ./tools/test.sh

Configured by environment (tests/conftest.py skips this folder unless FWGEN_HW_BOARD is set):

- FWGEN_HW_BOARD: board id or alias (`fwgen boards`), e.g. b_u585i_iot02a or stm32u5.
- FWGEN_HW_MODEL: the model to build and flash (default micro_speech), as `fwgen build --model`.
- FWGEN_HW_NO_FLASH=1: the board already runs that build; neither build nor flash.
- FWGEN_HW_RUNNER: another of the board's runners (`fwgen flash --runner`); FWGEN_HW_PROBE: the
  debug probe's serial number (`--probe`); FWGEN_HW_PACK: a CMSIS pack for pyocd (`--pack`).
- FWGEN_HW_SERIAL: serial device or pyserial URL (/dev/ttyACM0, socket://127.0.0.1:5555,
  rfc2217://...). Without it: the twin's UART, or the one port with the board's USB VID:PID
  (fwgen monitor's port selection).
- FWGEN_HW_MAP: a twister-style hardware map, the file `fwgen test --hardware-map` reads: the
  first connected entry of FWGEN_HW_BOARD gives the serial port, the runner and the probe
  (FWGEN_HW_SERIAL, FWGEN_HW_RUNNER and FWGEN_HW_PROBE still win).
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from fwgen.boards import Board, get_board
from fwgen.deploy import (DeployOptions, Deployment, ReferenceResult, default_pad, pad_clip,
                          prepare, run_reference)
from fwgen.device import SerialDevice
from fwgen.device.hardware_map import HardwareEntry, load_hardware_map
from fwgen.device.serial_port import select_board_port
from fwgen.device.twin_state import running_twin, stop_twin
from fwgen.errors import FwgenError
from fwgen.link import read_wav
from fwgen.native import repo_root
from fwgen.zoo import resolve_model


@pytest.fixture(scope="session")
def hw_board() -> Board:
    return get_board(os.environ["FWGEN_HW_BOARD"])


@pytest.fixture(scope="session")
def hw_map_entry(hw_board) -> HardwareEntry | None:
    """The board's first connected entry in $FWGEN_HW_MAP (None without a map)."""
    path = os.environ.get("FWGEN_HW_MAP")
    if not path:
        return None
    try:
        return load_hardware_map(Path(path)).require(hw_board, need_serial=False)[0]
    except FwgenError as exc:
        pytest.fail(f"FWGEN_HW_MAP: {exc}", pytrace=False)


def _serial_url(board: Board, entry: HardwareEntry | None = None) -> str:
    url = os.environ.get("FWGEN_HW_SERIAL") or (entry.serial if entry else None)
    if url:
        return url
    if board.is_emulator:
        url = running_twin(board)               # the twin the tier flashed (started)
        if url is None:
            pytest.fail(f"no {board.id} twin is running: flash it (leave out FWGEN_HW_NO_FLASH) "
                        f"or set FWGEN_HW_SERIAL")
        return url
    try:
        return select_board_port(board).port    # the one port with the board's USB VID:PID
    except FwgenError as exc:
        pytest.fail(f"{exc}; set FWGEN_HW_SERIAL")


@pytest.fixture(scope="session")
def hw_deployment() -> Deployment:
    """What `fwgen build --model $FWGEN_HW_MODEL --board $FWGEN_HW_BOARD` put on the board."""
    return prepare(resolve_model(os.environ.get("FWGEN_HW_MODEL", "micro_speech")), DeployOptions())


@pytest.fixture(scope="session", autouse=True)
def hw_flashed(hw_board, hw_deployment, hw_map_entry):
    """Build the firmware and flash it onto the board once, before the tier (unless
    FWGEN_HW_NO_FLASH=1); a twin started for the tier is stopped after it."""
    if os.environ.get("FWGEN_HW_NO_FLASH") == "1":
        yield None
        return
    from fwgen.flash import find_image, flash_board, make_runner
    from fwgen.project.build import build_firmware

    out = repo_root() / "build" / f"{hw_deployment.source.name}-{hw_board.id}"
    try:
        build_firmware(hw_deployment, hw_board, out, include_twin=False, envs=(hw_board.id,))
        entry = hw_map_entry
        probe = entry.probe if entry and not hw_board.is_emulator else None   # twins: none
        options = argparse.Namespace(probe=os.environ.get("FWGEN_HW_PROBE") or probe,
                                     pack=os.environ.get("FWGEN_HW_PACK"), dry_run=False,
                                     timeout=None)
        runner = make_runner(hw_board, os.environ.get("FWGEN_HW_RUNNER") or
                             (entry.runner if entry else None), options)
        result = flash_board(runner, find_image(hw_board, out))
    except FwgenError as exc:
        pytest.fail(f"could not build and flash {hw_board.id}: {exc}", pytrace=False)
    try:
        yield result
    finally:
        if result.twin is not None:
            stop_twin(hw_board)


@pytest.fixture()
def hw_link(hw_board, hw_map_entry):
    """The board's link, its stream RESET (the board keeps running between tests)."""
    device = SerialDevice(hw_board, _serial_url(hw_board, hw_map_entry),
                          baudrate=hw_map_entry.baud if hw_map_entry else None, connect_timeout=10.0)
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
            stream = pad_clip(samples, default_pad(d.frontend, d.n_frames))   # fwgen run's default
            ref: ReferenceResult = run_reference(stream, d)
            cache[name] = (stream, ref)
        return cache[name]
    return get
