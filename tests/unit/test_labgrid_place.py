"""What fwgen asks of labgrid once a place is acquired, without a farm: the place's debugger gets
labgrid's OpenOCDDriver with the board file's commands and the image, deactivated afterwards
(also when flashing fails, which names the image and the place); a place without a debugger or
a serial port says what it holds. (Acquiring, scoring and releasing run on loopback in
tests/emu/test_hil_labgrid.py.)"""
from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("labgrid", reason="labgrid is not installed (pip install 'fwgen[labgrid]')")

import labgrid.driver  # noqa: E402

from fwgen.boards import get_board  # noqa: E402
from fwgen.device.labgrid_place import LabgridPlace, coordinator_address, \
    openocd_load_commands  # noqa: E402
from fwgen.errors import FwgenError  # noqa: E402


class NetworkUSBDebugger:       # stand-ins named as labgrid's resource classes
    pass


class NetworkSerialPort:
    host, port = "farm-1", 5000


class FakeTarget:
    def __init__(self, *resources):
        self.resources = list(resources)
        self.active: list = []
        self.log: list = []

    def activate(self, driver):
        self.active.append(driver)
        self.log.append(("activate", type(driver).__name__))

    def deactivate(self, driver):
        self.active.remove(driver)
        self.log.append(("deactivate", type(driver).__name__))


class FakeOpenOCD:
    made: list = []
    fail = False

    def __init__(self, target, name, load_commands):
        self.target, self.name, self.load_commands = target, name, load_commands
        FakeOpenOCD.made.append(self)

    def load(self, filename):
        self.loaded = filename
        if FakeOpenOCD.fail:
            raise RuntimeError("Error: open failed")


@pytest.fixture
def place(monkeypatch):
    monkeypatch.setattr(labgrid.driver, "OpenOCDDriver", FakeOpenOCD)
    FakeOpenOCD.made, FakeOpenOCD.fail = [], False
    place = LabgridPlace("u585-1", coordinator="farm:20408")
    place.target = FakeTarget(NetworkUSBDebugger(), NetworkSerialPort())
    return place


def test_a_place_is_flashed_through_its_debugger_with_the_board_files_commands(place):
    board = get_board("stm32u5")
    assert place.has_debugger() and place.resource_classes() == ["NetworkSerialPort",
                                                                 "NetworkUSBDebugger"]
    place.flash(board, Path("build/fw.elf"))
    (driver,) = FakeOpenOCD.made
    assert driver.load_commands == openocd_load_commands(board) and driver.loaded == "build/fw.elf"
    assert place.target.log == [("activate", "FakeOpenOCD"), ("deactivate", "FakeOpenOCD")]


def test_a_failed_flash_names_image_and_place_and_deactivates_the_driver(place):
    FakeOpenOCD.fail = True
    with pytest.raises(FwgenError, match="flashing build/fw.elf through place u585-1 failed: "
                                         "Error: open failed"):
        place.flash(get_board("stm32u5"), Path("build/fw.elf"))
    assert place.target.active == []


def test_a_place_without_debugger_or_serial_port_says_what_it_holds(place):
    place.target = FakeTarget(NetworkSerialPort())
    assert not place.has_debugger()
    with pytest.raises(FwgenError, match="has no debugger to flash through .*NetworkSerialPort"):
        place.flash(get_board("stm32u5"), Path("fw.elf"))
    place.target = FakeTarget(NetworkUSBDebugger())
    with pytest.raises(FwgenError, match="u585-1 has no serial port .*NetworkUSBDebugger"):
        place.open_device(get_board("stm32u5"))


def test_the_coordinator_address(monkeypatch):
    monkeypatch.delenv("LG_COORDINATOR", raising=False)
    assert coordinator_address(None) == "127.0.0.1:20408"
    monkeypatch.setenv("LG_COORDINATOR", "farm:20408")
    assert coordinator_address(None) == "farm:20408"
    assert coordinator_address("other:1") == "other:1"
