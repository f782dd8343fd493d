"""The README's `fwgen bench` table quotes benchmarks/bench_models.txt: each model's M33 row
(inference, x the limit, the peer and the ratio, frontend per window) read from the committed
output, so a re-run benchmark that moves a figure fails here until the README says the same."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README_ROWS = {"micro_speech": "zoo micro_speech", "tflm_micro_speech": "TFLM's micro_speech",
               "yamnet_256": "yamnet_256"}


def _m33_rows() -> dict[str, list[str]]:
    rows, label = {}, None
    for line in (ROOT / "benchmarks" / "bench_models.txt").read_text().splitlines():
        if (m := re.match(r"^== (\S+): model ", line)) is not None:
            label = m.group(1)
        elif label and line.startswith("mps2_an505 "):
            rows[label] = line.split()
    return rows


def _readme_row(name: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### `fwgen bench`"):]
    line = next(l for l in section.splitlines() if l.startswith(f"| {name} |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


@pytest.mark.parametrize("label", sorted(README_ROWS))
def test_readme_bench_row_is_the_benchmark(label):
    rows = _m33_rows()
    assert label in rows, f"bench_models.txt has no {label} section"
    twin, core, inference, per_mac, limit, peer, ratio, frontend, peer_fe, *_ = rows[label]
    cells = _readme_row(README_ROWS[label])
    assert cells[1] == inference and cells[2] == limit
    assert cells[3] == (peer if peer != "-" else "—") and cells[4] == (ratio if ratio != "-" else "—")
    assert cells[5].split()[0] == frontend
    if peer_fe != "-":
        assert f"TFLM {peer_fe}" in cells[5]
