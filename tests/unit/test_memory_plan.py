"""The app's buffer sizes (fwgen.deploy.memory) against what the link and the firmware need:
the receive ring holds the worst the host may have in flight, every message the device sends
fits its transmit frame, and a microphone build keeps no link audio."""
from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from fwgen.boards import get_board
from fwgen.deploy.memory import (CONTROL_FRAMES, TEXT_ROOM, AppFacts, control_payload,
                                 encoded_size, plan_memory, tx_payload)
from fwgen.errors import FwgenError
from fwgen.link.frame import encode_message
from fwgen.link.messages import (MESSAGES, Audio, Config, Direction, End, ErrorReport, Features,
                                 Hello, Logits, Ping)

ROOT = Path(__file__).resolve().parents[2]
MICRO = AppFacts(audio_source="link", sample_rate=16000, window_step=320, n_channels=40,
                 n_frames=49, stride=1, feature_bytes=2, dynamic_scale=False, n_classes=4,
                 class_names=("silence", "unknown", "yes", "no"), window_in_arena=True)


def plan(facts=MICRO, board="stm32u5", ring=True, mic=True):
    return plan_memory(facts, get_board(board), uart_rx_ring=ring, mic_driver=mic)


def host_in_flight(window: int, chunk: int, rng: random.Random) -> int:
    """Most encoded bytes of AUDIO frames the device has not yet decoded while one clip streams
    under fwgen.link.transport's rule (send min(chunk, left, room) once room >= min(chunk,
    left, window / 4), room = window - samples not consumed); the device decodes a frame when
    it starts on its samples and consumes any number of them whenever it gets to it."""
    frames: list[list[int]] = []      # [encoded bytes, samples, samples not consumed]
    left = rng.randint(window, 20 * window)
    offset, worst = 0, 0
    while left or frames:
        wanted = min(chunk, left)
        room = window - sum(n for _, _, n in frames)
        if wanted and room >= min(wanted, max(1, window // 4)):
            n = min(wanted, room)
            frames.append([len(encode_message(Audio(offset, b"\x01\x00" * n), 0)), n, n])
            offset, left = offset + n, left - n
        worst = max(worst, sum(w for w, n, left_n in frames if left_n == n))   # still in the ring
        eat = rng.choice((0, 1, rng.randint(0, 2 * chunk)))
        while eat and frames:
            take = min(eat, frames[0][2])
            frames[0][2] -= take
            eat -= take
            if frames[0][2] == 0:
                frames.pop(0)
    return worst


@pytest.mark.parametrize("window_step", [320, 160, 512])
def test_the_uart_ring_holds_what_the_host_may_have_in_flight(window_step):
    facts = AppFacts(**{**MICRO.__dict__, "window_step": window_step})
    p = plan(facts)
    chunk = (p.rx_payload - Audio.SPEC.fixed_size) // 2
    worst = max(host_in_flight(p.audio_window, chunk, random.Random(seed)) for seed in range(6))
    control = CONTROL_FRAMES * max(len(encode_message(m, 0xFFFF)) for m in
                                   (Config(0x0F, 65535), Ping(0xFFFFFFFF), End(0xFFFFFFFF)))
    assert worst + control <= p.uart_ring
    assert p.audio_window >= 2 * window_step                    # link.h: at least two hops
    assert p.uart_ring < 2 * p.audio_window + 512               # and not much more


def test_every_message_the_device_sends_fits_the_transmit_frame():
    p = plan()
    names = "\n".join(MICRO.class_names)
    hello = {f.name: 0 for f in Hello.SPEC.fields} | {"model_hash": bytes(8), "board": "b_u585i_iot02a"}
    sent = [Hello(**hello, class_names=names),
            Features(1, 0, b"\xff\xff" * MICRO.n_channels), Logits(1, 2, (-128,) * MICRO.n_classes),
            ErrorReport(1, 4, 65535, "x" * TEXT_ROOM)]
    sent += [spec.cls(**{f.name: 0 for f in spec.fields}) for spec in MESSAGES.values()
             if spec.direction != Direction.TO_DEVICE and spec.tail_kind is None]
    for msg in sent:
        assert len(encode_message(msg, 0xFFFF)) <= encoded_size(p.tx_payload), msg
    assert p.tx_payload == tx_payload(MICRO)
    assert p.rx_payload >= control_payload()


def test_every_error_text_in_the_firmware_fits_the_text_room():
    """ERROR texts are not cut (LOG texts are): each literal the firmware reports must fit."""
    sources = [*(ROOT / "firmware" / "link").glob("*.c"), *(ROOT / "firmware" / "app").glob("*.c")]
    texts = []
    for path in sources:
        code = path.read_text()
        for call in re.finditer(r"refuse_config\([^;]*?\"((?:[^\"\\]|\\.)*)\"", code, re.S):
            texts.append(call.group(1))
    assert texts, "found no ERROR text: the pattern no longer matches the firmware"
    assert max(len(t) for t in texts) <= TEXT_ROOM


def test_a_microphone_build_keeps_no_link_audio_and_a_ring_of_one_interval():
    facts = AppFacts(**{**MICRO.__dict__, "audio_source": "mic", "stride": 3})
    p = plan(facts)
    assert (p.audio_source, p.audio_window) == ("mic", 0)
    assert p.mic_ring == 3 * 320 + p.mic_read
    assert p.uart_ring == CONTROL_FRAMES * encoded_size(control_payload())
    twin = plan(facts, board="mps2_an505", ring=False, mic=False)   # its twin: the link instead
    assert (twin.audio_source, twin.mic_ring, twin.uart_ring) == ("link", 0, 0)
    assert twin.audio_window >= 640


def test_a_window_the_protocol_cannot_use_is_refused_with_the_least():
    facts = AppFacts(**{**MICRO.__dict__, "audio_window": 500})
    with pytest.raises(FwgenError, match="below two frontend hops.*640") as err:
        plan(facts)
    assert "640" in (err.value.hint or "")


def test_the_window_stays_apart_only_for_dynamic_scaling():
    kept = plan()
    apart = plan(AppFacts(**{**MICRO.__dict__, "dynamic_scale": True, "window_in_arena": False}))
    assert kept.window_in_arena and kept.window_bytes == 0
    assert not apart.window_in_arena and apart.window_bytes == 2 * 49 * 40 * 2   # ring + linear
    assert ("feature window", apart.window_bytes) in [(w, n) for w, n, _ in apart.rows()]


def test_the_frontend_scratch_is_what_c_says_and_runs_apart_bit_exact():
    """fwgen_frontend_init_split with the scratch elsewhere gives the frames of the one-block
    init, and the scratch size Python plans with is the C library's."""
    import ctypes

    import numpy as np

    from fwgen.frontend import FrontendSettings, compute_tables
    from fwgen.frontend.binding import FWGEN_OK, _lib, build_config

    lib = _lib()
    tables = compute_tables(FrontendSettings())
    cfg, _keep = build_config(tables, lib.fwgen_abi_version())
    lib.fwgen_frontend_get_scratch_size.restype = ctypes.c_size_t
    lib.fwgen_frontend_get_scratch_size.argtypes = [ctypes.c_void_p]
    lib.fwgen_frontend_init_split.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                                              ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
    total = lib.fwgen_frontend_get_state_size(ctypes.byref(cfg))
    scratch = lib.fwgen_frontend_get_scratch_size(ctypes.byref(cfg))
    assert scratch == tables.scratch_size() and 0 < scratch < total
    audio = (np.sin(np.arange(8000) * 0.05) * 9000).astype(np.int16)

    def frames(init) -> np.ndarray:
        handle = ctypes.c_void_p()
        assert init(handle) == FWGEN_OK
        out = np.zeros((64, tables.n_channels), dtype=np.uint16)
        n, used = ctypes.c_size_t(), ctypes.c_size_t()
        assert lib.fwgen_frontend_process_frames(handle, audio.ctypes.data, audio.size,
                                                 out.ctypes.data, 64, ctypes.byref(n),
                                                 ctypes.byref(used)) == FWGEN_OK
        return out[:n.value].copy()

    block = np.zeros(total // 8 + 1, dtype=np.uint64)
    state = np.zeros((total - scratch) // 8 + 1, dtype=np.uint64)
    apart = np.full(scratch // 8 + 1, 0xA5A5A5A5A5A5A5A5, dtype=np.uint64)   # dirty, like an arena
    one = frames(lambda h: lib.fwgen_frontend_init(ctypes.byref(cfg), block.ctypes.data, total,
                                                   ctypes.byref(h)))
    split = frames(lambda h: lib.fwgen_frontend_init_split(
        ctypes.byref(cfg), state.ctypes.data, total - scratch, apart.ctypes.data, scratch,
        ctypes.byref(h)))
    assert one.shape[0] > 10 and np.array_equal(one, split)
    short = ctypes.c_void_p()
    assert lib.fwgen_frontend_init_split(ctypes.byref(cfg), state.ctypes.data, total - scratch,
                                         apart.ctypes.data, scratch - 1, ctypes.byref(short)) == 2


def test_the_plan_keeps_the_input_and_leaves_the_scratch_idle_bytes_apart():
    from fwgen.compiler import compile_model

    model = ROOT / "models" / "micro_speech" / "micro_speech.tflite"
    plain = compile_model(model)
    lean = compile_model(model, keep_inputs=True, idle_scratch=3244)
    x = lean.input
    assert lean.inputs_kept and lean.idle_offset % 8 == 0 and lean.idle_bytes == 3244
    assert lean.idle_offset + 3244 <= lean.arena_bytes
    assert lean.idle_offset >= x.offset + x.nbytes or lean.idle_offset + 3244 <= x.offset
    # the window costs less than a copy of it would, and the scratch nothing here
    assert lean.arena_bytes < plain.arena_bytes + x.nbytes
    assert "#define FWGEN_MODEL_INPUTS_KEPT   1" in lean.files["model.h"]
