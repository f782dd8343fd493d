"""`fwgen build` for micro_speech on every board and twin: builds offline, right core/FPU,
fits, and the size report adds up; a model that does not fit fails with the numbers."""
from __future__ import annotations

from dataclasses import replace

import pytest
import yaml

from fwgen.boards import get_board, load_boards, parse_board
from fwgen.errors import FwgenError
from fwgen.deploy import DeployOptions, prepare
from fwgen.project.build import build_firmware
from fwgen.zoo import resolve_model
from fwgen.project.size import section_sizes

from test_ports import check_elf_abi  # noqa: E402  (same folder)

BOARDS = sorted(load_boards())


@pytest.fixture(scope="module")
def deployment(shared_data, repo_root):
    source = resolve_model(shared_data / "micro_speech" / "micro_speech_quantized.tflite",
                           repo_root / "models" / "micro_speech" / "model.yaml")
    return prepare(source, DeployOptions())


@pytest.fixture(scope="module")
def built(deployment, tmp_path_factory):
    cache: dict[str, object] = {}

    def build(board_id: str):
        if board_id not in cache:
            board = get_board(board_id)
            out = tmp_path_factory.mktemp(f"build-{board_id}")
            cache[board_id] = build_firmware(deployment, board, out,
                                             include_twin=False, envs=(board_id,))
        return cache[board_id]
    return build


@pytest.mark.parametrize("board_id", BOARDS)
def test_micro_speech_builds_and_fits(built, deployment, board_id):
    board = get_board(board_id)
    firmware = built(board_id)
    report = firmware.sizes[board_id]
    elf = firmware.elf(board_id)
    check_elf_abi(board, elf)
    assert "warning:" not in firmware.logs[board_id], firmware.logs[board_id]
    assert report.fits
    assert report.flash_used <= board.memory.flash.length and report.ram_used <= board.memory.ram.length
    compiled = deployment.compiled
    # the weights section is the model's const data (weights, biases, requantization, op params)
    assert compiled.weights_bytes <= report.bytes_of("weights") <= compiled.weights_bytes + 1024
    assert compiled.arena_bytes <= report.bytes_of("arena") < compiled.arena_bytes + 64
    assert report.bytes_of("tables") > 0 and report.bytes_of("code") > 0
    # the stack the call graph needs (fwgen.project.stack), below the board file's default
    assert report.bytes_of("stack") == firmware.stacks[board_id].required < board.stack_bytes
    sizes = section_sizes(elf)
    assert report.ram_used == sum(sizes.get(s, 0) for s in (".data", ".bss", ".fwgen_arena", ".stack"))
    data = report.as_dict()
    assert data["fits"] is True and data["sections"]["weights"] == report.bytes_of("weights")


def test_does_not_fit_reports_the_numbers(deployment, tmp_path, repo_root):
    data = yaml.safe_load((repo_root / "boards" / "mps2_an386.yaml").read_text())
    data["memory"]["ram"]["length"] = 0x2000           # 8 KiB: arena + stack fit, the rest not
    data["stack_bytes"] = 0x400
    path = tmp_path / "mps2_an386.yaml"
    path.write_text(yaml.safe_dump(data))
    small = parse_board(path)
    with pytest.raises(FwgenError) as err:
        build_firmware(deployment, small, tmp_path / "p", include_twin=False,
                       envs=("mps2_an386",))
    text = str(err.value)
    assert "does not fit mps2_an386" in text and "RAM overflowed by" in text
    assert f"arena {deployment.compiled.arena_bytes} B" in text and "RAM 8192 B" in text
    assert not (tmp_path / "p").exists(), "a failed build left its fresh project folder behind"


def test_model_larger_than_ram_fails_before_building(deployment, tmp_path, repo_root):
    data = yaml.safe_load((repo_root / "boards" / "mps2_an386.yaml").read_text())
    data["memory"]["ram"]["length"] = 0x1000
    data["stack_bytes"] = 0x400
    path = tmp_path / "mps2_an386.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(FwgenError, match=r"arena \d+ B \+ stack 1024 B > RAM 4096 B"):
        build_firmware(deployment, parse_board(path), tmp_path / "p",
                       include_twin=False)
    assert not (tmp_path / "p").exists()


