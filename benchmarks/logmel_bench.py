"""Host throughput of the float log-mel frontend and the detector, next to their peers.

Run: .venv/bin/python benchmarks/logmel_bench.py  (writes a table to stdout; the latest output
is committed beside this script as logmel_bench.txt). Wall-clock numbers on a shared 2-core
machine: compare rows of one run, not runs with each other.
"""
from __future__ import annotations

import os
import platform
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from fwgen.detect import Detector, NativeDetector, SmoothingSettings  # noqa: E402
from fwgen.frontend.logmel import LogMelFrontend, mel_weight_matrix  # noqa: E402


def best_of(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(0)
    audio = np.clip(rng.normal(size=16000 * 10) * 3000, -32768, 32767).astype(np.int16)  # 10 s
    fe = LogMelFrontend({})
    n_frames = fe.features(audio).shape[0]
    rows = []
    t = best_of(lambda: fe.features(audio))
    rows.append(("fwgen logmel C (ctypes, float32)", n_frames / t))

    mel = mel_weight_matrix(fe.settings)
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(400) / 400)

    def numpy_ref():
        wav = audio.astype(np.float64) / 32768
        frames = np.lib.stride_tricks.sliding_window_view(wav, 400)[::160]
        return np.log(np.abs(np.fft.rfft(frames * hann, n=512)) @ mel + 1e-3)
    rows.append(("NumPy float64 reference", n_frames / best_of(numpy_ref)))

    try:
        import tensorflow as tf

        matrix = tf.signal.linear_to_mel_weight_matrix(64, 257, 16000, 125.0, 7500.0)
        wav = tf.constant(audio.astype(np.float32) / 32768)

        def tf_ref():
            mag = tf.abs(tf.signal.stft(wav, 400, 160, 512))
            return tf.math.log(tf.matmul(mag, matrix) + 1e-3).numpy()
        tf_ref()
        rows.append((f"TensorFlow {tf.__version__} stft+mel+log (eager)", n_frames / best_of(tf_ref)))
    except ImportError:
        rows.append(("TensorFlow (not installed)", float("nan")))

    classes = ["silence", "unknown", "yes", "no"]
    stream = [(i * 20, rng.integers(-128, 128, size=4).astype(np.int8)) for i in range(5000)]
    for name, cls in (("fwgen detector C (ctypes)", NativeDetector), ("fwgen detector Python twin", Detector)):
        det = cls(classes, SmoothingSettings())

        def run(det=det):
            det.reset()
            det.run(stream)
        rows.append((name, len(stream) / best_of(run, 3)))

    print(f"host: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}")
    print(f"log-mel: YAMNet settings (400/160/512, 64 mel), 10 s of audio = {n_frames} frames")
    print(f"{'implementation':48s} {'per second':>14s}")
    for name, rate in rows:
        unit = "results" if "detector" in name else "frames"
        print(f"{name:48s} {rate:14,.0f} {unit}")


if __name__ == "__main__":
    main()
