"""Hardware tier: a real board running fwgen's firmware equals the host pipeline bit for bit.

Skipped unless FWGEN_HW_BOARD names the board under test. Nothing is flashed by hand: before
the first test the tier (tests/hw/conftest.py) builds the firmware as

    fwgen build --model micro_speech --board $FWGEN_HW_BOARD

does (into build/micro_speech-<board id>/) and flashes it with fwgen's flash library, as

    fwgen flash --board $FWGEN_HW_BOARD

does (the board's default runner from boards/<id>.yaml: openocd for the three ST boards,
commander for the xG24 Dev Kit), then finds the board's serial port by its USB VID:PID. With
one board attached, a person runs only

    FWGEN_HW_BOARD=b_u585i_iot02a ./tools/test.sh

(or `pytest tests/hw` with the same variable). The probe, VCP and baud rate of each board:

- b_u585i_iot02a: ST-LINK V3E, VCP 0483:374e at 921600 baud (openocd: stlink-dap,
  dapdirect_swd, stm32u5x; pyocd needs FWGEN_HW_PACK=Keil.STM32U5xx_DFP.<version>.pack).
- b_l475e_iot01a: ST-LINK V2-1, VCP 0483:374b at 115200 baud (openocd, stflash or pyocd).
- nucleo_h743zi: ST-LINK V2-1, VCP 0483:374b at 921600 baud (openocd, stflash or pyocd).
- xg24_dk2601b: J-Link OB, VCOM 1366:0105 at 115200 baud (commander: pip install
  'fwgen[commander]'; or jlink with SEGGER's JLinkExe on PATH).

Other knobs (see tests/hw/conftest.py): FWGEN_HW_RUNNER (another of the board's runners),
FWGEN_HW_PROBE (the probe's serial number when several are attached), FWGEN_HW_SERIAL (the port,
when the USB id does not find it), FWGEN_HW_MODEL (another model), FWGEN_HW_NO_FLASH=1 (the
board already runs the build: neither build nor flash).

The same tests run against an emulator twin, which is how they were proven without a board:
"flashing" a twin starts QEMU in the background with its UART on a 127.0.0.1 TCP port, the
tests talk to it, and the tier stops it at the end::

    FWGEN_HW_BOARD=mps2_an505 pytest tests/hw

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
