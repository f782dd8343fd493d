"""The firmware survives what a serial line does to it: malformed frames, a truncated stream,
a host that disconnects mid-stream. Afterwards it still answers and still computes bit-exactly."""
from __future__ import annotations

import time

import pytest

from fwgen.boards import get_board
from fwgen.device import TwinDevice
from fwgen.link import Audio, Config, End, Link, Output, Stats, encode_frame
from fwgen.link.frame import encode_message

from test_pipeline import ALL, assert_matches_reference  # noqa: E402  (same folder)

TWIN = "mps2_an505"


@pytest.fixture()
def session(twin_elf):
    with TwinDevice(twin_elf(TWIN), get_board(TWIN)) as s:
        yield s


def test_malformed_frames_are_counted_and_skipped(session, clip_stream, reference):
    link = session.link
    link.reset()
    good = encode_frame(0x0C, 1, (7).to_bytes(4, "little"))          # a PING
    bad_crc = bytearray(good)
    bad_crc[3] ^= 0x55                                                 # corrupt inside the frame
    unknown_type = encode_frame(0x7E, 2, b"")
    wrong_direction = encode_frame(0x01, 3, bytes(62))                 # HELLO sent to a device
    oversized = encode_message(Audio(0, bytes(4000)), 4)                 # > rx buffer
    garbage = bytes(range(1, 200)) + b"\x00"
    link.port.write(bytes(bad_crc) + unknown_type + wrong_direction + oversized + garbage)
    link.ping(timeout=10)                                              # still answering
    result = session.stream(clip_stream("yes"), outputs=ALL, timeout=120)
    assert_matches_reference(result, reference("yes"))
    # The stream's STATS count the link's receive errors since boot.
    stats = result.stats
    assert stats.rx_crc_errors >= 1
    assert stats.rx_rejected >= 2
    assert stats.rx_overflows + stats.rx_format_errors >= 2


def test_truncated_stream(session, clip_stream, reference):
    """The host stops after 6400 samples and ENDs the stream at its full length: the device
    processes what it got, counts the rest as lost, reports, and serves the next stream."""
    link = session.link
    samples = clip_stream("yes")
    link.reset()
    link.send_audio(samples[:6400])
    link.send(End(samples.size))
    messages = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(isinstance(m, End) for m in messages):
        messages += list(link.messages(timeout=1.0))
    stats = [m for m in messages if isinstance(m, Stats)][-1]
    assert stats.audio_samples == 6400
    assert stats.audio_lost == samples.size - 6400
    assert stats.frames == (6400 - 480) // 320 + 1
    result = session.stream(samples, outputs=ALL, timeout=120)
    assert_matches_reference(result, reference("yes"))


def test_host_disconnect_mid_stream(session, clip_stream, reference):
    link = session.link
    samples = clip_stream("yes")
    link.reset()
    link.send(Config(int(Output.DETECTIONS), 0))
    link.send_audio(samples[:12000])
    link.close()                                                       # host vanishes
    port = session.qemu.connect()                                      # a new host connects
    session.link = Link(port)
    result = session.stream(samples, outputs=ALL, timeout=120)
    assert_matches_reference(result, reference("yes"))
    assert session.qemu.running
