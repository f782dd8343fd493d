"""The C link (host build of firmware/link) against the Python one: bytes, counters, layouts."""
from __future__ import annotations

import ctypes
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fwgen import native as core
from fwgen.link import frame as F
from fwgen.link import native
from fwgen.link.messages import (MESSAGES, Audio, Credit, Direction, Hello, Log, MessageSpec, Ping,
                                 Pong, Stats, TailKind, pack_payload, unpack_payload)

_INT_RANGES = {"u8": (0, 2**8 - 1), "u16": (0, 2**16 - 1), "u32": (0, 2**32 - 1),
               "u64": (0, 2**64 - 1), "i8": (-128, 127), "i16": (-2**15, 2**15 - 1),
               "i32": (-2**31, 2**31 - 1)}


def _message_strategy(spec: MessageSpec):
    parts = []
    for fs in spec.fields:
        if fs.wire.text:
            parts.append(st.text(st.characters(min_codepoint=32, max_codepoint=126),
                                 max_size=fs.wire.length))
        elif fs.wire.length:
            parts.append(st.binary(min_size=fs.wire.length, max_size=fs.wire.length))
        else:
            lo, hi = _INT_RANGES[fs.wire.name]
            parts.append(st.integers(lo, hi))
    if spec.tail_kind is TailKind.TEXT:
        parts.append(st.text(max_size=40))
    elif spec.tail_kind is TailKind.INT8:
        parts.append(st.lists(st.integers(-128, 127), max_size=40).map(tuple))
    elif spec.tail_kind is TailKind.PCM16:
        parts.append(st.binary(max_size=40).map(lambda b: b[:len(b) // 2 * 2]))
    elif spec.tail_kind is TailKind.BYTES:
        parts.append(st.binary(max_size=40))
    return st.tuples(*parts).map(lambda values: spec.cls(*values))


any_message = st.sampled_from(sorted(MESSAGES)).flatmap(lambda t: _message_strategy(MESSAGES[t]))


@settings(deadline=None)
@given(st.binary(max_size=3000))
def test_crc_matches_zlib(data):
    assert native.crc32(data) == zlib.crc32(data)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 255), st.integers(0, 0xFFFF), st.binary(max_size=1200),
       st.integers(0, 1200))
def test_c_encoder_writes_the_python_bytes(type_id, seq, payload, split):
    status, wire = native.encode(type_id, seq, payload[:split], payload[split:])
    assert status == 0
    assert wire == F.encode_frame(type_id, seq, payload)


def test_c_encoder_refuses_small_buffers():
    wire = F.encode_frame(0x0C, 0, bytes(4))
    assert native.encode(0x0C, 0, bytes(4), out_size=len(wire)) == (0, wire)
    assert native.encode(0x0C, 0, bytes(4), out_size=len(wire) - 1) == (2, b"")  # ERR_SIZE


@settings(max_examples=200, deadline=None)
@given(st.lists(any_message, max_size=6), st.integers(1, 50))
def test_c_decoder_reads_python_frames(msgs, step):
    wire = b"".join(F.encode_message(m, i) for i, m in enumerate(msgs))
    dec = native.NativeDecoder(Direction.BOTH, buffer_size=2048)
    frames = []
    for i in range(0, len(wire), step):
        frames += dec.feed(wire[i:i + step])
    assert [unpack_payload(f.type_id, f.payload) for f in frames] == msgs
    assert dec.stats == F.DecoderStats(frames=len(msgs))


# -- differential fuzzing: C and Python decoders on the same corrupted streams ----------------

def _corrupt(wire: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    data = bytearray(wire)
    for kind, pos, value in edits:
        if not data:
            break
        at = pos % len(data)
        if kind == 0:
            data[at] ^= 1 << (value % 8)
        elif kind == 1:
            del data[at]
        elif kind == 2:
            data.insert(at, value)
        elif kind == 3:
            data[at] = 0
        else:
            del data[at:]
    return bytes(data)


stream_parts = st.lists(
    st.one_of(
        any_message.map(lambda m: ("msg", m)),
        st.tuples(st.integers(0, 255), st.binary(max_size=300)).map(lambda t: ("raw", t)),
        st.binary(max_size=64).map(lambda b: ("garbage", b)),
    ),
    max_size=10)
edits = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 10**6), st.integers(0, 255)),
                 max_size=6)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stream_parts, edits, st.sampled_from(list(Direction)), st.sampled_from([16, 90, 1024]),
       st.integers(1, 97))