def test_microphone_firmware_for_stm32l4(deployment, tmp_path):
    """--audio mic on B-L475E-IOT01A: DFSDM filter 0 interrupt wired into the vector table."""
    import struct

    from elftools.elf.elffile import ELFFile

    board = get_board("stm32l4")
    firmware = build_firmware(prepare(deployment.source, DeployOptions(audio_source="mic")),
                              board, tmp_path / "p", include_twin=False, envs=(board.id,))
    with open(firmware.elf(board.id), "rb") as handle:
        f = ELFFile(handle)
        table = f.get_section_by_name(".isr_vector").data()
        symbols = {s.name: s["st_value"] for s in f.get_section_by_name(".symtab").iter_symbols()}
    (entry,) = struct.unpack_from("<I", table, (16 + 61) * 4)
    assert entry == symbols["fwgen_stm32_extra_isr"]
    text = (firmware.project.path / "src" / "generated" / "app_config.h").read_text()
    assert "#define FWGEN_APP_AUDIO_SOURCE    2" in text


def test_microphone_firmware_for_efr32mg24(deployment, tmp_path):
    """--audio mic on the xG24 Dev Kit: USART0 (I2S) RX interrupt and the EUSART0 console
    interrupt each wired to their own handler in the vector table."""
    import struct

    from elftools.elf.elffile import ELFFile

    board = get_board("efr32xg24")
    assert (board.uart.peripheral, board.uart.irq) == ("EUSART0", 11)
    firmware = build_firmware(prepare(deployment.source, DeployOptions(audio_source="mic")),
                              board, tmp_path / "p", include_twin=False, envs=(board.id,))
    assert "warning:" not in firmware.logs[board.id], firmware.logs[board.id]
    with open(firmware.elf(board.id), "rb") as handle:
        f = ELFFile(handle)
        table = f.get_section_by_name(".isr_vector").data()
        symbols = {s.name: s["st_value"] for s in f.get_section_by_name(".symtab").iter_symbols()}
    (mic,) = struct.unpack_from("<I", table, (16 + 9) * 4)       # USART0_RX
    (uart,) = struct.unpack_from("<I", table, (16 + 11) * 4)     # EUSART0_RX
    assert mic == symbols["fwgen_efr32_mic_isr"]
    assert uart == symbols["fwgen_efr32_uart_isr"]
    text = (firmware.project.path / "src" / "generated" / "app_config.h").read_text()
    assert "#define FWGEN_APP_AUDIO_SOURCE    2" in text


@pytest.mark.parametrize("board_id,message", [
    ("stm32h7", "nucleo_h743zi has no microphone"),
    ("mps2_an505", "mps2_an505 has no microphone"),
])
def test_microphone_where_unavailable(deployment, tmp_path, board_id, message):
    mic = prepare(deployment.source, DeployOptions(audio_source="mic"))
    with pytest.raises(FwgenError, match=message):
        build_firmware(mic, get_board(board_id), tmp_path / "p")
    assert not (tmp_path / "p").exists()


def test_logmel_model_fits_where_it_can(tmp_path):
    """yamnet_256 (98 KB arena, 104 KB with its feature window) builds for B-U585I-IOT02A, and
    for B-L475E-IOT01A across both RAM banks (SRAM1 96 KB + SRAM2 32 KB), the report saying
    what lies in each; a board too small for it is refused with the numbers."""
    from fwgen.zoo import get_model

    if not get_model("yamnet_256").has_weights:
        pytest.skip("zoo model yamnet_256 has no trained weights in this checkout")
    deployment = prepare(resolve_model("yamnet_256"), DeployOptions())
    u5 = get_board("stm32u5")
    firmware = build_firmware(deployment, u5, tmp_path / "u5", include_twin=False,
                              envs=(u5.id,))
    report = firmware.sizes[u5.id]
    assert report.fits and report.bytes_of("arena") >= deployment.compiled.arena_bytes
    check_elf_abi(u5, firmware.elf(u5.id))
    l4 = get_board("stm32l4")
    firmware = build_firmware(deployment, l4, tmp_path / "l4", include_twin=False, envs=(l4.id,))
    report = firmware.sizes[l4.id]
    banks = {name: dict(parts) for name, _, parts in report.banks}
    assert report.fits and banks["sram1"]["arena"] > 0 and banks["sram2"]["arena"] > 0
    assert sum(sum(parts.values()) for parts in banks.values()) == report.ram_used
    assert report.bytes_of("stack") == firmware.stacks[l4.id].required
    small = replace(l4, memory=replace(l4.memory, ram=replace(l4.memory.ram, length=0x18000, banks=())))
    with pytest.raises(FwgenError, match=r"does not fit b_l475e_iot01a: arena \d+ B \+ stack \d+ B > RAM 98304 B"):
        build_firmware(deployment, small, tmp_path / "small", include_twin=False)
