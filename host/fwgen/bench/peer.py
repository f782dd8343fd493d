"""The peer's figures: TFLM + CMSIS-NN measured on the same twins with the same toolchain
(../shared/data/peers/tflm_cmsis_nn.json beside the fwgen tree; absent in a user's clone).

    peer = find_peer(model_name, model_file_name, macs, core)   # PeerFigures or None
    peer_note()                                                  # why there is none
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from fwgen.native import repo_root

LOG = logging.getLogger(__name__)

PEERS_ENV = "FWGEN_PEERS"          # another peers file (tests, a user's own measurements)
PEER_RUNTIME = "cmsis_nn"
PEER_NAME = "TFLM + CMSIS-NN"


@dataclass(frozen=True)
class PeerOp:
    label: str
    macs: int
    instructions: int


@dataclass(frozen=True)
class PeerFigures:
    """One model on one core, as the peer measured it."""
    model: str                     # the peer file's name for the model
    core: str
    instructions: int
    arena: int
    flash: int
    ram: int
    macs: int
    ops: tuple[PeerOp, ...] = field(default_factory=tuple)     # per op, where measured


def peers_path() -> Path:
    env = os.environ.get(PEERS_ENV)
    return Path(env) if env else repo_root().parent / "shared" / "data" / "peers" / "tflm_cmsis_nn.json"


def _load() -> dict | None:
    path = peers_path()
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        LOG.info("no peer figures at %s: %s", path, exc)
        return None


def peer_note() -> str:
    """Why no peer column (the file is absent or unreadable)."""
    return (f"peer ({PEER_NAME}) figures not shown: {peers_path()} is absent "
            f"(they ship beside fwgen's tree, not with it; {PEERS_ENV}=FILE points elsewhere)")


def available() -> bool:
    return _load() is not None


def _key_names(key: str) -> set[str]:
    """The names a peer model key answers to: each word before its '(', with and without
    '.tflite', '-' and '_' alike, lower case ('Yamnet-256 64x96 (...)' -> {'yamnet_256', '64x96'};
    'MLTK keyword_spotting_on_off_v3 (...)' -> {'mltk', 'keyword_spotting_on_off_v3'})."""
    words = [w.lower().replace("-", "_") for w in key.split("(")[0].split()]
    return {name for w in words for name in (w, w.removesuffix(".tflite"))}


def _match_model(models: dict, names: tuple[str, ...]) -> tuple[str, dict] | None:
    wanted = {n.lower().replace("-", "_") for n in names if n}
    for key, entry in models.items():
        if isinstance(entry, dict) and "macs" in entry and _key_names(key) & wanted:
            return key, entry
    return None


def find_peer(names: tuple[str, ...], core: str) -> PeerFigures | None:
    """The peer's figures for a model known by any of `names` (a zoo name, the .tflite file's
    name) on `core` ('cortex-m33'); None when the file is absent or does not hold it."""
    data = _load()
    if data is None:
        return None
    match = _match_model(data.get("models", {}), names)
    if match is None:
        return None
    key, entry = match
    core_key = next((k for k in entry if k.split()[0] == core), None)
    figures = entry.get(core_key, {}).get(PEER_RUNTIME) if core_key else None
    if not figures:
        return None
    per_op = entry.get(f"per_op_{core}_{PEER_RUNTIME}", {})
    ops = tuple(PeerOp(label, int(v["macs"]), int(v["instructions"])) for label, v in per_op.items())
    return PeerFigures(model=key, core=core, instructions=int(figures["instructions"]),
                       arena=int(figures["arena"]), flash=int(figures["flash"]),
                       ram=int(figures["ram"]), macs=int(entry["macs"]), ops=ops)


def peer_frontend(kind: str, core: str) -> tuple[str, int] | None:
    """(the peer's label, instructions per window) of the peer's frontend of `kind` on `core`."""
    data = _load()
    if data is None:
        return None
    for key, entry in data.get("models", {}).items():
        if kind in key.lower() and core in key and "instructions" in entry:
            return key, int(entry["instructions"])
    return None


def match_ops(ours: list[tuple[str, int]], theirs: tuple[PeerOp, ...]) -> list[PeerOp | None]:
    """Pair our ops (opcode, MACs) with the peer's, in order: the same op type and MACs."""
    out: list[PeerOp | None] = []
    rest = list(theirs)
    for opcode, macs in ours:
        hit = next((p for p in rest if p.label.split()[0] == opcode and p.macs == macs), None)
        if hit is not None:
            rest = rest[rest.index(hit) + 1:]
        out.append(hit)
    return out
