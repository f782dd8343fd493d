"""`fwgen train --model NAME --data DIR|synthetic`: train, quantize to int8, embed metadata."""
from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path

from fwgen.cli.base import Command
from fwgen.cli.options import check_output_folder
from fwgen.cli.terminal import RichProgress, print_evaluation
from fwgen.errors import FwgenError

LOG = logging.getLogger(__name__)

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
        parser.add_argument("--no-progress", action="store_true",
                            help="plain lines instead of progress bars: each stage as it starts "
                                 "and ends, every epoch (TensorFlow's own log lines need -v)")

    def invoke(self, args: argparse.Namespace) -> int:
        from fwgen import zoo  # noqa: PLC0415

        model_def = zoo.get_model(args.model)
        data = args.data or model_def.training.data
        if data != "synthetic" and not Path(data).is_dir():
            raise FwgenError("dataset folder not found", where=str(data),
                             hint="pass a Speech Commands or ESC-50 folder, or 'synthetic'")
        if args.epochs is not None and args.epochs < 1:
            raise FwgenError("--epochs must be at least 1")
        if args.batch_size is not None and not 1 <= args.batch_size <= 65536:
            raise FwgenError(f"must be 1 to 65536, got {args.batch_size}", where="--batch-size")
        if args.learning_rate is not None and not 0 < args.learning_rate <= 10:   # refuses nan
            raise FwgenError(f"must be more than 0 and at most 10, got {args.learning_rate:g}",
                             where="--learning-rate", hint="e.g. 0.001")
        out = args.out or Path("build") / "train" / model_def.name
        check_output_folder(out)
        overrides = {k: v for k, v in (("batch_size", args.batch_size),
                                       ("learning_rate", args.learning_rate),
                                       ("seed", args.seed)) if v is not None}
        recipe = dataclasses.replace(model_def.training, **overrides)

        from fwgen.train.progress import StageLines  # noqa: PLC0415
        from fwgen.train.tf_logging import quiet_tensorflow  # noqa: PLC0415

        if args.no_progress:
            print(f"training {model_def.name} on {data} into {out}", flush=True)
        quiet_tensorflow(getattr(args, "verbose", 0))
        from fwgen.train.training import train_zoo_model  # noqa: PLC0415  (loads TensorFlow)

        if args.no_progress:
            result = train_zoo_model(model_def, data, out, epochs=args.epochs, recipe=recipe,
                                     progress=StageLines(lambda line: print(line, flush=True)))
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
