"""The frontend C has no undefined behaviour on extreme input, and its results do not depend on
the optimization level: an UndefinedBehaviorSanitizer build (-O1, abort on the first report) runs
full-scale, clipped and random signals through extreme settings in a subprocess, and its
features must equal the regular host build's."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from fwgen.frontend import Frontend, FrontendSettings

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

SCRIPT = textwrap.dedent("""
    import ctypes, hashlib, json, sys
    from pathlib import Path
    import numpy as np
    from fwgen import native
    root = Path(sys.argv[1])
    sources = sorted(p for p in (root / "firmware" / "frontend").glob("*.c")
                     if not p.name.startswith("logmel"))
    sources.append(root / "firmware" / "common" / "fwgen_abi.c")
    so = native.compile_shared("frontend_ubsan", sources, include_dirs=[root / "firmware"],
                               flags=("-O1", "-g", "-fsanitize=undefined",
                                      "-fno-sanitize-recover=all"))
    native.load_core = lambda: ctypes.CDLL(str(so))
    sys.path.insert(0, str(root / "tests" / "unit"))
    from test_frontend_ubsan import CASES, digest, signal
    print(json.dumps([digest(case) for case in CASES]))
""")


def signal() -> np.ndarray:
    rng = np.random.default_rng(0)
    t = np.arange(16000)
    return np.concatenate([
        np.full(8000, -32768, np.int16), np.full(8000, 32767, np.int16),
        np.where((t // 7) % 2 == 0, 32767, -32768).astype(np.int16),
        rng.integers(-32768, 32768, 16000).astype(np.int16),
        (np.sin(t * 0.3) * 32767).astype(np.int16), np.zeros(4000, np.int16)])


def digest(case: dict) -> str:
    h = hashlib.sha256()
    for output in ("uint16", "int8"):
        fe = Frontend(FrontendSettings(**case), output=output)
        h.update(fe.process(signal()).tobytes())
        h.update(bytes([fe.activity_tripped()]))
    return h.hexdigest()


def test_sanitized_build_runs_clean_and_agrees(repo_root):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(repo_root)], capture_output=True,
                          text=True, timeout=600)
    if proc.returncode != 0 and "sanitize" in proc.stderr and "cannot find" in proc.stderr:
        pytest.skip("the host compiler has no UBSan runtime")
    assert proc.returncode == 0, proc.stderr[-4000:]
    sanitized = json.loads(proc.stdout.strip().splitlines()[-1])
    assert sanitized == [digest(case) for case in CASES]
