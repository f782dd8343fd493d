"""Host binding of the C log-mel frontend (firmware/frontend/logmel.c), from fwgen's host library.

`LogMelFrontend(settings)` runs the same C code the board runs, fed with the tables computed in
Python (fwgen.frontend.logmel.tables) through the same `fwgen_logmel_config_t` that the generated
logmel_tables.c defines on the device.

    fe = LogMelFrontend({"fe.log_offset": 1e-4})
    frames = fe.process(audio_int16)       # float32 (frames, n_channels); state carries over
    more = fe.process(next_chunk)          # continues the stream (any chunk size)
    x = fe.patches(clip, pad=True)         # model input patches of a whole clip (fresh state)
    x8 = fe.quantize(x, scale, zero_point) # int8 model input, rounded by the C code

`quantize_s8` is that last step without a frontend (fwgen_logmel_quantize_s8).
"""
from __future__ import annotations

import ctypes
import logging
from typing import Any, Mapping

import numpy as np

from fwgen.errors import FwgenError
from fwgen.frontend.logmel.patches import frames_to_patches, pad_like_yamnet
from fwgen.frontend.logmel.settings import LogMelSettings, check_quantization
from fwgen.frontend.logmel.tables import compute_tables

LOG = logging.getLogger(__name__)


class _Config(ctypes.Structure):
    _fields_ = [
        ("window_size", ctypes.c_uint16),
        ("window_step", ctypes.c_uint16),
        ("fft_length", ctypes.c_uint16),
        ("n_channels", ctypes.c_uint16),
        ("log_offset", ctypes.c_float),
        ("window_hi", ctypes.c_void_p),
        ("window_lo", ctypes.c_void_p),
        ("preemph_hi", ctypes.c_void_p),
        ("preemph_lo", ctypes.c_void_p),
        ("preemph_inv_gain", ctypes.c_void_p),
        ("twiddles", ctypes.c_void_p),
        ("permutation", ctypes.c_void_p),
        ("band_start", ctypes.c_void_p),
        ("band_len", ctypes.c_void_p),
        ("band_weights", ctypes.c_void_p),
    ]


class _State(ctypes.Structure):
    _fields_ = [
        ("input", ctypes.c_void_p),
        ("scratch", ctypes.c_void_p),
        ("input_used", ctypes.c_uint32),
        ("frames", ctypes.c_uint32),
    ]


_SIZE_T_P = ctypes.POINTER(ctypes.c_size_t)


def _bind(lib: ctypes.CDLL) -> ctypes.CDLL:
    if getattr(lib, "_fwgen_logmel_bound", False):
        return lib
    from fwgen.native import declare

    cfg_p, st_p, vp, sz, status = (ctypes.POINTER(_Config), ctypes.POINTER(_State), ctypes.c_void_p,
                                   ctypes.c_size_t, ctypes.c_int)
    declare(lib, {  # firmware/frontend/logmel.h
        "fwgen_logmel_get_buffer_size": (sz, [cfg_p]),
        "fwgen_logmel_init": (status, [cfg_p, st_p, vp, sz]),
        "fwgen_logmel_reset": (status, [st_p]),
        "fwgen_logmel_process_many": (status, [cfg_p, st_p, vp, sz, _SIZE_T_P, vp, sz, _SIZE_T_P]),
        "fwgen_logmel_compute_frame": (status, [cfg_p, vp, vp, vp]),
        "fwgen_logmel_rfft": (status, [cfg_p, vp, vp]),
        "fwgen_logmel_quantize_s8": (status, [vp, sz, ctypes.c_float, ctypes.c_int32, vp]),
    })
    lib._fwgen_logmel_bound = True
    return lib


def _check(status: int, what: str) -> None:
    if status != 0:
        raise FwgenError(f"{what} failed with fwgen status {status}",
                         hint="this is a bug in fwgen's log-mel binding: please report it")


