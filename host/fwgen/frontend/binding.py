"""Host binding of the C frontend (firmware/frontend/), loaded from fwgen's host library.

`Frontend(settings, output="uint16"|"int8")` runs the same C code the board runs, fed with the
tables computed in Python (fwgen.frontend.tables) through the same `fwgen_frontend_config_t`
that the generated frontend_config.c defines on the device.

    fe = Frontend(load_settings("settings.json", name="micro_speech"), output="int8")
    feats = fe.process(audio_int16)        # (frames, channels); state carries over
    more = fe.process(next_chunk)          # continues the stream (any chunk size)
    fe.reset()                             # start a new stream
    batch = fe.process_clips(clips)        # (n_clips, frames, channels), reset per clip

Output layout: one row per completed frame in time order, one column per mel channel (lowest
frequency first), C-contiguous: uint16, or with `output="int8"` the int8 model input that
fwgen_frontend_to_s8 gives (TFLM's clip((u16 * 256 + 333) // 666 - 128), or MLTK's dynamic
range scaling when `fe.quantize_dynamic_scale_enable`). A call completes
(pending + len(audio) - window_size) // window_step + 1 frames once a window is full (none
before), where pending is the audio held back from earlier calls.

A whole buffer is one C call (no per-frame Python loop); the C call releases the GIL, so
separate Frontend objects can run in threads, and a Frontend pickles (as its tables) to go to
worker processes, where the copy starts a fresh stream. With int8 output and
`fe.quantize_dynamic_scale_enable`, the dynamic range scaling covers the frames returned by that
call (MLTK scales each clip's spectrogram as a whole); to scale a sliding model window while
streaming, process as uint16 and call `Frontend.to_int8(window)`.
"""
from __future__ import annotations

import ctypes
import logging
from functools import lru_cache
from typing import Any

import numpy as np

from fwgen import native
from fwgen.errors import FwgenError
from fwgen.frontend.settings import FrontendSettings, load_settings
from fwgen.frontend.tables import MAX_FFT_STAGES, FrontendTables, compute_tables

LOG = logging.getLogger(__name__)

FWGEN_OK = 0
FWGEN_NEED_MORE = 7
_STATUS = {1: "bad argument", 2: "buffer too small", 5: "config made for another ABI"}

_i16p = ctypes.POINTER(ctypes.c_int16)
_u16p = ctypes.POINTER(ctypes.c_uint16)


class FrontendConfigStruct(ctypes.Structure):
    """Mirror of fwgen_frontend_config_t (firmware/frontend/frontend.h), same field order."""

    _fields_ = [
        ("abi", ctypes.c_uint32),
        ("sample_rate_hz", ctypes.c_uint32),
        ("window_size", ctypes.c_uint16),
        ("window_step", ctypes.c_uint16),
        ("dc_notch_enable", ctypes.c_uint8),
        ("dc_notch_coef", ctypes.c_int16),
        ("window", _i16p),
        ("fft_length", ctypes.c_uint16),
        ("fft_n_stages", ctypes.c_uint8),
        ("fft_radix", ctypes.c_uint8 * MAX_FFT_STAGES),
        ("fft_input_order", _u16p),
        ("fft_twiddles", _i16p),
        ("fft_super_twiddles", _i16p),
        ("n_channels", ctypes.c_uint16),
        ("spectrum_start", ctypes.c_uint16),
        ("spectrum_end", ctypes.c_uint16),
        ("band_edges", _u16p),
        ("weights", _i16p),
        ("unweights", _i16p),
        ("noise_reduction_enable", ctypes.c_uint8),
        ("smoothing_bits", ctypes.c_uint8),
        ("even_smoothing", ctypes.c_uint16),
        ("odd_smoothing", ctypes.c_uint16),
        ("min_signal_remaining", ctypes.c_uint16),
        ("pcan_enable", ctypes.c_uint8),
        ("pcan_snr_shift", ctypes.c_uint8),
        ("pcan_gain_lut", _i16p),
        ("log_enable", ctypes.c_uint8),
        ("log_scale_shift", ctypes.c_uint8),
        ("log_correction_bits", ctypes.c_int8),
        ("log_lut", _u16p),
        ("activity_enable", ctypes.c_uint8),
        ("activity_scale", ctypes.c_uint8),
        ("activity_alpha_a", ctypes.c_int16),
        ("activity_alpha_b", ctypes.c_int16),
        ("activity_arm_threshold", ctypes.c_int16),
        ("activity_trip_threshold", ctypes.c_int16),
        ("dynamic_scale_enable", ctypes.c_uint8),
        ("dynamic_scale_range", ctypes.c_int32),
    ]


