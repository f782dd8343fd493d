"""A `BenchResult` for the terminal (MLTK-profiler-like tables) and as JSON (the same figures)."""
from __future__ import annotations

from fwgen.bench.peer import PEER_NAME


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _ratio(ours: int | float | None, theirs: int | float | None) -> str:
    return f"{ours / theirs:.2f}" if ours is not None and theirs else "-"


def _ratio_value(ours, theirs) -> float | None:
    return round(ours / theirs, 4) if ours is not None and theirs else None


def result_lines(r) -> list[str]:
    peer = r.peer
    t = r.twin
    head = (f"fwgen bench: {r.model} (sha256 {r.sha256[:16]}), runtime {r.runtime}, on {t.id} "
            f"(QEMU {t.qemu_machine}, {t.core})")
    if r.board is not t:
        head += f", the twin of {r.board.id}"
    out = [head,
           f"  {r.inferences} inference(s), {r.frames} frames: {r.clip}",
           "  exact executed instructions (QEMU plugin, bench build); instructions are not cycles",
           ""]
    peer_head = f"{PEER_NAME:>15} {'ratio':>6}" if peer else ""
    out.append(f"  {'#':>3}  {'op':<40} {'output':<14} {'MACs':>11} {'instructions':>13} "
               f"{'/MAC':>6} {'share':>6}  {peer_head}".rstrip())
    total = r.inference
    for op in r.ops:
        per_mac = f"{op.per_mac:.2f}" if op.per_mac is not None else "-"
        theirs = op.peer.instructions if op.peer is not None else None
        peer_cols = f"{_n(theirs):>15} {_ratio(op.instructions, theirs):>6}" if peer else ""
        out.append(f"  {op.index:>3}  {op.label[:40]:<40} {op.shape:<14} {op.macs:>11,} "
                   f"{op.instructions:>13,} {per_mac:>6} {100 * op.instructions / total:>5.1f}%  "
                   f"{peer_cols}".rstrip())
    out.append(f"  {'':>3}  {'(invoke, between ops)':<40} {'':<14} {'':>11} {r.invoke_overhead:>13,} "
               f"{'':>6} {100 * r.invoke_overhead / total:>5.1f}%")
    per_mac = f"{total / r.macs:.2f}" if r.macs else "-"
    peer_cols = f"{_n(peer.instructions):>15} {_ratio(total, peer.instructions):>6}" if peer else ""
    out.append(f"  {'':>3}  {'inference':<40} {'':<14} {r.macs:>11,} {total:>13,} {per_mac:>6} "
               f"{100.0:>5.1f}%  {peer_cols}".rstrip())
    limit = r.arithmetic_limit
    if limit:
        out.append(f"  {'':>3}  {'arithmetic limit (MACs / 2)':<40} {'':<14} {'':>11} "
                   f"{round(limit):>13,}   inference = {total / limit:.2f} x the limit")
    pf = r.peer_frontend
    peer_cols = f"{_n(pf[1]):>15} {_ratio(r.frontend_per_window, pf[1]):>6}" if peer and pf else ""
    out.append(f"  {'':>3}  {f'frontend ({r.frontend_kind}), per {r.window_ms:g} ms window':<40} "
               f"{'':<14} {'':>11} {_n(r.frontend_per_window):>13} {'':>6} {'':>6}  {peer_cols}".rstrip())
    out.append("")
    stack = (f"stack high-water {r.stack_used:,} of {r.stack_size:,} B (on the twin)"
             if r.stack_used is not None else "stack high-water not reported")
    peer_arena = f" ({PEER_NAME} {peer.arena:,} B, {_ratio(r.arena_bytes, peer.arena)})" if peer else ""
    out.append(f"  memory: arena {r.arena_bytes:,} B{peer_arena}, weights {r.weights_bytes:,} B, {stack}")
    s = r.sizes
    out.append(f"  firmware for {r.board.id} as shipped: flash {s.flash_used:,} of "
               f"{r.board.memory.flash.length:,} B, RAM {s.ram_used:,} of {r.board.memory.ram.length:,} B"
               + (f" ({PEER_NAME}'s bare harness: flash {peer.flash:,} B, RAM {peer.ram:,} B; "
                  f"no audio, frontend or link)" if peer else ""))
    out.append(f"    {'section':<26} {'flash':>9} {'RAM':>9}")
    for label, n, in_flash, in_ram in s.rows:
        out.append(f"    {label:<26} {n if in_flash else '':>9} {n if in_ram else '':>9}")
    out.append(f"    {'module':<26} {'flash':>9} {'RAM':>9}")
    for m in r.modules:
        out.append(f"    {m.module:<26} {m.flash or '':>9} {m.ram or '':>9}")
    if peer:
        out.append(f"  peer: {PEER_NAME}, {peer.model}, {peer.core}")
    out += [f"  note: {note}" for note in r.notes]
    return out


def result_dict(r) -> dict:
    peer = r.peer
    total = r.inference
    pf = r.peer_frontend
    return {
        "model": r.model, "sha256": r.sha256, "runtime": r.runtime, "board": r.board.id,
        "twin": r.twin.id, "qemu_machine": r.twin.qemu_machine, "core": r.twin.core,
        "clip": r.clip, "inferences": r.inferences, "frames": r.frames, "unit": "instructions",
        "ops": [{"index": op.index, "op": op.opcode, "label": op.label, "shape": op.shape,
                 "macs": op.macs, "instructions": op.instructions,
                 "instructions_per_mac": round(op.per_mac, 4) if op.per_mac is not None else None,
                 "share": round(op.instructions / total, 6),
                 "peer": ({"label": op.peer.label, "instructions": op.peer.instructions,
                           "ratio": _ratio_value(op.instructions, op.peer.instructions)}
                          if op.peer is not None else None)} for op in r.ops],
        "invoke_overhead": r.invoke_overhead,
        "inference": {"macs": r.macs, "instructions": total,
                      "instructions_per_mac": round(total / r.macs, 4) if r.macs else None,
                      "arithmetic_limit": r.arithmetic_limit,
                      "ratio_to_limit": _ratio_value(total, r.arithmetic_limit),
                      "peer": peer.instructions if peer else None,
                      "ratio_to_peer": _ratio_value(total, peer.instructions) if peer else None},
        "frontend": {"kind": r.frontend_kind, "window_ms": r.window_ms,
                     "instructions_per_window": r.frontend_per_window,
                     "peer": pf[1] if pf else None,
                     "ratio_to_peer": _ratio_value(r.frontend_per_window, pf[1]) if pf else None},
        "memory": {"arena": r.arena_bytes, "weights": r.weights_bytes,
                   "stack_used": r.stack_used, "stack_size": r.stack_size,
                   "peer_arena": peer.arena if peer else None},
        "sizes": r.sizes.as_dict(),
        "modules": [{"module": m.module, "flash": m.flash, "ram": m.ram} for m in r.modules],
        "peer": ({"name": PEER_NAME, "model": peer.model, "core": peer.core,
                  "instructions": peer.instructions, "arena": peer.arena, "flash": peer.flash,
                  "ram": peer.ram, "macs": peer.macs} if peer else None),
        "notes": list(r.notes),
    }
