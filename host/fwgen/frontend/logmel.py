"""The float log-mel frontend (YAMNet / ST model zoo spectrogram) for cores with an FPU.

One C implementation (firmware/frontend/logmel.c) runs on the board and, through this module,
on the host. Python's job is the `_util` half: validate the settings, compute every table
(periodic Hann window times the int16 input scale, FFT twiddles and bit reversal, sparse HTK
mel weights) and either pass them to the host build or render them as `static const` C data.

Settings use `fe.*` keys like the fixed-point frontend (all optional, defaults = YAMNet):

==============================  =======  ==========================================================
key                             default  meaning
==============================  =======  ==========================================================
fe.frontend                     logmel   must be "logmel" for this frontend
fe.sample_rate_hz               16000    audio rate (int16 PCM); 8000 .. 48000
fe.window_size_ms               25       analysis window; round(rate * ms / 1000) samples (400)
fe.window_step_ms               10       hop between frames; round(rate * ms / 1000) samples (160)
fe.fft_length                   512      power of two >= window size, 16 .. 4096 (0 = smallest)
fe.filterbank_n_channels        64       mel bands (frame width), 1 .. 256
fe.filterbank_lower_band_limit  125.0    lower edge of the first band, Hz, >= 0
fe.filterbank_upper_band_limit  7500.0   upper edge of the last band, Hz, <= rate / 2
fe.log_offset                   0.001    out = log(mel + offset); YAMNet 0.001, ST training 1e-4
fe.patch_frames                 96       frames per model input patch (Yamnet-256: 96)
fe.patch_hop_frames             48       frames between patch starts (YAMNet: 0.48 s = 48;
                                         ST's overlap 0.25 of 96 frames: 72)
fe.filterbank_weights           tensorflow  "tensorflow": triangles linear in mel
                                         (tf.signal.linear_to_mel_weight_matrix, YAMNet);
                                         "librosa": triangles linear in Hz between the same mel
                                         edges (librosa.filters.mel(htk=True, norm=None), ST zoo)
fe.patch_layout                 frames_channels  model input order of a patch: "frames_channels"
                                         (YAMNet, (96, 64)) or "channels_frames" (ST, (64, 96))
fe.sample_length_ms             -        accepted, not used here (training clip length, MLTK's key)
==============================  =======  ==========================================================

Semantics (as tf.signal.stft + tf.signal.linear_to_mel_weight_matrix in YAMNet's features.py):
waveform = int16 / 32768, frames of window_size samples every window_step samples (no padding),
periodic Hann window, |rfft| zero-padded to fft_length, HTK mel (1127 ln(1 + f/700)) triangles
between the band limits with FFT bin 0 excluded, natural log of (mel + log_offset).
"""
from __future__ import annotations

import ctypes
import difflib
import json
import logging
import math
from dataclasses import asdict, dataclass
from typing import Any, Mapping

import numpy as np

from fwgen.errors import FwgenError
from fwgen.frontend.fft_plan import dit_input_order, radix_stages

LOG = logging.getLogger(__name__)

FRONTEND_NAME = "logmel"
INPUT_SCALE = 1.0 / 32768.0
MIN_FFT_LENGTH = 16
MAX_FFT_LENGTH = 4096
MAX_CHANNELS = 256
# Circular pre-emphasis coefficient of the FFT input (a numerical device, not a setting: its
# effect on magnitudes is undone exactly; see firmware/frontend/logmel.h).
PREEMPHASIS = 0.9
HI_BITS = 8  # significant bits of the window's high part: int16 * hi is exact in float32

# key -> (attribute, type, default)
_KEYS: dict[str, tuple[str, type, Any]] = {
    "fe.sample_rate_hz": ("sample_rate_hz", int, 16000),
    "fe.window_size_ms": ("window_size_ms", float, 25.0),
    "fe.window_step_ms": ("window_step_ms", float, 10.0),
    "fe.fft_length": ("fft_length", int, 512),
    "fe.filterbank_n_channels": ("n_channels", int, 64),
    "fe.filterbank_lower_band_limit": ("lower_band_limit", float, 125.0),
    "fe.filterbank_upper_band_limit": ("upper_band_limit", float, 7500.0),
    "fe.log_offset": ("log_offset", float, 0.001),
    "fe.patch_frames": ("patch_frames", int, 96),
    "fe.patch_hop_frames": ("patch_hop_frames", int, 48),
}
# Accepted and not used by the frontend: the clip length models are trained on (MLTK's key).
INFORMATIONAL_KEYS = ("fe.sample_length_ms",)
# key -> (attribute, allowed values; the first is the default)
_CHOICES: dict[str, tuple[str, tuple[str, ...]]] = {
    "fe.filterbank_weights": ("filterbank_weights", ("tensorflow", "librosa")),
    "fe.patch_layout": ("patch_layout", ("frames_channels", "channels_frames")),
}
SETTING_KEYS = ("fe.frontend",) + tuple(_KEYS) + tuple(_CHOICES) + INFORMATIONAL_KEYS
SETTING_CHOICES = {key: allowed for key, (_attr, allowed) in _CHOICES.items()}


