"""The Python end of the link protocol: COBS, CRC, frames, messages, the stream decoder."""
from __future__ import annotations

import dataclasses
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fwgen.errors import FwgenError
from fwgen.link import frame as F
from fwgen.link import header
from fwgen.link.messages import (MESSAGES, PROTOCOL_VERSION, Audio, Config, Credit, Detection,
                                 Direction, End, ErrorReport, Features, Hello, Log, Logits,
                                 PayloadError, Ping, Pong, Reset, Stats, pack_payload,
                                 unpack_payload)

# Reference vectors of canonical COBS (Cheshire & Baker; the examples on Wikipedia's COBS page).
COBS_VECTORS = [
    (b"\x00", b"\x01\x01"),
    (b"\x00\x00", b"\x01\x01\x01"),
    (b"\x00\x11\x00", b"\x01\x02\x11\x01"),
    (b"\x11\x22\x00\x33", b"\x03\x11\x22\x02\x33"),
    (b"\x11\x22\x33\x44", b"\x05\x11\x22\x33\x44"),
    (b"\x11\x00\x00\x00", b"\x02\x11\x01\x01\x01"),
    (bytes(range(1, 255)), b"\xff" + bytes(range(1, 255))),
    (bytes(range(0, 255)), b"\x01\xff" + bytes(range(1, 255))),
    (bytes(range(1, 256)), b"\xff" + bytes(range(1, 255)) + b"\x02\xff"),
    (bytes(range(2, 256)) + b"\x00", b"\xff" + bytes(range(2, 256)) + b"\x01\x01"),
    (bytes(range(3, 256)) + b"\x00\x01", b"\xfe" + bytes(range(3, 256)) + b"\x02\x01"),
]


@pytest.mark.parametrize("data,encoded", COBS_VECTORS)
def test_cobs_reference_vectors(data, encoded):
    assert F.cobs_encode(data) == encoded
    assert F.cobs_decode(encoded) == data


@settings(deadline=None)
@given(st.binary(max_size=2000))
def test_cobs_round_trip_has_no_zero_and_bounded_size(data):
    encoded = F.cobs_encode(data)
    assert 0 not in encoded
    assert len(encoded) + 1 <= F.max_encoded_size(len(data))
    assert F.cobs_decode(encoded) == data


def test_crc_is_crc32_iso_hdlc():
    assert F.crc32(b"123456789") == 0xCBF43926  # the catalogue check value


def test_frame_layout_by_hand():
    wire = F.encode_frame(0x0C, 0x1234, b"\x01\x02\x03\x04")
    assert wire[-1] == 0 and 0 not in wire[:-1]
    body = F.cobs_decode(wire[:-1])
    assert body[:6] == bytes([PROTOCOL_VERSION, 0x0C, 0x34, 0x12, 4, 0])
    assert body[6:10] == b"\x01\x02\x03\x04"
    assert struct.unpack("<I", body[10:])[0] == zlib.crc32(body[:10])


def _sample_messages():
    return [
        Hello(1, 2, 3, 0, 1, 1024, 4096, bytes(range(8)), "mps2_an505", 16000, 480, 320, 40,
              49, 2, 4, 1, 2, "silence\nunknown\nyes\nno"),
        Audio.from_samples(123456, np.array([0, 1, -1, 32767, -32768], dtype=np.int16)),
        Audio(7, b""),
        Credit(100, 200, 5),
        Config(0x07, 3),
        Features(9, 1, bytes([0x80, 0x7F, 0x00])),
        Logits(3, 48, (-128, -128, 127, -128)),
        Detection(3, 48, 490, 2, 201),
        Stats(*range(1, 12), 2**40 + 1, 2**33, 5, 77, 2, 1234),
        Log(1, "hello, wörld"),
        End(16000),
        ErrorReport(5, 2, 999, "bad AUDIO"),
        ErrorReport(1, 0, 0, ""),
        Ping(0xDEADBEEF),
        Pong(0xDEADBEEF),
        Reset(),
    ]


def test_every_message_type_is_covered_and_round_trips():
    msgs = _sample_messages()
    assert {m.SPEC.type_id for m in msgs} == set(MESSAGES)
    decoder = F.StreamDecoder(role=Direction.BOTH)
    wire = b"".join(F.encode_message(m, i) for i, m in enumerate(msgs))
    assert decoder.feed_messages(wire) == msgs
    assert decoder.stats.frames == len(msgs) and decoder.stats.dropped == 0


def test_payload_sizes_follow_the_table():
    hello = _sample_messages()[0]
    assert len(pack_payload(hello)) == Hello.SPEC.fixed_size + len(hello.class_names)
    assert Hello.SPEC.fixed_size == 62
    assert Stats.SPEC.fixed_size == 11 * 4 + 3 * 8 + 4 + 1 + 4
    assert pack_payload(Config(5, 0x0102)) == b"\x05\x02\x01"
    assert pack_payload(Detection(1, 2, 3, 0x0405, 6)) == (
        b"\x01\0\0\0\x02\0\0\0\x03\0\0\0\x05\x04\x06")


