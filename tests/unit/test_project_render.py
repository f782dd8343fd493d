"""Project rendering: deterministic, self-contained, derived from the board files."""
from __future__ import annotations

import json

import pytest

from fwgen.boards import get_board
from fwgen.errors import FwgenError
from fwgen.project import toolchain
from fwgen.project.platformio import pio_package_version, provision
from fwgen.project.render import (ProjectSpec, board_header, linker_script, pio_board_json,
                                  render_files, render_project)

GENERATED = {"model.c": "/* model */\n", "model.h": "/* model header */\n"}


def spec(board="stm32u5", **kw):
    return ProjectSpec(board=get_board(board), generated=dict(GENERATED),
                       inputs={"model": "test sha256 0123"}, **kw)


def test_identical_inputs_give_identical_projects(tmp_path):
    a = render_project(spec(), tmp_path / "a")
    b = render_project(spec(), tmp_path / "b")
    files_a = sorted(p.relative_to(a.path) for p in a.path.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b.path) for p in b.path.rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (a.path / rel).read_bytes() == (b.path / rel).read_bytes(), rel
    assert render_files(spec()) == render_files(spec())


def test_no_absolute_paths_or_timestamps(tmp_path):
    files = render_files(spec())
    for name, data in files.items():
        if name.endswith((".c", ".h", ".ini", ".ld", ".json")):
            text = data.decode()
            assert str(tmp_path) not in text and "/work/" not in text, name


def test_project_layout_and_envs():
    files = render_files(spec())
    ini = files["platformio.ini"].decode()
    assert "[env:b_u585i_iot02a]" in ini and "[env:mps2_an505]" in ini
    assert "default_envs = b_u585i_iot02a" in ini
    assert "platform = symlink://platform/fwgen-" in ini      # named by its content
    platform = ini.split("platform = symlink://", 1)[1].split()[0]
    assert "+<fwgen/ports/stm32u5/>" in ini and "+<fwgen/ports/mps2/>" in ini
    for name in (f"{platform}/platform.json", f"{platform}/platform.py", f"{platform}/builder/main.py",
                 "platform/boards/disco_b_u585i_iot02a.json", "platform/boards/fwgen_mps2_an505.json",
                 "ld/b_u585i_iot02a.ld", "ld/mps2_an505.ld", "src/fwgen/ports/port.h",
                 "src/fwgen/ports/stm32/stm32_common.h", "src/fwgen/app/main.c",
                 "src/generated/model.c", "src/generated/boards/b_u585i_iot02a/fwgen_board.h"):
        assert name in files, name
    assert not any(n.startswith("src/fwgen/ports/stm32h7/") for n in files)
    assert not any(n.startswith("src/fwgen/app/smoke/") for n in files)
    manifest = json.loads(files["fwgen-project.json"])
    assert manifest["envs"] == ["b_u585i_iot02a", "mps2_an505"]
    assert set(manifest["files"]) == set(files) - {"fwgen-project.json"}


def test_twin_only_project():
    files = render_files(spec("mps2_an386"))
    ini = files["platformio.ini"].decode()
    assert "[env:mps2_an386]" in ini and ini.count("[env:") == 1


def test_linker_script_uses_the_board_memory():
    text = linker_script(get_board("nucleo_h743zi"))
    assert "FLASH    (rx) : ORIGIN = 0x08000000, LENGTH = 0x00200000" in text
    assert "RAM      (rwx) : ORIGIN = 0x24000000, LENGTH = 0x00080000" in text
    assert "DTCM     (rwx) : ORIGIN = 0x20000000, LENGTH = 0x00020000" in text
    assert "_fwgen_stack_size = 0x2000;" in text
    for section in (".isr_vector", ".fwgen_weights", ".fwgen_tables", ".fwgen_arena", ".stack"):
        assert section in text
    text = linker_script(get_board("mps2_an505"))
    assert "ORIGIN = 0x10000000" in text and "ORIGIN = 0x38000000" in text


