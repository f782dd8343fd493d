"""Log-mel settings with `fe.*` keys like the fixed-point frontend, validated once with clear errors.

`LogMelSettings` is a frozen dataclass; every key is optional and the defaults are YAMNet's:

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

The same module checks the int8 quantization (scale, zero point) of a model input that the
generated tables and the host binding take, so both reject a bad one with the same message.
"""
from __future__ import annotations

import difflib
import math
from dataclasses import asdict, dataclass
from typing import Any, Mapping

import numpy as np

from fwgen.errors import FwgenError

FRONTEND_NAME = "logmel"
MIN_FFT_LENGTH = 16
MAX_FFT_LENGTH = 4096
MAX_CHANNELS = 256

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


def setting_error(key: str, value: Any, problem: str, hint: str | None = None) -> FwgenError:
    """The error for one bad `fe.*` setting: key, value and what is wrong (the caller raises it)."""
    return FwgenError(f"{key} = {value!r}: {problem}", where="log-mel frontend settings", hint=hint)


def _one_of(allowed: tuple[str, ...]) -> str:
    return "must be one of " + ", ".join(f'"{a}"' for a in allowed)


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
            raise setting_error("fe.frontend", frontend, f"this is the '{FRONTEND_NAME}' frontend",
                                hint="use fwgen.frontend.Frontend for the fixed-point microfrontend")
        unknown = sorted(k for k in settings if k.startswith("fe.") and k not in SETTING_KEYS)
        if unknown:
            close = difflib.get_close_matches(unknown[0], SETTING_KEYS, n=1)
            raise setting_error(unknown[0], settings[unknown[0]],
                                "unknown setting for the log-mel frontend",
                                hint=f"did you mean '{close[0]}'?" if close else
                                "known keys: " + ", ".join(SETTING_KEYS))
        values: dict[str, Any] = {}
        for key, (attr, kind, default) in _KEYS.items():
            raw = settings.get(key, default)
            values[attr] = _coerce(key, raw, kind)
        for key, (attr, allowed) in _CHOICES.items():
            raw = settings.get(key, allowed[0])
            if raw not in allowed:
                raise setting_error(key, raw, _one_of(allowed))
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
            raise setting_error("fe.sample_rate_hz", rate, "must be between 8000 and 48000")
        size, step = self.window_size, self.window_step
        if size < 1:
            raise setting_error("fe.window_size_ms", self.window_size_ms,
                                "gives a window of less than one sample")
        if step < 1:
            raise setting_error("fe.window_step_ms", self.window_step_ms,
                                "gives a step of less than one sample")
        if step > size:
            raise setting_error("fe.window_step_ms", self.window_step_ms,
                                f"the step ({step} samples) must not exceed the window ({size} samples, "
                                f"fe.window_size_ms = {self.window_size_ms})")
        fft = self.fft_length
        if fft & (fft - 1) or not MIN_FFT_LENGTH <= fft <= MAX_FFT_LENGTH:
            raise setting_error("fe.fft_length", fft,
                                f"must be a power of two from {MIN_FFT_LENGTH} to {MAX_FFT_LENGTH}")
        if fft < size:
            raise setting_error("fe.fft_length", fft,
                                f"must be at least the window size ({size} samples)",
                                hint=f"use {1 << (size - 1).bit_length()} or 0 for the smallest "
                                "that fits")
        if not 1 <= self.n_channels <= MAX_CHANNELS:
            raise setting_error("fe.filterbank_n_channels", self.n_channels,
                                f"must be 1 .. {MAX_CHANNELS}")
        nyquist = rate / 2.0
        if not 0.0 <= self.lower_band_limit:
            raise setting_error("fe.filterbank_lower_band_limit", self.lower_band_limit,
                                "must be >= 0 Hz")
        if not self.upper_band_limit <= nyquist:
            raise setting_error("fe.filterbank_upper_band_limit", self.upper_band_limit,
                                f"above the Nyquist frequency {nyquist:g} Hz "
                                f"(fe.sample_rate_hz = {rate})")
        if not self.lower_band_limit < self.upper_band_limit:
            raise setting_error("fe.filterbank_lower_band_limit", self.lower_band_limit,
                                "must be below fe.filterbank_upper_band_limit "
                                f"({self.upper_band_limit:g} Hz)")
        if not (math.isfinite(self.log_offset) and 1e-30 <= self.log_offset <= 1e6):
            raise setting_error("fe.log_offset", self.log_offset,
                                "must be a positive number (1e-30 .. 1e6)")
        if self.patch_frames < 1:
            raise setting_error("fe.patch_frames", self.patch_frames, "must be >= 1")
        if self.patch_hop_frames < 1:
            raise setting_error("fe.patch_hop_frames", self.patch_hop_frames, "must be >= 1")
        for key, (attr, allowed) in _CHOICES.items():
            if getattr(self, attr) not in allowed:
                raise setting_error(key, getattr(self, attr), _one_of(allowed))

    def digest(self) -> str:
        """Short stable digest of the settings (named in generated files' banners)."""
        from fwgen.render import json_digest  # local: keeps this module importable without jinja

        return json_digest(asdict(self))


def _coerce(key: str, raw: Any, kind: type) -> Any:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, np.integer, np.floating)):
        raise setting_error(key, raw, f"must be a number ({kind.__name__})")
    value = float(raw)
    if not math.isfinite(value):
        raise setting_error(key, raw, "must be finite")
    if kind is int:
        if value != int(value):
            raise setting_error(key, raw, "must be an integer")
        return int(value)
    return value


def parse_settings(settings: Mapping[str, Any] | LogMelSettings | None) -> LogMelSettings:
    """LogMelSettings from a settings mapping (or pass one through)."""
    if isinstance(settings, LogMelSettings):
        settings.validate()
        return settings
    return LogMelSettings.from_dict(settings)


def check_quantization(scale: Any, zero_point: Any) -> None:
    """Raise FwgenError unless scale is a positive float32 and zero_point an int8 value."""
    if isinstance(scale, bool) or not (isinstance(scale, (int, float, np.floating)) and math.isfinite(scale)
                                       and float(np.float32(scale)) > 0):
        raise FwgenError(f"input scale {scale!r} must be a positive number", where="int8 quantization")
    if isinstance(zero_point, bool) or not (isinstance(zero_point, (int, np.integer))
                                            and -128 <= int(zero_point) <= 127):
        raise FwgenError(f"input zero point {zero_point!r} must be an integer in -128 .. 127",
                         where="int8 quantization")
