"""The frontend C has no undefined behaviour on extreme input, and its results do not depend on
the optimization level: an UndefinedBehaviorSanitizer build (-O1, abort on the first report) runs
full-scale, clipped and random signals through extreme settings in a subprocess, and its
features must equal the regular host build's."""
from __future__ import annotations

import hashlib
from pathlib import Path

from ubsan_helpers import extreme_signal, run_sanitized

from fwgen.frontend import Frontend, FrontendSettings

REPO = Path(__file__).resolve().parents[2]

CASES = [
    {},
    {"dc_notch_filter_enable": True, "dc_notch_filter_coefficient": 0.99,
     "quantize_dynamic_scale_enable": True},
    {"noise_reduction_enable": False, "pcan_enable": False, "log_scale_enable": False},
    {"activity_detection_enable": True, "log_scale_shift": 15,
     "noise_reduction_smoothing_bits": 16},
    {"window_size_ms": 64, "window_step_ms": 10, "filterbank_n_channels": 128,
     "filterbank_lower_band_limit": 0.0, "filterbank_upper_band_limit": 7990.0,
     "pcan_gain_bits": 31, "pcan_strength": 0.0},
    {"window_size_ms": 9, "window_step_ms": 9, "filterbank_n_channels": 64,
     "noise_reduction_smoothing_bits": 2, "pcan_gain_bits": 14},
]

SOURCES = [str(p.relative_to(REPO)) for p in sorted((REPO / "firmware" / "frontend").glob("*.c"))
           if not p.name.startswith("logmel")] + ["firmware/common/fwgen_abi.c"]


def digests() -> list[str]:
    out = []
    for case in CASES:
        h = hashlib.sha256()
        for output in ("uint16", "int8"):
            fe = Frontend(FrontendSettings(**case), output=output)
            h.update(fe.process(extreme_signal()).tobytes())
            h.update(bytes([fe.activity_tripped()]))
        out.append(h.hexdigest())
    return out


def test_sanitized_build_runs_clean_and_agrees(repo_root):
    sanitized = run_sanitized(repo_root, "frontend_ubsan", SOURCES, "test_frontend_ubsan", "digests")
    assert sanitized == digests()
