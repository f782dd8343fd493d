"""Board files: every shipped board validates; mistakes are reported with file and field."""
from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
import yaml

import fwgen.boards
from fwgen.boards import get_board, load_boards, parse_board, twin_of
from fwgen.errors import FwgenError
from fwgen.runners import get_runner, runner_names

BOARD_FILES = sorted((Path(__file__).resolve().parents[2] / "boards").glob("*.yaml"))

EXPECTED = {
    # id: (core, fpu, MHz, flash, ram, twin, pio board)
    "b_u585i_iot02a": ("cortex-m33", "fpv5-sp-d16", 160, 0x200000, 0xC0000, "mps2_an505", "disco_b_u585i_iot02a"),
    "b_l475e_iot01a": ("cortex-m4", "fpv4-sp-d16", 80, 0x100000, 0x20000, "mps2_an386", "disco_l475vg_iot01a"),
    "nucleo_h743zi": ("cortex-m7", "fpv5-d16", 480, 0x200000, 0x80000, "mps2_an500", "nucleo_h743zi"),
    "xg24_dk2601b": ("cortex-m33", "fpv5-sp-d16", 78, 0x180000, 0x40000, "mps2_an505", "fwgen_xg24_dk2601b"),
    "mps2_an505": ("cortex-m33", "fpv5-sp-d16", 20, 0x400000, 0x400000, None, "fwgen_mps2_an505"),
    "mps2_an386": ("cortex-m4", "fpv4-sp-d16", 25, 0x400000, 0x400000, None, "fwgen_mps2_an386"),
    "mps2_an500": ("cortex-m7", "fpv5-d16", 25, 0x400000, 0x400000, None, "fwgen_mps2_an500"),
}


