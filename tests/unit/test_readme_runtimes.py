"""The README's aot-vs-tflm table quotes benchmarks/bench_runtimes.txt: a re-run benchmark that
moves a figure fails here until the README says the same."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODELS = ("micro_speech", "yamnet_256")


def _benchmark() -> dict[str, dict[str, list[str]]]:
    """model -> row name -> [aot, tflm, ratio] (the M33 twin's sections)."""
    out: dict[str, dict[str, list[str]]] = {}
    model = None
    for line in (ROOT / "benchmarks" / "bench_runtimes.txt").read_text().splitlines():
        if (m := re.match(r"^== (\S+) on mps2_an505 ", line)) is not None:
            model = m.group(1)
            out[model] = {}
        elif model and (m := re.match(r"^(instructions/inference|arena B|flash B \(shipped image\))"
                                      r"\s+([\d,]+)\s+([\d,]+)\s+([\d.]+)$", line)):
            out[model][m.group(1)] = [m.group(2), m.group(3), m.group(4)]
    return out


def _readme_row(model: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### TFLM + CMSIS-NN as the runtime"):]
    line = next(l for l in section.splitlines() if l.startswith(f"| {model} |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


@pytest.mark.parametrize("model", MODELS)
def test_readme_runtime_row_is_the_benchmark(model):
    rows = _benchmark()[model]
    cells = _readme_row(model)
    assert cells[1:4] == rows["instructions/inference"]
    assert cells[4] == f"{rows['arena B'][0]} / {rows['arena B'][1]} B"
    assert cells[5] == f"{rows['flash B (shipped image)'][0]} / {rows['flash B (shipped image)'][1]} B"
