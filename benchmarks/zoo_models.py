"""The shipped zoo models (models/*/<name>.tflite) as they deploy: arena, weights, MACs, TFLM.

Usage: .venv/bin/python benchmarks/zoo_models.py > benchmarks/zoo_models.txt

For every zoo model that ships int8 weights: its input, .tflite size, parameters (elements of
constant tensors) and op count, then fwgen's compiler figures (MACs, const data = weights +
biases + requantization constants, arena = activations + scratch of the static plan, the
figure `fwgen build` and `fwgen validate` report) beside TFLM's arena (tflite_micro.runtime's
recording allocator after one invoke) and the output elements that differ from TFLM over 3
random inputs (must be 0). README.md's models table quotes these rows, and
tests/unit/test_zoo.py fails when the two disagree: rerun this script after retraining.
"""
from __future__ import annotations

import hashlib
import logging
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "host"))

from fwgen import __version__, zoo  # noqa: E402
from fwgen.compiler import compile_model  # noqa: E402
from fwgen.compiler.validate import validate_model  # noqa: E402

HEADER = ("model", "input", "tflite B", "sha256", "params", "ops", "MACs", "const B",
          "arena fwgen", "arena TFLM", "fwgen/TFLM", "diff")


def _tflm_version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("tflite-micro")
    except PackageNotFoundError:
        return "unknown"


def measure(model: zoo.ZooModel) -> tuple:
    data = model.weights.read_bytes()
    stats = zoo.graph_stats(data)
    compiled = compile_model(data, where=str(model.weights))
    report = validate_model(data, random=3, compiled=compiled, where=str(model.weights))
    tflm = report.tflm_arena_bytes or 0
    return (model.name, "x".join(str(d) for d in stats.input_shape), len(data),
            hashlib.sha256(data).hexdigest()[:16], stats.params, sum(stats.ops.values()),
            compiled.macs, compiled.weights_bytes, compiled.arena_bytes, tflm,
            f"{100 * compiled.arena_bytes / tflm:.0f} %" if tflm else "n/a",
            report.differing_elements)


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    rows = [measure(m) for m in zoo.list_models() if m.has_weights]
    cells = [[f"{v:,}" if isinstance(v, int) else str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells + [list(HEADER)]) for i in range(len(HEADER))]

    def fmt(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    print(f"fwgen {__version__}, tflite-micro {_tflm_version()}, Python "
          f"{platform.python_version()}; models from models/ (the files a fresh clone deploys)")
    print()
    print(fmt(list(HEADER)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print(fmt(row))
    print()
    print("input: the model's input tensor; sha256: first 16 hex digits of the .tflite.")
    print("params: elements of constant tensors; ops: operators in the graph.")
    print("MACs, const B (weights + biases + requantization constants) and arena fwgen")
    print("  (activations + scratch of the static plan, inputs/outputs included): fwgen's")
    print("  compiler, the figures fwgen build and fwgen validate report.")
    print("arena TFLM: tflite_micro.runtime recording allocator total after one invoke, bytes.")
    print("diff: output elements differing from TFLM over 3 random inputs (must be 0).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
