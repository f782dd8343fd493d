"""fwgen build's real-time estimate: per board, the inference interval against a lower bound on
the work in it (the twin's measured instructions from benchmarks/twin_pipeline*.txt, by the
model's sha256, over the board's clock), a warning with a stride that might keep up, and for a
model never measured: unknown, and how to measure it."""
from __future__ import annotations

import math

import pytest

from fwgen.boards import get_board, twin_of
from fwgen.cli import main
from fwgen.deploy import DeployOptions, prepare
from fwgen.project.realtime import ISSUE_WIDTH, feasibility, measured
from fwgen.zoo import resolve_model


def _benchmark_rows(repo_root, name: str) -> tuple[str, dict[str, list[int]]]:
    """The sha256 prefix and twin rows of a benchmark file, read here by splitting lines."""
    lines = (repo_root / "benchmarks" / name).read_text().splitlines()
    sha = lines[0].split("sha256 ")[1].split(")")[0]
    rows = {}
    for line in lines:
        parts = line.split()
        if len(parts) == 6 and parts[0].startswith("mps2_") and parts[1].startswith("cortex-"):
            rows[parts[0]] = [int(p) for p in parts[2:]]
    return sha, rows


@pytest.fixture(scope="module")
def tflm(shared_data, repo_root):
    return prepare(resolve_model(shared_data / "micro_speech" / "micro_speech_quantized.tflite",
                                 repo_root / "models" / "micro_speech" / "model.yaml"),
                   DeployOptions())


def test_the_benchmarks_are_read_by_model_hash(repo_root, tflm):
    sha, rows = _benchmark_rows(repo_root, "twin_pipeline.txt")
    assert tflm.source.sha256.startswith(sha)
    costs = measured(tflm.source.sha256)
    assert set(costs) == set(rows) == {"mps2_an505", "mps2_an386", "mps2_an500"}
    for twin, (frontend, inference, inference_max, detector) in rows.items():
        c = costs[twin]
        assert (c.frontend_per_frame, c.inference, c.inference_max, c.detector) == \
            (frontend, inference, inference_max, detector)
        assert c.source == "benchmarks/twin_pipeline.txt"
    assert measured("0" * 64) == {}


@pytest.mark.parametrize("board_id", ["stm32u5", "stm32l4", "stm32h7", "efr32xg24"])
def test_the_bound_is_the_twins_instructions_over_the_clock(repo_root, tflm, board_id):
    board = get_board(board_id)
    _, rows = _benchmark_rows(repo_root, "twin_pipeline.txt")
    frontend, inference, _, detector = rows[twin_of(board).id]
    f = feasibility(tflm, board)
    assert (f.stride, f.interval_ms) == (1, 20)              # micro_speech: a 20 ms hop
    work = frontend + inference + detector
    per_ms = board.clock_hz * ISSUE_WIDTH.get(board.core, 1) / 1000
    assert f.instructions == work and f.lower_bound_ms == pytest.approx(work / per_ms)
    assert f.keeps_up is (work / per_ms <= 20)
    stride = math.ceil((inference + detector) / (20 * per_ms - frontend))
    assert f.min_stride == stride
    text = " ".join(f.lines())
    assert f"{work:,} instructions" in text and "lower bound, not a measurement" in text
    assert "benchmarks/twin_pipeline.txt" in text
    if f.keeps_up:
        assert f.warning() is None
    else:
        assert f"--stride {stride}" in f.warning() and "cannot keep up" in f.warning()


def _estimate(board_id: str, inference: int, frontend: int = 60_000, stride: int = 1):
    from fwgen.project.realtime import Feasibility, TwinCost

    cost = TwinCost("mps2_an505", frontend, inference, inference, 1_000, "benchmarks/x.txt")
    return Feasibility(board=get_board(board_id), model="m", interval_ms=20 * stride,
                       stride=stride, frame_ms=20, cost=cost)


