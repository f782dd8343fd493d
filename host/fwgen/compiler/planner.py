"""Static memory planning of activations, I/O and scratch buffers in one arena.

Every buffer has a lifetime [first, last] in operator steps (graph inputs are born at -1, graph
outputs live to the end). Two buffers whose lifetimes intersect must not share bytes, except:
  * aliases (RESHAPE): one buffer for several tensors (the driver merges them before planning);
  * streaming overlap: when op k consumes buffer A for the last time and produces buffer B, and
    the kernel streams (see fwgen.compiler.lowering.Overlap), B may start up to `down` bytes
    below A (kernel in forward order) or at least `up` bytes above A (kernel in reverse order).
Placement is greedy: each buffer goes to the lowest aligned offset that is legal against every
already placed buffer it coexists with (TFLM's GreedyMemoryPlanner strategy, extended with the
overlap rule). Greedy results depend on the order, so several orders are tried (largest first,
program order, ...) and the smallest arena wins; ties keep the earlier order, so the plan is
deterministic.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Callable

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
    """`output` may sit at offsets <= input - down, or (if up is not None) >= input + up."""

    input: str
    output: str
    down: int
    up: int | None = None


def _align(value: int, align: int) -> int:
    return (value + align - 1) // align * align


def _pair_ok(in_off: int, out_off: int, rule: OverlapRule) -> bool:
    return out_off <= in_off - rule.down or (rule.up is not None and out_off >= in_off + rule.up)


def _legal(buf: Buffer, offset: int, other: Buffer, rules: dict[tuple[str, str], OverlapRule]) -> bool:
    if offset + buf.size <= other.offset or other.offset + other.size <= offset:
        return True
    rule = rules.get((buf.key, other.key))
    if rule is not None:                       # buf is the dying input, other the output
        return _pair_ok(offset, other.offset, rule)
    rule = rules.get((other.key, buf.key))
    if rule is not None:                       # buf is the output
        return _pair_ok(other.offset, offset, rule)
    return False


def _place(order: list[Buffer], rules: dict[tuple[str, str], OverlapRule], align: int) -> int:
    placed: list[Buffer] = []
    for buf in order:
        others = [p for p in placed if p.lives_with(buf)]
        candidates = {0}
        for p in others:
            candidates.add(_align(p.offset + p.size, align))
            rule = rules.get((buf.key, p.key))          # buf = input, p = output
            if rule is not None:
                candidates.add(_align(p.offset + rule.down, align))
                if rule.up is not None and p.offset - rule.up >= 0:
                    candidates.add((p.offset - rule.up) // align * align)
            rule = rules.get((p.key, buf.key))          # buf = output, p = input
            if rule is not None:
                if p.offset - rule.down >= 0:
                    candidates.add((p.offset - rule.down) // align * align)
                if rule.up is not None:
                    candidates.add(_align(p.offset + rule.up, align))
        for offset in sorted(candidates):
            if all(_legal(buf, offset, p, rules) for p in others):
                buf.offset = offset
                break
        placed.append(buf)
    return _align(max((b.offset + b.size for b in order), default=0), align)


ORDERS: dict[str, Callable[[Buffer], tuple]] = {
    "size": lambda b: (-b.size, b.first, b.key),
    "program": lambda b: (b.first, -b.size, b.key),
    "reverse-program": lambda b: (-b.last, -b.size, b.key),
    "area": lambda b: (-b.size * (b.last - b.first + 1), b.first, b.key),
}


def plan(buffers: list[Buffer], rules: list[OverlapRule], align: int = 4) -> int:
    """Assign `offset` to every buffer; returns the arena size in bytes (a multiple of align)."""
    rule_map = {(r.input, r.output): r for r in rules}
    best: tuple[int, str, dict[str, int]] | None = None
    for name, key in ORDERS.items():
        trial = [replace(b, offset=-1) for b in buffers]
        size = _place(sorted(trial, key=key), rule_map, align)
        LOG.debug("plan order %s: %d bytes", name, size)
        if best is None or size < best[0]:
            best = (size, name, {b.key: b.offset for b in trial})
    assert best is not None or not buffers
    if best is None:
        return 0
    for b in buffers:
        b.offset = best[2][b.key]
    LOG.debug("memory plan: %d bytes (order %s)", best[0], best[1])
    return best[0]


def check(buffers: list[Buffer], rules: list[OverlapRule]) -> None:
    """Raise AssertionError unless the plan is legal (run after every plan)."""
    rule_map = {(r.input, r.output): r for r in rules}
    for i, a in enumerate(buffers):
        if a.offset < 0:
            raise AssertionError(f"buffer {a.key} was not placed")
        for b in buffers[i + 1:]:
            if a.lives_with(b) and not _legal(a, a.offset, b, rule_map):
                raise AssertionError(f"buffers {a.key} and {b.key} overlap illegally")


def reverse_needed(in_off: int, out_off: int, in_size: int, out_size: int, rule: OverlapRule) -> bool:
    """Whether the planned offsets need the kernel's reverse order."""
    if out_off + out_size <= in_off or in_off + in_size <= out_off:
        return False
    return not out_off <= in_off - rule.down
