"""Which image `fwgen flash` takes, and in the format each runner takes it.

The ELFs here are made by hand (an ELF32 header and one loadable segment), so the unit tier
needs no toolchain; converting one with arm-none-eabi-objcopy runs where it is installed."""
from __future__ import annotations

import os
import shutil
import struct
import time
from pathlib import Path

import pytest

from fwgen.boards import get_board
from fwgen.errors import FwgenError
from fwgen.flash import (board_id_for, find_image, flash_board, flash_commands, image_for_runner,
                         make_runner, upload_command)
from fwgen.flash.images import FirmwareImage, check_image_for_board, elf_load_range

PAYLOAD = bytes(range(64))


def make_elf(path: Path, address: int, payload: bytes = PAYLOAD) -> Path:
    """A minimal ARM ELF32: one PT_LOAD segment (a .text section) of `payload` at `address`."""
    names = b"\0.text\0.shstrtab\0"
    data_at, names_at = 84, 84 + len(payload)
    sections_at = (names_at + len(names) + 3) & ~3
    header = struct.pack("<4sBBBB8sHHIIIIIHHHHHH", b"\x7fELF", 1, 1, 1, 0, bytes(8), 2, 40, 1,
                         address, 52, sections_at, 0x05000400, 52, 32, 1, 40, 3, 2)
    segment = struct.pack("<IIIIIIII", 1, data_at, address, address, len(payload), len(payload), 5, 4)
    sections = (bytes(40)
                + struct.pack("<IIIIIIIIII", 1, 1, 6, address, data_at, len(payload), 0, 0, 4, 0)
                + struct.pack("<IIIIIIIIII", 7, 3, 0, 0, names_at, len(names), 0, 0, 1, 0))
    body = header + segment + payload + names
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body + bytes(sections_at - len(body)) + sections)
    return path


def make_build(root: Path, name: str, envs: dict[str, int], *, age: float = 0.0) -> Path:
    """A built fwgen project `root/name` with an ELF (and .hex, .bin) per env, `age` s old."""
    project = root / name
    project.mkdir(parents=True)
    default = next(iter(envs))
    (project / "platformio.ini").write_text(f"[platformio]\ndefault_envs = {default}\n")
    stamp = time.time() - age
    for env, address in envs.items():
        folder = project / ".pio" / "build" / env
        for item in (make_elf(folder / "firmware.elf", address),
                     folder / "firmware.hex", folder / "firmware.bin"):
            if not item.exists():
                item.write_bytes(PAYLOAD)
            os.utime(item, (stamp, stamp))
    return project


U5 = {"b_u585i_iot02a": 0x08000000, "mps2_an505": 0x10000000}


@pytest.fixture()
def builds(tmp_path):
    root = tmp_path / "build"
    old = make_build(root, "micro_speech-b_u585i_iot02a", U5, age=100)
    new = make_build(root, "yamnet-b_u585i_iot02a", U5, age=10)
    make_build(root, "micro_speech-b_l475e_iot01a", {"b_l475e_iot01a": 0x08000000,
                                                      "mps2_an386": 0x0}, age=1)
    return root, old, new


def test_default_is_the_newest_build_for_the_board(builds):
    root, old, new = builds
    image = find_image(get_board("stm32u5"), build_root=root)
    assert image.path == new / ".pio/build/b_u585i_iot02a/firmware.elf"
    assert image.format == "elf" and image.env == "b_u585i_iot02a"
    assert image.found == f"newest build: {new}"
    twin = find_image(get_board("mps2_an505"), build_root=root)   # the twin env of a board build
    assert twin.path == new / ".pio/build/mps2_an505/firmware.elf"


def test_no_build_says_how_to_make_one(tmp_path):
    with pytest.raises(FwgenError) as err:
        find_image(get_board("nucleo_h743zi"), build_root=tmp_path / "build")
    text = str(err.value)
    assert "no firmware built for nucleo_h743zi under" in text
    assert "fwgen build --model micro_speech --board nucleo_h743zi" in text


def test_a_project_folder(builds):
    root, old, _ = builds
    image = find_image(get_board("b_u585i_iot02a"), old)
    assert image.path == old / ".pio/build/b_u585i_iot02a/firmware.elf"
    assert image.found == f"project {old}"
    with pytest.raises(FwgenError, match=r"no firmware built for nucleo_h743zi \(built: "
                                         r"b_u585i_iot02a, mps2_an505\)"):
        find_image(get_board("nucleo_h743zi"), old)
    env_folder = old / ".pio/build/b_u585i_iot02a"
    assert find_image(get_board("stm32u5"), env_folder).path == env_folder / "firmware.elf"


def test_an_empty_folder_is_not_a_project(tmp_path):
    with pytest.raises(FwgenError, match="nothing built"):
        find_image(get_board("stm32u5"), tmp_path)