def test_c_and_python_decoders_agree_on_any_stream(parts, corruption, role, max_payload, step):
    wire = bytearray()
    for seq, (kind, item) in enumerate(parts):
        if kind == "msg":
            wire += F.encode_message(item, seq)
        elif kind == "raw":
            wire += F.encode_frame(item[0], seq, item[1])
        else:
            wire += item
    stream = _corrupt(bytes(wire), corruption) + b"\0" + F.encode_message(Ping(5), 0)
    c_dec = native.NativeDecoder(role, buffer_size=max_payload + F.OVERHEAD)
    py_dec = F.StreamDecoder(role=role, max_payload=max_payload)
    c_frames, py_frames = [], []
    for i in range(0, len(stream), step):
        c_frames += c_dec.feed(stream[i:i + step])
    py_frames = py_dec.feed(stream)
    assert c_frames == py_frames
    assert c_dec.stats == py_dec.stats
    if role is not Direction.TO_HOST:
        assert c_frames[-1] == F.Frame(0x0C, 0, b"\x05\0\0\0")  # recovered after the delimiter


def test_long_garbage_without_delimiter_is_one_overflow():
    c_dec = native.NativeDecoder(Direction.TO_DEVICE, buffer_size=64)
    py_dec = F.StreamDecoder(role=Direction.TO_DEVICE, max_payload=64 - F.OVERHEAD)
    stream = bytes(np.random.default_rng(1).integers(1, 256, 100_000, dtype=np.uint8)) + b"\0"
    stream += F.encode_message(Ping(1), 0)
    assert c_dec.feed(stream) == py_dec.feed(stream) == [F.Frame(0x0C, 0, b"\x01\0\0\0")]
    assert c_dec.stats == py_dec.stats
    assert c_dec.stats.overflows == 1 and c_dec.stats.dropped == 1


# -- the generated C structs and pack/unpack functions agree with the Python table -------------

@pytest.fixture(scope="module")
def harness(tmp_path_factory, repo_root):
    """Exported wrappers around every generated static inline function."""
    lines = ['#include "link/link.h"']
    for spec in MESSAGES.values():
        m = spec.name.lower()
        if not spec.fields and spec.tail_kind is None:
            lines.append(f"int t_send_{m}(fwgen_link_t *l, void *u) "
                         f"{{ (void)u; return fwgen_link_send_{m}(l); }}")
            continue
        lines += [
            f"size_t t_sizeof_{m}(void) {{ return sizeof(fwgen_link_{m}_t); }}",
            f"int t_unpack_{m}(const uint8_t *p, size_t n, fwgen_link_{m}_t *s) "
            f"{{ return fwgen_link_{m}_unpack(p, n, s); }}",
            f"void t_pack_{m}(const fwgen_link_{m}_t *s, uint8_t *out) "
            f"{{ fwgen_link_{m}_pack(s, out); }}",
            f"int t_send_{m}(fwgen_link_t *l, const fwgen_link_{m}_t *s) "
            f"{{ return fwgen_link_send_{m}(l, s); }}",
        ]
    src = tmp_path_factory.mktemp("link_harness") / "harness.c"
    src.write_text("\n".join(lines) + "\n")
    so = core.compile_shared("link_harness", [src, repo_root / "firmware/link/link.c"],
                             include_dirs=[repo_root / "firmware"])
    return ctypes.CDLL(str(so))


@pytest.mark.parametrize("type_id", sorted(MESSAGES))
def test_generated_c_layout_matches_python(harness, type_id):
    spec = MESSAGES[type_id]
    m = spec.name.lower()
    if not spec.fields and spec.tail_kind is None:
        return
    c_struct = native._c_struct_for(spec.cls)
    assert harness[f"t_sizeof_{m}"]() == ctypes.sizeof(c_struct)

    @settings(max_examples=60, deadline=None)
    @given(_message_strategy(spec))
    def check(msg):
        payload = pack_payload(msg)
        s = c_struct()
        assert harness[f"t_unpack_{m}"](payload, len(payload), ctypes.byref(s)) == 0
        for fs in spec.fields:
            value = getattr(s, fs.name)
            if fs.wire.length:
                expected = getattr(msg, fs.name)
                if fs.wire.text:  # ctypes reads a char array up to its first NUL
                    assert value == expected.encode()
                else:
                    assert bytes(value) == expected
            else:
                assert value == getattr(msg, fs.name), fs.name
        if spec.tail_kind is not None:
            tail = ctypes.string_at(getattr(s, spec.tail_name), getattr(s, f"{spec.tail_name}_len"))
            assert tail == payload[spec.fixed_size:]
        out = (ctypes.c_uint8 * max(spec.fixed_size, 1))()
        harness[f"t_pack_{m}"](ctypes.byref(s), out)
        assert bytes(out)[:spec.fixed_size] == payload[:spec.fixed_size]
        # Wrong lengths are refused.
        if spec.tail_kind is None:
            assert harness[f"t_unpack_{m}"](payload + b"\0", len(payload) + 1, ctypes.byref(s)) == 5
        if spec.fixed_size:
            assert harness[f"t_unpack_{m}"](payload, spec.fixed_size - 1, ctypes.byref(s)) == 5

    check()


