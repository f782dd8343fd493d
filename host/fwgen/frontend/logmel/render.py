"""Render a log-mel configuration as C: `logmel_tables.h` and `logmel_tables.c`.

The .c file holds every table of `compute_tables` as `static const` data and one `const
fwgen_logmel_config_t fwgen_logmel_config` pointing at them; the .h declares it with
FWGEN_LOGMEL_* size macros (and the model input's int8 quantization, when given). The templates
(templates/logmel_tables.{h,c}.j2) only substitute: every number and literal is made here.
"""
from __future__ import annotations

import json
from typing import Any, Mapping

import numpy as np

from fwgen.frontend.logmel.settings import LogMelSettings, check_quantization
from fwgen.frontend.logmel.tables import PREEMPHASIS, compute_tables


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
        check_quantization(scale, zero_point)
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
    # FWGEN_LOGMEL_BUFFER_BYTES in firmware/frontend/logmel.h: the int16 window, 8-byte aligned,
    # plus 2 * fft_length floats of FFT scratch.
    return ((s.window_size * 2 + 7) & ~7) + s.fft_length * 8