def _err(key: str, value: Any, problem: str, hint: str | None = None) -> FwgenError:
    return FwgenError(f"{key} = {value!r}: {problem}", where="log-mel frontend settings", hint=hint)


@dataclass(frozen=True)
class LogMelSettings:
    """Validated log-mel settings. Build with `LogMelSettings.from_dict({...fe.* keys...})`."""

    sample_rate_hz: int = 16000
    window_size_ms: float = 25.0
    window_step_ms: float = 10.0
    fft_length: int = 512
    n_channels: int = 64
    lower_band_limit: float = 125.0
    upper_band_limit: float = 7500.0
    log_offset: float = 0.001
    patch_frames: int = 96
    patch_hop_frames: int = 48
    filterbank_weights: str = "tensorflow"
    patch_layout: str = "frames_channels"

    @classmethod
    def from_dict(cls, settings: Mapping[str, Any] | None = None, *,
                  where: str = "log-mel frontend settings") -> "LogMelSettings":
        """Parse and validate `fe.*` settings; other (non-`fe.`) keys are ignored.

        Unknown `fe.*` keys are rejected so a typo never silently falls back to a default.
        Errors name `where` (e.g. the settings file) besides the key, the value and the limit.
        """
        try:
            return cls._from_dict(dict(settings or {}))
        except FwgenError as exc:
            exc.where = where
            raise

    @classmethod
    def _from_dict(cls, settings: dict[str, Any]) -> "LogMelSettings":
        frontend = settings.get("fe.frontend", FRONTEND_NAME)
        if frontend != FRONTEND_NAME:
            raise _err("fe.frontend", frontend, f"this is the '{FRONTEND_NAME}' frontend",
                       hint="use fwgen.frontend.Frontend for the fixed-point microfrontend")
        unknown = sorted(k for k in settings if k.startswith("fe.") and k not in SETTING_KEYS)
        if unknown:
            close = difflib.get_close_matches(unknown[0], SETTING_KEYS, n=1)
            raise _err(unknown[0], settings[unknown[0]], "unknown setting for the log-mel frontend",
                       hint=f"did you mean '{close[0]}'?" if close else
                       "known keys: " + ", ".join(SETTING_KEYS))
        values: dict[str, Any] = {}
        for key, (attr, kind, default) in _KEYS.items():
            raw = settings.get(key, default)
            values[attr] = _coerce(key, raw, kind)
        for key, (attr, allowed) in _CHOICES.items():
            raw = settings.get(key, allowed[0])
            if raw not in allowed:
                raise _err(key, raw, "must be one of " + ", ".join(f'"{a}"' for a in allowed))
            values[attr] = raw
        if values["fft_length"] == 0:  # YAMNet's rule: the smallest power of two holding the window
            size = max(1, int(round(values["sample_rate_hz"] * values["window_size_ms"] / 1000.0)))
            values["fft_length"] = max(MIN_FFT_LENGTH, 1 << (size - 1).bit_length())
        result = cls(**values)
        result.validate()
        return result

    def to_dict(self) -> dict[str, Any]:
        """The `fe.*` dictionary form (round-trips through from_dict)."""
        out: dict[str, Any] = {"fe.frontend": FRONTEND_NAME}
        for key, (attr, _kind, _default) in _KEYS.items():
            out[key] = getattr(self, attr)
        for key, (attr, _allowed) in _CHOICES.items():
            out[key] = getattr(self, attr)
        return out

    # -- derived sizes -------------------------------------------------------------------------
    @property
    def window_size(self) -> int:
        return int(round(self.sample_rate_hz * self.window_size_ms / 1000.0))

    @property
    def window_step(self) -> int:
        return int(round(self.sample_rate_hz * self.window_step_ms / 1000.0))

    @property
    def n_bins(self) -> int:
        return self.fft_length // 2 + 1

    def validate(self) -> None:
        """Raise FwgenError naming the key, the value and the limit of the first bad setting."""
        rate = self.sample_rate_hz
        if not 8000 <= rate <= 48000:
            raise _err("fe.sample_rate_hz", rate, "must be between 8000 and 48000")
        size, step = self.window_size, self.window_step
        if size < 1:
            raise _err("fe.window_size_ms", self.window_size_ms, "gives a window of less than one sample")
        if step < 1:
            raise _err("fe.window_step_ms", self.window_step_ms, "gives a step of less than one sample")
        if step > size:
            raise _err("fe.window_step_ms", self.window_step_ms,
                       f"the step ({step} samples) must not exceed the window ({size} samples, "
                       f"fe.window_size_ms = {self.window_size_ms})")
        fft = self.fft_length
        if fft & (fft - 1) or not MIN_FFT_LENGTH <= fft <= MAX_FFT_LENGTH:
            raise _err("fe.fft_length", fft,
                       f"must be a power of two from {MIN_FFT_LENGTH} to {MAX_FFT_LENGTH}")
        if fft < size:
            raise _err("fe.fft_length", fft, f"must be at least the window size ({size} samples)",
                       hint=f"use {1 << (size - 1).bit_length()} or 0 for the smallest that fits")
        if not 1 <= self.n_channels <= MAX_CHANNELS:
            raise _err("fe.filterbank_n_channels", self.n_channels, f"must be 1 .. {MAX_CHANNELS}")
        nyquist = rate / 2.0
        if not 0.0 <= self.lower_band_limit:
            raise _err("fe.filterbank_lower_band_limit", self.lower_band_limit, "must be >= 0 Hz")
        if not self.upper_band_limit <= nyquist:
            raise _err("fe.filterbank_upper_band_limit", self.upper_band_limit,
                       f"above the Nyquist frequency {nyquist:g} Hz (fe.sample_rate_hz = {rate})")
        if not self.lower_band_limit < self.upper_band_limit:
            raise _err("fe.filterbank_lower_band_limit", self.lower_band_limit,
                       f"must be below fe.filterbank_upper_band_limit ({self.upper_band_limit:g} Hz)")
        if not (math.isfinite(self.log_offset) and 1e-30 <= self.log_offset <= 1e6):
            raise _err("fe.log_offset", self.log_offset, "must be a positive number (1e-30 .. 1e6)")
        if self.patch_frames < 1:
            raise _err("fe.patch_frames", self.patch_frames, "must be >= 1")
        if self.patch_hop_frames < 1:
            raise _err("fe.patch_hop_frames", self.patch_hop_frames, "must be >= 1")
        for key, (attr, allowed) in _CHOICES.items():
            if getattr(self, attr) not in allowed:
                raise _err(key, getattr(self, attr), "must be one of " + ", ".join(f'"{a}"' for a in allowed))

    def digest(self) -> str:
        """Short stable digest of the settings (named in generated files' banners)."""
        from fwgen.render import json_digest  # local: keeps this module importable without jinja

        return json_digest(asdict(self))


