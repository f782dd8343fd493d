"""`fwgen test` on the twins: real-time factor before (clips over the emulated UART) and after
(clips through a semihosting file, results through a pipe), per twin and for twins in parallel.

Each row scores the same labelled set the way `fwgen test --emulate` does (every clip through
the twin and through the host pipeline, all stages compared: features, logits, detections) and
times the scoring alone (the firmware is built before). Columns:

- x real time (wall): streamed audio / wall time; on a shared machine it moves with the load;
- x real time per core: streamed audio / CPU time (fwgen + its QEMUs), what one core scores
  whatever else runs; the issue's target is >= 10 for micro_speech on the M33 twin;
- QEMU and host CPU per audio second, and the instructions the firmware executed per audio
  second (its own STATS, exact under -icount) over QEMU's CPU time: the emulator's speed.

    .venv/bin/python benchmarks/hil_twin.py > benchmarks/hil_twin.txt
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "models" / "micro_speech" / "samples"
TWINS = (("mps2_an505", "M33"), ("mps2_an386", "M4F"), ("mps2_an500", "M7"))
LABELS = {"yes": "yes", "no": "no", "silence": "silence", "noise": "_background_noise_"}


def write_wav(path: Path, samples: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(samples.astype("<i2").tobytes())


def make_dataset(root: Path, copies: int, negative_s: int) -> Path:
    """The micro_speech samples `copies` times each in label folders, and one negative stream
    of `negative_s` seconds (the noise and silence samples in turn)."""
    from fwgen.audio import read_wav

    for wav in sorted(SAMPLES.glob("*.wav")):
        label = LABELS[wav.stem.split("_")[0]]
        for i in range(copies):
            (root / label).mkdir(parents=True, exist_ok=True)
            shutil.copy(wav, root / label / f"{wav.stem}_{i}.wav")
    if negative_s:
        quiet = np.concatenate([read_wav(SAMPLES / "noise_0.wav"), read_wav(SAMPLES / "silence_0.wav")])
        reps = -(-negative_s * 16000 // quiet.size)
        write_wav(root / "_background_noise_" / "long_negative.wav",
                  np.tile(quiet, reps)[:negative_s * 16000])
    return root


def score(twin, deployment, clips, *, jobs: int, audio: str, icount: bool = True) -> dict:
    from fwgen.hil.parallel import stream_on
    from fwgen.hil.twins import open_twins
    from fwgen.run import twin_firmware

    twin_firmware(deployment, twin)                        # built (or found) before timing
    self0, kids0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    device = open_twins(deployment, twin, jobs=jobs, audio=audio, icount=icount)
    with device:
        start = time.monotonic()
        outcomes = list(stream_on(device, clips, deployment, timeout=120))
        wall = time.monotonic() - start
    self1, kids1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    host = (self1.ru_utime + self1.ru_stime) - (self0.ru_utime + self0.ru_stime)
    qemu = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
    audio_s = sum(o.duration_s for o in outcomes)
    instructions = sum(int(o.stats.get(k, 0)) for o in outcomes
                       for k in ("frontend_cycles", "inference_cycles", "detect_cycles"))
    return {"clips": len(outcomes), "audio_s": audio_s, "wall_s": wall, "host_cpu": host,
            "qemu_cpu": qemu, "differences": sum(1 for o in outcomes if o.differences),
            "instructions": instructions}


def row(name: str, path: str, jobs: int, r: dict) -> str:
    a = r["audio_s"]
    cpu = r["host_cpu"] + r["qemu_cpu"]
    mips = r["instructions"] / r["qemu_cpu"] / 1e6 if r["qemu_cpu"] else 0.0
    return (f"{name:<15} {path:<9} {jobs:>4} {r['clips']:>5} {a:>8.1f} {r['wall_s']:>7.1f} "
            f"{a / r['wall_s']:>8.2f} {r['clips'] / r['wall_s']:>7.2f} {a / cpu:>9.2f} "
            f"{r['qemu_cpu'] / a:>8.3f} {r['host_cpu'] / a:>8.3f} {r['instructions'] / a / 1e6:>8.1f} "
            f"{mips:>6.0f} {r['differences']:>5}")


def version(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        return "?"


def main(argv: list[str] | None = None) -> int:
    from fwgen.boards import get_board
    from fwgen.hil import load_dataset, read_clips
    from fwgen.run import twin_deployment
    from fwgen.runners.qemu import qemu_program   # the one the twins run

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=4, help="copies of each sample (after)")
    parser.add_argument("--negative-s", type=int, default=120, help="negative stream, s (after)")
    parser.add_argument("--uart-copies", type=int, default=1, help="copies of each sample (before)")
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1
    print("# fwgen test on the twins: micro_speech, every stage compared (features, logits, "
          "detections)")
    print(f"# {version([qemu_program(), '--version'])}; "
          f"{version(['arm-none-eabi-gcc', '--version'])}; python {platform.python_version()}; "
          f"{cores} cores ({platform.processor() or platform.machine()}), load average "
          f"{os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory(prefix="fwgen-hil-bench-") as tmp:
        after = make_dataset(Path(tmp) / "after", args.copies, args.negative_s)
        before = make_dataset(Path(tmp) / "before", args.uart_copies, 0)
        sets = {}
        print(f"# after: {args.copies} copies of the 6 samples and one {args.negative_s} s negative "
              f"stream; before (UART): {args.uart_copies} copy of each sample; every clip padded "
              f"as fwgen test pads it")
        print()
        print(f"{'twin':<15} {'audio':<9} {'jobs':>4} {'clips':>5} {'audio s':>8} {'wall s':>7} "
              f"{'x RT':>8} {'clips/s':>7} {'x RT/core':>9} {'QEMU s/s':>8} {'host s/s':>8} "
              f"{'Minstr/s':>8} {'MIPS':>6} {'diffs':>5}")
        results = {}
        for twin_id, core in TWINS:
            twin = get_board(twin_id)
            for path, audio, folder in (("uart", "uart", before), ("semihost", "semihost", after)):
                deployment = twin_deployment(model="micro_speech", twin=twin,
                                             audio="link" if audio == "uart" else "semihost")
                key = (folder, deployment.frontend.sample_rate)
                if key not in sets:
                    sets[key] = read_clips(load_dataset(folder), deployment.frontend.sample_rate,
                                           deployment.classes)
                r = score(twin, deployment, sets[key], jobs=1, audio=audio)
                results[(twin_id, audio, 1)] = r
                print(row(f"{twin_id} {core}", path, 1, r), flush=True)
        twin = get_board("mps2_an505")
        deployment = twin_deployment(model="micro_speech", twin=twin, audio="semihost")
        clips = sets[(after, deployment.frontend.sample_rate)]
        r = score(twin, deployment, clips, jobs=1, audio="semihost", icount=False)
        print(row("mps2_an505 M33", "no icount", 1, {**r, "instructions": 0}) +
              "   (no -icount: STATS count host time, not instructions)")
        r = score(twin, deployment, clips, jobs=cores, audio="semihost")
        results[("mps2_an505", "semihost", cores)] = r
        print(row("mps2_an505 M33", "semihost", cores, r))
    print()
    m33, uart = results[("mps2_an505", "semihost", 1)], results[("mps2_an505", "uart", 1)]
    per_core = m33["audio_s"] / (m33["host_cpu"] + m33["qemu_cpu"])
    qemu_only = m33["audio_s"] / m33["qemu_cpu"]
    par = results[("mps2_an505", "semihost", cores)]
    print(f"M33, semihost vs UART: {m33['audio_s'] / m33['wall_s'] / (uart['audio_s'] / uart['wall_s']):.1f}x "
          f"faster (wall), {per_core / (uart['audio_s'] / (uart['host_cpu'] + uart['qemu_cpu'])):.1f}x "
          f"(per core); {cores} twins in parallel: {par['audio_s'] / par['wall_s']:.2f}x real time, "
          f"{par['clips'] / par['wall_s']:.2f} clips/s")
    print(f"load average {os.getloadavg()[0]:.1f} at the end: the wall columns move with the load, "
          f"and so, less, do the per-core ones (a shared core and cache slow QEMU's MIPS)")
    verdict = "met" if per_core >= 10 else "missed"
    print(f"target >= 10x real time per core on the M33 twin: {verdict} ({per_core:.2f}x). "
          f"QEMU alone runs the firmware at {qemu_only:.2f}x real time per core "
          f"({m33['instructions'] / m33['audio_s'] / 1e6:.1f} M instructions per audio second at "
          f"{m33['instructions'] / m33['qemu_cpu'] / 1e6:.0f} MIPS); the host pipeline adds "
          f"{m33['host_cpu'] / m33['audio_s']:.3f} CPU s per audio second")
    return 0


if __name__ == "__main__":
    sys.exit(main())
