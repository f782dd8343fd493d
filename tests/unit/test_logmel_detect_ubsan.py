"""The log-mel and detector C have no undefined behaviour on extreme input and settings, and
their results do not depend on the optimization level: an UndefinedBehaviorSanitizer build
(-O1, abort on the first report) runs them in a subprocess and must equal the regular build."""
from __future__ import annotations

import hashlib

import numpy as np
from ubsan_helpers import extreme_signal, run_sanitized

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

def score_stream() -> list[tuple[int, np.ndarray]]:
    rng = np.random.default_rng(1)
    times = np.cumsum(rng.choice([0, 1, 20, 1000, 2**31 - 1], size=3000)) & 0xFFFFFFFF
    return [(int(t), rng.choice([-128, 127, 0], size=6).astype(np.int8)) for t in times]


def digests() -> list[str]:
    out = []
    audio = extreme_signal()
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
    sanitized = run_sanitized(repo_root, "logmel_detect_ubsan",
                              ["firmware/frontend/logmel.c", "firmware/detect/detect.c"],
                              "test_logmel_detect_ubsan", "digests")
    assert sanitized == digests()
