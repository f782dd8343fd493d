"""The HTML report at scale: 200 one-second clips and two 60 s negative streams, scored and
traced through fwgen's own code (the host pipeline stands in for the device: a bit-exact
device sends the same), rendered by `fwgen.hil.html`, then opened in headless Chromium with
the network off. Page size (the issue's bound: under 10 MB), what fills it, the JSON report with
traces, render time, and the browser's load time (measured, not asserted anywhere).

Run: .venv/bin/python benchmarks/html_report.py > benchmarks/html_report.txt
"""
from __future__ import annotations

import json
import os
import platform
import re
import sys
import tempfile
import time
from dataclasses import fields
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from fwgen import __version__
from fwgen.audio import read_wav
from fwgen.deploy import DEFAULT_PAD_MODE, DeployOptions, pad_clip, prepare, run_reference
from fwgen.deploy.trace import deployment_timing, trace_stream
from fwgen.hil import Floors, LoadedClip, check, compute_metrics, report_dict, score_clip
from fwgen.hil.dataset import Clip
from fwgen.hil.html import audio_from, write_report_html
from fwgen.hil.session import padding
from fwgen.link import Detection, Features, Logits, Stats, StreamResult
from fwgen.native import repo_root
from fwgen.zoo import resolve_model

sys.path.insert(0, str(repo_root() / "tools"))
import headless_page  # noqa: E402

CLIPS = 200
STREAMS = 2
STREAM_S = 60
SAMPLES = repo_root() / "models" / "micro_speech" / "samples"
LABELS = {"yes": "yes", "no": "no", "silence": "silence"}


def device_result(ref, deployment, samples) -> StreamResult:
    """What a bit-exact device sends back for a stream: the host pipeline's own stages."""
    hello = SimpleNamespace(model_hash=bytes.fromhex(deployment.source.sha256)[:8],
                            n_channels=ref.features.shape[1], n_classes=len(deployment.classes))
    result = StreamResult(hello=hello, samples_sent=int(samples.size))
    for i, row in enumerate(ref.features):
        result.add(Features(i, 0, row.astype("<u2").tobytes()))
    for i, (frame, row) in enumerate(zip(ref.logit_frames, ref.logits)):
        result.add(Logits(i, frame, tuple(int(v) for v in row)))
    for e in ref.detections:
        result.add(Detection(e.inference_index, e.frame_index, e.time_ms, e.class_index, e.score))
    result.add(Stats(**{f.name: 0 for f in fields(Stats)}))
    return result


def dataset(rate: int) -> list[LoadedClip]:
    """200 keyword/silence clips: the samples, each with its own low noise (seeded), and two
    60 s negative streams of the noise sample looped with noise."""
    rng = np.random.default_rng(0)
    sources = [(w, LABELS[w.stem.split("_")[0]]) for w in sorted(SAMPLES.glob("*.wav"))
               if w.stem.split("_")[0] in LABELS]
    clips = []
    for i in range(CLIPS):
        wav, label = sources[i % len(sources)]
        pcm = read_wav(wav).astype(np.int32) + rng.normal(0, 30, 16000).astype(np.int32)
        clips.append(LoadedClip(Clip(wav, f"{label}/{wav.stem}_{i:03d}.wav", label), label,
                                np.clip(pcm, -32768, 32767).astype(np.int16)))
    noise = read_wav(SAMPLES / "noise_0.wav")
    for i in range(STREAMS):
        loop = np.resize(noise, STREAM_S * rate).astype(np.int32)
        pcm = loop + rng.normal(0, 300, loop.size).astype(np.int32)
        clips.append(LoadedClip(Clip(SAMPLES / "noise_0.wav", f"_background_noise_/long_{i}.wav",
                                     "_background_noise_", negative=True),
                                "_background_noise_", np.clip(pcm, -32768, 32767).astype(np.int16)))
    return clips


