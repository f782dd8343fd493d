"""Splitting a dataset for N CI jobs (`fwgen test --shard I/N`), and the dataset's identity that
lets `merge_reports` check that N reports scored shares of one dataset.

The split is deterministic and the same on every machine: clips are ordered by their name in
the dataset (its path relative to the dataset root, which does not depend on where the dataset
was unpacked) and dealt round robin, negative streams first and keyword clips after them in the
same rotation, so shards differ by at most one clip, one negative stream and one keyword clip.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Sequence

from fwgen.errors import FwgenError
from fwgen.hil.dataset import Clip, Dataset

SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


@dataclass(frozen=True)
class Shard:
    index: int      # 1-based, as written on the command line
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def as_dict(self) -> dict:
        return {"index": self.index, "count": self.count}


def parse_shard(text: str, where: str = "--shard") -> Shard:
    """'I/N' (1 <= I <= N) -> Shard, or a FwgenError naming `where`."""
    m = SHARD.fullmatch(text or "")
    if not m:
        raise FwgenError(f"expected I/N (this job's share and the number of jobs), got {text!r}",
                         where=where, hint="for example --shard 2/4 in the second of four jobs")
    index, count = int(m.group(1)), int(m.group(2))
    if count < 1 or not 1 <= index <= count:
        raise FwgenError(f"I must be 1..N and N at least 1, got {index}/{count}", where=where)
    return Shard(index, count)


def shard_clips(clips: Sequence[Clip], shard: Shard) -> list[Clip]:
    """This shard's clips, in name order (see the module docstring for the rule)."""
    # Negative streams first, then keyword clips, dealt in one rotation: each kind and the
    # totals differ by at most one between shards.
    dealt = sorted(clips, key=lambda c: (not c.negative, c.name))
    return sorted(dealt[shard.index - 1::shard.count], key=lambda c: c.name)


def dataset_id(dataset: Dataset) -> str:
    """A fingerprint of the whole dataset's listing (every clip's name, label and onset, before
    any shard): equal on every machine that holds the same dataset, wherever it lies."""
    h = hashlib.sha256()
    for clip in sorted(dataset.clips, key=lambda c: c.name):
        h.update(f"{clip.name}\t{clip.label}\t{clip.onset_ms}\t{clip.offset_ms}\n".encode())
    return h.hexdigest()[:16]