def test_a_file(builds, tmp_path):
    root, old, _ = builds
    hex_file = old / ".pio/build/b_u585i_iot02a/firmware.hex"
    image = find_image(get_board("stm32u5"), hex_file)
    assert (image.path, image.format, image.found) == (hex_file, "hex", "given")
    assert image.elf == hex_file.with_suffix(".elf")
    with pytest.raises(FwgenError, match="built for mps2_an505, not b_u585i_iot02a"):
        find_image(get_board("stm32u5"), old / ".pio/build/mps2_an505/firmware.elf")
    odd = tmp_path / "fw.s37"
    odd.write_text("S0")
    with pytest.raises(FwgenError, match="expected a PROJECT folder or an .elf, .hex or .bin"):
        find_image(get_board("stm32u5"), odd)
    with pytest.raises(FwgenError, match="no such file or folder"):
        find_image(get_board("stm32u5"), tmp_path / "missing.elf")


def test_the_board_follows_from_the_image(builds, tmp_path):
    root, old, new = builds
    assert board_id_for(old / ".pio/build/mps2_an505/firmware.elf") == "mps2_an505"
    assert board_id_for(old) == "b_u585i_iot02a"              # the project's default env
    assert board_id_for(None, root) == "b_l475e_iot01a"       # the newest build's board
    assert board_id_for(make_elf(tmp_path / "loose.elf", 0)) is None
    assert board_id_for(None, tmp_path / "none") is None


def test_an_elf_for_another_board_is_refused(tmp_path):
    elf = make_elf(tmp_path / "fw.elf", 0x10000000)
    image = FirmwareImage(elf, "elf", "given")
    assert check_image_for_board(image, get_board("mps2_an505")) == (0x10000000, 0x10000040)
    with pytest.raises(FwgenError) as err:
        check_image_for_board(image, get_board("stm32u5"))
    assert "loads at 0x10000000-0x10000040, outside b_u585i_iot02a's flash (0x08000000-0x08200000)" \
        in str(err.value) and "built for another board" in str(err.value)
    too_big = make_elf(tmp_path / "big.elf", 0x080FFFF0)       # past the L475's 1 MB
    with pytest.raises(FwgenError, match="outside b_l475e_iot01a's flash"):
        check_image_for_board(FirmwareImage(too_big, "elf", "given"), get_board("stm32l4"))


def test_a_broken_elf(tmp_path):
    bad = tmp_path / "fw.elf"
    bad.write_bytes(b"not an elf")
    with pytest.raises(FwgenError, match="not a readable ELF file"):
        elf_load_range(bad)


def test_each_runner_gets_a_format_it_takes(builds, tmp_path):
    _, old, _ = builds
    folder = old / ".pio/build/b_u585i_iot02a"
    elf = FirmwareImage(folder / "firmware.elf", "elf", "given")
    board = get_board("stm32u5")
    openocd = make_runner(board, dry_run=True)
    assert image_for_runner(openocd, elf) == (folder / "firmware.elf", "elf", 0x08000000)
    assert openocd.commands == []

    l4 = make_build(tmp_path / "l4", "p", {"b_l475e_iot01a": 0x08000000})
    l4_elf = FirmwareImage(l4 / ".pio/build/b_l475e_iot01a/firmware.elf", "elf", "given")
    stflash = make_runner(get_board("stm32l4"), "stflash", dry_run=True)
    assert image_for_runner(stflash, l4_elf)[:2] == (l4_elf.path.with_suffix(".bin"), "bin")
    assert stflash.commands == []                                  # the build's own .bin

    xg24 = make_build(tmp_path / "xg", "p", {"xg24_dk2601b": 0x08000000})
    commander = make_runner(get_board("xg24_dk2601b"), dry_run=True)
    xg_elf = FirmwareImage(xg24 / ".pio/build/xg24_dk2601b/firmware.elf", "elf", "given")
    assert image_for_runner(commander, xg_elf)[:2] == (xg_elf.path.with_suffix(".hex"), "hex")