_SCALAR_FIELDS = [name for name, ctype in FrontendConfigStruct._fields_
                  if not hasattr(ctype, "contents") and name not in ("abi", "fft_radix")]


@lru_cache(maxsize=None)
def _lib() -> ctypes.CDLL:
    vp, sz, status = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int
    cfgp = ctypes.POINTER(FrontendConfigStruct)
    return native.declare(native.load_core(), {  # firmware/frontend/frontend.h
        "fwgen_frontend_get_state_size": (sz, [cfgp]),
        "fwgen_frontend_init": (status, [cfgp, vp, sz, ctypes.POINTER(vp)]),
        "fwgen_frontend_reset": (None, [vp]),
        "fwgen_frontend_process_frames": (status, [vp, vp, sz, vp, sz, ctypes.POINTER(sz),
                                                   ctypes.POINTER(sz)]),
        "fwgen_frontend_activity_tripped": (ctypes.c_int, [vp]),
        "fwgen_frontend_to_s8": (status, [cfgp, vp, vp, sz]),
        "fwgen_abi_version": (ctypes.c_uint32, []),
    })


def build_config(tables: FrontendTables, abi: int) -> tuple[FrontendConfigStruct, list[np.ndarray]]:
    """A C config struct pointing into contiguous copies of the tables (returned to keep alive)."""
    keep: list[np.ndarray] = []
    cfg = FrontendConfigStruct()
    cfg.abi = abi
    for name in _SCALAR_FIELDS:
        setattr(cfg, name, int(getattr(tables, name)))
    cfg.fft_n_stages = tables.fft_n_stages
    for i, radix in enumerate(tables.fft_radix):
        cfg.fft_radix[i] = radix
    for name, array in tables.arrays().items():
        ctype = dict(FrontendConfigStruct._fields_)[name]
        arr = np.ascontiguousarray(array)
        keep.append(arr)
        setattr(cfg, name, arr.ctypes.data_as(ctype))
    return cfg, keep


