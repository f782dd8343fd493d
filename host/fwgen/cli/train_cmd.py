"""`fwgen train --model NAME --data DIR|synthetic`: train, quantize to int8, embed metadata."""
from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path
from typing import Any, Mapping

from fwgen.cli.base import Command
from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

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


def check_output_folder(path: Path, option: str = "--out") -> None:
    """Reject an output folder that cannot be created, before minutes of work are spent."""
    if path.exists() and not path.is_dir():
        raise FwgenError("the output folder is a file", where=str(path),
                         hint=f"give {option} a folder")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise FwgenError("cannot create the output folder: a parent is a file",
                                 where=str(parent), hint=f"check {option}")
            break


def check_output_file(path: Path, option: str = "--out") -> None:
    """Reject an output file path that is a folder or lies under a file."""
    if path.is_dir():
        raise FwgenError("the output path is a folder", where=str(path),
                         hint=f"give {option} a file name, e.g. model_int8.tflite")
    check_output_folder(path.parent, option)


def log_progress(stage: str, done: int, total: int, info: Mapping[str, Any]) -> None:
    """Plain-log progress (--no-progress): one line per epoch and per finished stage."""
    if stage == "train":
        metrics = "  ".join(f"{k} {v:.4g}" for k, v in info.items())
        print(f"epoch {done}/{total}  {metrics}", flush=True)
    elif done == total:
        print(f"{_STAGES.get(stage, stage)}: {total} done", flush=True)


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


class TrainCommand(Command):
    name = "train"
    help = "train a zoo model with fwgen's own frontend, quantize it to int8, embed metadata"
    description = (
        "Train a zoo architecture on a dataset with features from fwgen's C frontend (the code the\n"
        "board runs), then quantize to full int8 with a representative dataset and embed the\n"
        "frontend settings, classes and smoothing in the .tflite metadata.\n\n"
        "  fwgen train --model micro_speech --data synthetic --out models/micro_speech\n"
        "  fwgen train --model micro_speech --data ~/speech_commands_v0.02 --epochs 30\n\n"
        "--data: 'synthetic' (espeak-ng keywords, generated and cached), a Speech Commands\n"
        "folder (<word>/*.wav, _background_noise_/), or an ESC-50 folder (meta/esc50.csv).")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--model", required=True, help="zoo model name (see fwgen models)")
        parser.add_argument("--data", help="dataset folder or 'synthetic' (default: the "
                                           "model's recipe)")
        parser.add_argument("--epochs", type=int, help="maximum epochs (early stopping may end "
                                                       "sooner)")
        parser.add_argument("--out", type=Path,
                            help="output folder (default: build/train/<model>)")
        parser.add_argument("--batch-size", type=int)
        parser.add_argument("--learning-rate", type=float)
        parser.add_argument("--seed", type=int)
        parser.add_argument("--no-progress", action="store_true", help="plain log output")

    def invoke(self, args: argparse.Namespace) -> int:
        from fwgen import zoo  # noqa: PLC0415

        model_def = zoo.get_model(args.model)
        data = args.data or model_def.training.data
        if data != "synthetic" and not Path(data).is_dir():
            raise FwgenError("dataset folder not found", where=str(data),
                             hint="pass a Speech Commands or ESC-50 folder, or 'synthetic'")
        if args.epochs is not None and args.epochs < 1:
            raise FwgenError("--epochs must be at least 1")
        out = args.out or Path("build") / "train" / model_def.name
        check_output_folder(out)
        overrides = {k: v for k, v in (("batch_size", args.batch_size),
                                       ("learning_rate", args.learning_rate),
                                       ("seed", args.seed)) if v is not None}
        recipe = dataclasses.replace(model_def.training, **overrides)

        from fwgen.train.training import train_zoo_model  # noqa: PLC0415  (loads TensorFlow)

        if args.no_progress:
            result = train_zoo_model(model_def, data, out, epochs=args.epochs, recipe=recipe,
                                     progress=log_progress)
        else:
            with RichProgress() as progress:
                result = train_zoo_model(model_def, data, out, epochs=args.epochs,
                                         recipe=recipe, progress=progress)
        report = result.report
        print_evaluation(report["evaluation"],
                         f"{model_def.name}: {report['split']} clips "
                         f"({report['evaluation']['clips']})")
        print(f"int8 model: {result.tflite_path} ({report['tflite_bytes']} bytes, metadata "
              f"embedded)")
        print(f"float model: {result.keras_path}")
        print(f"report: {result.report_path}")
        return 0
