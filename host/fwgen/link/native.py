"""ctypes binding of the device-side C link (firmware/link/link.c) in the host build.

Used to test the C decoder and encoder against the Python ones, and by `DeviceSimulator` to
play the device with the very code the firmware runs.
"""
from __future__ import annotations

import ctypes
import logging
from dataclasses import fields
from typing import Callable

from fwgen.link.frame import OVERHEAD, DecoderStats, Frame, max_encoded_size
from fwgen.link.messages import Audio, Config, Direction, Message, Stats, pack_payload, spec_of
from fwgen.native import load_core

LOG = logging.getLogger(__name__)

_WRITE_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint8), ctypes.c_size_t)


class _CFrame(ctypes.Structure):
    _fields_ = [("type", ctypes.c_uint8), ("seq", ctypes.c_uint16), ("length", ctypes.c_uint16),
                ("payload", ctypes.POINTER(ctypes.c_uint8))]


class _CRxStats(ctypes.Structure):
    _fields_ = [(f.name, ctypes.c_uint32) for f in fields(DecoderStats)]


class _CParams(ctypes.Structure):
    _fields_ = [("accept", ctypes.c_uint8),
                ("rx_buffer", ctypes.c_void_p), ("rx_buffer_size", ctypes.c_size_t),
                ("tx_buffer", ctypes.c_void_p), ("tx_buffer_size", ctypes.c_size_t),
                ("audio_window", ctypes.c_uint32),
                ("write", _WRITE_FN), ("write_ctx", ctypes.c_void_p)]


_CTYPE = {"u8": ctypes.c_uint8, "u16": ctypes.c_uint16, "u32": ctypes.c_uint32,
          "u64": ctypes.c_uint64, "i8": ctypes.c_int8, "i16": ctypes.c_int16,
          "i32": ctypes.c_int32}


def _c_struct_for(cls: type) -> type[ctypes.Structure]:
    """A ctypes mirror of the generated fwgen_link_<msg>_t (fixed fields only)."""
    spec = spec_of(cls)
    members = []
    for fs in spec.fields:
        if fs.wire.length:
            base = ctypes.c_char if fs.wire.text else ctypes.c_uint8
            members.append((fs.name, base * fs.wire.length))
        else:
            members.append((fs.name, _CTYPE[fs.wire.name]))
    if spec.tail_kind is not None:
        members += [(spec.tail_name, ctypes.c_void_p), (f"{spec.tail_name}_len", ctypes.c_uint16)]
    return type(f"C{cls.__name__}", (ctypes.Structure,), {"_fields_": members})


_CStats = _c_struct_for(Stats)
_CAudio = _c_struct_for(Audio)
_CConfig = _c_struct_for(Config)

FWGEN_OK = 0
FWGEN_NEED_MORE = 7


