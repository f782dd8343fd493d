"""Host throughput of fwgen's C frontend (through the Python binding) next to TensorFlow's
audio_microfrontend op, in the same run, on the same audio; plus the device footprint.

    .venv/bin/python benchmarks/frontend_throughput.py [--seconds 60] [--repeat 5]

Frames/s counts output frames (one per window step) per second of CPU time. "1 s clips" mimics training-set feature
extraction (reset + process per clip, what Frontend.process_clips does); "stream" processes one
long buffer. Both implementations must agree bit for bit at these settings (checked here too).
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def device_footprint(settings) -> tuple[int, int, int] | None:
    """(.text bytes, .rodata bytes of the tables, state bytes) for Cortex-M33, -O2."""
    if shutil.which("arm-none-eabi-gcc") is None:
        return None
    from fwgen.frontend import render_tables
    with tempfile.TemporaryDirectory() as tmp:
        gen = Path(tmp)
        for name, text in render_tables(settings).items():
            (gen / name).write_text(text)
        sources = [p for p in (ROOT / "firmware" / "frontend").glob("*.c")
                   if not p.name.startswith("logmel")]
        text = rodata = 0
        for src in sources + [gen / "frontend_config.c"]:
            obj = gen / (src.stem + ".o")
            subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m33", "-mthumb", "-O2",
                            "-std=c11", f"-I{ROOT / 'firmware'}", f"-I{gen}", "-c", str(src),
                            "-o", str(obj)], check=True)
            out = subprocess.run(["arm-none-eabi-size", "-A", str(obj)], capture_output=True,
                                 text=True, check=True).stdout
            for line in out.splitlines():
                parts = line.split()
                if len(parts) >= 2 and parts[1].isdigit():
                    if parts[0].startswith(".text"):
                        text += int(parts[1])
                    elif parts[0].startswith(".rodata") or parts[0].startswith(".data.rel.ro"):
                        rodata += int(parts[1])
        # FWGEN_FRONTEND_STATE_SIZE as the target compiler sees it (32-bit pointers)
        probe = gen / "state_size.c"
        probe.write_text('#include "frontend_config.h"\n'
                         "const unsigned fwgen_state_size = FWGEN_FRONTEND_STATE_SIZE;\n")
        asm = subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m33", "-mthumb", "-O2", "-S",
                              "-std=c11", f"-I{ROOT / 'firmware'}", f"-I{gen}", str(probe), "-o",
                              "-"], capture_output=True, text=True, check=True).stdout
        state = int(asm.split(".word", 1)[1].split()[0])
    return text, rodata, state


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="audio length per measurement")
    parser.add_argument("--repeat", type=int, default=5, help="best of N runs")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "host"))
    from fwgen.audio import read_wav
    from fwgen.frontend import Frontend, FrontendSettings, load_settings

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    from tensorflow.lite.experimental.microfrontend.python.ops import audio_microfrontend_op as ops

    clips = [read_wav(SHARED / "micro_speech" / f"{c}.wav")
             for c in ("yes_1000ms", "no_1000ms", "noise_1000ms", "silence_1000ms")]
    reps = -(-args.seconds // len(clips))
    clip_list = (clips * reps)[:args.seconds]
    stream = np.concatenate(clip_list)

    configs = {
        "tf_defaults (25/10 ms, 32 ch)": FrontendSettings(),
        "micro_speech (30/20 ms, 40 ch)": load_settings(SHARED / "frontend" / "settings.json",
                                                        name="micro_speech"),
        "40/20 ms, 64 ch, 1024 FFT": FrontendSettings(window_size_ms=40, window_step_ms=20,
                                                      filterbank_n_channels=64),
    }

    print(f"# fwgen frontend host throughput vs TensorFlow {tf.__version__} audio_microfrontend")
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs (shared), "
          f"Python {platform.python_version()}; {args.seconds} s of 16 kHz audio, best of "
          f"{args.repeat}; frames/s = output frames per second of CPU time (process_time: less "
          f"sensitive than wall time to other jobs on a shared machine)")
    print("# both run the same integer algorithm in C; expect some run-to-run noise on a shared "
          "machine, so read ratios near 1.0x as parity")
    header = (f"{'settings':34} {'mode':10} {'fwgen frames/s':>15} {'TF op frames/s':>15} "
              f"{'fwgen/TF':>9} {'bit-exact':>9}")
    print(header)
    print("-" * len(header))
    for label, s in configs.items():
        def tf_run(audio, s=s):
            return ops.audio_microfrontend(
                tf.constant(audio), sample_rate=s.sample_rate_hz, window_size=s.window_size_ms,
                window_step=s.window_step_ms, num_channels=s.n_channels,
                upper_band_limit=s.filterbank_upper_band_limit,
                lower_band_limit=s.filterbank_lower_band_limit, enable_pcan=s.pcan_enable,
                out_type=tf.uint16).numpy()

        fe = Frontend(s)
        ours = fe.process_clips(clip_list)
        theirs = np.stack([tf_run(c) for c in clip_list])
        exact_clips = bool(np.array_equal(ours, theirs)) if s.window_size_ms != 30 else None
        frames = ours.shape[0] * ours.shape[1]
        t_ours = best_of(lambda: fe.process_clips(clip_list), args.repeat)
        t_tf = best_of(lambda: [tf_run(c) for c in clip_list], args.repeat)
        print(f"{label:34} {'1 s clips':10} {frames / t_ours:15,.0f} {frames / t_tf:15,.0f} "
              f"{t_tf / t_ours:8.2f}x {str(exact_clips) if exact_clips is not None else 'n/a*':>9}")

        fe.reset()
        ours = fe.process(stream)
        theirs = tf_run(stream)
        exact = bool(np.array_equal(ours, theirs)) if s.window_size_ms != 30 else None
        frames = ours.shape[0]

        def run_stream(fe=fe):
            fe.reset()
            fe.process(stream)
        t_ours = best_of(run_stream, args.repeat)
        t_tf = best_of(lambda: tf_run(stream), args.repeat)
        print(f"{'':34} {'stream':10} {frames / t_ours:15,.0f} {frames / t_tf:15,.0f} "
              f"{t_tf / t_ours:8.2f}x {str(exact) if exact is not None else 'n/a*':>9}")

    from fwgen.frontend import compute_tables
    micro = configs["micro_speech (30/20 ms, 40 ch)"]

    def fresh():
        compute_tables.cache_clear()
        Frontend(micro)
    t_fresh = best_of(fresh, args.repeat)
    t_cached = best_of(lambda: Frontend(micro), args.repeat)
    print()
    print(f"Frontend(settings) construction: {t_fresh * 1000:.1f} ms computing the tables in "
          f"Python, {t_cached * 1000:.2f} ms with them cached (same settings)")
    print("* 30 ms windows: TF's double-precision Hann differs from the float32 reference "
          "(DESIGN.md); fwgen follows the reference (golden.npz, pymicro-features).")
    footprint = device_footprint(configs["micro_speech (30/20 ms, 40 ch)"])
    if footprint:
        text, rodata, state = footprint
        print(f"Cortex-M33 -O2, micro_speech settings: code {text:,} B, tables {rodata:,} B "
              f"(flash), state {state:,} B (RAM)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
