"""Terminal output that several verbs share: training/quantization progress bars (rich) and the
float/int8 evaluation table."""
from __future__ import annotations

from typing import Any, Mapping

_STAGES = {"generate": "generating synthetic dataset", "features:train": "features (train)",
           "features:validation": "features (validation)", "features:test": "features (test)",
           "train": "training", "quantize": "int8 quantization", "evaluate": "evaluation"}


class RichProgress:
    """One rich progress bar per stage; epochs show loss and accuracy."""

    def __init__(self) -> None:
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress,  # noqa: PLC0415
                                   TextColumn, TimeElapsedColumn)

        self.progress = Progress(TextColumn("{task.description:<28}"), BarColumn(),
                                 MofNCompleteColumn(), TimeElapsedColumn(),
                                 TextColumn("{task.fields[info]}"))
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> "RichProgress":
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)

    def __call__(self, stage: str, done: int, total: int, info: Mapping[str, Any]) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(_STAGES.get(stage, stage), total=total,
                                                       info="")
        text = ""
        if info:
            keys = ("loss", "accuracy", "val_loss", "val_accuracy")
            text = "  ".join(f"{k} {info[k]:.3f}" for k in keys if k in info)
        self.progress.update(self.tasks[stage], completed=done, total=total, info=text)


def print_evaluation(report: Mapping[str, Any], title: str) -> None:
    from rich.console import Console  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415

    from fwgen.train.evaluate import format_table  # noqa: PLC0415

    table = Table(title=title)
    table.add_column("class")
    table.add_column("float", justify="right")
    table.add_column("int8", justify="right")
    for name, f, q in format_table(dict(report)):
        table.add_row(name, f, q)
    Console().print(table)
