"""Twister-style hardware maps: a map as twister writes it is read (aliases resolved, twister's
extra fields kept), boards are selected by platform and connection, and every bad file, entry
or field is a FwgenError naming it."""
from __future__ import annotations

from pathlib import Path

import pytest

from fwgen.boards import get_board
from fwgen.device.hardware_map import load_hardware_map
from fwgen.errors import FwgenError

MAP = """\
- connected: true
  id: 004C00283433510F37363934
  platform: b_u585i_iot02a
  product: STLINK-V3
  runner: openocd
  serial: /dev/serial/by-id/usb-STMicroelectronics_STLINK-V3_004C0028-if02
  fixtures: [mic]
- connected: true
  id: 0670FF515055657867084838
  platform: stm32u5
  product: STLINK-V3
  runner: pyocd
  serial: /dev/ttyACM1
  probe_id: 0670FF51
  baud: 115200
- connected: false
  id: 066CFF505055
  platform: stm32h7 stm32l4
  product: STLINK-V2-1
  runner: openocd
  serial: /dev/ttyACM2
- id: twin-1
  platform: [mps2_an505]
  serial: socket://127.0.0.1:5555
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "map.yaml"
    path.write_text(text)
    return path


def test_a_twister_map_is_read(tmp_path):
    hw = load_hardware_map(write(tmp_path, MAP))
    first, second, third, twin = hw.entries
    assert first.platforms == ("b_u585i_iot02a",) and first.runner == "openocd"
    assert first.probe == "004C00283433510F37363934" and dict(first.extra) == {"fixtures": ["mic"]}
    assert second.platforms == ("b_u585i_iot02a",)           # the alias resolved
    assert (second.probe, second.baud) == ("0670FF51", 115200)
    assert third.platforms == ("nucleo_h743zi", "b_l475e_iot01a") and not third.connected
    assert twin.connected and twin.runner is None and twin.serial == "socket://127.0.0.1:5555"


@pytest.mark.parametrize("platform, board", [
    ("b_u585i_iot02a/stm32u585xx", "b_u585i_iot02a"),     # Zephyr board targets
    ("mps2/an505/cpu0", "mps2_an505"), ("mps2/an505", "mps2_an505"),
    ("nucleo_h743zi/stm32h743xx", "nucleo_h743zi"), ("STM32U5", "b_u585i_iot02a"),
])
def test_zephyr_board_targets_name_fwgen_boards(tmp_path, platform, board):
    hw = load_hardware_map(write(tmp_path, f"- {{id: a, platform: {platform}}}\n"))
    assert hw.entries[0].platforms == (board,)


def test_boards_are_selected_by_platform_and_connection(tmp_path):
    hw = load_hardware_map(write(tmp_path, MAP))
    u5 = get_board("b_u585i_iot02a")
    assert [e.serial for e in hw.select(u5)] == [hw.entries[0].serial, "/dev/ttyACM1"]
    assert hw.select(get_board("nucleo_h743zi")) == []
    assert len(hw.select(get_board("nucleo_h743zi"), connected_only=False)) == 1
    with pytest.raises(FwgenError, match="no connected nucleo_h743zi .*connected: false"):
        hw.require(get_board("nucleo_h743zi"))
    with pytest.raises(FwgenError, match="connected platforms: b_u585i_iot02a, mps2_an505"):
        hw.require(get_board("xg24_dk2601b"))


@pytest.mark.parametrize("text, message, where", [
    ("- id: a\n", "missing required field", "entry 1 (id a): platform"),
    ("- platform: stm32u5\n", "missing required field", "entry 1: id"),
    ("- {id: a, platform: stm32u5, serail: /dev/ttyACM0}\n", "unknown field 'serail'",
     "entry 1 (id a): serail"),
    ("- {id: a, platform: stm32u9}\n", "unknown board 'stm32u9'", "entry 1 (id a): platform"),
    ("- {id: a, platform: mps2/an521}\n", "unknown board 'mps2/an521'", "entry 1 (id a): platform"),
    ("- {id: a, platform: stm32u5, runner: jlink}\n", "b_u585i_iot02a has no runner 'jlink'",
     "entry 1 (id a): runner"),
    ("- {id: a, platform: stm32u5, connected: yes please}\n", "true or false",
     "entry 1 (id a): connected"),
    ("- {id: a, platform: stm32u5, baud: -3}\n", "positive", "entry 1 (id a): baud"),
    ("- {id: a, platform: stm32u5, serial: ''}\n", "non-empty", "entry 1 (id a): serial"),
    ("- {id: a, platform: [], serial: x}\n", "names no board", "entry 1 (id a): platform"),
    ("- {id: a, platform: stm32u5, serial: /dev/x}\n- {id: b, platform: stm32u5, serial: /dev/x}\n",
     "serial /dev/x is also in", "entry 2 (id b)"),
    ("- just a string\n", "must be a mapping", "entry 1"),
    ("- {id: 0670, platform: stm32u5}\n", "read as the number 440", "entry 1: id"),
    ("- {id: a, platform: stm32u5, probe_id: 066CFF}\n", None, None),
    ("- {id: a, platform: stm32u5, probe_id: 1234}\n", "read as the number 1234",
     "entry 1 (id a): probe_id"),
    ("id: a\nplatform: stm32u5\n", "a YAML list of boards", "map.yaml"),
    ("- id: [unclosed\n", "not YAML", "map.yaml:"),
])
def test_bad_maps_name_the_file_entry_and_field(tmp_path, text, message, where):
    if message is None:                                # the control: the same entry, valid
        assert load_hardware_map(write(tmp_path, text)).entries
        return
    with pytest.raises(FwgenError, match=message) as err:
        load_hardware_map(write(tmp_path, text))
    assert str(tmp_path / "map.yaml") in err.value.where and where in err.value.where


def test_a_missing_map_and_an_entry_without_serial(tmp_path):
    with pytest.raises(FwgenError, match="hardware map not found"):
        load_hardware_map(tmp_path / "nope.yaml")
    hw = load_hardware_map(write(tmp_path, "- {id: a, platform: stm32u5}\n"))
    with pytest.raises(FwgenError, match="no serial port") as err:
        hw.require(get_board("stm32u5"))
    assert err.value.where.endswith("entry 1 (id a)")
