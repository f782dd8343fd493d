"""fwgen.device: one way to reach firmware. A board's port is found by its USB VID:PID (and
serial number) or named as a pyserial URL; a twin needs an image; both stream through one
interface. The board side is played by the link's device simulator on 127.0.0.1."""
from __future__ import annotations

import pytest

from fwgen.boards import get_board
from fwgen.device import SerialDevice, TwinDevice, find_serial_port, list_board_ports, open_device
from fwgen.device import serial_port
from fwgen.device.serial_port import PortInfo
from fwgen.errors import FwgenError
from fwgen.link import Output
from fwgen.link.simulator import DeviceSimulator, serve_tcp

from test_link_transport import ALL, EnergyPipeline, _audio, _expected, _hello, _split  # noqa: E402

U585 = "b_u585i_iot02a"     # ST-LINK V3E VCP 0483:374e in its board file


def _ports(monkeypatch, *ports: PortInfo) -> None:
    monkeypatch.setattr(serial_port, "_comports", lambda: list(ports))


def _stlink(device: str, serial: str | None = "0668FF", pid: int = 0x374E) -> PortInfo:
    return PortInfo(device, 0x0483, pid, serial, "STLINK-V3")


def test_a_board_is_found_by_its_usb_id(monkeypatch):
    _ports(monkeypatch, PortInfo("/dev/ttyS0", None, None, None, "n/a"),
           _stlink("/dev/ttyACM3", pid=0x374B),            # another ST-LINK (a NUCLEO's V2-1)
           _stlink("/dev/ttyACM0"))
    assert find_serial_port(get_board(U585)) == "/dev/ttyACM0"


def test_no_port_says_what_to_plug_in(monkeypatch):
    _ports(monkeypatch, _stlink("/dev/ttyACM3", pid=0x374B))
    with pytest.raises(FwgenError) as err:
        find_serial_port(get_board(U585))
    text = str(err.value)
    assert "no serial port with b_u585i_iot02a's USB id 0483:374e" in text
    assert "--serial" in text and "plug the board in" in text


def test_two_boards_need_a_serial_number(monkeypatch):
    _ports(monkeypatch, _stlink("/dev/ttyACM0", "AAA1"), _stlink("/dev/ttyACM1", "BBB2"))
    with pytest.raises(FwgenError, match="(?s)2 serial ports .*ttyACM0 \\(serial AAA1\\).*--serial-number"):
        find_serial_port(get_board(U585))
    assert find_serial_port(get_board(U585), serial_number="bbb2") == "/dev/ttyACM1"
    assert [p.device for p in list_board_ports(get_board(U585), serial_number="AAA1")] == ["/dev/ttyACM0"]
    with pytest.raises(FwgenError, match="with serial number CCC3"):
        find_serial_port(get_board(U585), serial_number="CCC3")


def test_a_board_without_usb_bridge_needs_a_port():
    twin = get_board("mps2_an505")
    assert list_board_ports(twin) == []
    with pytest.raises(FwgenError, match="has no USB serial bridge"):
        find_serial_port(twin)


def test_a_twin_needs_an_image_and_a_board_is_no_twin(tmp_path):
    with pytest.raises(FwgenError, match="needs a firmware image"):
        open_device(get_board("mps2_an505"))
    with pytest.raises(FwgenError, match="is not an emulator twin"):
        TwinDevice(tmp_path / "firmware.elf", get_board(U585))


def test_a_board_on_a_url_streams_like_a_twin():
    """open_device with a socket:// URL: the same stream() the twins give, bit for bit what the
    simulated device computed."""
    pcm = _audio(6000, seed=5)
    device_side = DeviceSimulator(_hello(), EnergyPipeline())
    with serve_tcp(device_side) as url:
        with open_device(get_board(U585), port=url) as device:
            assert isinstance(device, SerialDevice) and device.description == url
            result = device.stream(pcm, outputs=int(ALL), timeout=5)
            again = device.stream(pcm, outputs=int(Output.DETECTIONS), timeout=5)
        assert device.link._closed
    feats, logits, dets = _split(_expected(pcm))
    assert result.hello.board == "host_sim"
    assert result.features == feats and result.logits == logits and result.detections == dets
    assert again.detections == dets and again.features == []


def test_a_missing_port_is_a_clear_error():
    with pytest.raises(FwgenError, match="cannot open serial port /dev/fwgen-no-such-port"):
        SerialDevice(get_board(U585), "/dev/fwgen-no-such-port", connect_timeout=0.1)


def test_open_device_finds_the_port_itself(monkeypatch):
    opened = {}

    class Recorder(SerialDevice):
        def __init__(self, board, port, *, baudrate=None, connect_timeout=10.0):
            opened.update(board=board.id, port=port, baudrate=baudrate)

    monkeypatch.setattr(serial_port, "SerialDevice", Recorder)
    _ports(monkeypatch, _stlink("/dev/ttyACM0", "AAA1"), _stlink("/dev/ttyACM1", "BBB2"))
    open_device(get_board("stm32u5"), serial_number="AAA1", baudrate=115200)
    assert opened == {"board": U585, "port": "/dev/ttyACM0", "baudrate": 115200}


