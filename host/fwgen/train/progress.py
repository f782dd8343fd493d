"""The progress callback that long training steps report to: (stage, done, total, info).

Stages, in the order `fwgen train` runs them: ``dataset`` (opening it; ``generate`` while a
synthetic one is made), ``features:<split>``, ``train`` (one call per epoch), ``quantize``,
``evaluate``. A ``train`` call with ``{"stopped_after": n}`` ends training early. `StageLines`
turns the calls into plain lines for `--no-progress`.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Mapping

#: (stage, done, total, info), e.g. ("train", 3, 30, {"loss": 0.4}) after epoch 3 of 30.
Progress = Callable[[str, int, int, Mapping[str, Any]], None]

#: What each stage is called on the terminal.
STAGE_NAMES = {"dataset": "dataset", "generate": "generating synthetic dataset",
               "features:train": "features (train)", "features:validation": "features (validation)",
               "features:test": "features (test)", "train": "training",
               "quantize": "int8 quantization", "evaluate": "evaluation"}


def no_progress(stage: str, done: int, total: int, info: Mapping[str, Any]) -> None:
    """The default: report nothing."""


def _info(info: Mapping[str, Any]) -> str:
    return "  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                     for k, v in info.items())


class StageLines:
    """A `Progress` that writes plain lines through `emit`: one when a stage starts, one per
    epoch, one when it ends (with its seconds), and for long stages at most one every
    `every_s` seconds in between, so a plain log never goes quiet for minutes."""

    def __init__(self, emit: Callable[[str], None], *, clock: Callable[[], float] = time.monotonic,
                 every_s: float = 30.0):
        self.emit, self.clock, self.every_s = emit, clock, every_s
        self._started: dict[str, float] = {}
        self._last: dict[str, float] = {}
        self._ended: set[str] = set()

    def __call__(self, stage: str, done: int, total: int, info: Mapping[str, Any]) -> None:
        name = STAGE_NAMES.get(stage, stage)
        now = self.clock()
        if stage not in self._started or stage in self._ended and done < total:
            self._started[stage], self._last[stage] = now, now
            self._ended.discard(stage)
            self.emit(self._start_line(stage, name, done, total, info))
            if done < total or stage == "train":
                return
        if stage == "train" and "stopped_after" in info:
            self.emit(f"{name}: early stopping after {info['stopped_after']} epochs "
                      "(the best epoch's weights kept)")
        elif stage == "train" and done:
            self.emit(f"epoch {done}/{total}" + (f"  {_info(info)}" if info else ""))
        elif done < total and now - self._last[stage] >= self.every_s:
            self._last[stage] = now
            self.emit(f"{name}: {done}/{total}")
        if done >= total and stage not in self._ended:
            self._ended.add(stage)
            seconds = round(now - self._started[stage])
            extra = f" ({_info(info)})" if info and stage != "train" else \
                (f" ({total})" if stage.startswith(("features", "generate")) else "")
            self.emit(f"{name}: done in {seconds} s{extra}")

    @staticmethod
    def _start_line(stage: str, name: str, done: int, total: int,
                    info: Mapping[str, Any]) -> str:
        if stage == "train":
            return f"{name}: up to {total} epochs"
        if stage.startswith(("features", "generate")):
            return f"{name}: {done}/{total}"
        return f"{name}: {_info(info)}" if info else name
