"""A synthetic environmental-sound dataset in ESC-50 layout, generated offline.

So that the sound-event models (yamnet_256, the MobileNetV3 tagger) can be trained, built and
run on a machine with no dataset, fwgen synthesizes ten ESC-style classes from signal models —
sirens, beeping alarms, engine hum, rain, clock ticks, door knocks, bird chirps, whistles,
speech (espeak-ng) and quiet background — each with randomized parameters, levels and a
background-noise bed at a random SNR. Output is ``meta/esc50.csv`` + ``audio/*.wav`` (16 kHz
mono int16), five folds, so `fwgen.train.datasets.esc50.Esc50` reads it unchanged.

This is a pipeline fixture, not a benchmark: accuracy on it says the train → quantize → deploy
chain works, not how the model fares on recorded sound.
"""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from fwgen.errors import FwgenError
from fwgen.train.datasets import synthetic

LOG = logging.getLogger(__name__)

RATE = synthetic.SAMPLE_RATE_HZ
GENERATOR_VERSION = 1
CLASSES: tuple[str, ...] = ("siren", "alarm_beep", "engine", "rain", "clock_tick", "door_knock",
                            "bird_chirp", "whistle", "speech", "background")


@dataclass(frozen=True)
class SoundEventSpec:
    clips_per_class: int = 60
    clip_ms: int = 2000
    folds: int = 5
    snr_db: tuple[float, float] = (3.0, 30.0)
    peak_dbfs: tuple[float, float] = (-20.0, -1.0)
    seed: int = 0

    def digest(self) -> str:
        text = json.dumps({"version": GENERATOR_VERSION, **asdict(self)}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def _envelope(n: int, attack: int, release: int) -> np.ndarray:
    env = np.ones(n, dtype=np.float32)
    attack, release = max(1, min(attack, n // 2)), max(1, min(release, n // 2))
    env[:attack] = np.linspace(0, 1, attack)
    env[-release:] = np.linspace(1, 0, release)
    return env


def _place(clip: np.ndarray, event: np.ndarray, start: int) -> None:
    end = min(len(clip), start + len(event))
    if end > start:
        clip[start:end] += event[: end - start]


def render_event(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """The foreground of one clip of class `kind`, float32, unnormalized."""
    t = np.arange(n) / RATE
    clip = np.zeros(n, dtype=np.float32)
    if kind == "siren":
        low, high = rng.uniform(500, 900), rng.uniform(1100, 1800)
        rate = rng.uniform(0.3, 2.0)
        freq = low + (high - low) * (0.5 + 0.5 * np.sin(2 * np.pi * rate * t))
        clip = np.sin(2 * np.pi * np.cumsum(freq) / RATE).astype(np.float32)
    elif kind == "alarm_beep":
        freq, period = rng.uniform(1500, 4000), rng.uniform(0.15, 0.6)
        on = (t % period) < period * rng.uniform(0.3, 0.7)
        clip = (np.sin(2 * np.pi * freq * t) * on).astype(np.float32)
    elif kind == "engine":
        f0 = rng.uniform(25, 90)
        clip = sum(np.sin(2 * np.pi * f0 * h * t + rng.uniform(0, 6.3)) / h for h in range(1, 12))
        clip = clip * (1 + 0.3 * np.sin(2 * np.pi * rng.uniform(2, 12) * t))
        clip = clip + 0.3 * synthetic._colored_noise(n, 2.0, rng)  # noqa: SLF001
    elif kind == "rain":
        clip = synthetic._colored_noise(n, rng.uniform(0.0, 0.7), rng) * 0.5  # noqa: SLF001
        for _ in range(int(rng.integers(20, 80))):
            drop = rng.normal(size=int(rng.integers(20, 120))).astype(np.float32)
            drop *= _envelope(len(drop), 2, len(drop) - 2) * rng.uniform(1, 4)
            _place(clip, drop, int(rng.integers(0, n)))
    elif kind == "clock_tick":
        period = rng.uniform(0.25, 1.0)
        click_freq = rng.uniform(2000, 6000)
        for start in np.arange(rng.uniform(0, period), n / RATE, period):
            m = int(0.01 * RATE)
            tick = np.sin(2 * np.pi * click_freq * np.arange(m) / RATE) * np.exp(
                -np.arange(m) / (0.002 * RATE))
            _place(clip, tick.astype(np.float32), int(start * RATE))
    elif kind == "door_knock":
        for _ in range(int(rng.integers(1, 3))):
            group = int(rng.integers(2, 5))
            start = rng.uniform(0, n / RATE - 0.8)
            gap = rng.uniform(0.12, 0.25)
            for k in range(group):
                m = int(0.08 * RATE)
                f = rng.uniform(80, 250)
                thump = np.sin(2 * np.pi * f * np.arange(m) / RATE) * np.exp(
                    -np.arange(m) / (0.015 * RATE))
                thump += 0.3 * rng.normal(size=m) * np.exp(-np.arange(m) / (0.004 * RATE))
                _place(clip, thump.astype(np.float32), int((start + k * gap) * RATE))
    elif kind == "bird_chirp":
        for _ in range(int(rng.integers(3, 12))):
            m = int(rng.uniform(0.04, 0.15) * RATE)
            f0, f1 = rng.uniform(2000, 4000), rng.uniform(4000, 7000)
            if rng.random() < 0.5:
                f0, f1 = f1, f0
            freq = np.linspace(f0, f1, m)
            chirp = np.sin(2 * np.pi * np.cumsum(freq) / RATE) * _envelope(m, m // 5, m // 3)
            _place(clip, chirp.astype(np.float32), int(rng.integers(0, n - m)))
    elif kind == "whistle":
        m = int(rng.uniform(0.5, n / RATE) * RATE)
        freq = rng.uniform(800, 2500) * (1 + 0.02 * np.sin(2 * np.pi * rng.uniform(4, 7) *
                                                           np.arange(m) / RATE))
        tone = np.sin(2 * np.pi * np.cumsum(freq) / RATE) * _envelope(m, 800, 1600)
        _place(clip, tone.astype(np.float32), int(rng.integers(0, n - m + 1)))
    elif kind == "speech":
        start = 0
        while start < n:
            word = str(rng.choice(synthetic.SPEECH_COMMANDS_WORDS))
            utt = synthetic._random_utterance(word, rng)  # noqa: SLF001
            spoken = synthetic.trim_silence(synthetic.synthesize(utt))
            _place(clip, spoken / (np.abs(spoken).max() + 1e-9), start)
            start += len(spoken) + int(rng.uniform(0.05, 0.3) * RATE)
    elif kind == "background":
        clip = np.zeros(n, dtype=np.float32)
    else:
        raise FwgenError(f"unknown sound class '{kind}'", hint=f"known: {', '.join(CLASSES)}")
    return np.asarray(clip, dtype=np.float32)


def render_clip(kind: str, spec: SoundEventSpec, rng: np.random.Generator) -> np.ndarray:
    """One finished int16 clip: foreground at a random level over a noise bed."""
    n = RATE * spec.clip_ms // 1000
    foreground = render_event(kind, n, rng)
    bed = synthetic.background_noise(str(rng.choice(["white", "pink", "brown", "hum", "tap"])),
                                     n / RATE, rng)
    peak = float(np.abs(foreground).max())
    level = 10 ** (rng.uniform(*spec.peak_dbfs) / 20)
    if peak > 0:
        foreground = foreground * (level / peak)
        fg_rms = float(np.sqrt(np.mean(foreground ** 2)))
        snr = rng.uniform(*spec.snr_db)
        bed = bed * (fg_rms / (10 ** (snr / 20)) / (np.sqrt(np.mean(bed ** 2)) + 1e-12))
    else:
        bed = bed * (10 ** (rng.uniform(-50, -20) / 20) / 0.1)
    return synthetic.to_int16(np.clip(foreground + bed, -1, 1))


def generate_sound_events(out_dir: Path, spec: SoundEventSpec = SoundEventSpec(), *,
                          progress: Callable[[int, int], None] | None = None) -> Path:
    """Write the dataset (ESC-50 layout) into `out_dir`, which must not exist yet."""
    out_dir = Path(out_dir)
    if out_dir.exists():
        raise FwgenError(f"{out_dir} already exists", hint="pick a new folder or delete it")
    rng = np.random.default_rng(spec.seed)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    total = spec.clips_per_class * len(CLASSES)
    try:
        (tmp / "audio").mkdir()
        (tmp / "meta").mkdir()
        rows = ["filename,fold,target,category,esc10,src_file,take"]
        done = 0
        for index in range(spec.clips_per_class):
            fold = index % spec.folds + 1
            for target, kind in enumerate(CLASSES):
                name = f"{fold}-{index:04d}-A-{target}.wav"
                synthetic._write_wav(tmp / "audio" / name, render_clip(kind, spec, rng))  # noqa
                rows.append(f"{name},{fold},{target},{kind},True,{index:04d},A")
                done += 1
                if progress:
                    progress(done, total)
        (tmp / "meta" / "esc50.csv").write_text("\n".join(rows) + "\n")
        (tmp / "fwgen_sound_events.json").write_text(json.dumps(
            {"generator": __name__, "generator_version": GENERATOR_VERSION,
             "spec": asdict(spec), "digest": spec.digest(), "classes": list(CLASSES)},
            indent=1, sort_keys=True))
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def ensure_sound_events(spec: SoundEventSpec = SoundEventSpec(), *,
                        cache_dir: Path | None = None,
                        progress: Callable[[int, int], None] | None = None) -> Path:
    folder = (cache_dir or synthetic.default_cache_dir()) / f"synthetic-events-{spec.digest()}"
    if not (folder / "fwgen_sound_events.json").is_file():
        LOG.info("generating synthetic sound-event dataset in %s", folder)
        generate_sound_events(folder, spec, progress=progress)
    return folder


#: The classes `write_samples` renders by default: the models' demo clips (models/*/samples/).
SAMPLE_CLASSES: tuple[str, ...] = ("siren", "alarm_beep", "engine", "bird_chirp", "background")


def write_samples(folder: Path, classes: tuple[str, ...] = SAMPLE_CLASSES, *,
                  per_class: int = 1, clip_ms: int = 1500, seed: int = 2025) -> list[Path]:
    """Short demo clips for the sound-event models: `per_class` clips of each class
    (``<class>_<i>.wav``, 16 kHz mono int16, `clip_ms` long: more than a model patch),
    rendered like the dataset's clips from their own seed (so they are not in any fold) with a
    clear foreground (15-30 dB over the noise bed, -12..-3 dBFS peaks). Returns the files
    written (sorted)."""
    unknown = [c for c in classes if c not in CLASSES]
    if unknown:
        raise FwgenError(f"unknown sound class '{unknown[0]}'", hint=f"known: {', '.join(CLASSES)}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    spec = SoundEventSpec(clip_ms=clip_ms, snr_db=(15.0, 30.0), peak_dbfs=(-12.0, -3.0),
                          seed=seed)
    rng = np.random.default_rng(seed)
    written = []
    for kind in classes:
        for i in range(per_class):
            path = folder / f"{kind}_{i}.wav"
            synthetic._write_wav(path, render_clip(kind, spec, rng))  # noqa: SLF001
            written.append(path)
    return sorted(written)