def library() -> ctypes.CDLL:
    lib = load_core()
    if not getattr(lib, "_fwgen_link_typed", False):
        lib.fwgen_link_crc32.restype = ctypes.c_uint32
        lib.fwgen_link_crc32.argtypes = [ctypes.c_uint32, ctypes.c_char_p, ctypes.c_size_t]
        lib.fwgen_link_encode.argtypes = [ctypes.c_uint8, ctypes.c_uint16, ctypes.c_char_p,
                                          ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t,
                                          ctypes.c_void_p, ctypes.c_size_t,
                                          ctypes.POINTER(ctypes.c_size_t)]
        lib.fwgen_link_rx_init.argtypes = [ctypes.c_void_p, ctypes.c_uint8, ctypes.c_void_p,
                                           ctypes.c_size_t]
        lib.fwgen_link_rx_feed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t,
                                           ctypes.POINTER(ctypes.c_size_t),
                                           ctypes.POINTER(_CFrame)]
        lib.fwgen_link_rx_get_stats.argtypes = [ctypes.c_void_p, ctypes.POINTER(_CRxStats)]
        lib.fwgen_link_rx_reset.argtypes = [ctypes.c_void_p]
        lib.fwgen_link_rx_sizeof.restype = ctypes.c_size_t
        lib.fwgen_link_sizeof.restype = ctypes.c_size_t
        lib.fwgen_link_init.argtypes = [ctypes.c_void_p, ctypes.POINTER(_CParams)]
        lib.fwgen_link_receive.argtypes = lib.fwgen_link_rx_feed.argtypes
        lib.fwgen_link_send.argtypes = [ctypes.c_void_p, ctypes.c_uint8, ctypes.c_char_p,
                                        ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
        lib.fwgen_link_log.argtypes = [ctypes.c_void_p, ctypes.c_uint8, ctypes.c_char_p]
        lib.fwgen_link_report_error.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint8,
                                                ctypes.c_uint32]
        lib.fwgen_link_rx_max_payload.restype = ctypes.c_uint16
        lib.fwgen_link_rx_max_payload.argtypes = [ctypes.c_void_p]
        lib.fwgen_link_config_check.argtypes = [ctypes.c_void_p, ctypes.POINTER(_CConfig),
                                                ctypes.c_uint8, ctypes.c_uint16]
        lib.fwgen_link_audio_accept.argtypes = [ctypes.c_void_p, ctypes.POINTER(_CAudio)]
        lib.fwgen_link_audio_consumed.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        lib.fwgen_link_audio_service.argtypes = [ctypes.c_void_p]
        lib.fwgen_link_audio_end.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        lib.fwgen_link_audio_reset.argtypes = [ctypes.c_void_p]
        lib.fwgen_link_fill_stats.argtypes = [ctypes.c_void_p, ctypes.POINTER(_CStats)]
        lib._fwgen_link_typed = True
    return lib


def crc32(data: bytes) -> int:
    return int(library().fwgen_link_crc32(0, bytes(data), len(data)))


def encode(type_id: int, seq: int, fixed: bytes, tail: bytes = b"",
           out_size: int | None = None) -> tuple[int, bytes]:
    """fwgen_link_encode(): returns (status, bytes written)."""
    size = out_size if out_size is not None else max_encoded_size(OVERHEAD + len(fixed) + len(tail))
    out = (ctypes.c_uint8 * max(size, 1))()
    n = ctypes.c_size_t(0)
    status = library().fwgen_link_encode(type_id, seq, fixed or None, len(fixed), tail or None,
                                         len(tail), out, size, ctypes.byref(n))
    return int(status), bytes(out[:n.value])


def _frames(feed: Callable, state: ctypes.Array, data: bytes) -> list[Frame]:
    frames = []
    view = bytes(data)
    used = ctypes.c_size_t(0)
    frame = _CFrame()
    while view:
        status = feed(state, view, len(view), ctypes.byref(used), ctypes.byref(frame))
        if status == FWGEN_OK:
            frames.append(Frame(frame.type, frame.seq, ctypes.string_at(frame.payload, frame.length)))
        elif status != FWGEN_NEED_MORE:
            raise RuntimeError(f"fwgen_link_rx_feed returned {status}")
        view = view[used.value:]
    return frames


class NativeDecoder:
    """The C receive state machine (fwgen_link_rx_t) with a caller-owned buffer."""

    def __init__(self, accept: Direction = Direction.TO_DEVICE, buffer_size: int = 1024 + OVERHEAD):
        self._lib = library()
        self._state = (ctypes.c_uint8 * self._lib.fwgen_link_rx_sizeof())()
        self._buffer = (ctypes.c_uint8 * buffer_size)()
        status = self._lib.fwgen_link_rx_init(self._state, int(accept), self._buffer, buffer_size)
        if status != FWGEN_OK:
            raise ValueError(f"fwgen_link_rx_init failed with status {status}")

    def feed(self, data: bytes) -> list[Frame]:
        return _frames(self._lib.fwgen_link_rx_feed, self._state, data)

    def reset(self) -> None:
        self._lib.fwgen_link_rx_reset(self._state)

    @property
    def stats(self) -> DecoderStats:
        out = _CRxStats()
        self._lib.fwgen_link_rx_get_stats(self._state, ctypes.byref(out))
        return DecoderStats(**{name: getattr(out, name) for name, _ in _CRxStats._fields_})