def main() -> None:
    deployment = prepare(resolve_model("micro_speech"), DeployOptions())
    rate = deployment.frontend.sample_rate
    pad, pad_ms = padding(deployment)
    clips = dataset(rate)
    start, cpu = time.perf_counter(), time.process_time()
    outcomes = []
    for loaded in clips:
        samples = pad_clip(loaded.samples, pad, DEFAULT_PAD_MODE)
        ref = run_reference(samples, deployment)
        result = device_result(ref, deployment, samples)
        outcome = score_clip(loaded, result, ref, deployment.classes, pad_ms=pad_ms,
                             sample_rate=rate, samples_streamed=int(samples.size))
        outcome.trace = trace_stream(result, deployment_timing(deployment, pad_ms))
        outcomes.append(outcome)
    scored_s, scored_cpu = time.perf_counter() - start, time.process_time() - cpu
    metrics = compute_metrics(outcomes, deployment.classes)
    floors = Floors(0.9, None)
    meta = {"fwgen": __version__, "model": "micro_speech", "model_sha256": deployment.source.sha256,
            "board": "mps2_an505", "device": "host pipeline as a bit-exact device",
            "dataset": "benchmarks/html_report.py", "layout": "folders",
            "classes": list(deployment.classes), "stride": deployment.stride,
            "runtime": deployment.runtime, "smoothing": deployment.smoothing.to_dict(),
            "floors": {"min_accuracy": 0.9, "max_false_accepts_per_hour": None}}
    report = report_dict(metrics, outcomes, [], meta=meta, problems=check(metrics, floors),
                         interrupted=False)
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        json_bytes = len(json.dumps(report, indent=1))
        json_plain = len(json.dumps({**report, "clips": [
            {k: v for k, v in c.items() if k != "trace"} for c in report["clips"]]}, indent=1))
        start, cpu = time.perf_counter(), time.process_time()
        write_report_html(page, report, audio_from({c.clip.name: c.samples for c in clips}, rate))
        render_s, render_cpu = time.perf_counter() - start, time.process_time() - cpu
        text = page.read_text()
        loads = [headless_page.load_page(page) for _ in range(3)]
    parts = {"images (PNG)": 0, "audio (mu-law WAV)": 0}
    for mime, payload in re.findall(r'src="data:([a-z]+)/[a-z]+;base64,([^"]+)"', text):
        parts["images (PNG)" if mime == "image" else "audio (mu-law WAV)"] += len(payload)
    total = len(text.encode())
    parts["text, tables, CSS"] = total - sum(parts.values())
    best = min(loads, key=lambda r: r.load_ms)
    print("# HTML report at scale (benchmarks/html_report.py)")
    print(f"fwgen {__version__}, Python {platform.python_version()}, "
          f"{headless_page.browser_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} at the end (times scale with it)")
    print(f"{CLIPS} clips of 1 s + {STREAMS} negative streams of {STREAM_S} s, micro_speech, "
          f"accuracy {metrics.accuracy:.3f}, {metrics.false_accepts} false accepts\n")
    print("## Page")
    print(f"{'what':<24} {'bytes':>11} {'share':>6}")
    for name, size in parts.items():
        print(f"{name:<24} {size:>11,} {size / total:>6.1%}")
    print(f"{'total':<24} {total:>11,}   ({total / 1e6:.2f} MB, bound 10 MB)")
    print(f"per 1 s clip: {total / (CLIPS + STREAMS) / 1e3:.1f} kB\n")
    print("## JSON report (--report)")
    print(f"with traces (--traces / --html): {json_bytes:>11,} bytes")
    print(f"without traces:                  {json_plain:>11,} bytes\n")
    print("## Time (wall, and this process's CPU time)")
    print(f"score and trace {CLIPS + STREAMS} streams (host pipeline): {scored_s:6.1f} s "
          f"(CPU {scored_cpu:.1f} s)")
    print(f"render the page (matplotlib, Jinja2):          {render_s:6.1f} s "
          f"(CPU {render_cpu:.1f} s, {render_cpu / (CLIPS + STREAMS) * 1000:.0f} ms per clip)")
    print(f"browser load event, best of 3:                 {best.load_ms / 1000:6.2f} s "
          f"(all: {', '.join(f'{r.load_ms / 1000:.2f}' for r in loads)})")
    print(f"browser start to checked and closed, best:     "
          f"{min(r.wall_s for r in loads):6.2f} s")
    print(f"images decoded {len(best.images) - len(best.broken_images)}/{len(best.images)}, "
          f"audio players loaded {len(best.audio) - len(best.broken_audio)}/{len(best.audio)}, "
          f"non-data resources {len(best.resources)}, console messages {len(best.console)}")


if __name__ == "__main__":
    main()
