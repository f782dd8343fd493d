"""Every port builds (port smoke app) for every board and twin, with the right core/FPU ABI,
a vector table at the image start and a reset vector inside it. `pio run` is run by hand in
the rendered folder, as a user would."""
from __future__ import annotations

import struct
import subprocess
import sys

import pytest
from elftools.elf.elffile import ELFFile

from fwgen.boards import get_board, load_boards
from fwgen.project.platformio import pio_environment, provision
from fwgen.project.render import ProjectSpec, render_project

BOARDS = sorted(load_boards())

# (core, fpu) -> readelf -A lines that must be present / absent
ATTRIBUTES = {
    ("cortex-m33", "fpv5-sp-d16"): (["Tag_CPU_arch: v8-M.mainline", "Tag_FP_arch: FPv5/FP-D16 for ARMv8",
                                     "Tag_ABI_HardFP_use: SP only", "Tag_ABI_VFP_args: VFP registers",
                                     "Tag_DSP_extension: Allowed"], []),
    ("cortex-m4", "fpv4-sp-d16"): (["Tag_CPU_arch: v7E-M", "Tag_FP_arch: VFPv4-D16",
                                    "Tag_ABI_HardFP_use: SP only", "Tag_ABI_VFP_args: VFP registers"], []),
    ("cortex-m7", "fpv5-d16"): (["Tag_CPU_arch: v7E-M", "Tag_FP_arch: FPv5/FP-D16 for ARMv8",
                                 "Tag_ABI_VFP_args: VFP registers"], ["Tag_ABI_HardFP_use: SP only"]),
}


def check_elf_abi(board, elf) -> None:
    text = subprocess.run(["arm-none-eabi-readelf", "-A", str(elf)], capture_output=True,
                          text=True, check=True).stdout
    present, absent = ATTRIBUTES[(board.core, board.fpu)]
    for line in present:
        assert line in text, f"{board.id}: {line!r} missing from\n{text}"
    for line in absent:
        assert line not in text, f"{board.id}: unexpected {line!r}"


@pytest.fixture(scope="module")
def smoke_elfs(tmp_path_factory):
    provision()
    cache: dict[str, object] = {}

    def build(board_id: str):
        if board_id not in cache:
            board = get_board(board_id)
            out = tmp_path_factory.mktemp(f"smoke-{board_id}")
            render_project(ProjectSpec(board=board, app="smoke", include_twin=False), out)
            proc = subprocess.run([sys.executable, "-m", "platformio", "run", "-d", str(out)],
                                  capture_output=True, text=True, env=pio_environment())
            assert proc.returncode == 0, proc.stdout + proc.stderr
            assert "warning:" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
            cache[board_id] = out / ".pio" / "build" / board_id / "firmware.elf"
        return cache[board_id]
    return build


@pytest.mark.parametrize("board_id", BOARDS)
def test_port_builds_with_the_right_abi(smoke_elfs, board_id):
    board = get_board(board_id)
    elf = smoke_elfs(board_id)
    check_elf_abi(board, elf)
    with open(elf, "rb") as handle:
        f = ELFFile(handle)
        vectors = f.get_section_by_name(".isr_vector")
        assert vectors["sh_addr"] == board.memory.flash.origin
        sp, reset = struct.unpack_from("<II", vectors.data(), 0)
        ram = board.memory.ram
        assert ram.origin < sp <= ram.origin + ram.length
        assert reset & 1, "reset vector must be a Thumb address"
        flash = board.memory.flash
        assert flash.origin <= (reset & ~1) < flash.origin + flash.length
        symbols = {s.name: s["st_value"] for s in f.get_section_by_name(".symtab").iter_symbols()}
        assert symbols["Reset_Handler"] | 1 == reset
        assert symbols["_estack"] == sp
        if not board.is_emulator:
            # device vectors follow the 16 core ones; the UART's entry is the port's RX handler
            assert symbols["fwgen_port_irq_vectors"] == flash.origin + 16 * 4
            table = vectors.data()
            assert len(table) >= (16 + board.uart.irq + 1) * 4
            (entry,) = struct.unpack_from("<I", table, (16 + board.uart.irq) * 4)
            handlers = [name for name, value in symbols.items()
                        if value == entry and name.endswith("uart_isr")]
            assert handlers, f"IRQ {board.uart.irq} does not point at the UART handler"
            default = symbols["fwgen_default_handler"]
            (first,) = struct.unpack_from("<I", table, 16 * 4)
            assert first == default