def test_board_header():
    text = board_header(get_board("stm32l4"))
    assert '#define FWGEN_BOARD_ID            "b_l475e_iot01a"' in text
    assert "#define FWGEN_BOARD_CLOCK_HZ      80000000u" in text
    assert "#define FWGEN_BOARD_UART_BASE     0x40013800u" in text
    assert "#define FWGEN_BOARD_UART_TX_PORT  1  /* PB6 */" in text
    assert "#define FWGEN_BOARD_UART_TX_PIN   6" in text
    assert "#define FWGEN_BOARD_UART_IRQ      37" in text
    assert "FWGEN_MPS2_UART_BASE" not in text
    assert "FWGEN_MPS2_UART_BASE" in board_header(get_board("mps2_an505"))


def test_pio_board_definition():
    data = json.loads(pio_board_json(get_board("efr32xg24")))
    assert data["build"]["cpu"] == "cortex-m33"
    assert data["build"]["fwgen"]["cpu_flags"] == ["-mthumb", "-mcpu=cortex-m33",
                                                  "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard"]
    assert data["upload"]["maximum_size"] == 0x180000
    assert data["build"]["hwids"] == [["0x1366", "0x0105"]]
    # The compiler flags come from the one definition, fwgen.project.toolchain.
    assert data["build"]["fwgen"]["cflags"] == list(toolchain.C_FLAGS) and "-O2" in toolchain.C_FLAGS
    assert data["build"]["fwgen"]["ldflags"] == list(toolchain.LINK_FLAGS)
    assert data["build"]["fwgen"]["libs"] == list(toolchain.LIBS)


def test_the_builder_takes_its_flags_from_the_board_definition():
    builder = next(data for name, data in render_files(spec()).items()
                   if name.startswith("platform/fwgen-") and name.endswith("/builder/main.py")).decode()
    for key in ("cpu_flags", "cflags", "ldflags", "libs"):
        assert key in builder
    for flag in (*toolchain.C_FLAGS, *toolchain.LINK_FLAGS, *toolchain.LIBS):
        assert f'"{flag}"' not in builder, flag


def test_rerender_removes_stale_files_and_keeps_unchanged_ones(tmp_path):
    out = tmp_path / "p"
    render_project(spec(), out)
    stamp = (out / "platformio.ini").stat().st_mtime_ns
    extra = ProjectSpec(board=get_board("stm32u5"), generated={**GENERATED, "clip.c": "x\n"},
                        inputs={"model": "test sha256 0123"})
    render_project(extra, out)
    assert (out / "src/generated/clip.c").exists()
    assert (out / "platformio.ini").stat().st_mtime_ns == stamp
    (out / "notes.txt").write_text("mine")
    render_project(spec(), out)
    assert not (out / "src/generated/clip.c").exists()
    assert (out / "notes.txt").read_text() == "mine"


def test_refuses_a_foreign_non_empty_folder(tmp_path):
    (tmp_path / "x.txt").write_text("keep")
    with pytest.raises(FwgenError, match="not a fwgen project"):
        render_project(spec(), tmp_path)


def test_generated_names_cannot_escape(tmp_path):
    bad = ProjectSpec(board=get_board("stm32u5"), generated={"../evil.c": "x"})
    with pytest.raises(FwgenError, match="escapes"):
        render_files(bad)


@pytest.mark.parametrize("scons,pio", [("4.11.1", "4.41101.0"), ("4.8.1", "4.40801.0"),
                                       ("4.7.0", "4.40700.0")])
def test_scons_package_version(scons, pio):
    assert pio_package_version(scons) == pio


def test_provision_tool_scons(tmp_path):
    pkg = provision(tmp_path)
    meta = json.loads((pkg / ".piopm").read_text())
    assert meta["spec"]["owner"] == "platformio" and meta["name"] == "tool-scons"
    assert (pkg / "scons.py").is_file() and (pkg / "SCons" / "Script" / "__init__.py").is_file()
    assert json.loads((pkg / "package.json").read_text())["version"] == meta["version"]
    stamp = (pkg / "scons.py").stat().st_mtime_ns
    assert provision(tmp_path) == pkg and (pkg / "scons.py").stat().st_mtime_ns == stamp
