"""fwgen.frontend.twin_harness without QEMU: twins come from the board files, C arrays render
exactly, and the linker script uses the board's memory map (the emulator tier runs the images)."""
from __future__ import annotations

import pytest

from fwgen.errors import FwgenError
from fwgen.frontend.twin_harness import LINKER, TWIN_BOARDS, Twin, c_array


def test_twins_come_from_the_board_files():
    twins = {t.board_id: t for t in map(Twin.from_board, TWIN_BOARDS)}
    m33, m4, m7 = twins["mps2_an505"], twins["mps2_an386"], twins["mps2_an500"]
    assert (m33.machine, m33.core, m33.flash[0], m33.ram[0]) == ("mps2-an505", "cortex-m33",
                                                                 0x10000000, 0x38000000)
    assert (m4.machine, m4.core, m4.flash[0], m4.ram[0]) == ("mps2-an386", "cortex-m4", 0, 0x20000000)
    assert m7.machine == "mps2-an500" and "-mfpu=fpv5-d16" in m7.cpu_flags
    assert "-mfloat-abi=hard" in m4.cpu_flags and m4.ns_per_tick == 40.0   # 25 MHz SysTick
    script = LINKER.format(flash=m33.flash[0], flash_len=m33.flash[1], ram=m33.ram[0],
                           ram_len=m33.ram[1])
    assert "ORIGIN = 0x10000000" in script and "ORIGIN = 0x38000000" in script


def test_a_board_without_qemu_is_refused():
    with pytest.raises(FwgenError, match="no QEMU machine"):
        Twin.from_board("nucleo_h743zi")


def test_c_array():
    assert c_array("int16_t", "x", [1, -2, 3], per_row=2) == (
        "static const int16_t x[3] = {\n    1, -2,\n    3,\n};\n")