def test_a_stale_or_missing_sibling_is_converted(tmp_path, monkeypatch):
    monkeypatch.setenv("FWGEN_CACHE_DIR", str(tmp_path / "cache"))
    elf = make_elf(tmp_path / "loose" / "fw.elf", 0x08000000)
    stale = tmp_path / "loose" / "fw.bin"
    stale.write_bytes(b"old")
    os.utime(stale, (time.time() - 100, time.time() - 100))
    runner = make_runner(get_board("stm32l4"), "stflash", dry_run=True)
    path, fmt, address = image_for_runner(runner, FirmwareImage(elf, "elf", "given"))
    assert fmt == "bin" and address == 0x08000000
    assert path.parent == tmp_path / "cache" / "flash" and path.name.startswith("b_l475e_iot01a-fw-")
    assert runner.commands == [["arm-none-eabi-objcopy", "-O", "binary", str(elf), str(path)]]

    hex_file = tmp_path / "fw.hex"
    hex_file.write_text(":00000001FF\n")
    runner = make_runner(get_board("stm32l4"), "stflash", dry_run=True)
    assert image_for_runner(runner, FirmwareImage(hex_file, "hex", "given")) == (hex_file, "hex", None)
    commander = make_runner(get_board("xg24_dk2601b"), dry_run=True)
    bin_file = tmp_path / "fw.bin"
    bin_file.write_bytes(PAYLOAD)
    assert image_for_runner(commander, FirmwareImage(bin_file, "bin", "given")) == (bin_file, "bin", None)


def test_a_twin_needs_an_elf(tmp_path):
    bin_file = tmp_path / "fw.bin"
    bin_file.write_bytes(PAYLOAD)
    twin = make_runner(get_board("mps2_an505"), dry_run=True)
    with pytest.raises(FwgenError, match="QEMU runs an ELF"):
        flash_board(twin, FirmwareImage(bin_file, "bin", "given"))


@pytest.mark.skipif(shutil.which("arm-none-eabi-objcopy") is None, reason="no arm-none-eabi-objcopy")
def test_objcopy_makes_the_bin_and_it_goes_to_the_elfs_address(tmp_path, monkeypatch):
    monkeypatch.setenv("FWGEN_CACHE_DIR", str(tmp_path / "cache"))
    elf = make_elf(tmp_path / "fw.elf", 0x08004000)
    runner = make_runner(get_board("stm32l4"), "stflash", dry_run=False)
    path, fmt, address = image_for_runner(runner, FirmwareImage(elf, "elf", "given"))
    assert path.read_bytes() == PAYLOAD and address == 0x08004000
    assert runner.flash_argv(path, fmt=fmt, address=address)[-1][-1] == "0x08004000"


def test_flash_dry_run_end_to_end(builds):
    _, old, _ = builds
    runner = make_runner(get_board("stm32u5"), dry_run=True, probe="0669FF")
    image = find_image(get_board("stm32u5"), old)
    result = flash_board(runner, image, erase=True)
    assert result.dry_run and result.image == image.path and result.found == f"project {old}"
    assert result.command_lines() == [
        "openocd -f interface/stlink-dap.cfg -c 'transport select dapdirect_swd' -f "
        "target/stm32u5x.cfg -c 'reset_config srst_only srst_nogate connect_assert_srst' "
        "-c 'adapter serial 0669FF' -c init -c 'reset halt' -c 'stm32l4x mass_erase 0' "
        f"-c 'program {image.path} verify reset exit'"]
    with pytest.raises(FwgenError, match="--port is the TCP port of an emulator twin"):
        flash_board(make_runner(get_board("stm32u5"), dry_run=True), image, port=4000)


def test_twin_options_are_refused(builds):
    _, old, _ = builds
    board = get_board("mps2_an505")
    image = find_image(board, old)
    with pytest.raises(FwgenError, match="no flash to erase"):
        flash_board(make_runner(board, dry_run=True), image, erase=True)
    with pytest.raises(FwgenError, match="it has no probe"):
        flash_board(make_runner(board, dry_run=True, probe="X"), image)


def test_unknown_runner_for_the_board():
    with pytest.raises(FwgenError) as err:
        make_runner(get_board("stm32u5"), "stflash")
    assert "b_u585i_iot02a has no 'stflash' runner" in str(err.value)
    assert "openocd, pyocd, stm32cubeprogrammer (default openocd)" in str(err.value)


def test_upload_commands_for_platformio():
    """What the generated platformio.ini's upload_command runs: the same lines as fwgen flash."""
    assert flash_commands(get_board("stm32l4"), "stflash") == [
        ["st-flash", "--reset", "write", "$SOURCE", "0x08000000"]]
    assert flash_commands(get_board("stm32l4")) == [
        ["openocd", "-f", "board/st_b-l475e-iot01a.cfg", "-c", "program {$SOURCE} verify reset exit"]]
    assert upload_command(get_board("xg24_dk2601b")) == \
        "pycommander-cli flash $SOURCE --device EFR32MG24B310F1536IM48"
    assert upload_command(get_board("stm32u5"), image="$BUILD_DIR/firmware.elf") == (
        "openocd -f interface/stlink-dap.cfg -c 'transport select dapdirect_swd' -f "
        "target/stm32u5x.cfg -c 'reset_config srst_only srst_nogate connect_assert_srst' "
        "-c 'program {$BUILD_DIR/firmware.elf} verify reset exit'")
    with pytest.raises(FwgenError, match="emulator twin"):
        flash_commands(get_board("mps2_an505"))