class Frontend:
    """The C frontend on the host, streaming; see the module docstring."""

    def __init__(self, settings: FrontendSettings | dict[str, Any] | str, output: str | None = None):
        settings = load_settings(settings, output_dtype=output)
        self._setup(settings, compute_tables(settings))

    @classmethod
    def from_tables(cls, tables: FrontendTables, output: str | None = None) -> "Frontend":
        """A frontend running explicit tables (e.g. an experimental window; normally use
        `Frontend(settings)`, which computes them)."""
        frontend = cls.__new__(cls)
        frontend._setup(tables.settings.with_output(output) if output else tables.settings, tables)
        return frontend

    def _setup(self, settings: FrontendSettings, tables: FrontendTables) -> None:
        self.settings = settings
        self.output = settings.output_dtype
        self.tables = tables
        lib = _lib()
        self._lib = lib
        self._config, self._keep = build_config(self.tables, lib.fwgen_abi_version())
        size = lib.fwgen_frontend_get_state_size(ctypes.byref(self._config))
        self.state_size = int(size)
        self._memory = np.zeros((size + 7) // 8, dtype=np.uint64)
        handle = ctypes.c_void_p()
        status = lib.fwgen_frontend_init(ctypes.byref(self._config), self._memory.ctypes.data,
                                         self._memory.nbytes, ctypes.byref(handle))
        if status != FWGEN_OK:
            raise FwgenError(f"the C frontend rejected its configuration: "
                             f"{_STATUS.get(status, status)}", where=self.settings.where)
        self._handle = handle
        self._pending = 0  # samples buffered towards the next window

    def __reduce__(self):
        """Pickle as (tables, output) so a Frontend can go to worker processes; the copy starts
        a fresh stream (audio buffered in this one is not carried over)."""
        return (_restore, (self.tables, self.output))

    @property
    def n_channels(self) -> int:
        return self.settings.n_channels

    def reset(self) -> None:
        """Forget all audio so far (start a new stream)."""
        self._lib.fwgen_frontend_reset(self._handle)
        self._pending = 0

    def _run(self, audio: np.ndarray) -> np.ndarray:
        s = self.settings
        total = self._pending + len(audio)
        n_frames = 0 if total < s.window_size else (total - s.window_size) // s.window_step + 1
        frames = np.empty((n_frames, s.n_channels), dtype=np.uint16)
        got, used = ctypes.c_size_t(), ctypes.c_size_t()
        status = self._lib.fwgen_frontend_process_frames(
            self._handle, audio.ctypes.data, len(audio), frames.ctypes.data, n_frames,
            ctypes.byref(got), ctypes.byref(used))
        if status != FWGEN_OK or got.value != n_frames or used.value != len(audio):
            raise RuntimeError(f"C frontend: status {status}, {got.value}/{n_frames} frames, "
                               f"{used.value}/{len(audio)} samples")
        self._pending = total - n_frames * s.window_step
        return frames

    def process(self, audio: np.ndarray) -> np.ndarray:
        """Feed int16 mono audio; returns the frames it completes, (frames, n_channels)."""
        audio = self._check_audio(audio)
        frames = self._run(audio)
        return self.to_int8(frames) if self.output == "int8" else frames

    def process_clips(self, clips: np.ndarray | list[np.ndarray]) -> np.ndarray:
        """Features of independent equal-length clips (reset before each): (n, frames, channels)."""
        outs = []
        for clip in clips:
            self.reset()
            outs.append(self.process(clip))
        self.reset()
        if not outs:
            dtype = np.int8 if self.output == "int8" else np.uint16
            return np.zeros((0, 0, self.n_channels), dtype=dtype)
        if len({o.shape for o in outs}) != 1:
            raise FwgenError("process_clips needs clips of equal length")
        return np.stack(outs)

    def to_int8(self, features: np.ndarray) -> np.ndarray:
        """uint16 features -> int8 with this config's mapping (dynamic: over all values given)."""
        feats = np.ascontiguousarray(features, dtype=np.uint16)
        out = np.empty(feats.shape, dtype=np.int8)
        status = self._lib.fwgen_frontend_to_s8(ctypes.byref(self._config), feats.ctypes.data,
                                                out.ctypes.data, feats.size)
        if status != FWGEN_OK:
            raise RuntimeError(f"fwgen_frontend_to_s8 failed with status {status}")
        return out

    def activity_tripped(self) -> bool:
        """True once after the activity detector tripped (fe.activity_detection_enable)."""
        return bool(self._lib.fwgen_frontend_activity_tripped(self._handle))

    @staticmethod
    def _check_audio(audio: np.ndarray) -> np.ndarray:
        arr = np.asarray(audio)
        if arr.ndim != 1:
            raise FwgenError(f"audio must be one channel (a 1-D array), got shape {arr.shape}")
        if arr.dtype != np.int16:
            raise FwgenError(f"audio must be int16 samples, got {arr.dtype}",
                             hint="scale float audio with (x * 32768).clip(-32768, 32767)"
                                  ".astype(np.int16), or read it with fwgen.audio.read_wav")
        return np.ascontiguousarray(arr)


def _restore(tables: FrontendTables, output: str) -> Frontend:
    return Frontend.from_tables(tables, output)
