"""fwgen build's real-time estimate reads fwgen bench's exact counts (benchmarks/bench_models.txt):
shown beside the twin pipeline's figure, and standing in for a model only fwgen bench measured."""
from __future__ import annotations

import re
from dataclasses import replace

from fwgen.boards import get_board
from fwgen.deploy import DeployOptions, prepare
from fwgen.project.realtime import bench_measured, feasibility
from fwgen.zoo import resolve_model


def _m33_row(repo_root, label: str) -> tuple[str, list[int]]:
    sha, row = None, None
    for line in (repo_root / "benchmarks" / "bench_models.txt").read_text().splitlines():
        if (m := re.match(rf"^== {label}: model \S+, sha256 ([0-9a-f]+),", line)) is not None:
            sha = m.group(1)
        elif sha and row is None and line.startswith("mps2_an505 "):
            parts = line.split()
            row = [int(parts[2].replace(",", "")), int(parts[7].replace(",", ""))]
    return sha, row


def test_bench_counts_are_read_by_model_hash(repo_root):
    deployment = prepare(resolve_model("yamnet_256"), DeployOptions())
    sha, (inference, frontend) = _m33_row(repo_root, "yamnet_256")
    assert deployment.source.sha256.startswith(sha)
    exact = bench_measured(deployment.source.sha256)["mps2_an505"]
    assert (exact.inference, exact.frontend_per_frame, exact.detector) == (inference, frontend, 0)
    f = feasibility(deployment, get_board("stm32u5"))
    assert f.exact == exact and f.cost.source != exact.source        # the pipeline's figure first
    assert f"inference {inference:,} instructions" in f.lines()[1]
    assert "fwgen bench --board b_u585i_iot02a" in f.lines()[1]


def test_a_model_only_fwgen_bench_measured_gets_a_bound_from_it(repo_root, tmp_path):
    deployment = prepare(resolve_model("yamnet_256"), DeployOptions())
    (tmp_path / "firmware").mkdir()
    (tmp_path / "benchmarks").mkdir()
    text = (repo_root / "benchmarks" / "bench_models.txt").read_text()
    (tmp_path / "benchmarks" / "bench_models.txt").write_text(text)
    f = feasibility(deployment, get_board("stm32u5"), root=tmp_path)
    assert f.cost is f.exact and f.cost.detector == 0
    assert f.instructions == f.stride * f.exact.frontend_per_frame + f.exact.inference
    assert len(f.lines()) == 1 and "bench_models.txt" in f.lines()[0]
    other = replace(deployment, source=replace(deployment.source, data=b"another model"))
    assert feasibility(other, get_board("stm32u5"), root=tmp_path).cost is None
