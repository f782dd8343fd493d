"""fwgen.testing.harness without QEMU: twins come from the board files, C arrays render exactly,
and an image's project is the shipped firmware's (the renderer's harness app: Cortex-M startup,
the twin's port, the linker script from the board's memory map, the toolchain's flags), run by
the QEMU runner's command line with no UART (the emulator tier runs the images)."""
from __future__ import annotations

import json

import pytest

from fwgen.errors import FwgenError
from fwgen.project import toolchain
from fwgen.project.render import render_files
from fwgen.runners.qemu import QemuRunner
from fwgen.testing.harness import TWIN_BOARDS, Twin, c_array, project_spec

MAIN = "int main(void) { return 0; }\n"


def test_twins_come_from_the_board_files():
    twins = {t.board_id: t for t in map(Twin.from_board, TWIN_BOARDS)}
    m33, m4, m7 = twins["mps2_an505"], twins["mps2_an386"], twins["mps2_an500"]
    assert (m33.machine, m33.core, m33.flash[0], m33.ram[0]) == ("mps2-an505", "cortex-m33",
                                                                 0x10000000, 0x38000000)
    assert (m4.machine, m4.core, m4.flash[0], m4.ram[0]) == ("mps2-an386", "cortex-m4", 0, 0x20000000)
    assert m7.machine == "mps2-an500" and "-mfpu=fpv5-d16" in m7.cpu_flags
    assert "-mfloat-abi=hard" in m4.cpu_flags and m4.ns_per_tick == 40.0   # 25 MHz SysTick
    script = render_files(project_spec(m33, MAIN))["ld/mps2_an505.ld"].decode()
    assert "ORIGIN = 0x10000000" in script and "ORIGIN = 0x38000000" in script


def test_a_board_without_qemu_is_refused():
    with pytest.raises(FwgenError, match="no QEMU machine"):
        Twin.from_board("nucleo_h743zi")


def test_c_array():
    assert c_array("int16_t", "x", [1, -2, 3], per_row=2) == (
        "static const int16_t x[3] = {\n    1, -2,\n    3,\n};\n")


def test_an_image_is_built_like_shipped_firmware():
    twin = Twin.from_board("mps2_an386")
    files = render_files(project_spec(twin, MAIN, {"test_input.h": "#define N 3\n"}))
    assert files["src/generated/main.c"] == MAIN.encode()
    assert files["src/generated/test_input.h"] == b"#define N 3\n"
    for name in ("src/fwgen/ports/cortexm/startup.c", "src/fwgen/ports/mps2/port_mps2.c",
                 "src/fwgen/app/harness/harness.c", "src/fwgen/app/harness/harness.h",
                 "src/fwgen/frontend/frontend.c", "src/fwgen/nn/nn.h", "src/fwgen/detect/detect.c",
                 "ld/mps2_an386.ld", "src/generated/boards/mps2_an386/fwgen_board.h"):
        assert name in files, name
    assert not any(n.startswith(("src/fwgen/app/smoke/", "src/fwgen/app/main.c")) for n in files)
    ini = files["platformio.ini"].decode()
    assert "[env:mps2_an386]" in ini and ini.count("[env:") == 1
    fwgen = json.loads(files["platform/boards/fwgen_mps2_an386.json"])["build"]["fwgen"]
    assert fwgen["cflags"] == list(toolchain.C_FLAGS) and fwgen["ldflags"] == list(toolchain.LINK_FLAGS)
    assert fwgen["cpu_flags"] == list(twin.cpu_flags)
    manifest = json.loads(files["fwgen-project.json"])
    assert manifest["app"] == "harness" and manifest["envs"] == ["mps2_an386"]


def test_an_image_links_the_modules_it_names():
    files = render_files(project_spec(Twin.from_board("mps2_an505"), MAIN, modules=("frontend",)))
    assert "src/fwgen/frontend/frontend.c" in files and "src/fwgen/common/fwgen_status.h" in files
    assert not any(n.startswith(("src/fwgen/nn/", "src/fwgen/detect/", "src/fwgen/link/")) for n in files)
    with pytest.raises(FwgenError, match="unknown firmware module 'dsp'"):
        render_files(project_spec(Twin.from_board("mps2_an505"), MAIN, modules=("dsp",)))


def test_main_c_is_the_image_s_own():
    twin = Twin.from_board("mps2_an505")
    with pytest.raises(FwgenError, match="pass it as main_c"):
        project_spec(twin, MAIN, {"main.c": MAIN})
    spec = project_spec(twin, MAIN)
    with pytest.raises(FwgenError, match="needs the image's main.c"):
        render_files(type(spec)(board=spec.board, app="harness", include_twin=False))


def test_images_run_through_the_qemu_runner_without_a_uart(tmp_path):
    runner = QemuRunner(Twin.from_board("mps2_an505").board, dry_run=True)
    assert runner.run_to_exit(tmp_path / "firmware.elf", cwd=tmp_path, icount=True) == (0, "")
    assert runner.commands == [[
        "qemu-system-arm", "-M", "mps2-an505", "-display", "none", "-monitor", "none", "-no-reboot",
        "-semihosting-config", "enable=on,target=native", "-icount", "shift=0",
        "-kernel", str(tmp_path / "firmware.elf"), "-serial", "none"]]
    runner.run_to_exit(tmp_path / "firmware.elf", cwd=tmp_path, icount=False)
    assert "-icount" not in runner.commands[-1]
