"""Frontend settings with MLTK's `fe.*` key names, validated once with clear errors.

`FrontendSettings` is a frozen dataclass; each field is one `fe.<field>` key of MLTK's
AudioFeatureGenerator settings (the ones MLTK models embed in their .tflite metadata), plus
`output_dtype`, which is not an `fe.*` key: "uint16" or "int8" (the model input type).

==========================================  =======  ===============================================
key (defaults are MLTK's)                   default  range checked here / meaning
==========================================  =======  ===============================================
fe.sample_rate_hz                           16000    4000 .. 48000; int16 PCM audio rate
fe.sample_length_ms                         1000     0 .. 3600000; clip length the model sees
fe.window_size_ms                           25       window = ms * rate // 1000 samples, 129 .. 1024
                                                     (FFT 256, 512 or 1024: the next power of two)
fe.window_step_ms                           10       step = ms * rate // 1000 samples, 1 .. window
fe.fft_length                               derived  optional; must equal the derived FFT length
fe.filterbank_n_channels                    32       1 .. fft_length / 2; features per frame
fe.filterbank_lower_band_limit              125.0    Hz, 0 <= lower < Nyquist
fe.filterbank_upper_band_limit              7500.0   Hz, lower < upper <= Nyquist (rate / 2), and
                                                     the last band must end inside the spectrum
fe.noise_reduction_enable                   1        0/1
fe.noise_reduction_smoothing_bits           10       0 .. 16 (>= log2(fft_length) - 7 with PCAN)
fe.noise_reduction_even_smoothing           0.025    0.0 .. 1.0, noise estimate update, even chans
fe.noise_reduction_odd_smoothing            0.06     0.0 .. 1.0, odd channels
fe.noise_reduction_min_signal_remaining     0.05     0.0 .. 1.0
fe.pcan_enable                              1        0/1; needs noise reduction
fe.pcan_strength                            0.95     0.0 .. 8.0
fe.pcan_offset                              80.0     > 0 .. 1e6
fe.pcan_gain_bits                           21       log2(fft_length) + 5 .. 31
fe.log_scale_enable                         1        0/1
fe.log_scale_shift                          6        0 .. 15
fe.activity_detection_enable                0        0/1 (MLTK's activity detector)
fe.activity_detection_alpha_a               0.5      0.0 .. 1.0, fast filter
fe.activity_detection_alpha_b               0.8      0.0 .. 1.0, slow filter
fe.activity_detection_arm_threshold         0.75     0.0 <= t < 8.0
fe.activity_detection_trip_threshold        0.8      0.0 <= t < 8.0
fe.dc_notch_filter_enable                   0        0/1
fe.dc_notch_filter_coefficient              0.95     0.0 <= c < 1.0
fe.quantize_dynamic_scale_enable            0        0/1: int8 by MLTK's dynamic range scaling
                                                     (else TFLM's clip((u16*256 + 333)//666 - 128))
fe.quantize_dynamic_scale_range_db          40.0     > 0 .. 200 dB
fe.frontend                                 -        optional; "microfrontend" here ("logmel" is
                                                     fwgen.frontend.logmel)
==========================================  =======  ===============================================

Booleans may be true/false or 0/1; integers may be written as 30.0 but not 30.5. Every error
names the key, the value and the limit (e.g. an upper band limit above Nyquist names the rate).

Derived values that other parts of fwgen use:

* `sample_rate`, `window_size` and `window_step` (samples), `n_channels`, `fft_length`
* `frames_for(n_samples)`: frames a fresh frontend emits for n_samples of audio
* `frames_per_clip`: frames for `fe.sample_length_ms` of audio (the model's time axis)

`load_settings(source, name=None, output_dtype=None)` accepts a `FrontendSettings`, a dict of
flat `fe.*` keys, fwgen model metadata (``{"frontend": {...}, "classes": ...}``), a dict of named
entries (``{"settings": {"name": {...}}}`` like shared/data/frontend/settings.json, or
``{"name": {...}}``), a path to a JSON/YAML file holding any of these, or a .tflite model with
fwgen or MLTK metadata. Missing keys take MLTK's defaults; unknown keys are errors (they are
usually typos). ``fe.frontend`` (shared with the log-mel frontend) must be "microfrontend" if
present.
"""
from __future__ import annotations