class NativeLink:
    """A C link session (fwgen_link_t): decoder, encoder with a write callback, flow control."""

    def __init__(self, write: Callable[[bytes], None], *, accept: Direction = Direction.TO_DEVICE,
                 audio_window: int = 4096, rx_buffer_size: int = 1024 + OVERHEAD,
                 tx_buffer_size: int | None = None):
        self._lib = library()
        self._write = write
        self._state = (ctypes.c_uint8 * self._lib.fwgen_link_sizeof())()
        self._rx = (ctypes.c_uint8 * rx_buffer_size)()
        tx_size = tx_buffer_size or max_encoded_size(rx_buffer_size)
        self._tx = (ctypes.c_uint8 * tx_size)()
        self._callback = _WRITE_FN(self._on_write)  # keep a reference while C holds it
        params = _CParams(int(accept), ctypes.cast(self._rx, ctypes.c_void_p), rx_buffer_size,
                          ctypes.cast(self._tx, ctypes.c_void_p), tx_size, audio_window,
                          self._callback, None)
        status = self._lib.fwgen_link_init(self._state, ctypes.byref(params))
        if status != FWGEN_OK:
            raise ValueError(f"fwgen_link_init failed with status {status}")

    def _on_write(self, _ctx: int, data, length: int) -> None:
        self._write(ctypes.string_at(data, length))

    @property
    def rx_max_payload(self) -> int:
        return int(self._lib.fwgen_link_rx_max_payload(self._state))

    def receive(self, data: bytes) -> list[Frame]:
        return _frames(self._lib.fwgen_link_receive, self._state, data)

    def send(self, msg: Message) -> int:
        """Send through the C encoder (fixed part and tail as the typed senders pass them)."""
        spec = spec_of(msg)
        payload = pack_payload(msg)
        fixed, tail = payload[:spec.fixed_size], payload[spec.fixed_size:]
        return int(self._lib.fwgen_link_send(self._state, spec.type_id, fixed or None, len(fixed),
                                             tail or None, len(tail)))

    def log(self, level: int, text: str) -> int:
        return int(self._lib.fwgen_link_log(self._state, level, text.encode()))

    def report_error(self, status: int, cause_type: int, detail: int) -> int:
        return int(self._lib.fwgen_link_report_error(self._state, status, cause_type, detail))

    def config_check(self, config: Config, outputs_supported: int, max_stride: int) -> int:
        """fwgen_link_config_check(): 0 (apply it) or FWGEN_ERR_UNSUPPORTED (ERROR sent)."""
        c_config = _CConfig(config.outputs, config.stride_frames)
        return int(self._lib.fwgen_link_config_check(self._state, ctypes.byref(c_config),
                                                     outputs_supported, max_stride))

    def audio_accept(self, audio: Audio) -> int:
        """fwgen_link_audio_accept(): 0 (take the samples) or the refusal status."""
        pcm = ctypes.create_string_buffer(audio.pcm, max(len(audio.pcm), 1))
        c_audio = _CAudio(audio.offset, ctypes.cast(pcm, ctypes.c_void_p), len(audio.pcm))
        return int(self._lib.fwgen_link_audio_accept(self._state, ctypes.byref(c_audio)))

    def audio_consumed(self, n: int) -> None:
        self._lib.fwgen_link_audio_consumed(self._state, n)

    def audio_service(self) -> int:
        return int(self._lib.fwgen_link_audio_service(self._state))

    def audio_end(self, total_samples: int) -> None:
        self._lib.fwgen_link_audio_end(self._state, total_samples)

    def audio_reset(self) -> None:
        self._lib.fwgen_link_audio_reset(self._state)

    def fill_stats(self, stats: Stats) -> Stats:
        """`stats` with the link-owned fields replaced by the C session's counters."""
        out = _CStats(**{fs.name: getattr(stats, fs.name) for fs in spec_of(Stats).fields})
        self._lib.fwgen_link_fill_stats(self._state, ctypes.byref(out))
        return Stats(**{fs.name: getattr(out, fs.name) for fs in spec_of(Stats).fields})
