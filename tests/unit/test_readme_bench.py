"""The README's `fwgen bench` table quotes benchmarks/bench_models.txt: each model's M33 row
(inference, x the limit, the peer and the ratio, frontend per window) read from the committed
output, so a re-run benchmark that moves a figure fails here until the README says the same."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README_ROWS = {"micro_speech": "zoo micro_speech", "tflm_micro_speech": "TFLM's micro_speech",
               "yamnet_256": "yamnet_256", "on_off_v3": "MLTK keyword_spotting_on_off_v3"}


def _m33_rows() -> dict[str, list[str]]:
    rows, label = {}, None
    for line in (ROOT / "benchmarks" / "bench_models.txt").read_text().splitlines():
        if (m := re.match(r"^== (\S+): model ", line)) is not None:
            label = m.group(1)
        elif label and line.startswith("mps2_an505 "):
            rows[label] = line.split()
    return rows


def _section(label: str) -> list[str]:
    lines = (ROOT / "benchmarks" / "bench_models.txt").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"== {label}: model "))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("== ")), len(lines))
    return lines[start:end]


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


def test_readme_measured_rows_of_on_off_v3_are_the_benchmark():
    # issue 11's MLTK TENet row: inference and ratio, arena, firmware flash and RAM, the peer's
    section = _section("on_off_v3")
    header = re.search(r"arena ([\d,]+) B", section[0]).group(1)
    row = next(line.split() for line in section if line.startswith("mps2_an505 "))
    inference, peer, ratio, flash, ram = row[2], row[5], row[6], row[-2], row[-1]
    peer_line = next(line for line in section if line.strip().startswith("peer: "))
    arena, harness, peer_ram = re.search(
        r"arena ([\d,]+) B .* bare-harness flash ([\d,]+) B, RAM ([\d,]+) B", peer_line).groups()
    text = (ROOT / "README.md").read_text()
    measured = text[text.index("## Measured"):]
    measured = measured[:measured.index("\n## ", 1)]
    assert f"| {inference} ({ratio} of the peer; issue 11's target 10 M) | TFLM + CMSIS-NN {peer} |" \
        in measured
    assert (f"| arena {header} B; firmware {flash} B flash, {ram} B RAM | TFLM + CMSIS-NN arena "
            f"{arena} B; bare harness {harness} B flash, {peer_ram} B RAM |") in measured


def test_every_twin_row_measured_the_frontend():
    # bench_models.txt's frontend column is a count the plugin made on every twin: "-" (the
    # bench build marked no frontend region) or 0 must not be committed, nor quoted as measured.
    text = (ROOT / "benchmarks" / "bench_models.txt").read_text()
    rows = [line.split() for line in text.splitlines() if re.match(r"^mps2_an\d+ +cortex-", line)]
    assert len(rows) >= 3 * len(README_ROWS), "bench_models.txt lacks twin rows"
    for row in rows:
        assert re.fullmatch(r"[\d,]+", row[7]) and int(row[7].replace(",", "")) > 0, row


def test_the_app_marks_the_frontend_call_for_the_bench_build():
    # fwgen bench counts the frontend between these two marks (firmware/common/fwgen_bench.h);
    # an app without them measures no frontend (8ebe87a's did, and bench_models.py printed 0).
    source = (ROOT / "firmware" / "app" / "pipeline.c").read_text()
    calls = [m.start() for m in re.finditer(r"\bfwgen_(?:frontend|logmel)_process\(", source)]
    assert calls, "pipeline.c calls no frontend"
    for at in calls:
        before, after = source[:at], source[at:]
        assert before.rfind("FWGEN_BENCH_MARK(FWGEN_BENCH_FRONTEND)") > \
            before.rfind("FWGEN_BENCH_MARK(FWGEN_BENCH_OTHER)"), "a frontend call outside the region"
        closed = after.find("FWGEN_BENCH_MARK(FWGEN_BENCH_OTHER)")
        reopened = after.find("FWGEN_BENCH_MARK(FWGEN_BENCH_FRONTEND)")
        assert closed >= 0 and (reopened < 0 or closed < reopened), \
            "the frontend region is not closed after the call"
