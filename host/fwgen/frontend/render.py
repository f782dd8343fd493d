"""Render a frontend configuration as C: `frontend_config.c` and `frontend_config.h`.

The .c file holds every table as `static const` data and one `const fwgen_frontend_config_t
fwgen_frontend_config` pointing at them; the .h declares it and gives sizes as macros
(FWGEN_FRONTEND_STATE_SIZE for static allocation of the state, N_CHANNELS, WINDOW_SIZE, ...).
Templates only substitute: every number comes from `compute_tables`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from fwgen import render as fwrender
from fwgen.frontend.settings import FrontendSettings, load_settings
from fwgen.frontend.tables import MAX_FFT_STAGES, FrontendTables, compute_tables

_C_TYPES = {np.dtype(np.int16): "int16_t", np.dtype(np.uint16): "uint16_t"}

# (field, comment) for each table, in the order they appear in the generated file.
_TABLES = [
    ("window", "Hann window, Q12"),
    ("fft_input_order", "FFT: decimation-in-time input order of the complex half-length FFT"),
    ("fft_twiddles", "FFT: twiddles (re, im), Q15"),
    ("fft_super_twiddles", "FFT: real-split super-twiddles (re, im), Q15"),
    ("band_edges", "filterbank: first FFT bin of each band (n_channels + 2 edges)"),
    ("weights", "filterbank: rising weights per bin from spectrum_start, Q12"),
    ("unweights", "filterbank: falling weights per bin from spectrum_start, Q12"),
    ("pcan_gain_lut", "PCAN: gain segments (y0, a1, a2, pad) per power of two, TFLM layout"),
    ("log_lut", "log scale: log2(1 + x) - x at 128 segments, Q16"),
]


def settings_digest(settings: FrontendSettings) -> str:
    return fwrender.json_digest(settings.to_dict())


def _view(tables: FrontendTables) -> dict[str, Any]:
    arrays = tables.arrays()
    table_views = []
    for name, comment in _TABLES:
        if name not in arrays:
            continue
        arr = arrays[name]
        table_views.append({
            "name": name,
            "symbol": f"fwgen_fe_{name}",
            "ctype": _C_TYPES[arr.dtype],
            "length": int(arr.size),
            "comment": comment,
            "rows": fwrender.c_array_rows(arr.tolist(), per_row=12),
        })
    s = tables.settings
    scalars = [
        ("sample_rate_hz", tables.sample_rate_hz),
        ("window_size", tables.window_size),
        ("window_step", tables.window_step),
        ("dc_notch_enable", tables.dc_notch_enable),
        ("dc_notch_coef", tables.dc_notch_coef),
        ("fft_length", tables.fft_length),
        ("fft_n_stages", tables.fft_n_stages),
        ("n_channels", tables.n_channels),
        ("spectrum_start", tables.spectrum_start),
        ("spectrum_end", tables.spectrum_end),
        ("noise_reduction_enable", tables.noise_reduction_enable),
        ("smoothing_bits", tables.smoothing_bits),
        ("even_smoothing", tables.even_smoothing),
        ("odd_smoothing", tables.odd_smoothing),
        ("min_signal_remaining", tables.min_signal_remaining),
        ("pcan_enable", tables.pcan_enable),
        ("pcan_snr_shift", tables.pcan_snr_shift),
        ("log_enable", tables.log_enable),
        ("log_scale_shift", tables.log_scale_shift),
        ("log_correction_bits", tables.log_correction_bits),
        ("activity_enable", tables.activity_enable),
        ("activity_scale", tables.activity_scale),
        ("activity_alpha_a", tables.activity_alpha_a),
        ("activity_alpha_b", tables.activity_alpha_b),
        ("activity_arm_threshold", tables.activity_arm_threshold),
        ("activity_trip_threshold", tables.activity_trip_threshold),
        ("dynamic_scale_enable", tables.dynamic_scale_enable),
        ("dynamic_scale_range", tables.dynamic_scale_range),
    ]
    radix = list(tables.fft_radix) + [0] * (MAX_FFT_STAGES - len(tables.fft_radix))
    pointers = [(name, f"fwgen_fe_{name}" if name in arrays else "NULL") for name, _ in _TABLES]
    digest = settings_digest(s)
    defines = [
        ("FWGEN_FRONTEND_SAMPLE_RATE_HZ", f"{tables.sample_rate_hz}u", "samples per second"),
        ("FWGEN_FRONTEND_WINDOW_SIZE", f"{tables.window_size}u", "samples per window"),
        ("FWGEN_FRONTEND_WINDOW_STEP", f"{tables.window_step}u", "samples per frame step"),
        ("FWGEN_FRONTEND_FFT_LENGTH", f"{tables.fft_length}u", "real FFT points"),
        ("FWGEN_FRONTEND_N_CHANNELS", f"{tables.n_channels}u", "features per frame"),
        ("FWGEN_FRONTEND_FRAMES_PER_CLIP", f"{s.frames_per_clip}u",
         f"frames in fe.sample_length_ms = {s.sample_length_ms}"),
        ("FWGEN_FRONTEND_OUTPUT_INT8", "1" if s.output_dtype == "int8" else "0",
         f"model input type: {s.output_dtype}"),
        ("FWGEN_FRONTEND_DYNAMIC_SCALE", str(tables.dynamic_scale_enable),
         "int8 by MLTK dynamic range scaling"),
        ("FWGEN_FRONTEND_STATE_BUFFERS_SIZE", f"{tables.state_buffers_size()}u",
         "state bytes after the header"),
        ("FWGEN_FRONTEND_SCRATCH_SIZE", f"{tables.scratch_size()}u",
         "of which per-frame scratch (fwgen_frontend_init_split)"),
    ]
    width = max(len(d[0]) for d in defines)
    return {
        "abi": fwrender.abi_version(),
        "banner_c": fwrender.banner("frontend tables (fwgen.frontend.render_tables)",
                                    {"settings sha256": digest}),
        "settings_lines": [f"{k} = {v}" for k, v in s.to_dict().items()],
        "tables": table_views,
        "scalars": scalars,
        "radix": radix,
        "pointers": pointers,
        "defines": [(name.ljust(width), value, comment) for name, value, comment in defines],
    }


def render_tables(settings: FrontendSettings | dict[str, Any] | str) -> dict[str, str]:
    """{"frontend_config.c": ..., "frontend_config.h": ...} for these settings."""
    tables = compute_tables(load_settings(settings))
    view = _view(tables)
    return {
        "frontend_config.c": fwrender.render("frontend_config.c.j2", **view),
        "frontend_config.h": fwrender.render("frontend_config.h.j2", **view),
    }