def test_where_it_keeps_up_and_where_not():
    u5 = _estimate("stm32u5", 4_000_000)                 # 4.06 M at 160 MHz: 25.4 ms > 20 ms
    assert u5.lower_bound_ms == pytest.approx(4_061_000 / 160_000) and u5.keeps_up is False
    assert u5.min_stride == 2 and "--stride 2" in u5.warning()
    assert _estimate("stm32u5", 4_000_000, stride=2).keeps_up is True    # 4.12 M in 40 ms
    h7 = _estimate("stm32h7", 4_000_000)                 # 480 MHz, two instructions per cycle
    assert h7.lower_bound_ms == pytest.approx(4_061_000 / 960_000) and h7.keeps_up is True
    hopeless = _estimate("stm32u5", 1_000, frontend=4_000_000)            # frontend > a frame
    assert hopeless.min_stride is None and "faster board" in hopeless.warning()


def test_yamnet_every_half_second(repo_root):
    from fwgen.zoo import get_model

    if not get_model("yamnet_256").has_weights:
        pytest.skip("no yamnet_256 weights")
    deployment = prepare(resolve_model("yamnet_256"), DeployOptions())
    sha, rows = _benchmark_rows(repo_root, "twin_pipeline_yamnet_256.txt")
    assert deployment.source.sha256.startswith(sha)
    u5 = feasibility(deployment, get_board("stm32u5"))
    frontend, inference, _, detector = rows["mps2_an505"]
    assert u5.interval_ms == pytest.approx(480) and u5.stride == 48
    assert u5.instructions == 48 * frontend + inference + detector


def test_a_model_never_measured_is_unknown_and_says_how_to_measure(tflm):
    from dataclasses import replace

    other = replace(tflm, source=replace(tflm.source, data=b"another model"))
    f = feasibility(other, get_board("stm32u5"))
    assert f.cost is None and f.keeps_up is None and f.warning() is None
    text = " ".join(f.lines())
    assert "unknown" in text and "fwgen run --board mps2_an505" in text
    assert "prints instructions per inference" in text


def test_fwgen_build_prints_it_per_board(capsys, tmp_path, shared_data, repo_root):
    model = shared_data / "micro_speech" / "micro_speech_quantized.tflite"
    settings = repo_root / "models" / "micro_speech" / "model.yaml"
    assert main(["build", "--model", str(model), "--settings", str(settings), "--board", "stm32u5",
                 "--render-only", "--out", str(tmp_path / "p")]) == 0
    out, err = capsys.readouterr()
    assert "real time on b_u585i_iot02a (160 MHz cortex-m33): an inference every 20 ms" in out
    assert "lower bound, not a measurement" in out
    u5 = feasibility(prepare(resolve_model(model, settings), DeployOptions()), get_board("stm32u5"))
    assert (f"warning: {u5.warning()}" in err) if u5.warning() else "cannot keep up" not in err
    assert "mps2_an505 is a QEMU twin" in out
    assert main(["build", "--model", str(model), "--settings", str(settings), "--board", "stm32h7",
                 "--render-only", "--out", str(tmp_path / "h7")]) == 0
    out, err = capsys.readouterr()
    assert "real time on nucleo_h743zi" in out and "cannot keep up" not in err


def test_the_shipped_micro_speech_is_measured(repo_root):
    """benchmarks/twin_pipeline_micro_speech.txt is the zoo's .tflite as it ships."""
    deployment = prepare(resolve_model("micro_speech"), DeployOptions())
    sha, rows = _benchmark_rows(repo_root, "twin_pipeline_micro_speech.txt")
    assert deployment.source.sha256.startswith(sha) and set(rows) == set(measured(sha))
    u5 = feasibility(deployment, get_board("stm32u5"))
    assert u5.cost.source == "benchmarks/twin_pipeline_micro_speech.txt"
    assert u5.cost.inference == rows["mps2_an505"][1]


def test_another_runtime_gets_no_figure_of_fwgens_kernels(tflm):
    # The committed counts are the AOT kernels'; TFLM + CMSIS-NN costs several times more, so a
    # --runtime tflm build must not be told it keeps up on their strength.
    from dataclasses import replace

    other = replace(tflm, options=replace(tflm.options, runtime="tflm"))
    assert feasibility(tflm, get_board("stm32u5")).cost is not None
    f = feasibility(other, get_board("stm32u5"))
    assert f.cost is None and f.exact is None and f.keeps_up is None
    assert "--runtime tflm" in " ".join(f.lines())
