"""Can a board keep up with the model? A lower bound on the work per inference interval, from a
measurement on the board's QEMU twin, against the interval.

The twins count instructions (`qemu -icount`, the firmware's STATS); the committed benchmarks
(benchmarks/twin_pipeline*.txt, written by benchmarks/twin_pipeline.py) hold those counts per
model (by the sha256 of its .tflite) and twin. `fwgen bench` counts the frontend and the invoke
exactly (benchmarks/bench_models*.txt, written by benchmarks/bench_models.py): its figure is
shown beside the estimate, and stands in for a model twin_pipeline never measured (frontend and
inference only: still a lower bound). One interval of the app is `stride` frontend
frames, one inference and one detector call. A core retires at most one instruction per cycle
(two on the Cortex-M7, which dual-issues), and flash wait states, memory and interrupts only
add cycles, so instructions / (clock x that) is a lower bound on the time: a board whose bound
is above the interval cannot keep up; one below it may (it is not a measurement).

    estimate = feasibility(deployment, board)
    estimate.lines(), estimate.keeps_up, estimate.min_stride
"""
from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fwgen.boards import Board, twin_of
from fwgen.native import repo_root

LOG = logging.getLogger(__name__)

BENCHMARKS = "benchmarks"
PATTERN = "twin_pipeline*.txt"
BENCH_PATTERN = "bench_models*.txt"
# The most instructions a core retires per cycle (a core's fact, from Arm's documentation).
ISSUE_WIDTH = {"cortex-m7": 2}
_MODEL = re.compile(r"^model (\S+) \((.*), sha256 ([0-9a-f]{16,64})\)")
_ROW = re.compile(r"^(\S+)\s+(cortex-\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$")
# benchmarks/bench_models.txt: "== LABEL: model NAME, sha256 HEX, ..." then per twin
# "TWIN CORE INFERENCE /MAC xLIMIT PEER RATIO FRONTEND/WINDOW ..." (thousands separated)
_BENCH_MODEL = re.compile(r"^== \S+: model (\S+), sha256 ([0-9a-f]{16,64}),")
_BENCH_ROW = re.compile(r"^(\S+)\s+(cortex-\S+)\s+([\d,]+)\s+\S+\s+\S+\s+\S+\s+\S+\s+([\d,]+)\s")


@dataclass(frozen=True)
class TwinCost:
    """Instructions of one model's pipeline on one twin, as a benchmark measured them."""
    twin: str
    frontend_per_frame: int
    inference: int
    inference_max: int
    detector: int
    source: str                  # the benchmark file, relative to the fwgen tree


def _read_table(folder: Path, pattern: str, model_line: re.Pattern, sha_group: int,
                row_cost) -> dict[str, dict[str, TwinCost]]:
    """sha256 prefix -> twin id -> TwinCost from the benchmark files `pattern` in `folder`: a
    model line (its sha256 in `sha_group`) then that model's twin rows (`row_cost(line, source)`:
    a TwinCost, or None for any other line)."""
    found: dict[str, dict[str, TwinCost]] = {}
    for path in sorted(folder.glob(pattern)):
        sha = None
        source = f"{BENCHMARKS}/{path.name}"
        for line in path.read_text().splitlines():
            if (model := model_line.match(line)) is not None:
                sha = model.group(sha_group)
            elif sha and (cost := row_cost(line, source)) is not None:
                found.setdefault(sha, {})[cost.twin] = cost
    return found


def _pipeline_cost(line: str, source: str) -> TwinCost | None:
    if (row := _ROW.match(line)) is None:
        return None
    twin, _, frontend, inference, inference_max, detector = row.groups()
    return TwinCost(twin, int(frontend), int(inference), int(inference_max), int(detector), source)


def _bench_cost(line: str, source: str) -> TwinCost | None:
    """fwgen bench's exact frontend and inference (no detector)."""
    if (row := _BENCH_ROW.match(line)) is None:
        return None
    twin, _, inference, frontend = row.groups()
    n = int(inference.replace(",", ""))
    return TwinCost(twin, int(frontend.replace(",", "")), n, n, 0, source)


@lru_cache(maxsize=4)
def _read(folder: Path) -> dict[str, dict[str, TwinCost]]:
    return _read_table(folder, PATTERN, _MODEL, 3, _pipeline_cost)


@lru_cache(maxsize=4)
def _read_bench(folder: Path) -> dict[str, dict[str, TwinCost]]:
    return _read_table(folder, BENCH_PATTERN, _BENCH_MODEL, 2, _bench_cost)


def _of_model(table: dict[str, dict[str, TwinCost]], model_sha256: str) -> dict[str, TwinCost]:
    return next((costs for prefix, costs in table.items() if model_sha256.startswith(prefix)), {})


def bench_measured(model_sha256: str, root: Path | None = None) -> dict[str, TwinCost]:
    """fwgen bench's exact counts of the model whose .tflite has this sha256 ({} when none)."""
    return _of_model(_read_bench((root or repo_root()) / BENCHMARKS), model_sha256)