# --audio mic: (board, IRQ of the microphone filter, ISR symbol). Every board whose port drives
# its microphone must build and link micro_speech with the microphone as the audio source.
MIC_BOARDS = [
    ("b_l475e_iot01a", 61, "fwgen_stm32_extra_isr"),     # DFSDM1_FLT0
    ("b_u585i_iot02a", 102, "fwgen_stm32_extra_isr"),    # MDF1_FLT0
    ("xg24_dk2601b", 9, "fwgen_efr32_mic_isr"),          # USART0_RX (I2S)
]


@pytest.fixture(scope="module")
def mic_deployment(shared_data, repo_root):
    from fwgen.deploy import DeployOptions, prepare
    from fwgen.zoo import resolve_model

    source = resolve_model(shared_data / "micro_speech" / "micro_speech_quantized.tflite",
                           repo_root / "models" / "micro_speech" / "model.yaml")
    return prepare(source, DeployOptions(audio_source="mic"))


def test_mic_boards_are_the_ones_whose_port_drives_the_microphone():
    from fwgen.project.render import port_info

    driven = sorted(b for b in BOARDS if get_board(b).microphone is not None
                    and port_info(get_board(b).port).get("microphone"))
    assert driven == sorted(b for b, _, _ in MIC_BOARDS)


@pytest.mark.parametrize("board_id,irq,isr", MIC_BOARDS)
def test_microphone_firmware_builds_and_links(mic_deployment, tmp_path, board_id, irq, isr):
    from fwgen.project.build import build_firmware

    deployment = mic_deployment
    board = get_board(board_id)
    firmware = build_firmware(deployment, board, tmp_path / "p", include_twin=False,
                              envs=(board.id,))
    assert "warning:" not in firmware.logs[board.id], firmware.logs[board.id]
    elf = firmware.elf(board.id)
    check_elf_abi(board, elf)
    assert firmware.sizes[board.id].fits
    with open(elf, "rb") as handle:
        f = ELFFile(handle)
        table = f.get_section_by_name(".isr_vector").data()
        symbols = {s.name: s["st_value"] for s in f.get_section_by_name(".symtab").iter_symbols()}
    assert len(table) >= (16 + irq + 1) * 4
    (entry,) = struct.unpack_from("<I", table, (16 + irq) * 4)
    assert entry == symbols[isr], f"IRQ {irq} does not point at {isr}"
    (uart,) = struct.unpack_from("<I", table, (16 + board.uart.irq) * 4)
    assert uart != entry and uart != symbols["fwgen_default_handler"]
    assert "fwgen_port_mic_start" in symbols and "fwgen_port_mic_read" in symbols
    text = (firmware.project.path / "src" / "generated" / "app_config.h").read_text()
    assert "#define FWGEN_APP_AUDIO_SOURCE    2" in text


def test_microphone_refused_where_the_port_has_no_driver(mic_deployment, tmp_path, repo_root):
    """Every real board with a microphone now has a driver, so the refusal is checked on the
    xG24's board file put on the mps2 port (which drives none)."""
    import yaml

    from fwgen.boards import parse_board
    from fwgen.errors import FwgenError
    from fwgen.project.build import build_firmware
    from fwgen.project.render import port_info

    assert not port_info("mps2").get("microphone")
    data = yaml.safe_load((repo_root / "boards" / "xg24_dk2601b.yaml").read_text())
    data["port"] = "mps2"
    path = tmp_path / "xg24_dk2601b.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(FwgenError, match="the mps2 port has no driver for the ICS-43434"):
        build_firmware(mic_deployment, parse_board(path), tmp_path / "p", include_twin=False)
    assert not (tmp_path / "p").exists()
