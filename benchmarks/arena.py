"""Arena, weights and code size per model: fwgen's ahead-of-time plan vs TFLM's interpreter.

Usage: .venv/bin/python benchmarks/arena.py [--cache DIR] > benchmarks/arena.txt

For each model: fwgen's arena (activations + scratch, static plan), TFLM's arena_used_bytes
(recording allocator, after one invoke), const data (weights + biases + requantization
constants), code (Cortex-M33, -Os: the invoke function plus the kernels it calls), MACs, and
the number of output elements differing from TFLM on 3 random inputs (must be 0).
Models other than micro_speech are random-weight Keras builds quantized by TF's converter
(fwgen.compiler.testmodels), cached in --cache.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "host"))

from fwgen.compiler import compile_model, testmodels  # noqa: E402
from fwgen.compiler.reference import TflmModel  # noqa: E402
from fwgen.compiler.size import flash_size  # noqa: E402
from fwgen.compiler.validate import validate_model  # noqa: E402
from fwgen.tflite import read_model  # noqa: E402


def _tagger() -> bytes:
    from fwgen.train.architectures import mobilenet_v3_tagger  # noqa: PLC0415

    testmodels._set_seed(0)
    model = mobilenet_v3_tagger(10, width=0.4, n_mels=64, n_frames=96)
    testmodels._randomize_batchnorm(model, np.random.default_rng(0))
    return testmodels.quantize(model)


def models(cache: Path) -> list[tuple[str, bytes]]:
    shared = ROOT.parent / "shared" / "data" / "micro_speech" / "micro_speech_quantized.tflite"
    out = [("micro_speech (TFLM example)", shared.read_bytes())]
    out.append(("yamnet_256 96x64 (10 classes)", testmodels.cached(cache, "yamnet_256", testmodels.yamnet_256)))
    out.append(("mobilenet_v3 block 12x12x16", testmodels.cached(cache, "mobilenet_v3_block",
                                                                 testmodels.mobilenet_v3_block)))
    out.append(("mn04 tagger 96x64 (10 classes)", testmodels.cached(cache, "mn04_tagger_96x64", _tagger)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fwgen-bench-models"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    rows = []
    for name, data in models(args.cache):
        compiled = compile_model(data)
        report = validate_model(data, random=3, compiled=compiled, measure_code=False)
        code = flash_size(compiled).code_bytes
        ops = len(read_model(data).operators)
        tflm = report.tflm_arena_bytes or 0
        rows.append((name, ops, compiled.macs, compiled.weights_bytes, code, compiled.arena_bytes, tflm,
                     f"{100.0 * compiled.arena_bytes / tflm:.0f} %" if tflm else "n/a",
                     report.differing_elements))
    header = ("model", "ops", "MACs", "const B", "code B", "fwgen arena B", "TFLM arena B", "ratio", "diff")
    widths = [max(len(str(r[i])) if not isinstance(r[i], int) else len(f"{r[i]:,}") for r in rows + [header])
              for i in range(len(header))]

    def fmt(row) -> str:
        cells = [f"{v:,}" if isinstance(v, int) else str(v) for v in row]
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    print(fmt(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(fmt(r))
    print()
    print("fwgen arena: activations + scratch of the static plan (inputs/outputs included).")
    print("TFLM arena: tflite_micro.runtime recording allocator total after one invoke.")
    print("code: arm-none-eabi-gcc 12.2 -mcpu=cortex-m33 -Os, .text of model.c + the kernels it calls.")
    print("diff: output elements differing from TFLM over 3 random inputs.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