def measured(model_sha256: str, root: Path | None = None) -> dict[str, TwinCost]:
    """The twin measurements of the model whose .tflite has this sha256 ({} when none)."""
    return _of_model(_read((root or repo_root()) / BENCHMARKS), model_sha256)


@dataclass(frozen=True)
class Feasibility:
    board: Board
    model: str
    interval_ms: float           # one inference every `stride` frames
    stride: int
    frame_ms: float
    cost: TwinCost | None        # None: this model was not measured on the board's twin
    measure_hint: str = ""
    exact: TwinCost | None = None    # fwgen bench's exact counts on the twin, where measured
    model_path: str = ""

    @property
    def instructions(self) -> int | None:
        """Per interval: stride frontend frames + one inference + one detector call."""
        c = self.cost
        return None if c is None else self.stride * c.frontend_per_frame + c.inference + c.detector

    @property
    def per_ms(self) -> float:
        """The most instructions the board's core retires in a millisecond."""
        return self.board.clock_hz * ISSUE_WIDTH.get(self.board.core, 1) / 1000

    @property
    def lower_bound_ms(self) -> float | None:
        return None if self.instructions is None else self.instructions / self.per_ms

    @property
    def keeps_up(self) -> bool | None:
        """False when even the lower bound exceeds the interval; None when unknown."""
        bound = self.lower_bound_ms
        return None if bound is None else bound <= self.interval_ms

    @property
    def min_stride(self) -> int | None:
        """The smallest stride whose interval is not below the lower bound (None: no stride
        helps, the frontend alone takes longer than a frame; or unknown)."""
        c = self.cost
        if c is None:
            return None
        budget = self.frame_ms * self.per_ms - c.frontend_per_frame     # per frame, spare
        if budget <= 0:
            return None
        return max(1, math.ceil((c.inference + c.detector) / budget))

    def lines(self) -> list[str]:
        b = self.board
        head = (f"real time on {b.id} ({b.clock_hz / 1e6:g} MHz {b.core}): an inference every "
                f"{self.interval_ms:g} ms ({self.stride} frame{'s' if self.stride > 1 else ''})")
        if self.cost is None:
            return [f"{head}; time per inference unknown: {self.model} was not measured on "
                    f"{twin_of(b).id} ({self.measure_hint})"]
        c = self.cost
        ipc = ISSUE_WIDTH.get(b.core, 1)
        out = [f"{head}; at least {self.lower_bound_ms:.1f} ms of work in that time: "
               f"{self.instructions:,} instructions (inference {c.inference:,} + frontend "
               f"{c.frontend_per_frame:,} x {self.stride} + detector {c.detector:,}, measured on "
               f"the {c.twin} twin: {c.source}) at {ipc} instruction{'s' if ipc > 1 else ''} per "
               f"cycle; a lower bound, not a measurement"]
        e = self.exact
        if e is not None and e is not c:
            out.append(f"  exact on the {e.twin} twin (fwgen bench, {e.source}): inference "
                       f"{e.inference:,} instructions, frontend {e.frontend_per_frame:,} per "
                       f"window; per op: fwgen bench --board {b.id} --model {self.model_path or self.model}")
        return out

    def warning(self) -> str | None:
        """What to say when the board cannot keep up (None when it may, or unknown)."""
        if self.keeps_up is not False:
            return None
        fix = (f"an inference every {self.min_stride} frames (--stride {self.min_stride}) or a "
               f"faster board might" if self.min_stride else
               "the frontend alone needs more than a frame's time: choose a faster board")
        return (f"{self.board.id} cannot keep up: at least {self.lower_bound_ms:.1f} ms of work "
                f"every {self.interval_ms:g} ms; {fix}")


def feasibility(deployment, board: Board, *, root: Path | None = None) -> Feasibility:
    """The real-time estimate of `deployment` (fwgen.deploy.Deployment) on `board`."""
    frontend = deployment.frontend
    frame_ms = frontend.window_step * 1000 / frontend.sample_rate
    twin = twin_of(board)
    # The committed measurements are of fwgen's own kernels: another runtime's (TFLM's) cost
    # differs several-fold, so it gets no figure rather than the AOT one.
    aot = getattr(deployment, "runtime", "aot") == "aot"
    cost = measured(deployment.source.sha256, root).get(twin.id) if aot else None
    exact = bench_measured(deployment.source.sha256, root).get(twin.id) if aot else None
    runtime = "" if aot else f" --runtime {deployment.runtime}"
    hint = (f"measure it: fwgen run --board {twin.id} --model {deployment.source.path}{runtime} "
            f"CLIP.wav prints instructions per inference; benchmarks/twin_pipeline.py records "
            f"them; fwgen bench --board {board.id} --model {deployment.source.path}{runtime} "
            f"counts them per op")
    return Feasibility(board=board, model=deployment.source.name,
                       interval_ms=deployment.stride * frame_ms, stride=deployment.stride,
                       frame_ms=frame_ms, cost=cost if cost is not None else exact,
                       measure_hint=hint, exact=exact, model_path=str(deployment.source.path))
