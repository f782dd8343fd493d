"""fwgen run's build cache: one twin project per thing built, the most recently used kept.

An entry is ``<cache>/run/<model>-<twin>-<model sha256[:12]>-<build digest[:12]>/``: the model
file's hash and a digest of every file the deployment generates (frontend tables, model C,
detector and app configuration: what the settings and options made), so two models that share
a name, or one model with other options, never share a folder and never rebuild each other.
Each use touches the entry's ``.fwgen-last-used``; after a build the least recently used
entries beyond `RUN_CACHE_KEEP` are removed. `fwgen run --out DIR` builds outside the cache.
"""
from __future__ import annotations

import hashlib
import logging
import shutil
from pathlib import Path

from fwgen.native import cache_dir

LOG = logging.getLogger(__name__)

RUN_CACHE_KEEP = 8             # builds kept (each a few MB: sources, objects, ELF)
STAMP = ".fwgen-last-used"


def cache_root() -> Path:
    """Where fwgen run keeps its builds ($FWGEN_CACHE_DIR/run, else ~/.cache/fwgen/run)."""
    return cache_dir() / "run"


def build_digest(deployment) -> str:
    """sha256 over the deployment's generated files and what made them (their inputs)."""
    digest = hashlib.sha256()
    for key, value in sorted(deployment.inputs.items()):
        digest.update(f"input {key}={value}\0".encode())
    for name, content in sorted(deployment.files.items()):
        data = content.encode() if isinstance(content, str) else bytes(content)
        digest.update(f"file {name} {len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def entry_dir(deployment, twin) -> Path:
    """The cache folder of `deployment` built for `twin`."""
    source = deployment.source
    return cache_root() / (f"{source.name}-{twin.id}-{source.sha256[:12]}-"
                           f"{build_digest(deployment)[:12]}")


def touch(entry: Path) -> None:
    """Mark `entry` as used now."""
    entry.mkdir(parents=True, exist_ok=True)
    (entry / STAMP).touch()


def _last_used(entry: Path) -> float:
    stamp = entry / STAMP
    try:
        return (stamp if stamp.exists() else entry).stat().st_mtime
    except OSError:
        return 0.0


def prune(*, keep: int = RUN_CACHE_KEEP, current: Path | None = None) -> list[Path]:
    """Remove the least recently used entries beyond `keep` (`current` is always kept and
    counts as one); returns the entries removed. Files beside the entries are left alone."""
    root = cache_root()
    if not root.is_dir():
        return []
    others = sorted((p for p in root.iterdir() if p.is_dir() and p != current),
                    key=_last_used, reverse=True)
    room = max(0, keep - (1 if current is not None else 0))
    removed = others[room:]
    for entry in removed:
        LOG.info("removing the old fwgen run build %s", entry)
        shutil.rmtree(entry, ignore_errors=True)
    return removed