# --- port selection from constructed port lists (by-id names, unrelated ports) ----------------

XG24 = "xg24_dk2601b"       # SEGGER J-Link OB VCOM 1366:0105


def _jlink(device: str, serial: str = "440123456", by_id: str | None = None) -> PortInfo:
    return PortInfo(device, 0x1366, 0x0105, serial, "J-Link - CDC", by_id)


def test_the_by_id_name_is_preferred_and_the_choice_says_why():
    link = "/dev/serial/by-id/usb-STMicroelectronics_STLINK-V3_0668FF-if02"
    choice = serial_port.select_board_port(get_board(U585), ports=[
        PortInfo("/dev/ttyS0", None, None, None, "n/a"),
        PortInfo("/dev/ttyACM0", 0x0483, 0x374E, "0668FF", "STLINK-V3", link)])
    assert choice.port == link and choice.info.device == "/dev/ttyACM0"
    assert "the one port with b_u585i_iot02a's USB id 0483:374e" in choice.reason
    assert "serial 0668FF" in choice.reason and "by-id name of /dev/ttyACM0" in choice.reason


def test_find_serial_port_returns_the_by_id_name(monkeypatch):
    link = "/dev/serial/by-id/usb-SEGGER_J-Link_000440123456-if00"
    _ports(monkeypatch, _jlink("/dev/ttyACM1", by_id=link))
    assert find_serial_port(get_board(XG24)) == link


def test_by_id_links_resolve_to_their_devices(tmp_path):
    (tmp_path / "dev").mkdir()
    tty = tmp_path / "dev" / "ttyACM7"
    tty.write_text("")
    folder = tmp_path / "by-id"
    folder.mkdir()
    (folder / "usb-SEGGER_J-Link_000440123456-if00").symlink_to("../dev/ttyACM7")
    assert serial_port.by_id_links(folder) == {
        str(tty.resolve()): str(folder / "usb-SEGGER_J-Link_000440123456-if00")}
    assert serial_port.by_id_links(tmp_path / "missing") == {}


def test_comports_fill_in_by_id_names(monkeypatch, tmp_path):
    from serial.tools import list_ports
    from serial.tools.list_ports_common import ListPortInfo

    tty = tmp_path / "ttyACM0"
    tty.write_text("")
    raw = ListPortInfo(str(tty), skip_link_detection=True)
    raw.vid, raw.pid, raw.serial_number, raw.description = 0x0483, 0x374E, "0668FF", "STLINK-V3"
    monkeypatch.setattr(list_ports, "comports", lambda: [raw])
    monkeypatch.setattr(serial_port, "by_id_links",
                        lambda: {str(tty.resolve()): "/dev/serial/by-id/usb-ST_0668FF-if02"})
    assert serial_port._comports() == [PortInfo(str(tty), 0x0483, 0x374E, "0668FF", "STLINK-V3",
                                                "/dev/serial/by-id/usb-ST_0668FF-if02")]


@pytest.mark.parametrize("ports,why", [
    ([PortInfo("/dev/ttyUSB0", 0x1A86, 0x7523, None, "USB2.0-Serial")], "another vendor"),
    ([_stlink("/dev/ttyACM3", pid=0x374B)],
     "another board's probe (b_l475e_iot01a, nucleo_h743zi)"),
    ([_stlink("/dev/ttyACM0", pid=0x3754)], "another product of this vendor"),
    ([PortInfo("/dev/ttyS0", None, None, None, "n/a")], None),
])
def test_an_unrelated_port_is_never_picked(ports, why):
    with pytest.raises(FwgenError) as err:
        serial_port.select_board_port(get_board(U585), ports=ports)
    text = str(err.value)
    assert text.startswith("--serial: no serial port with b_u585i_iot02a's USB id 0483:374e")
    if why:
        assert f"attached: {ports[0].device} ({ports[0].usb_id} {ports[0].description}: {why})" \
            in text
    else:
        assert "attached" not in text


def test_a_wrong_serial_number_names_the_port_it_saw():
    with pytest.raises(FwgenError, match="attached: /dev/ttyACM0 .*serial 0668FF, not AAA9"):
        serial_port.select_board_port(get_board(U585), serial_number="AAA9",
                                      ports=[_stlink("/dev/ttyACM0")])


def test_several_candidates_are_refused_by_their_by_id_names():
    a = _jlink("/dev/ttyACM0", "440000001", "/dev/serial/by-id/usb-SEGGER_J-Link_000440000001-if00")
    b = _jlink("/dev/ttyACM1", "440000002", "/dev/serial/by-id/usb-SEGGER_J-Link_000440000002-if00")
    with pytest.raises(FwgenError) as err:
        serial_port.select_board_port(get_board(XG24), ports=[a, b])
    assert "2 serial ports with xg24_dk2601b's USB id 1366:0105" in str(err.value)
    assert f"{a.by_id} (serial 440000001), {b.by_id} (serial 440000002)" in str(err.value)
    assert serial_port.select_board_port(get_board(XG24), serial_number="440000002",
                                         ports=[a, b]).port == b.by_id
