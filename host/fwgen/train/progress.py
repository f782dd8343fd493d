"""The progress callback that long training steps report to: (stage, done, total, info)."""
from __future__ import annotations

from typing import Any, Callable, Mapping

#: (stage, done, total, info), e.g. ("train", 3, 30, {"loss": 0.4}) after epoch 3 of 30.
Progress = Callable[[str, int, int, Mapping[str, Any]], None]


def no_progress(stage: str, done: int, total: int, info: Mapping[str, Any]) -> None:
    """The default: report nothing."""
