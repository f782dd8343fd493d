"""ESC-50 and its ESC-10 subset: 5 s environmental-sound clips with a meta CSV and 5 folds.

Layout (as distributed): ``DIR/meta/esc50.csv`` with the columns
``filename,fold,target,category,esc10,src_file,take`` and ``DIR/audio/<filename>`` (44.1 kHz
mono WAV, resampled here to the model's rate with SoX). Clips cut from one source recording
share a fold, so folds are the unit of cross-validation: by default folds 1–3 train, fold 4
validates and fold 5 tests (pass other fold sets for the other rotations).

Classes are the categories in ``target`` order; ESC-10 keeps the ten ``esc10 == True`` categories
(renumbered in their ESC-50 order). Training augmentation: a random circular time roll and a
random gain of ±6 dB.
"""
from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fwgen.errors import FwgenError
from fwgen.train.datasets.base import Example, check_split, fit_length, read_wav

LOG = logging.getLogger(__name__)

META_COLUMNS = ("filename", "fold", "target", "category", "esc10")


@dataclass
class Esc50:
    """ESC-50 (or ESC-10 with ``esc10=True``) rooted at `root`."""

    root: Path
    esc10: bool = False
    train_folds: tuple[int, ...] = (1, 2, 3)
    validation_folds: tuple[int, ...] = (4,)
    test_folds: tuple[int, ...] = (5,)
    sample_rate_hz: int = 16_000
    clip_ms: int = 5000
    max_gain_db: float = 6.0
    _rows: list[dict[str, str]] = field(default_factory=list, init=False, repr=False)
    _classes: tuple[str, ...] = field(default=(), init=False, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        meta = self.root / "meta" / "esc50.csv"
        if not meta.is_file():
            raise FwgenError("ESC-50 meta file meta/esc50.csv not found", where=str(self.root))
        with meta.open(newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in META_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise FwgenError(f"missing column(s) {', '.join(missing)}", where=str(meta))
            rows = list(reader)
        if self.esc10:
            rows = [r for r in rows if r["esc10"].strip().lower() == "true"]
        if not rows:
            raise FwgenError("no clips listed", where=str(meta))
        by_target: dict[int, str] = {}
        for row in rows:
            by_target.setdefault(int(row["target"]), row["category"])
        self._classes = tuple(by_target[t] for t in sorted(by_target))
        self._rows = rows
        overlap = (set(self.train_folds) & set(self.validation_folds)) | \
                  (set(self.train_folds) & set(self.test_folds)) | \
                  (set(self.validation_folds) & set(self.test_folds))
        if overlap:
            raise FwgenError(f"fold(s) {sorted(overlap)} are in more than one split")

    @property
    def name(self) -> str:
        return "esc10" if self.esc10 else "esc50"

    @property
    def classes(self) -> tuple[str, ...]:
        return self._classes

    @property
    def clip_samples(self) -> int:
        return self.sample_rate_hz * self.clip_ms // 1000

    def _split_of(self, fold: int) -> str | None:
        if fold in self.train_folds:
            return "train"
        if fold in self.validation_folds:
            return "validation"
        if fold in self.test_folds:
            return "test"
        return None

    def examples(self, split: str) -> list[Example]:
        check_split(split)
        out = []
        for row in self._rows:
            if self._split_of(int(row["fold"])) == split:
                out.append(Example(row["filename"], row["category"], split,
                                   self.root / "audio" / row["filename"]))
        return sorted(out, key=lambda e: e.clip_id)

    def load(self, example: Example, rng: np.random.Generator | None = None) -> np.ndarray:
        assert example.path is not None
        audio = fit_length(read_wav(example.path, self.sample_rate_hz), self.clip_samples)
        if rng is None:
            return audio
        rolled = np.roll(audio, int(rng.integers(0, len(audio)))).astype(np.float32)
        rolled *= float(10.0 ** (rng.uniform(-self.max_gain_db, self.max_gain_db) / 20.0))
        return np.clip(np.round(rolled), -32768, 32767).astype(np.int16)
