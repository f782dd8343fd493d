"""Arena, weights and code size per model: fwgen's ahead-of-time plan vs TFLM's interpreter.

Usage: .venv/bin/python benchmarks/arena.py [--cache DIR] > benchmarks/arena.txt

For each model: fwgen's arena (activations + scratch, static plan), TFLM's arena_used_bytes
(recording allocator, after one invoke), const data (weights + biases + requantization
constants), code (the B-U585I's Cortex-M33 with the shipped firmware's flags, -O2: the invoke
function plus the kernels it calls, fwgen.project.model_size), MACs, and
the number of output elements differing from TFLM on 3 random inputs (must be 0), with the
published peer figures from DESIGN.md (TFLM, ST X-CUBE-AI) in the same table and the issue's
arena targets checked.
Models other than micro_speech are random-weight Keras builds quantized by TF's converter
(fwgen.testing.testmodels), cached in --cache.
"""
from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "host"))

from fwgen.compiler import compile_model  # noqa: E402
from fwgen.project.model_size import flash_size  # noqa: E402
from fwgen.compiler.validate import validate_model  # noqa: E402
from fwgen.testing import testmodels  # noqa: E402
from fwgen.tflite import read_model  # noqa: E402


def _tagger() -> bytes:
    from fwgen.train.architectures import mobilenet_v3_tagger  # noqa: PLC0415

    testmodels._set_seed(0)
    model = mobilenet_v3_tagger(10, width=0.4, n_mels=64, n_frames=96)
    testmodels._randomize_batchnorm(model, np.random.default_rng(0))
    return testmodels.quantize(model)


@dataclass(frozen=True)
class Peer:
    """A published figure for the same model (DESIGN.md, "Reference figures"); text as published."""

    source: str
    arena: str
    arena_bytes: int          # for the ratio; kB read as 1000 B (the smaller, so ours looks worse)
    weights: str = ""
    code: str = ""
    macs: str = ""


PEERS: dict[str, list[Peer]] = {
    "micro_speech": [Peer("TFLM, published", "9,631 B", 9631, weights="18.8 KB model", macs="336 K")],
    "tenet_kws": [Peer("TFLM, published for MLTK's own v3", "102,153 B", 102153)],
    "yamnet_256": [Peer("TFLM, published", "163,466 B", 163466, macs="23.9 M"),
                   Peer("ST X-CUBE-AI, STM32U585", "109.5 kB", 109500, weights="135.9 kB", code="52.6 kB")],
}


@dataclass(frozen=True)
class Target:
    text: str
    met: Callable[[int, int], bool]    # (fwgen arena, TFLM arena measured here) -> met?


TARGETS: dict[str, Target] = {
    "micro_speech": Target("arena <= 65 % of TFLM's", lambda ours, tflm: ours <= 0.65 * tflm),
    "yamnet_256": Target("arena <= 100 KB (102,400 B), below ST's 109.5 kB",
                         lambda ours, tflm: ours <= 100 * 1024),
}


def models(cache: Path) -> list[tuple[str, str, bytes]]:
    shared = ROOT.parent / "shared" / "data" / "micro_speech" / "micro_speech_quantized.tflite"
    out = [("micro_speech", "micro_speech (TFLM example)", shared.read_bytes())]
    out.append(("yamnet_256", "yamnet_256 96x64 (10 classes)",
                testmodels.cached(cache, "yamnet_256", testmodels.yamnet_256)))
    out.append(("tenet_kws", "TENet kws like MLTK on_off_v3 98x104",
                testmodels.cached(cache, "tenet_kws", testmodels.tenet_kws)))
    out.append(("mobilenet_v3_block", "mobilenet_v3 block 12x12x16",
                testmodels.cached(cache, "mobilenet_v3_block", testmodels.mobilenet_v3_block)))
    out.append(("mn04_tagger", "mn04 tagger 96x64 (10 classes)",
                testmodels.cached(cache, "mn04_tagger_96x64", _tagger)))
    return out


def _pct(ours: int, theirs: int) -> str:
    return f"{100.0 * ours / theirs:.0f} %" if theirs else "n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fwgen-bench-models"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    rows: list[tuple] = []
    verdicts: list[str] = []
    for key, name, data in models(args.cache):
        compiled = compile_model(data)
        report = validate_model(data, random=3, compiled=compiled, measure_code=False)
        code = flash_size(compiled).code_bytes
        ops = len(read_model(data).operators)
        ours, tflm = compiled.arena_bytes, report.tflm_arena_bytes or 0
        rows.append((name, "fwgen (this tree)", ops, compiled.macs, compiled.weights_bytes, code, ours, "",
                     report.differing_elements))
        rows.append(("", "TFLM interpreter, measured", "", "", "", "", tflm, _pct(ours, tflm), ""))
        for peer in PEERS.get(key, []):
            rows.append(("", peer.source, "", peer.macs, peer.weights, peer.code, peer.arena,
                         _pct(ours, peer.arena_bytes), ""))
        if key in TARGETS:
            t = TARGETS[key]
            verdicts.append(f"{name}: {t.text}: fwgen {ours:,} B, {_pct(ours, tflm)} of TFLM -> "
                            + ("met" if t.met(ours, tflm) else "NOT MET"))
    header = ("model", "implementation", "ops", "MACs", "const B", "code B", "arena", "fwgen/this", "diff")
    widths = [max(len(f"{r[i]:,}") if isinstance(r[i], int) else len(str(r[i])) for r in rows + [header])
              for i in range(len(header))]

    def fmt(row) -> str:
        cells = [f"{v:,}" if isinstance(v, int) else str(v) for v in row]
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    print(fmt(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(fmt(r))
    print()
    print("Targets (issue 3):")
    for v in verdicts:
        print(f"  {v}")
    print()
    print("arena: fwgen = activations + scratch of the static plan (inputs/outputs included), bytes;")
    print("  TFLM measured = tflite_micro.runtime recording allocator total after one invoke, bytes;")
    print("  published peers as DESIGN.md quotes them (ST's is activation RAM on STM32U585).")
    print("fwgen/this: fwgen's arena as a share of that row's arena (kB read as 1000 B).")
    print("const B: weights + biases + requantization constants. code: arm-none-eabi-gcc 12.2 with")
    print("  the firmware's flags for b_u585i_iot02a (-mcpu=cortex-m33 -O2, fwgen.project.toolchain),")
    print("  .text of model.c + the kernels it calls.")
    print("diff: output elements differing from TFLM over 3 random inputs (must be 0).")
    print("Published rows are figures for their own builds of the model (ST: trained weights,")
    print("  X-CUBE-AI runtime); the fwgen and TFLM-measured rows run the same .tflite (micro_speech:")
    print("  TFLM's example model; the others: random weights, int8 by TF's converter).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