def _coerce(key: str, raw: Any, kind: type) -> Any:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, np.integer, np.floating)):
        raise _err(key, raw, f"must be a number ({kind.__name__})")
    value = float(raw)
    if not math.isfinite(value):
        raise _err(key, raw, "must be finite")
    if kind is int:
        if value != int(value):
            raise _err(key, raw, "must be an integer")
        return int(value)
    return value


def parse_settings(settings: Mapping[str, Any] | LogMelSettings | None) -> LogMelSettings:
    """LogMelSettings from a settings mapping (or pass one through)."""
    if isinstance(settings, LogMelSettings):
        settings.validate()
        return settings
    return LogMelSettings.from_dict(settings)


# -- tables -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LogMelTables:
    """Everything the C code reads, as the exact float32/uint16 arrays it gets."""

    settings: LogMelSettings
    window_hi: np.ndarray     # float32 [window_size]: hann/32768 to HI_BITS significant bits
    window_lo: np.ndarray     # float32 [window_size]: the rest
    preemph_hi: np.ndarray    # float32 [window_size]: PREEMPHASIS * hann/32768, high part
    preemph_lo: np.ndarray    # float32 [window_size]: the rest
    preemph_inv_gain: np.ndarray  # float32 [n_bins]: 1 / |1 - a exp(-2 pi i k/N)|
    twiddles: np.ndarray      # float32 [fft_length/2, 2]: cos(2 pi k/N), -sin(2 pi k/N)
    permutation: np.ndarray   # uint16 [fft_length/2]: FFT input order (see fft_permutation)
    band_start: np.ndarray    # uint16 [n_channels]
    band_len: np.ndarray      # uint16 [n_channels]
    band_weights: np.ndarray  # float32 [sum(band_len)]: HTK triangle weights

    def dense_mel_matrix(self) -> np.ndarray:
        """The float32 weights as a dense (n_bins, n_channels) matrix (for checks and plots)."""
        s = self.settings
        out = np.zeros((s.n_bins, s.n_channels), dtype=np.float32)
        off = 0
        for c in range(s.n_channels):
            start, n = int(self.band_start[c]), int(self.band_len[c])
            out[start:start + n, c] = self.band_weights[off:off + n]
            off += n
        return out


