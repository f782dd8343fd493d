"""Hardware tier: a real board running fwgen's firmware equals the host pipeline bit for bit.

Skipped unless FWGEN_HW_BOARD names the board under test (see tests/hw/conftest.py for
FWGEN_HW_SERIAL and FWGEN_HW_MODEL). The board must run the firmware that

    fwgen build --model micro_speech --board $FWGEN_HW_BOARD

produced (in build/micro_speech-<board id>/; the ELF, .bin and .hex are in
.pio/build/<board id>/). Flash it with the board's runners from boards/<id>.yaml (the first is
the board's default), then run `pytest tests/hw`:

b_u585i_iot02a (B-U585I-IOT02A, ST-LINK V3E, VCP 0483:374e at 921600 baud)::

    openocd -f interface/stlink.cfg -f target/stm32u5x.cfg \\
        -c "program build/micro_speech-b_u585i_iot02a/.pio/build/b_u585i_iot02a/firmware.elf verify reset exit"
    # or: STM32_Programmer_CLI -c port=swd -w .../firmware.elf -v -rst
    # or: pyocd flash -t stm32u585aiix --pack Keil.STM32U5xx_DFP.<version>.pack .../firmware.elf

b_l475e_iot01a (B-L475E-IOT01A, ST-LINK V2-1, VCP 0483:374b at 115200 baud)::

    pyocd flash -t stm32l475xx build/micro_speech-b_l475e_iot01a/.pio/build/b_l475e_iot01a/firmware.elf
    # or: openocd -f interface/stlink.cfg -f target/stm32l4x.cfg -c "program .../firmware.elf verify reset exit"
    # or: st-flash --reset write .../firmware.bin 0x08000000

nucleo_h743zi (NUCLEO-H743ZI, ST-LINK V2-1, VCP 0483:374b at 921600 baud)::

    pyocd flash -t stm32h743xx build/micro_speech-nucleo_h743zi/.pio/build/nucleo_h743zi/firmware.elf
    # or: openocd -f interface/stlink.cfg -f target/stm32h7x.cfg -c "program .../firmware.elf verify reset exit"
    # or: st-flash --reset write .../firmware.bin 0x08000000

xg24_dk2601b (xG24-DK2601B, on-board J-Link OB, VCOM 1366:0105 at 115200 baud)::

    commander flash build/micro_speech-xg24_dk2601b/.pio/build/xg24_dk2601b/firmware.hex \\
        --device EFR32MG24B310F1536IM48
    # or J-Link Commander: JLinkExe -device EFR32MG24BxxxF1536 -if SWD -speed 4000 -autoconnect 1
    #    with the commands: loadfile .../firmware.hex, r, g, q

Then, e.g.: FWGEN_HW_BOARD=stm32u5 FWGEN_HW_SERIAL=/dev/ttyACM0 pytest tests/hw
(FWGEN_HW_SERIAL may be left out when exactly one port has the board's USB VID:PID.)

The same tests run against an emulator twin over a TCP serial, which is how they were proven
without a board: build the twin firmware, start QEMU with its UART on a socket, and point the
tests at it::

    fwgen build --model micro_speech --board mps2_an505 --out /tmp/hw-an505
    qemu-system-arm -M mps2-an505 -display none -monitor none -no-reboot \\
        -semihosting-config enable=on,target=native -icount shift=0 \\
        -kernel /tmp/hw-an505/.pio/build/mps2_an505/firmware.elf \\
        -serial tcp:127.0.0.1:5555,server=on,wait=on,nodelay=on &
    FWGEN_HW_BOARD=mps2_an505 FWGEN_HW_SERIAL=socket://127.0.0.1:5555 pytest tests/hw

(QEMU's TCP server takes the next connection when a test closes its link.)
"""
from __future__ import annotations

from fwgen import __version__
from fwgen.link import Output, encode_frame, stream_audio
from fwgen.link.frame import encode_message
from fwgen.link.messages import Audio, AudioSource, CycleUnit
from fwgen.deploy.reference import stage_differences
from fwgen.render import abi_version

ALL = int(Output.FEATURES | Output.LOGITS | Output.DETECTIONS | Output.LOG)
STREAM_TIMEOUT_S = 120.0


def test_hello_identifies_the_build(hw_link, hw_board, hw_deployment):
    d = hw_deployment
    hello = hw_link.reset(timeout=10.0)
    assert hello.board == hw_board.id
    assert hello.model_hash == bytes.fromhex(d.source.sha256)[:8], \
        "the board runs another model than this build: flash the firmware `fwgen build` made"
    assert hello.abi == abi_version()
    assert (hello.fw_major, hello.fw_minor, hello.fw_patch) == \
        tuple(int(p) for p in __version__.split(".")[:3])
    assert hello.audio_source == AudioSource.LINK
    assert (hello.sample_rate, hello.n_frames, hello.n_channels, hello.stride_frames,
            hello.n_classes) == (d.frontend.sample_rate, d.n_frames, d.frontend.n_channels,
                                 d.stride, len(d.classes))
    expected_unit = CycleUnit.INSTRUCTIONS if hw_board.is_emulator else CycleUnit.CYCLES
    assert hello.cycle_unit == expected_unit


def _stream_matches_reference(link, hw_clip, deployment, name: str):
    samples, ref = hw_clip(name)
    result = stream_audio(link, samples, sample_rate=deployment.frontend.sample_rate, outputs=ALL,
                          timeout=STREAM_TIMEOUT_S, end_timeout=STREAM_TIMEOUT_S)
    assert ref.features.shape[0] > 0 and ref.logits.shape[0] > 0
    assert stage_differences(result, ref) == []
    assert result.stats is not None and result.stats.audio_samples == samples.size
    assert result.stats.audio_lost == 0 and result.errors == []
    return result


def test_yes_clip_bit_exact(hw_link, hw_clip, hw_deployment):
    result = _stream_matches_reference(hw_link, hw_clip, hw_deployment, "yes")
    assert [hw_deployment.classes[d.class_index] for d in result.detections] == ["yes"]
    stats = result.stats
    assert stats.inferences == len(hw_clip("yes")[1].logit_frames)
    assert stats.cycle_unit == result.hello.cycle_unit
    assert stats.inference_cycles > 0 and stats.frontend_cycles > 0


def test_malformed_frames_are_skipped(hw_link, hw_clip, hw_deployment):
    """A corrupt CRC, an unknown type, an oversized frame and raw garbage: the board drops and
    counts them, still answers, and the next stream is still bit-exact."""
    hw_link.reset(timeout=10.0)
    ping = encode_frame(0x0C, 1, (7).to_bytes(4, "little"))
    bad_crc = bytearray(ping)
    bad_crc[3] ^= 0x55
    junk = (bytes(bad_crc) + encode_frame(0x7E, 2, b"")
            + encode_message(Audio(0, bytes(4000)), 3) + bytes(range(1, 200)) + b"\x00")
    hw_link.port.write(junk)
    hw_link.ping(timeout=10.0)
    stats = _stream_matches_reference(hw_link, hw_clip, hw_deployment, "yes").stats
    assert stats.rx_crc_errors >= 1
    assert stats.rx_rejected >= 1
    assert stats.rx_overflows + stats.rx_format_errors >= 1
