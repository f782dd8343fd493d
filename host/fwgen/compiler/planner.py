"""Static memory planning of activations, I/O and scratch buffers in one arena.

Every buffer has a lifetime [first, last] in operator steps (graph inputs are born at -1, graph
outputs live to the end). Two buffers whose lifetimes intersect must not share bytes, except:
  * aliases (RESHAPE): one buffer for several tensors (the driver merges them before planning);
  * streaming overlap: when op k consumes buffer A for the last time and produces buffer B, and
    the kernel is known to write B in increasing order while reading A ahead of it, B may start
    up to `distance` bytes below A (see fwgen.compiler.lowering.Overlap).
Placement is greedy by size (largest first, ties by birth), each buffer at the lowest aligned
offset that is legal against every already placed buffer it coexists with — the strategy TFLM's
GreedyMemoryPlanner uses, extended with the overlap rule.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

LOG = logging.getLogger(__name__)


@dataclass
class Buffer:
    key: str
    size: int
    first: int
    last: int
    offset: int = -1

    def lives_with(self, other: "Buffer") -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass(frozen=True)
class OverlapRule:
    """`out` may be placed at offsets <= in.offset - distance (they meet only at one step)."""

    input: str
    output: str
    distance: int


def _align(value: int, align: int) -> int:
    return (value + align - 1) // align * align


def _legal(buf: Buffer, offset: int, other: Buffer, rules: dict[tuple[str, str], int]) -> bool:
    if offset + buf.size <= other.offset or other.offset + other.size <= offset:
        return True
    if (buf.key, other.key) in rules:          # buf is the dying input, other the output
        return other.offset <= offset - rules[(buf.key, other.key)]
    if (other.key, buf.key) in rules:          # buf is the output
        return offset <= other.offset - rules[(other.key, buf.key)]
    return False


def plan(buffers: list[Buffer], rules: list[OverlapRule], align: int = 4) -> int:
    """Assign `offset` to every buffer; returns the arena size in bytes (a multiple of align)."""
    rule_map = {(r.input, r.output): r.distance for r in rules}
    placed: list[Buffer] = []
    for buf in sorted(buffers, key=lambda b: (-b.size, b.first, b.key)):
        others = [p for p in placed if p.lives_with(buf)]
        candidates = {0}
        for p in others:
            candidates.add(_align(p.offset + p.size, align))
            if (buf.key, p.key) in rule_map:
                candidates.add(_align(p.offset + rule_map[(buf.key, p.key)], align))
            if (p.key, buf.key) in rule_map:
                c = p.offset - rule_map[(p.key, buf.key)]
                if c >= 0:
                    candidates.add(c // align * align)
        for offset in sorted(candidates):
            if all(_legal(buf, offset, p, rule_map) for p in others):
                buf.offset = offset
                break
        placed.append(buf)
    size = max((b.offset + b.size for b in buffers), default=0)
    return _align(size, align)


def check(buffers: list[Buffer], rules: list[OverlapRule]) -> None:
    """Assert that a plan is legal (used by tests and after every plan)."""
    rule_map = {(r.input, r.output): r.distance for r in rules}
    for i, a in enumerate(buffers):
        assert a.offset >= 0, a
        for b in buffers[i + 1:]:
            if a.lives_with(b):
                assert _legal(a, a.offset, b, rule_map), (a, b)