def hertz_to_mel(freq: np.ndarray | float) -> np.ndarray:
    """HTK mel scale: 1127 ln(1 + f / 700)."""
    return 1127.0 * np.log1p(np.asarray(freq, dtype=np.float64) / 700.0)


def mel_weight_matrix(settings: LogMelSettings) -> np.ndarray:
    """Dense float64 (n_bins, n_channels) HTK mel triangle weights (fe.filterbank_weights style)."""
    s = settings
    if s.filterbank_weights == "librosa":
        return _librosa_weights(s)
    linear = np.linspace(0.0, s.sample_rate_hz / 2.0, s.n_bins)[1:]
    bins_mel = hertz_to_mel(linear)[:, None]
    edges = np.linspace(hertz_to_mel(s.lower_band_limit), hertz_to_mel(s.upper_band_limit),
                        s.n_channels + 2)
    lower, center, upper = edges[:-2][None, :], edges[1:-1][None, :], edges[2:][None, :]
    lower_slopes = (bins_mel - lower) / (center - lower)
    upper_slopes = (upper - bins_mel) / (upper - center)
    weights = np.maximum(0.0, np.minimum(lower_slopes, upper_slopes))
    return np.concatenate([np.zeros((1, s.n_channels)), weights], axis=0)


def split_hi_lo(values: np.ndarray, bits: int = HI_BITS) -> tuple[np.ndarray, np.ndarray]:
    """float64 values as float32 hi (`bits` significant bits) + float32 lo (the remainder)."""
    mantissa, exponent = np.frexp(np.asarray(values, dtype=np.float64))
    hi = np.ldexp(np.round(mantissa * (1 << bits)) / (1 << bits), exponent)
    return hi.astype(np.float32), (values - hi).astype(np.float32)


def preemphasis_gain(settings: LogMelSettings) -> np.ndarray:
    """|H[k]| = |1 - a exp(-2 pi i k / N)| for k = 0 .. N/2 (float64)."""
    k = np.arange(settings.n_bins, dtype=np.float64)
    return np.abs(1.0 - PREEMPHASIS * np.exp(-2j * np.pi * k / settings.fft_length))


def fft_permutation(m: int) -> np.ndarray:
    """Input order of the C's m-point complex FFT (radix-4 stages, plus radix-2 if m = 2*4^k).

    Position p holds complex sample permutation[p]: base-4 digit reversal when m is a power of
    four; otherwise the even samples' digit-reversed order in the first half, the odd samples'
    in the second (fwgen.frontend.fft_plan, radix-2 stage outermost).
    """
    if m & (m - 1) or m < 4:
        raise FwgenError(f"the FFT size {m} must be a power of two >= 4")
    return dit_input_order(m, radix_stages(m, radix2_first=True))


def _librosa_weights(s: LogMelSettings) -> np.ndarray:
    """Triangles linear in Hz between HTK-mel-spaced edges, unnormalized (htk=True, norm=None)."""
    freqs = np.linspace(0.0, s.sample_rate_hz / 2.0, s.n_bins)
    mels = np.linspace(hertz_to_mel(s.lower_band_limit), hertz_to_mel(s.upper_band_limit), s.n_channels + 2)
    edges = 700.0 * np.expm1(mels / 1127.0)
    widths = np.diff(edges)
    ramps = edges[:, None] - freqs[None, :]
    weights = np.zeros((s.n_bins, s.n_channels))
    for c in range(s.n_channels):
        lower = -ramps[c] / widths[c]
        upper = ramps[c + 2] / widths[c + 1]
        weights[:, c] = np.maximum(0.0, np.minimum(lower, upper))
    return weights