@pytest.mark.parametrize("type_id", sorted(MESSAGES))
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_typed_c_senders_produce_python_messages(harness, type_id, data):
    spec = MESSAGES[type_id]
    m = spec.name.lower()
    msg = data.draw(_message_strategy(spec)) if spec.fields or spec.tail_kind else spec.cls()
    out = bytearray()
    link = native.NativeLink(out.extend, accept=Direction.BOTH)
    payload = pack_payload(msg)
    if spec.fields or spec.tail_kind:
        s = native._c_struct_for(spec.cls)()
        keep = ctypes.create_string_buffer(payload, len(payload) + 1)
        assert harness[f"t_unpack_{m}"](keep, len(payload), ctypes.byref(s)) == 0
        assert harness[f"t_send_{m}"](link._state, ctypes.byref(s)) == 0
    else:
        assert harness[f"t_send_{m}"](link._state, None) == 0
    assert out[0] == 0  # the flush before the first frame
    assert F.StreamDecoder(role=Direction.BOTH).feed_messages(bytes(out)) == [msg]


# -- the session ------------------------------------------------------------------------------

def test_session_sends_flush_then_numbered_frames():
    out = bytearray()
    link = native.NativeLink(out.extend, audio_window=1000)
    assert link.send(Pong(1)) == 0 and link.send(Pong(2)) == 0
    assert bytes(out) == b"\0" + F.encode_message(Pong(1), 0) + F.encode_message(Pong(2), 1)
    assert link.rx_max_payload == 1024


def test_session_log_is_truncated_to_the_tx_buffer():
    out = bytearray()
    link = native.NativeLink(out.extend, rx_buffer_size=200, tx_buffer_size=220)
    assert link.log(2, "é" * 500) == 0
    (msg,) = F.StreamDecoder().feed_messages(bytes(out))
    assert isinstance(msg, Log) and msg.level == 2
    assert 0 < len(msg.text.encode("utf-8", "surrogatepass")) <= 220
    assert len(out) - 1 <= 220


def test_session_flow_control_and_stats():
    out = bytearray()
    link = native.NativeLink(out.extend, audio_window=400)
    pcm = bytes(400)
    assert link.audio_accept(Audio(0, pcm[:200])) == 0
    assert link.audio_accept(Audio(100, pcm)) == 0        # 300 buffered
    assert link.audio_accept(Audio(300, pcm)) == 2        # over the window: ERR_SIZE
    assert link.audio_accept(Audio(10, pcm[:2])) == 6     # in the past: ERR_STATE
    link.audio_consumed(300)
    assert link.audio_service() == 0
    assert link.audio_accept(Audio(350, pcm[:100])) == 0  # 50 lost
    link.audio_consumed(50)
    assert link.audio_service() == 0
    credits = [m for m in F.StreamDecoder().feed_messages(bytes(out)) if isinstance(m, Credit)]
    assert credits == [Credit(300, 300, 0), Credit(400, 400, 50)]
    link.receive(F.encode_message(Ping(1), 0) + b"\x05\x05\0")
    stats = link.fill_stats(Stats(*range(1, 18)))
    assert (stats.audio_samples, stats.rx_frames, stats.rx_format_errors) == (1, 1, 1)
    assert (stats.audio_lost, stats.audio_overruns, stats.uptime_ms) == (50, 2, 17)


def test_hello_round_trip_through_the_c_encoder():
    out = bytearray()
    link = native.NativeLink(out.extend)
    hello = Hello(0, 1, 0, 0, 1, 1024, 8000, bytes(range(8)), "xg24_dk2601b", 16000, 480, 320,
                  40, 49, 1, 4, 1, 2, "silence\nunknown\nyes\nno")
    assert link.send(hello) == 0
    assert F.StreamDecoder().feed_messages(bytes(out)) == [hello]