import dataclasses
import difflib
import json
import logging
import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Mapping

from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

PREFIX = "fe."
FRONTEND_NAME = "microfrontend"  # value of the shared `fe.frontend` key for this frontend
SUPPORTED_FFT_LENGTHS = (256, 512, 1024)
OUTPUT_DTYPES = ("uint16", "int8")


@dataclass(frozen=True)
class FrontendSettings:
    """One frontend configuration; field `x` is the MLTK key `fe.x` (defaults are MLTK's)."""

    sample_rate_hz: int = 16000
    sample_length_ms: int = 1000
    window_size_ms: int = 25
    window_step_ms: int = 10
    filterbank_n_channels: int = 32
    filterbank_lower_band_limit: float = 125.0
    filterbank_upper_band_limit: float = 7500.0
    noise_reduction_enable: bool = True
    noise_reduction_smoothing_bits: int = 10
    noise_reduction_even_smoothing: float = 0.025
    noise_reduction_odd_smoothing: float = 0.06
    noise_reduction_min_signal_remaining: float = 0.05
    pcan_enable: bool = True
    pcan_strength: float = 0.95
    pcan_offset: float = 80.0
    pcan_gain_bits: int = 21
    log_scale_enable: bool = True
    log_scale_shift: int = 6
    activity_detection_enable: bool = False
    activity_detection_alpha_a: float = 0.5
    activity_detection_alpha_b: float = 0.8
    activity_detection_arm_threshold: float = 0.75
    activity_detection_trip_threshold: float = 0.8
    dc_notch_filter_enable: bool = False
    dc_notch_filter_coefficient: float = 0.95
    quantize_dynamic_scale_enable: bool = False
    quantize_dynamic_scale_range_db: float = 40.0
    output_dtype: str = "uint16"
    where: str = dataclasses.field(default="frontend settings", compare=False, repr=False)

    def __post_init__(self) -> None:
        _validate(self)

    # ---- derived values -------------------------------------------------------------------
    @property
    def sample_rate(self) -> int:
        return self.sample_rate_hz

    @property
    def n_channels(self) -> int:
        return self.filterbank_n_channels

    @property
    def window_size(self) -> int:
        """Samples per window (TFLM: size_ms * rate / 1000, truncated)."""
        return self.window_size_ms * self.sample_rate_hz // 1000

    @property
    def window_step(self) -> int:
        """Samples between frames."""
        return self.window_step_ms * self.sample_rate_hz // 1000

    @property
    def fft_length(self) -> int:
        """Smallest power of two holding a window (what TFLM's FFT uses)."""
        return 1 << max(0, (self.window_size - 1).bit_length())

    @property
    def sample_length(self) -> int:
        return self.sample_rate_hz * self.sample_length_ms // 1000

    @property
    def frames_per_clip(self) -> int:
        return self.frames_for(self.sample_length)

    @property
    def dtype(self) -> str:
        return self.output_dtype

    def frames_for(self, n_samples: int) -> int:
        """Frames a freshly reset frontend emits for `n_samples` samples."""
        if n_samples < self.window_size:
            return 0
        return (n_samples - self.window_size) // self.window_step + 1

    def with_output(self, output_dtype: str) -> "FrontendSettings":
        return dataclasses.replace(self, output_dtype=output_dtype)

    def to_dict(self) -> dict[str, Any]:
        """The MLTK `fe.*` dictionary (plus fe.fft_length, which MLTK also records)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name in ("output_dtype", "where"):
                continue
            value = getattr(self, f.name)
            out[PREFIX + f.name] = int(value) if isinstance(value, bool) else value
        out[PREFIX + "fft_length"] = self.fft_length
        return dict(sorted(out.items()))

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], *, where: str = "frontend settings",
                  output_dtype: str | None = None,
                  ignore_other_keys: bool = False) -> "FrontendSettings":
        """Build from flat `fe.*` keys; missing keys take MLTK defaults.

        Keys without the `fe.` prefix are errors unless `ignore_other_keys` (e.g. for an MLTK
        model's whole parameter dictionary, which also holds classes, smoothing, ...).
        """
        known = {f.name: f for f in fields(cls) if f.name not in ("output_dtype", "where")}
        kwargs: dict[str, Any] = {}
        fft_length = None
        for key, value in values.items():
            if not isinstance(key, str) or not key.startswith(PREFIX):
                if ignore_other_keys:
                    continue
                raise FwgenError(f"unexpected key {key!r}: frontend settings are 'fe.*' keys",
                                 where=where)
            name = key[len(PREFIX):]
            if name == "frontend":
                if value != FRONTEND_NAME:
                    raise FwgenError(f"fe.frontend = {value!r}: these are the settings of another "
                                     f"frontend; this one is {FRONTEND_NAME!r}", where=where,
                                     hint="log-mel settings go to fwgen.frontend.logmel")
                continue
            if name == "fft_length":
                fft_length = value
                continue
            if name not in known:
                close = difflib.get_close_matches(name, list(known), n=1)
                hint = f"did you mean 'fe.{close[0]}'?" if close else \
                    "known keys: " + ", ".join("fe." + k for k in sorted(known))
                raise FwgenError(f"unknown setting {key!r}", where=where, hint=hint)
            kwargs[name] = _coerce(key, value, known[name].type, where)
        settings = cls(**kwargs, output_dtype=output_dtype or "uint16", where=where)
        if fft_length is not None:
            value = _coerce("fe.fft_length", fft_length, "int", where)
            if value != settings.fft_length:
                raise FwgenError(
                    f"fe.fft_length = {value} does not match the window: a "
                    f"{settings.window_size}-sample window (fe.window_size_ms = "
                    f"{settings.window_size_ms} at {settings.sample_rate_hz} Hz) uses an FFT of "
                    f"{settings.fft_length}", where=where,
                    hint="drop fe.fft_length (it is derived) or change fe.window_size_ms")
        return settings


def _coerce(key: str, value: Any, type_name: Any, where: str) -> Any:
    type_name = getattr(type_name, "__name__", type_name)
    if type_name == "bool":
        if isinstance(value, bool) or value in (0, 1):
            return bool(value)
        raise FwgenError(f"{key} = {value!r} must be true/false (or 0/1)", where=where)
    if type_name == "int":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                (isinstance(value, float) and not value.is_integer()):
            raise FwgenError(f"{key} = {value!r} must be an integer", where=where)
        return int(value)
    if type_name == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                not math.isfinite(float(value)):
            raise FwgenError(f"{key} = {value!r} must be a finite number", where=where)
        return float(value)
    return value


def _check(settings: FrontendSettings, name: str, ok: bool, limit: str) -> None:
    if not ok:
        value = getattr(settings, name)
        raise FwgenError(f"fe.{name} = {value!r} is out of range: {limit}", where=settings.where)


def _validate(s: FrontendSettings) -> None:
    _check(s, "sample_rate_hz", 4000 <= s.sample_rate_hz <= 48000, "must be 4000 .. 48000 Hz")
    _check(s, "sample_length_ms", 0 <= s.sample_length_ms <= 3_600_000, "must be 0 .. 3600000 ms")
    _check(s, "window_size_ms", s.window_size_ms >= 1, "must be at least 1 ms")
    n_fft = s.fft_length
    if n_fft not in SUPPORTED_FFT_LENGTHS:
        raise FwgenError(
            f"fe.window_size_ms = {s.window_size_ms} gives a {s.window_size}-sample window at "
            f"{s.sample_rate_hz} Hz, which needs an FFT of {n_fft}; supported FFT lengths are "
            f"{', '.join(map(str, SUPPORTED_FFT_LENGTHS))} (windows of 129 .. 1024 samples)",
            where=s.where)
    _check(s, "window_step_ms", s.window_step_ms >= 1 and s.window_step <= s.window_size,
           f"must be 1 .. fe.window_size_ms ({s.window_size_ms}) so that windows overlap or touch")
    _check(s, "filterbank_n_channels", 1 <= s.filterbank_n_channels <= n_fft // 2,
           f"must be 1 .. {n_fft // 2} (half the FFT length {n_fft})")
    nyquist = s.sample_rate_hz / 2
    _check(s, "filterbank_lower_band_limit", 0.0 <= s.filterbank_lower_band_limit < nyquist,
           f"must be >= 0 and below the Nyquist frequency {nyquist:g} Hz")
    _check(s, "filterbank_upper_band_limit",
           s.filterbank_upper_band_limit > s.filterbank_lower_band_limit,
           f"must be above fe.filterbank_lower_band_limit ({s.filterbank_lower_band_limit:g} Hz)")
    _check(s, "filterbank_upper_band_limit", s.filterbank_upper_band_limit <= nyquist,
           f"must not exceed the Nyquist frequency {nyquist:g} Hz "
           f"(half of fe.sample_rate_hz = {s.sample_rate_hz})")
    correction = n_fft.bit_length() - 1 - 6
    _check(s, "noise_reduction_smoothing_bits", 0 <= s.noise_reduction_smoothing_bits <= 16,
           "must be 0 .. 16")
    for name in ("noise_reduction_even_smoothing", "noise_reduction_odd_smoothing",
                 "noise_reduction_min_signal_remaining"):
        _check(s, name, 0.0 <= getattr(s, name) <= 1.0, "must be 0.0 .. 1.0")
    if s.pcan_enable:
        if not s.noise_reduction_enable:
            raise FwgenError("fe.pcan_enable = True needs fe.noise_reduction_enable = True "
                             "(PCAN's gain comes from the noise estimate)", where=s.where)
        _check(s, "noise_reduction_smoothing_bits", s.noise_reduction_smoothing_bits >= correction,
               f"must be >= {correction} with PCAN and an FFT of {n_fft}")
        _check(s, "pcan_strength", 0.0 <= s.pcan_strength <= 8.0, "must be 0.0 .. 8.0")
        _check(s, "pcan_offset", 0.0 < s.pcan_offset <= 1e6, "must be > 0 and <= 1e6")
        _check(s, "pcan_gain_bits", correction + 12 <= s.pcan_gain_bits <= 31,
               f"must be {correction + 12} .. 31 for an FFT of {n_fft}")
    _check(s, "log_scale_shift", 0 <= s.log_scale_shift <= 15, "must be 0 .. 15")
    if s.dc_notch_filter_enable:
        _check(s, "dc_notch_filter_coefficient", 0.0 <= s.dc_notch_filter_coefficient < 1.0,
               "must be 0.0 <= c < 1.0")
    if s.activity_detection_enable:
        for name in ("activity_detection_alpha_a", "activity_detection_alpha_b"):
            _check(s, name, 0.0 <= getattr(s, name) <= 1.0, "must be 0.0 .. 1.0")
        for name in ("activity_detection_arm_threshold", "activity_detection_trip_threshold"):
            _check(s, name, 0.0 <= getattr(s, name) < 8.0, "must be 0.0 <= t < 8.0 (Q12)")
    if s.quantize_dynamic_scale_enable:
        _check(s, "quantize_dynamic_scale_range_db", 0.0 < s.quantize_dynamic_scale_range_db <= 200.0,
               "must be > 0 and <= 200 dB")
    if s.output_dtype not in OUTPUT_DTYPES:
        raise FwgenError(f"output dtype {s.output_dtype!r} is not supported",
                         where=s.where, hint="use 'uint16' or 'int8'")


def _read_file(path: Path) -> Any:
    if path.is_dir():
        raise FwgenError("the settings path is a folder, not a file", where=str(path),
                         hint="give a JSON or YAML file of 'fe.*' keys")
    if not path.is_file():
        raise FwgenError("settings file not found", where=str(path))
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml
            return yaml.safe_load(text)
        return json.loads(text)
    except Exception as exc:  # json.JSONDecodeError, yaml.YAMLError
        raise FwgenError(f"cannot parse settings: {exc}", where=str(path)) from None


def _has_fe_keys(data: Mapping[str, Any]) -> bool:
    return any(isinstance(k, str) and k.startswith(PREFIX) for k in data)


def _pick_entry(data: Mapping[str, Any], name: str | None, where: str) -> tuple[Mapping[str, Any], str]:
    """Flat `fe.*` dict, fwgen metadata {"frontend": {...}}, or a named entry of
    {"settings": {name: {...}}} / {name: {...}}."""
    if _has_fe_keys(data):
        if name is not None:
            raise FwgenError(f"entry {name!r} requested but the settings are a single flat "
                             f"'fe.*' dictionary", where=where)
        return data, where
    frontend = data.get("frontend")
    if name is None and isinstance(frontend, Mapping) and _has_fe_keys(frontend):
        return frontend, f"{where}[frontend]"
    entries = data.get("settings") if isinstance(data.get("settings"), Mapping) else data
    entries = {k: v for k, v in entries.items() if isinstance(v, Mapping)}
    if not entries:
        raise FwgenError("no 'fe.*' frontend settings found", where=where,
                         hint="give flat 'fe.*' keys or named entries of them")
    if name is None:
        if len(entries) == 1:
            name = next(iter(entries))
        else:
            raise FwgenError(f"{len(entries)} settings entries found; choose one",
                             where=where, hint="pick one with --entry NAME (name=... in Python): "
                                               + ", ".join(sorted(entries)))
    if name not in entries:
        raise FwgenError(f"no settings entry named {name!r}", where=where,
                         hint="entries: " + ", ".join(sorted(entries)))
    entry = entries[name]
    if not _has_fe_keys(entry) and isinstance(entry.get("frontend"), Mapping):
        return entry["frontend"], f"{where}[{name}][frontend]"
    return entry, f"{where}[{name}]"


def load_settings_dict(source: "Mapping[str, Any] | str | Path", *,
                       name: str | None = None) -> tuple[dict[str, Any], str]:
    """The raw `fe.*` dictionary that `source` holds and where it came from, unvalidated.

    Sources: a dict, a JSON/YAML file (flat `fe.*` keys, fwgen model metadata with a
    "frontend" section, or named entries), or a .tflite model carrying fwgen or MLTK
    (SL_PARAMSv1) metadata. The shared `fe.frontend` key, if present, names the frontend
    ("microfrontend" here, "logmel" for fwgen.frontend.logmel).
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        where = str(path)
        if path.suffix.lower() == ".tflite":
            if not path.is_file():
                raise FwgenError("model file not found", where=where)
            from fwgen.tflite.metadata import read_model_metadata
            metadata = read_model_metadata(path)
            if metadata is None:
                raise FwgenError("the model carries no fwgen or MLTK (SL_PARAMSv1) metadata, so "
                                 "its frontend settings are unknown", where=where,
                                 hint="pass a settings file instead")
            data: Any = dict(metadata.frontend)
        else:
            data = _read_file(path)
    elif isinstance(source, Mapping):
        data, where = source, "frontend settings"
    else:
        raise FwgenError(f"cannot read frontend settings from a {type(source).__name__}")
    if not isinstance(data, Mapping):
        raise FwgenError("frontend settings must be a JSON object", where=where)
    entry, where = _pick_entry(data, name, where)
    return dict(entry), where


def load_settings(source: "FrontendSettings | Mapping[str, Any] | str | Path", *,
                  name: str | None = None, output_dtype: str | None = None,
                  ignore_other_keys: bool = False) -> FrontendSettings:
    """Frontend settings from a FrontendSettings, a dict, a JSON/YAML file or a .tflite model
    with metadata (see `load_settings_dict` and the module doc).

    `ignore_other_keys` skips keys without the `fe.` prefix (model parameter dictionaries).
    """
    if isinstance(source, FrontendSettings):
        return source.with_output(output_dtype) if output_dtype else source
    entry, where = load_settings_dict(source, name=name)
    return FrontendSettings.from_dict(entry, where=where, output_dtype=output_dtype,
                                      ignore_other_keys=ignore_other_keys)