def compute_tables(settings: Mapping[str, Any] | LogMelSettings | None) -> LogMelTables:
    s = parse_settings(settings)
    n = np.arange(s.window_size, dtype=np.float64)
    hann = 0.5 - 0.5 * np.cos(2.0 * np.pi * n / s.window_size)  # periodic
    window = hann * INPUT_SCALE
    window_hi, window_lo = split_hi_lo(window)
    preemph_hi, preemph_lo = split_hi_lo(PREEMPHASIS * window)
    half = s.fft_length // 2
    k = np.arange(half, dtype=np.float64)
    twiddles = np.stack([np.cos(2.0 * np.pi * k / s.fft_length),
                         -np.sin(2.0 * np.pi * k / s.fft_length)], axis=1).astype(np.float32)
    permutation = fft_permutation(half)
    mel = mel_weight_matrix(s)
    dense = mel.astype(np.float32)
    starts, lens, weights = [], [], []
    for c in range(s.n_channels):
        nz = np.flatnonzero(mel[:, c])
        if nz.size == 0:
            starts.append(0)
            lens.append(0)
            continue
        first, last = int(nz[0]), int(nz[-1])
        starts.append(first)
        lens.append(last - first + 1)
        weights.append(dense[first:last + 1, c])
    if not any(lens):
        raise _err("fe.filterbank_n_channels", s.n_channels,
                   "no FFT bin falls inside any mel band: widen the band limits or raise fe.fft_length")
    return LogMelTables(
        settings=s, window_hi=window_hi, window_lo=window_lo, preemph_hi=preemph_hi,
        preemph_lo=preemph_lo, preemph_inv_gain=(1.0 / preemphasis_gain(s)).astype(np.float32),
        twiddles=twiddles, permutation=permutation,
        band_start=np.array(starts, dtype=np.uint16), band_len=np.array(lens, dtype=np.uint16),
        band_weights=np.concatenate(weights).astype(np.float32))


# -- rendering ----------------------------------------------------------------------------------

def c_float(value: float) -> str:
    """A float32 as a C literal that round-trips exactly (9 significant digits)."""
    v = float(np.float32(value))
    if v == 0.0:
        return "0.0f"
    text = f"{v:.9g}"
    if "e" not in text and "." not in text:
        text += ".0"
    return text + "f"


def _float_rows(values: np.ndarray, per_row: int = 6) -> list[str]:
    items = [c_float(v) for v in np.asarray(values, dtype=np.float32).ravel()]
    return [", ".join(items[i:i + per_row]) + "," for i in range(0, len(items), per_row)]


def render_logmel_tables(settings: Mapping[str, Any] | LogMelSettings | None,
                         inputs: Mapping[str, str] | None = None, *,
                         input_quantization: tuple[float, int] | None = None) -> dict[str, str]:
    """Render `logmel_tables.h` and `logmel_tables.c` (static const tables + config).

    The C file defines `const fwgen_logmel_config_t fwgen_logmel_config`; the header declares
    it with FWGEN_LOGMEL_* size macros for static allocation. `inputs` (name -> digest) are
    added to the banner (e.g. the model hash). `input_quantization` = the model input's
    (scale, zero_point) adds FWGEN_LOGMEL_INPUT_SCALE / FWGEN_LOGMEL_INPUT_ZERO_POINT for
    `fwgen_logmel_quantize_s8`.
    """
    from fwgen.render import abi_version, banner, c_array_rows, render  # local: no jinja at import

    t = compute_tables(settings)
    s = t.settings
    quant = None
    if input_quantization is not None:
        scale, zero_point = input_quantization
        _check_quantization(scale, zero_point)
        quant = {"scale": c_float(scale), "zero_point": int(zero_point)}
    meta = {"log-mel settings": s.digest(), **dict(inputs or {})}
    view = {
        "banner_h": banner("log-mel frontend configuration (declarations)", meta),
        "banner_c": banner("log-mel frontend tables", meta),
        "s": s,
        "settings_json": json.dumps(s.to_dict(), sort_keys=True),
        "abi": abi_version(),
        "window_size": s.window_size,
        "window_step": s.window_step,
        "n_bins": s.n_bins,
        "n_weights": int(t.band_weights.size),
        "log_offset": c_float(s.log_offset),
        "window_hi_rows": _float_rows(t.window_hi),
        "window_lo_rows": _float_rows(t.window_lo),
        "preemph_hi_rows": _float_rows(t.preemph_hi),
        "preemph_lo_rows": _float_rows(t.preemph_lo),
        "preemphasis": PREEMPHASIS,
        "inv_gain_rows": _float_rows(t.preemph_inv_gain),
        "twiddle_rows": _float_rows(t.twiddles.ravel()),
        "permutation_rows": c_array_rows(t.permutation),
        "band_start_rows": c_array_rows(t.band_start),
        "band_len_rows": c_array_rows(t.band_len),
        "weight_rows": _float_rows(t.band_weights),
        "buffer_bytes": _buffer_bytes(s),
        "quant": quant,
        "channels_major": int(s.patch_layout == "channels_frames"),
    }
    return {
        "logmel_tables.h": render("logmel_tables.h.j2", **view),
        "logmel_tables.c": render("logmel_tables.c.j2", **view),
    }


