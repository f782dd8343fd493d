"""The log-mel and detector C have no undefined behaviour on extreme input and settings, and
their results do not depend on the optimization level: an UndefinedBehaviorSanitizer build
(-O1, abort on the first report) runs them in a subprocess and must equal the regular build."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from fwgen.detect import NativeDetector, SmoothingSettings
from fwgen.frontend.logmel import LogMelFrontend

LOGMEL_CASES = [
    {},
    {"fe.log_offset": 1e-30},
    {"fe.fft_length": 512, "fe.window_size_ms": 32, "fe.window_step_ms": 32},       # window == FFT
    {"fe.fft_length": 16, "fe.window_size_ms": 1, "fe.window_step_ms": 1, "fe.filterbank_n_channels": 2,
     "fe.filterbank_lower_band_limit": 0.0, "fe.filterbank_upper_band_limit": 8000.0},
    {"fe.fft_length": 4096, "fe.window_size_ms": 256, "fe.window_step_ms": 1,
     "fe.filterbank_n_channels": 256, "fe.filterbank_lower_band_limit": 0.0,
     "fe.filterbank_upper_band_limit": 8000.0},
]
DETECT_CASES = [
    {},
    {"minimum_count": 0, "suppression_ms": 0, "detection_threshold": 0},
    {"max_results": 1, "minimum_count": 1, "average_window_duration_ms": 2**31 - 1,
     "suppression_ms": 2**31 - 1, "detection_threshold": 255},
    {"max_results": 65535, "minimum_count": 65535, "average_window_duration_ms": 1},
]

SCRIPT = textwrap.dedent("""
    import ctypes, json, sys
    from pathlib import Path
    from fwgen import native
    root = Path(sys.argv[1])
    sources = [root / "firmware/frontend/logmel.c", root / "firmware/detect/detect.c"]
    so = native.compile_shared("logmel_detect_ubsan", sources, include_dirs=[root / "firmware"],
                               flags=("-O1", "-g", "-fsanitize=undefined", "-fno-sanitize-recover=all"))
    native.load_core = lambda: ctypes.CDLL(str(so))
    sys.path.insert(0, str(root / "tests" / "unit"))
    from test_logmel_detect_ubsan import digests
    print(json.dumps(digests()))
""")


def signal() -> np.ndarray:
    rng = np.random.default_rng(0)
    t = np.arange(16000)
    return np.concatenate([
        np.full(8000, -32768, np.int16), np.full(8000, 32767, np.int16),
        np.where((t // 7) % 2 == 0, 32767, -32768).astype(np.int16),
        rng.integers(-32768, 32768, 16000).astype(np.int16),
        (np.sin(t * 0.3) * 32767).astype(np.int16), np.zeros(4000, np.int16)])


def score_stream() -> list[tuple[int, np.ndarray]]:
    rng = np.random.default_rng(1)
    times = np.cumsum(rng.choice([0, 1, 20, 1000, 2**31 - 1], size=3000)) & 0xFFFFFFFF
    return [(int(t), rng.choice([-128, 127, 0], size=6).astype(np.int8)) for t in times]


def digests() -> list[str]:
    out = []
    audio = signal()
    for case in LOGMEL_CASES:
        fe = LogMelFrontend(case)
        features = fe.features(audio)
        h = hashlib.sha256(features.tobytes())
        h.update(fe.quantize(features, 0.01, -5).tobytes())
        out.append(h.hexdigest())
    stream = score_stream()
    for case in DETECT_CASES:
        det = NativeDetector([f"c{i}" for i in range(6)], SmoothingSettings(**case))
        h = hashlib.sha256()
        for t, scores in stream:
            r = det.process(scores, t)
            h.update(bytes([r.class_index, r.score, r.is_new, r.n_results & 0xFF]))
        out.append(h.hexdigest())
    return out


def test_sanitized_build_runs_clean_and_agrees(repo_root):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(repo_root)], capture_output=True,
                          text=True, timeout=600)
    if proc.returncode != 0 and "sanitize" in proc.stderr and "cannot find" in proc.stderr:
        pytest.skip("the host compiler has no UBSan runtime")
    assert proc.returncode == 0, proc.stderr[-4000:]
    sanitized = json.loads(proc.stdout.strip().splitlines()[-1])
    assert sanitized == digests()