def test_all_boards_load():
    boards = load_boards()
    assert sorted(boards) == sorted(EXPECTED)
    for board_id, (core, fpu, mhz, flash, ram, twin, pio) in EXPECTED.items():
        b = boards[board_id]
        assert (b.core, b.fpu, b.clock_hz // 1_000_000) == (core, fpu, mhz)
        assert (b.memory.flash.length, b.memory.ram.length) == (flash, ram)
        assert b.twin == twin and b.platformio_board == pio
        if twin:
            assert twin_of(b).core == b.core and twin_of(b).fpu == b.fpu


@pytest.mark.parametrize("alias,board_id", [
    ("stm32u5", "b_u585i_iot02a"), ("stm32l4", "b_l475e_iot01a"), ("stm32h7", "nucleo_h743zi"),
    ("efr32xg24", "xg24_dk2601b"), ("STM32U5", "b_u585i_iot02a"), ("mps2_an505", "mps2_an505")])
def test_aliases(alias, board_id):
    assert get_board(alias).id == board_id


def test_unknown_board_lists_known_names():
    with pytest.raises(FwgenError) as err:
        get_board("stm32f4")
    assert "stm32u5" in str(err.value) and "--board" in str(err.value)


def test_usb_ids_and_runners():
    b = get_board("stm32u5")
    assert str(b.usb) == "0483:374e"
    assert b.runners.default in b.runners.names()
    assert get_board("efr32xg24").usb.vid == 0x1366
    assert get_board("mps2_an386").qemu_machine == "mps2-an386"
    assert get_board("nucleo_h743zi").microphone is None
    assert get_board("b_l475e_iot01a").microphone.peripheral == "DFSDM1"


def test_gcc_flags_follow_the_core():
    assert get_board("stm32h7").gcc_cpu_flags() == [
        "-mthumb", "-mcpu=cortex-m7", "-mfpu=fpv5-d16", "-mfloat-abi=hard"]


def _broken(tmp_path: Path, board: str, edit) -> Path:
    src = Path(__file__).resolve().parents[2] / "boards" / f"{board}.yaml"
    data = yaml.safe_load(src.read_text())
    edit(data)
    out = tmp_path / f"{data.get('id', board)}.yaml"
    out.write_text(yaml.safe_dump(data))
    return out


@pytest.mark.parametrize("edit,field,message", [
    (lambda d: d.pop("clock_hz"), "clock_hz", "missing required field"),
    (lambda d: d.update(core="cortex-m3"), "core", "unknown core"),
    (lambda d: d.update(fpu="fpv5-d16"), "fpu", "has no FPU"),
    (lambda d: d["memory"]["ram"].update(length="big"), "memory.ram.length", "expected an integer"),
    (lambda d: d["memory"]["extra"].append({"name": "x", "origin": 0x20000100, "length": 16}),
     "memory", "overlap"),
    (lambda d: d.update(colour="blue"), "", "unknown field(s): colour"),
    (lambda d: d["usb"].update(pid=0x12345), "usb", "16-bit"),
    (lambda d: d["runners"].update(default="jlink"), "runners.default", "has no entry"),
    (lambda d: d["runners"].update(teleport={}), "runners.teleport", "unknown runner"),
    (lambda d: d["microphone"].update(kind="analog"), "microphone.kind", "unknown microphone kind"),
])
def test_validation_names_file_and_field(tmp_path, edit, field, message):
    path = _broken(tmp_path, "b_u585i_iot02a", edit)
    with pytest.raises(FwgenError) as err:
        parse_board(path)
    text = str(err.value)
    assert str(path) in text and message in text
    if field:
        assert f": {field}" in text


def test_unknown_runner_lists_the_registered_ones(tmp_path):
    path = _broken(tmp_path, "b_u585i_iot02a", lambda d: d["runners"].update(teleport={}))
    with pytest.raises(FwgenError) as err:
        parse_board(path)
    assert f"one of {', '.join(runner_names())}" in str(err.value)
    assert not hasattr(fwgen.boards, "RUNNER_NAMES")   # the names come from the registry


@pytest.mark.parametrize("path", BOARD_FILES, ids=lambda p: p.stem)
def test_every_runner_parses_into_its_typed_record(path):
    """Each runner a board names becomes that runner's `Args` record, equal to the YAML."""
    board = parse_board(path)
    data = yaml.safe_load(path.read_text())["runners"]
    assert board.runners.names() == tuple(sorted(k for k in data if k != "default"))
    for name in board.runners.names():
        record = board.runners.get(name)
        assert type(record) is get_runner(name).Args
        given = data[name] or {}
        for field, value in given.items():
            assert getattr(record, field) == (tuple(value) if isinstance(value, list) else value)
        # nothing beyond the YAML except declared defaults
        for field in set(dataclasses.asdict(record)) - set(given):
            assert getattr(record, field) == next(
                f.default for f in dataclasses.fields(record) if f.name == field)


@pytest.mark.parametrize("board,edit,field,message", [
    ("mps2_an505", lambda d: d["runners"]["qemu"].pop("machine"), "runners.qemu.machine",
     "missing required field"),
    ("b_u585i_iot02a", lambda d: d["runners"]["pyocd"].pop("target"), "runners.pyocd.target",
     "missing required field"),
    ("b_u585i_iot02a", lambda d: d["runners"]["pyocd"].update(colour="blue"), "runners.pyocd",
     "unknown field(s): colour"),
    ("b_l475e_iot01a", lambda d: d["runners"].update(stflash={"serial": "x"}), "runners.stflash",
     "unknown field(s): serial"),
    ("xg24_dk2601b", lambda d: d["runners"]["jlink"].update(speed="fast"), "runners.jlink.speed",
     "expected an integer"),
    ("xg24_dk2601b", lambda d: d["runners"]["jlink"].update(speed=True), "runners.jlink.speed",
     "expected an integer"),
    ("b_u585i_iot02a", lambda d: d["runners"]["pyocd"].update(pack_required="yes"),
     "runners.pyocd.pack_required", "expected true or false"),
    ("b_u585i_iot02a", lambda d: d["runners"]["openocd"].update(config="target/stm32u5x.cfg"),
     "runners.openocd.config", "expected a list of non-empty strings"),
    ("xg24_dk2601b", lambda d: d["runners"]["commander"].update(device=""),
     "runners.commander.device", "expected a non-empty string"),
    ("mps2_an505", lambda d: d["runners"].update(qemu=["mps2-an505"]), "runners.qemu",
     "expected a mapping of runner arguments"),
])
def test_runner_arguments_are_checked_at_load(tmp_path, board, edit, field, message):
    path = _broken(tmp_path, board, edit)
    with pytest.raises(FwgenError) as err:
        parse_board(path)
    text = str(err.value)
    assert f"{path}: {field}: " in text and message in text


def test_optional_runner_argument_takes_its_default(tmp_path):
    path = _broken(tmp_path, "b_l475e_iot01a", lambda d: d["runners"]["pyocd"].pop("pack_required"))
    assert parse_board(path).runners.get("pyocd").pack_required is False


def test_id_must_match_file_name(tmp_path):
    src = Path(__file__).resolve().parents[2] / "boards" / "mps2_an386.yaml"
    dst = tmp_path / "other.yaml"
    dst.write_text(src.read_text())
    with pytest.raises(FwgenError, match="must equal the file name"):
        parse_board(dst)


def test_twin_must_share_the_core(tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(Path(__file__).resolve().parents[2] / "boards", root / "boards")
    path = root / "boards" / "nucleo_h743zi.yaml"
    path.write_text(path.read_text().replace("twin: mps2_an500", "twin: mps2_an386"))
    with pytest.raises(FwgenError, match="core cortex-m4"):
        load_boards(root)


def test_bad_yaml(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("id: [unclosed\n")
    with pytest.raises(FwgenError, match="not valid YAML"):
        parse_board(path)


def test_boards_cli(capsys):
    from fwgen.cli import main

    assert main(["boards"]) == 0
    out = capsys.readouterr().out
    assert all(board_id in out for board_id in EXPECTED)
    assert main(["boards", "show", "stm32l4"]) == 0
    out = capsys.readouterr().out
    assert "STM32L475VGT6" in out and "USART1 tx=PB6 rx=PB7" in out and "0483:374b" in out
    assert main(["boards", "show", "nope"]) == 2