def _buffer_bytes(s: LogMelSettings) -> int:
    return ((s.window_size * 2 + 7) & ~7) + s.fft_length * 8


# -- host binding -------------------------------------------------------------------------------

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
        self._keep = [t.window_hi, t.window_lo, t.preemph_hi, t.preemph_lo, t.preemph_inv_gain, t.twiddles, t.permutation, t.band_start, t.band_len, t.band_weights]
        self._cfg = _Config(
            window_size=self.settings.window_size, window_step=self.settings.window_step,
            fft_length=self.settings.fft_length, n_channels=self.settings.n_channels,
            log_offset=self.settings.log_offset,
            window_hi=t.window_hi.ctypes.data, window_lo=t.window_lo.ctypes.data,
            preemph_hi=t.preemph_hi.ctypes.data, preemph_lo=t.preemph_lo.ctypes.data,
            preemph_inv_gain=t.preemph_inv_gain.ctypes.data, twiddles=t.twiddles.ctypes.data, permutation=t.permutation.ctypes.data,
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


def frames_to_patches(frames: np.ndarray, patch_frames: int, hop_frames: int) -> np.ndarray:
    """Stack (frames, channels) into (n, patch_frames, channels) every hop_frames (no padding)."""
    frames = np.asarray(frames)
    if frames.ndim != 2:
        raise FwgenError(f"frames must be 2-D (frames, channels), got shape {frames.shape}")
    if patch_frames < 1 or hop_frames < 1:
        raise FwgenError(f"patch_frames ({patch_frames}) and hop_frames ({hop_frames}) must be >= 1")
    if frames.shape[0] < patch_frames:
        return np.zeros((0, patch_frames, frames.shape[1]), dtype=frames.dtype)
    n = (frames.shape[0] - patch_frames) // hop_frames + 1
    return np.stack([frames[i * hop_frames:i * hop_frames + patch_frames] for i in range(n)])


def pad_like_yamnet(samples: np.ndarray, settings: LogMelSettings) -> np.ndarray:
    """YAMNet's pad_waveform: at least one patch, and whole patch hops after the first."""
    s = settings
    min_samples = (s.patch_frames - 1) * s.window_step + s.window_size
    n = samples.size
    padding = max(0, min_samples - n)
    n = max(n, min_samples)
    hop_samples = s.patch_hop_frames * s.window_step
    after_first = n - min_samples
    hops = -(-after_first // hop_samples)
    padding += hop_samples * hops - after_first
    return np.concatenate([samples, np.zeros(padding, dtype=samples.dtype)])


def _check_quantization(scale: Any, zero_point: Any) -> None:
    if isinstance(scale, bool) or not (isinstance(scale, (int, float, np.floating)) and math.isfinite(scale)
                                       and float(np.float32(scale)) > 0):
        raise FwgenError(f"input scale {scale!r} must be a positive number", where="int8 quantization")
    if isinstance(zero_point, bool) or not (isinstance(zero_point, (int, np.integer))
                                            and -128 <= int(zero_point) <= 127):
        raise FwgenError(f"input zero point {zero_point!r} must be an integer in -128 .. 127",
                         where="int8 quantization")


def quantize_s8(features: Any, scale: float, zero_point: int, *, lib: ctypes.CDLL | None = None) -> np.ndarray:
    """clamp(round_half_away(x / scale) + zero_point, -128, 127) computed by the C code."""
    _check_quantization(scale, zero_point)
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