def _as_int16(audio: Any) -> np.ndarray:
    arr = np.asarray(audio)
    if arr.ndim != 1:
        raise FwgenError(f"audio must be one channel (a 1-D array), got shape {arr.shape}",
                         where="log-mel frontend input")
    if arr.dtype != np.int16:
        if np.issubdtype(arr.dtype, np.integer) and (arr.size == 0 or
                                                     (arr.min() >= -32768 and arr.max() <= 32767)):
            arr = arr.astype(np.int16)
        else:
            raise FwgenError(f"audio must be int16 PCM samples, got dtype {arr.dtype}",
                             where="log-mel frontend input",
                             hint="convert float audio with np.round(x * 32768).clip(-32768, 32767)")
    return np.ascontiguousarray(arr)


class LogMelFrontend:
    """Host binding of the C log-mel frontend: the code the board runs, loaded with ctypes.

    `process(audio)` streams int16 samples (state continues across calls) and returns the
    float32 frames completed, shape (frames, n_channels). `reset()` starts over.
    """

    def __init__(self, settings: Mapping[str, Any] | LogMelSettings | None = None):
        from fwgen.native import load_core

        self.tables = compute_tables(settings)
        self.settings = self.tables.settings
        self._lib = _bind(load_core())
        t = self.tables
        self._keep = [t.window_hi, t.window_lo, t.preemph_hi, t.preemph_lo, t.preemph_inv_gain,
                      t.twiddles, t.permutation, t.band_start, t.band_len, t.band_weights]
        self._cfg = _Config(
            window_size=self.settings.window_size, window_step=self.settings.window_step,
            fft_length=self.settings.fft_length, n_channels=self.settings.n_channels,
            log_offset=self.settings.log_offset,
            window_hi=t.window_hi.ctypes.data, window_lo=t.window_lo.ctypes.data,
            preemph_hi=t.preemph_hi.ctypes.data, preemph_lo=t.preemph_lo.ctypes.data,
            preemph_inv_gain=t.preemph_inv_gain.ctypes.data, twiddles=t.twiddles.ctypes.data,
            permutation=t.permutation.ctypes.data,
            band_start=t.band_start.ctypes.data, band_len=t.band_len.ctypes.data,
            band_weights=t.band_weights.ctypes.data)
        size = self._lib.fwgen_logmel_get_buffer_size(ctypes.byref(self._cfg))
        self._buffer = np.zeros((size + 7) // 8, dtype=np.uint64)  # 8-byte aligned
        self._state = _State()
        _check(self._lib.fwgen_logmel_init(ctypes.byref(self._cfg), ctypes.byref(self._state),
                                           self._buffer.ctypes.data, self._buffer.nbytes),
               "fwgen_logmel_init")

    @property
    def n_channels(self) -> int:
        return self.settings.n_channels

    @property
    def buffer_size(self) -> int:
        """Bytes of working buffer the C state needs (what the firmware allocates)."""
        return int(self._lib.fwgen_logmel_get_buffer_size(ctypes.byref(self._cfg)))

    def reset(self) -> None:
        _check(self._lib.fwgen_logmel_reset(ctypes.byref(self._state)), "fwgen_logmel_reset")

    def process(self, audio: Any) -> np.ndarray:
        """Feed int16 samples; returns the frames they complete, float32 (frames, n_channels)."""
        samples = _as_int16(audio)
        s = self.settings
        pending = int(self._state.input_used)
        max_frames = 0
        if pending + samples.size >= s.window_size:
            max_frames = (pending + samples.size - s.window_size) // s.window_step + 1
        out = np.zeros((max_frames, s.n_channels), dtype=np.float32)
        consumed, produced = ctypes.c_size_t(), ctypes.c_size_t()
        _check(self._lib.fwgen_logmel_process_many(
            ctypes.byref(self._cfg), ctypes.byref(self._state),
            samples.ctypes.data if samples.size else None, samples.size, ctypes.byref(consumed),
            out.ctypes.data if max_frames else None, max_frames, ctypes.byref(produced)),
            "fwgen_logmel_process_many")
        if consumed.value != samples.size or produced.value != max_frames:
            raise FwgenError(f"log-mel binding consumed {consumed.value}/{samples.size} samples and "
                             f"produced {produced.value}/{max_frames} frames",
                             hint="this is a bug in fwgen's log-mel binding: please report it")
        return out

    def compute_frame(self, window_samples: Any) -> np.ndarray:
        """One frame from exactly window_size samples (no streaming state)."""
        samples = _as_int16(window_samples)
        if samples.size != self.settings.window_size:
            raise FwgenError(f"a frame needs {self.settings.window_size} samples, got {samples.size}")
        scratch = np.zeros(2 * self.settings.fft_length, dtype=np.float32)
        out = np.zeros(self.settings.n_channels, dtype=np.float32)
        _check(self._lib.fwgen_logmel_compute_frame(ctypes.byref(self._cfg), samples.ctypes.data,
                                                    scratch.ctypes.data, out.ctypes.data),
               "fwgen_logmel_compute_frame")
        return out

    def rfft(self, x: Any) -> np.ndarray:
        """The C float32 real FFT of fft_length floats, as complex64 bins 0 .. N/2 (for tests)."""
        data = np.array(x, dtype=np.float32).ravel()
        n = self.settings.fft_length
        if data.size != n:
            raise FwgenError(f"the FFT takes {n} values, got {data.size}")
        packed = np.zeros(n, dtype=np.float32)
        _check(self._lib.fwgen_logmel_rfft(ctypes.byref(self._cfg), data.ctypes.data, packed.ctypes.data),
               "fwgen_logmel_rfft")
        data = packed
        out = np.zeros(n // 2 + 1, dtype=np.complex64)
        out[0], out[n // 2] = data[0], data[1]
        out[1:n // 2] = data[2::2] + 1j * data[3::2]
        return out

    def features(self, audio: Any) -> np.ndarray:
        """Frames of a whole clip from a fresh state (resets before and after)."""
        self.reset()
        try:
            return self.process(audio)
        finally:
            self.reset()

    def patches(self, audio: Any, *, pad: bool = False) -> np.ndarray:
        """Model input patches of a whole clip: float32 (n_patches, patch_frames, n_channels),
        or (n_patches, n_channels, patch_frames) with fe.patch_layout = "channels_frames".

        Starts from a fresh state. `pad=True` zero-pads the waveform the way YAMNet does, so a
        short clip still gives one patch and the last patch is complete.
        """
        samples = _as_int16(audio)
        if pad:
            samples = pad_like_yamnet(samples, self.settings)
        patches = frames_to_patches(self.features(samples), self.settings.patch_frames,
                                    self.settings.patch_hop_frames)
        if self.settings.patch_layout == "channels_frames":
            patches = np.ascontiguousarray(patches.transpose(0, 2, 1))
        return patches

    def quantize(self, features: Any, scale: float, zero_point: int) -> np.ndarray:
        """int8 model input from float features (TFLite QUANTIZE rounding), via the C code."""
        return quantize_s8(features, scale, zero_point, lib=self._lib)


def quantize_s8(features: Any, scale: float, zero_point: int, *, lib: ctypes.CDLL | None = None) -> np.ndarray:
    """clamp(round_half_away(x / scale) + zero_point, -128, 127) computed by the C code."""
    check_quantization(scale, zero_point)
    if lib is None:
        from fwgen.native import load_core

        lib = load_core()
    lib = _bind(lib)
    x = np.ascontiguousarray(features, dtype=np.float32)
    out = np.zeros(x.shape, dtype=np.int8)
    _check(lib.fwgen_logmel_quantize_s8(x.ctypes.data if x.size else None, x.size, float(scale),
                                        int(zero_point), out.ctypes.data if x.size else None),
           "fwgen_logmel_quantize_s8")
    return out