_HELLO_ZERO = Hello(0, 0, 0, 0, 0, 0, 0, bytes(8), "", 0, 0, 0, 0, 0, 0, 0, 0, 0, "")


@pytest.mark.parametrize("msg", [Config(256, 0), Ping(-1), Logits(0, 0, (200,)),
                                 Audio(0, b"\0\0\0"),
                                 dataclasses.replace(_HELLO_ZERO, model_hash=b"short"),
                                 dataclasses.replace(_HELLO_ZERO, board="x" * 25)])
def test_out_of_range_fields_are_user_errors(msg):
    with pytest.raises(FwgenError):
        pack_payload(msg)


def test_unpack_rejects_wrong_sizes():
    with pytest.raises(PayloadError):
        unpack_payload(0x0C, b"\x01\x02\x03")           # PING needs 4 bytes
    with pytest.raises(PayloadError):
        unpack_payload(0x0C, b"\x01\x02\x03\x04\x05")   # and has no tail
    with pytest.raises(PayloadError):
        unpack_payload(0x02, b"\0\0\0\0\x01")           # odd PCM
    with pytest.raises(PayloadError):
        unpack_payload(0x77, b"")


def test_decoder_counts_each_error_and_resyncs():
    good = F.encode_message(Ping(1), 0)
    dec = F.StreamDecoder(role=Direction.TO_DEVICE, max_payload=64)

    def body_wire(body: bytes) -> bytes:
        return F.cobs_encode(body) + b"\0"

    ping_body = bytes([PROTOCOL_VERSION, 0x0C, 0, 0, 4, 0, 1, 0, 0, 0])
    bad_crc = body_wire(ping_body + struct.pack("<I", F.crc32(ping_body) ^ 0x100))
    v2 = bytes([PROTOCOL_VERSION + 1]) + ping_body[1:]
    bad_version = body_wire(v2 + struct.pack("<I", F.crc32(v2)))
    bad_len = bytes([PROTOCOL_VERSION, 0x0C, 0, 0, 5, 0, 1, 0, 0, 0])
    bad_length = body_wire(bad_len + struct.pack("<I", F.crc32(bad_len)))
    stream = (b"\x13\x37garbage" + good + b"\0\0" + bad_crc + good + bad_version
              + F.encode_frame(0x7F, 1, b"") + F.encode_message(Pong(1), 2)
              + F.encode_frame(0x0C, 3, b"\0\0\0") + bad_length
              + F.encode_frame(0x02, 4, bytes(100)) + good[:-4] + b"\0" + good)
    frames = []
    for i in range(0, len(stream), 5):  # arbitrary chunking
        frames += dec.feed(stream[i:i + 5])
    assert [f.message() for f in frames] == [Ping(1)] * 2
    s = dec.stats
    assert (s.frames, s.version_errors, s.type_errors, s.overflows) == (2, 1, 2, 1)
    # bad CRC; short PING, bad length field, truncated; and the garbage merged into the first
    # frame, which fails as either a CRC or a COBS/format error depending on its bytes
    assert s.crc_errors >= 1 and s.format_errors >= 3
    assert s.crc_errors + s.format_errors == 5
    assert s.seq_gaps == 1  # the two valid PINGs both carry seq 0


def test_seq_gaps_are_counted():
    dec = F.StreamDecoder(role=Direction.BOTH)
    wire = b"".join(F.encode_message(Ping(i), seq) for i, seq in enumerate([0, 1, 2, 5, 6, 0xFFFF, 0]))
    assert len(dec.feed(wire)) == 7
    assert dec.stats.seq_gaps == 2  # 2->5 and 6->65535; 65535->0 wraps cleanly


def test_header_file_is_current(repo_root):
    committed = (repo_root / header.HEADER_PATH).read_text()
    assert committed == header.render_header(), \
        "firmware/link/link_protocol.h is stale: run python -m fwgen.link.header"


def test_header_lists_every_field_offset(repo_root):
    text = (repo_root / header.HEADER_PATH).read_text()
    for spec in MESSAGES.values():
        assert f"#define FWGEN_LINK_{spec.name}_SIZE      {spec.fixed_size}\n" in text
        for fs in spec.fields:
            assert f"{fs.offset:6d}  {fs.wire.size:4d}  {fs.name}:" in text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=8), st.binary(max_size=200),
       st.integers(min_value=1, max_value=64))
def test_decoder_never_raises_and_recovers(payloads, garbage, step):
    dec = F.StreamDecoder(role=Direction.BOTH, max_payload=256)
    wire = b"".join(F.encode_frame(0x09, i, b"\x01" + p) for i, p in enumerate(payloads))
    stream = garbage + wire + b"\0" + F.encode_message(Ping(77), 0)
    got = []
    for i in range(0, len(stream), step):
        got += dec.feed(stream[i:i + step])
    assert got[-1].message() == Ping(77)
